/**
 * What an operator sees of an identity's run in the Temporal UI and CLI: its current details (a
 * Markdown summary of what is due, what waits and why, in the identity's local time and in UTC)
 * and the flags of its `PacerAttention` search attribute. Plain functions of the workflow's state,
 * so they replay identically and are unit-tested without Temporal.
 */
import { DateTime } from 'luxon';
import { attentionFlags, type AttentionFlag } from '../domain/operator-attention';
import { ACTION_KINDS, type ActionKind } from '../domain/steps';
import type { IdentityStatus, KindPacing } from './identity-contract';
import type { IdentityState } from './identity-state';

/** The flags the identity shows now: the plan's recorded facts plus the kinds its holds say keep failing. */
export function attentionOf(state: IdentityState): AttentionFlag[] {
  const facts = state.plan?.attention ?? { linkedinNeedsReconnect: false, inboxesNeedingReconnect: 0, inboxesFailingSync: 0 };
  return attentionFlags({ ...facts, consecutiveFailures: Object.values(state.holds).map((hold) => hold?.failures ?? 0) });
}

const KIND_NAMES: Record<ActionKind, string> = {
  connectionRequest: 'connection requests',
  message: 'LinkedIn messages',
  scrape: 'profile visits',
  like: 'likes',
  email: 'emails',
};

/** Markdown table cells cannot hold a pipe or a line break. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

function whenText(at: number, timeZone: string): string {
  const local = DateTime.fromMillis(at, { zone: timeZone });
  return `${local.toFormat('ccc d LLL HH:mm')} ${timeZone} (${local.toUTC().toFormat('HH:mm')} UTC)`;
}

/** Why a kind is not acting now, or that it is about to. */
function kindWait(pacing: KindPacing, status: IdentityStatus): string {
  const when = (at: number) => whenText(at, status.workingHours.timeZone);
  if (pacing.holdReason !== null) return `held ${pacing.heldUntil === null ? 'until something changes' : `until ${when(pacing.heldUntil)}`}: ${pacing.holdReason}`;
  if (pacing.nextDueAt === null) return 'nothing due';
  if (pacing.left === 0) return pacing.limit === 0 ? 'no budget (limit 0)' : 'daily budget spent; it resets at local midnight';
  if (!status.inWindow) return `due ${when(pacing.nextDueAt)}; waits for working hours`;
  if (pacing.nextDueAt > status.now) return `next step due ${when(pacing.nextDueAt)}`;
  if (pacing.nextSlotAt !== null && pacing.nextSlotAt > status.now) return `due; spread over the day: next slot ${when(pacing.nextSlotAt)}`;
  return 'due now';
}

/** The run's current details: where the identity stands, what it does next, and why each kind waits. */
export function currentDetails(status: IdentityStatus, next: { reason: string; until: number }, attention: readonly AttentionFlag[]): string {
  const when = (at: number) => whenText(at, status.workingHours.timeZone);
  const lines = [
    status.inWindow && status.currentWindowEnd !== null
      ? `**Inside working hours** until ${when(status.currentWindowEnd)}`
      : `**Outside working hours**: they start ${when(status.nextWindowStart)}`,
    `Next: ${next.reason}, ${when(next.until)}`,
    ...(attention.length > 0 ? [`**Needs attention**: ${attention.join(', ')}`] : []),
    '',
    '| kind | today | waits because |',
    '| --- | --- | --- |',
    ...ACTION_KINDS.map((kind) => {
      const pacing = status.pacing[kind];
      return `| ${KIND_NAMES[kind]} | ${pacing.used} of ${pacing.limit} | ${cell(kindWait(pacing, status))} |`;
    }),
  ];
  if (status.withdrawalsHeldUntil !== null) lines.push('', `Invitation withdrawals held until ${when(status.withdrawalsHeldUntil)} after a failure.`);
  else if (status.nextWithdrawalDueAt !== null) lines.push('', `Next invitation withdrawal due ${when(status.nextWithdrawalDueAt)}.`);
  return lines.join('\n');
}
