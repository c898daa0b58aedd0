/**
 * What makes an identity need a person, as the flags of its `PacerAttention` search attribute, so an
 * operator finds every such identity with one visibility query (`PacerAttention IS NOT NULL`, or
 * `PacerAttention = 'inbox-needs-reconnect'`). Each flag clears itself once its cause is gone.
 */

/** In the order they are shown. */
export const ATTENTION_FLAGS = ['linkedin-needs-reconnect', 'inbox-needs-reconnect', 'reply-sync-failing', 'action-failing'] as const;
export type AttentionFlag = (typeof ATTENTION_FLAGS)[number];

/**
 * Consecutive failures of one kind (or of withdrawals) after which it counts as failing: one or two
 * are ordinary faults the back-off absorbs; three in a row (1 + 2 + 4 minutes) are not.
 */
export const ACTION_FAILING_AFTER = 3;

export interface AttentionFacts {
  /** The identity's LinkedIn account must be reconnected by its owner. */
  linkedinNeedsReconnect: boolean;
  /** Inboxes whose password or token stopped working (sending or reading). */
  inboxesNeedingReconnect: number;
  /** Connected inboxes whose latest reply sync failed (transiently: it is retried). */
  inboxesFailingSync: number;
  /** Consecutive failures of each action kind and of withdrawals that are holding back now. */
  consecutiveFailures: readonly number[];
}

export function attentionFlags(facts: AttentionFacts): AttentionFlag[] {
  const raised: Record<AttentionFlag, boolean> = {
    'linkedin-needs-reconnect': facts.linkedinNeedsReconnect,
    'inbox-needs-reconnect': facts.inboxesNeedingReconnect > 0,
    'reply-sync-failing': facts.inboxesFailingSync > 0,
    'action-failing': facts.consecutiveFailures.some((failures) => failures >= ACTION_FAILING_AFTER),
  };
  return ATTENTION_FLAGS.filter((flag) => raised[flag]);
}

/** Whether two flag lists say the same thing, whatever their order. */
export function sameAttention(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((flag) => b.includes(flag));
}
