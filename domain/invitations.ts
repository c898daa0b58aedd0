/**
 * LinkedIn invitations (SPEC §2 "Withdrawals"): pure rules shared by the workflow, the activities
 * and the API. Instants are epoch ms; days are exact 24-hour days, so a DST change between the
 * invitation and its withdrawal moves neither by an hour.
 *
 * - Automatic withdrawal: a pending invitation is due for withdrawal once it has been pending for
 *   the identity's CURRENT threshold. The threshold is read when the rule is evaluated, never stored
 *   with the invitation, so lowering it (14 → 7 days) makes older pending invitations due at once,
 *   raising it postpones them, and switching it off stops automatic withdrawal for all of them.
 *   Working hours are the caller's concern: a due withdrawal waits for the next window.
 * - Re-invite block: after a withdrawal, no invitation to the same person from the same identity for
 *   REINVITE_BLOCK_MS. An instant exactly at the end of the block is allowed.
 */
import { REINVITE_BLOCK_MS } from './pacing';

const DAY_MS = 86_400_000;

export interface AutoWithdrawSettings {
  enabled: boolean;
  afterDays: number;
}

/** Where an invitation is: queued (asked for, not sent yet), pending, then accepted, withdrawn or expired; failed when LinkedIn refused it. */
export const INVITATION_STATUSES = ['queued', 'pending', 'accepted', 'withdrawn', 'expired', 'failed'] as const;
export type InvitationRecordStatus = (typeof INVITATION_STATUSES)[number];

export type WithdrawalReason = 'auto' | 'manual';

/** When a pending invitation sent at `sentAt` becomes due for automatic withdrawal; null when automatic withdrawal is off. */
export function autoWithdrawalDueAt(sentAt: number, settings: AutoWithdrawSettings): number | null {
  return settings.enabled ? sentAt + settings.afterDays * DAY_MS : null;
}

/** The instant before which invitations pending since then are due for automatic withdrawal at `now`; null when it is off. */
export function autoWithdrawalCutoff(now: number, settings: AutoWithdrawSettings): number | null {
  return settings.enabled ? now - settings.afterDays * DAY_MS : null;
}

/**
 * When the next withdrawal is due: the earliest of a manual request (due at once) and the oldest
 * pending invitation's automatic due time. Null when nothing will become due.
 */
export function nextWithdrawalDueAt(input: { oldestPendingSentAt: number | null; manualRequested: boolean; now: number; settings: AutoWithdrawSettings }): number | null {
  const automatic = input.oldestPendingSentAt === null ? null : autoWithdrawalDueAt(input.oldestPendingSentAt, input.settings);
  if (input.manualRequested) return automatic === null ? input.now : Math.min(input.now, automatic);
  return automatic;
}

/** When a block started by a withdrawal at `withdrawnAt` lifts. */
export function reinviteAllowedFrom(withdrawnAt: number): number {
  return withdrawnAt + REINVITE_BLOCK_MS;
}

/** The instant the re-invite block lifts if `now` is inside one of the given withdrawals' blocks, else null. */
export function reinviteBlockedUntil(withdrawnAts: readonly number[], now: number): number | null {
  const lifts = withdrawnAts.map(reinviteAllowedFrom).filter((allowedFrom) => now < allowedFrom);
  return lifts.length === 0 ? null : Math.max(...lifts);
}
