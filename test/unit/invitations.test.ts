import fc from 'fast-check';
import { autoWithdrawalCutoff, autoWithdrawalDueAt, nextWithdrawalDueAt, reinviteAllowedFrom, reinviteBlockedUntil } from '../../domain/invitations';
import { REINVITE_BLOCK_MS } from '../../domain/pacing';

const DAY_MS = 86_400_000;
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2040, 0, 1) });
const settings = fc.record({ enabled: fc.boolean(), afterDays: fc.integer({ min: 1, max: 90 }) });

describe('automatic withdrawal', () => {
  test('an invitation comes due exactly after the threshold in 24-hour days, across a DST change too', () => {
    const sentAt = Date.parse('2026-03-25T10:00:00Z'); // Paris changes to summer time on 29 March
    expect(autoWithdrawalDueAt(sentAt, { enabled: true, afterDays: 7 })).toBe(Date.parse('2026-04-01T10:00:00Z'));
    expect(autoWithdrawalDueAt(sentAt, { enabled: false, afterDays: 7 })).toBeNull();
  });

  test('due and cutoff agree: sent at or before the cutoff ⇔ due at or before now', () => {
    fc.assert(
      fc.property(instant, instant, settings, (sentAt, now, rule) => {
        const cutoff = autoWithdrawalCutoff(now, rule);
        const due = autoWithdrawalDueAt(sentAt, rule);
        if (!rule.enabled) return cutoff === null && due === null;
        return sentAt <= (cutoff as number) === (due as number) <= now;
      }),
    );
  });

  test('a lowered threshold makes an invitation due earlier, a raised one later (it is never stored with the invitation)', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 89 }), (sentAt, days) => {
        const lower = autoWithdrawalDueAt(sentAt, { enabled: true, afterDays: days }) as number;
        const higher = autoWithdrawalDueAt(sentAt, { enabled: true, afterDays: days + 1 }) as number;
        return higher - lower === DAY_MS;
      }),
    );
  });

  test('the next withdrawal: a manual request is due now, else the oldest pending one under the current settings', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    const sentAt = now - 3 * DAY_MS;
    const on = { enabled: true, afterDays: 7 };
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: sentAt, manualRequested: false, now, settings: on })).toBe(sentAt + 7 * DAY_MS);
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: sentAt, manualRequested: true, now, settings: on })).toBe(now);
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: now - 10 * DAY_MS, manualRequested: true, now, settings: on })).toBe(now - 3 * DAY_MS);
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: sentAt, manualRequested: false, now, settings: { enabled: false, afterDays: 7 } })).toBeNull();
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: null, manualRequested: false, now, settings: on })).toBeNull();
    expect(nextWithdrawalDueAt({ oldestPendingSentAt: null, manualRequested: true, now, settings: { enabled: false, afterDays: 7 } })).toBe(now);
  });

  test('the next withdrawal is never later than now when a manual request waits', () => {
    fc.assert(
      fc.property(fc.option(instant, { nil: null }), instant, settings, (oldest, now, rule) => {
        const due = nextWithdrawalDueAt({ oldestPendingSentAt: oldest, manualRequested: true, now, settings: rule });
        return due !== null && due <= now;
      }),
    );
  });
});

describe('re-invite block', () => {
  test('21 × 24 h: refused one minute before, allowed at the instant it lifts', () => {
    const withdrawnAt = Date.parse('2026-12-07T10:17:00Z');
    const lifts = reinviteAllowedFrom(withdrawnAt);
    expect(lifts).toBe(Date.parse('2026-12-28T10:17:00Z'));
    expect(reinviteBlockedUntil([withdrawnAt], lifts - 60_000)).toBe(lifts);
    expect(reinviteBlockedUntil([withdrawnAt], lifts)).toBeNull();
    expect(reinviteBlockedUntil([], lifts)).toBeNull();
  });

  test('with several withdrawals, the latest block decides', () => {
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 5 }), instant, (withdrawnAts, now) => {
        const blockedUntil = reinviteBlockedUntil(withdrawnAts, now);
        const latest = Math.max(...withdrawnAts);
        if (now < latest + REINVITE_BLOCK_MS && now >= latest) return blockedUntil === latest + REINVITE_BLOCK_MS;
        if (blockedUntil === null) return withdrawnAts.every((withdrawnAt) => now >= withdrawnAt + REINVITE_BLOCK_MS);
        return blockedUntil > now && withdrawnAts.some((withdrawnAt) => withdrawnAt + REINVITE_BLOCK_MS === blockedUntil);
      }),
    );
  });
});
