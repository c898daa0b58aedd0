import fc from 'fast-check';
import type { PlannedIdentity } from '../../activities/dispatch-plan';
import { ACTION_FAILING_AFTER, ATTENTION_FLAGS, attentionFlags, sameAttention } from '../../domain/operator-attention';
import type { IdentityConfig } from '../../domain/identity-config';
import { attentionOf, currentDetails } from '../../workflows/identity-operator-view';
import { describeStatus, initialState, recordPlan, recordStepFailure, recordStepOutcome, type IdentityState } from '../../workflows/identity-state';
import { plannedIdentity } from '../support/planned-identity';

/** Monday 2 March 2026, 10:00 in Paris (UTC+1). */
const MONDAY_10 = Date.parse('2026-03-02T09:00:00Z');
const MINUTE = 60_000;

const config: IdentityConfig = {
  version: 1,
  workingHours: { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' },
  linkedinLimits: { dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 0, raisedUntil: null },
  likingsOptOut: false,
  autoWithdraw: { enabled: false, afterDays: 14 },
};

function plannedState(overrides: Partial<PlannedIdentity> = {}, now = MONDAY_10): IdentityState {
  const state = initialState({ identityId: 'identity-1', workspaceId: 'workspace-1', config, workspaceScrapingPool: 0 });
  recordPlan(state, plannedIdentity(config, overrides), now, () => 0.5);
  return state;
}

describe('attention flags', () => {
  const facts = fc.record({
    linkedinNeedsReconnect: fc.boolean(),
    inboxesNeedingReconnect: fc.nat({ max: 5 }),
    inboxesFailingSync: fc.nat({ max: 5 }),
    consecutiveFailures: fc.array(fc.nat({ max: 10 }), { maxLength: 6 }),
  });

  it('each flag is raised exactly when its fact holds, in the documented order', () => {
    fc.assert(
      fc.property(facts, (given) => {
        const flags = attentionFlags(given);
        expect(flags.includes('linkedin-needs-reconnect')).toBe(given.linkedinNeedsReconnect);
        expect(flags.includes('inbox-needs-reconnect')).toBe(given.inboxesNeedingReconnect > 0);
        expect(flags.includes('reply-sync-failing')).toBe(given.inboxesFailingSync > 0);
        expect(flags.includes('action-failing')).toBe(given.consecutiveFailures.some((failures) => failures >= ACTION_FAILING_AFTER));
        expect(flags).toEqual(ATTENTION_FLAGS.filter((flag) => flags.includes(flag)));
      }),
    );
  });

  it('an identity with nothing wrong has no flag (the attribute is removed, not emptied)', () => {
    expect(attentionFlags({ linkedinNeedsReconnect: false, inboxesNeedingReconnect: 0, inboxesFailingSync: 0, consecutiveFailures: [2, 2, 0] })).toEqual([]);
  });

  it('compares flag lists whatever their order', () => {
    fc.assert(
      fc.property(fc.subarray([...ATTENTION_FLAGS]), fc.subarray([...ATTENTION_FLAGS]), (a, b) => {
        expect(sameAttention(a, [...a].reverse())).toBe(true);
        expect(sameAttention(a, b)).toBe(a.length === b.length && a.every((flag) => b.includes(flag)));
      }),
    );
  });
});

describe("the workflow's attention", () => {
  it('comes from the recorded facts of the plan', () => {
    const state = plannedState({ attention: { linkedinNeedsReconnect: true, inboxesNeedingReconnect: 1, inboxesFailingSync: 2 } });
    expect(attentionOf(state)).toEqual(['linkedin-needs-reconnect', 'inbox-needs-reconnect', 'reply-sync-failing']);
    expect(attentionOf(initialState({ identityId: 'i', workspaceId: 'w', config, workspaceScrapingPool: 0 }))).toEqual([]);
  });

  it('raises action-failing on the third failure of a kind in a row, and clears it once the kind acts again', () => {
    const state = plannedState();
    const failure = { type: 'ActionUnavailable', message: 'SMTP 421 try later', retryAfterMs: null };
    recordStepFailure(state, 'email', failure, MONDAY_10);
    recordStepFailure(state, 'email', failure, MONDAY_10 + MINUTE);
    expect(attentionOf(state)).toEqual([]);
    recordStepFailure(state, 'email', failure, MONDAY_10 + 3 * MINUTE);
    expect(attentionOf(state)).toEqual(['action-failing']);
    recordStepOutcome(state, { performed: true, kind: 'email', performedAt: MONDAY_10 + 7 * MINUTE }, MONDAY_10 + 7 * MINUTE, () => 0.5);
    expect(attentionOf(state)).toEqual([]);
  });
});

describe('current details', () => {
  it('say where the identity stands and why each kind waits, in local time and UTC', () => {
    const state = plannedState({ nextDueAt: { email: MONDAY_10 - MINUTE, connectionRequest: MONDAY_10 + 90 * MINUTE } });
    recordStepFailure(state, 'message', { type: 'ActionUnavailable', message: 'gateway | 503', retryAfterMs: null }, MONDAY_10);
    const details = currentDetails(describeStatus(state, MONDAY_10), { reason: 'the next email', until: MONDAY_10 + 20 * MINUTE }, ['inbox-needs-reconnect']);
    const lines = details.split('\n');
    expect(lines[0]).toBe('**Inside working hours** until Mon 2 Mar 18:00 Europe/Paris (17:00 UTC)');
    expect(lines[1]).toBe('Next: the next email, Mon 2 Mar 10:20 Europe/Paris (09:20 UTC)');
    expect(lines[2]).toBe('**Needs attention**: inbox-needs-reconnect');
    expect(details).toContain('| connection requests | 0 of 20 | next step due Mon 2 Mar 11:30 Europe/Paris (10:30 UTC) |');
    expect(details).toMatch(/\| emails \| 0 of 30 \| due; spread over the day: next slot Mon 2 Mar \d\d:\d\d Europe\/Paris \(\d\d:\d\d UTC\) \|/);
    // A hold's reason is quoted, with the table's own separator escaped.
    expect(details).toContain('| LinkedIn messages | 0 of 100 | held until Mon 2 Mar 10:01 Europe/Paris (09:01 UTC): gateway \\| 503 |');
    expect(details).toContain('| likes | 0 of ');
    expect(details).toContain('| profile visits | 0 of 0 | nothing due |');
  });

  it('outside working hours name when they start, and a spent budget says so', () => {
    const evening = Date.parse('2026-03-02T18:30:00Z');
    const state = plannedState({ nextDueAt: { email: evening - MINUTE } }, evening);
    const status = describeStatus(state, evening);
    const details = currentDetails(status, { reason: 'the next working-hours window', until: status.nextWindowStart }, []);
    expect(details.split('\n')[0]).toBe('**Outside working hours**: they start Tue 3 Mar 09:00 Europe/Paris (08:00 UTC)');
    expect(details).not.toContain('Needs attention');
    expect(details).toContain('| emails | 0 of 30 | due Mon 2 Mar 19:29 Europe/Paris (18:29 UTC); waits for working hours |');

    const spent = plannedState({ nextDueAt: { email: MONDAY_10 - MINUTE }, emailDailyCapacity: 1 });
    recordStepOutcome(spent, { performed: true, kind: 'email', performedAt: MONDAY_10 }, MONDAY_10, () => 0.5);
    expect(currentDetails(describeStatus(spent, MONDAY_10), { reason: 'x', until: MONDAY_10 + MINUTE }, [])).toContain('| emails | 1 of 1 | daily budget spent; it resets at local midnight |');
  });
});
