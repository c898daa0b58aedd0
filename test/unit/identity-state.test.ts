import fc from 'fast-check';
import type { PlannedIdentity } from '../../activities/dispatch-plan';
import { MIN_ACTION_TIME_MS, REPLY_SYNC_INTERVAL_MS, SLOT_MARGIN_MS, SLOT_ROOM_MS } from '../../domain/dispatch';
import type { IdentityConfig } from '../../domain/identity-config';
import { currentWindow, type WorkingHours } from '../../domain/working-hours';
import {
  applyChange,
  applyConfigSignal,
  beginPass,
  budgetSnapshot,
  describeStatus,
  endPass,
  initialState,
  nextStep,
  recordPlan,
  recordPlanFailure,
  recordRaisedLimitsExpired,
  recordReplySync,
  recordStepFailure,
  recordStepOutcome,
  recordWithdrawal,
  type IdentityState,
} from '../../workflows/identity-state';
import { plannedIdentity } from '../support/planned-identity';

const PARIS_OFFICE: WorkingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
/** Monday 2 March 2026, Paris (UTC+1). */
const MONDAY_10 = Date.parse('2026-03-02T09:00:00Z');
const MONDAY_18 = Date.parse('2026-03-02T17:00:00Z');
const TUESDAY_09 = Date.parse('2026-03-03T08:00:00Z');
const SUNDAY_12 = Date.parse('2026-03-01T11:00:00Z');
const MINUTE = 60_000;

function config(overrides: Partial<IdentityConfig> = {}): IdentityConfig {
  return {
    version: 1,
    workingHours: PARIS_OFFICE,
    linkedinLimits: { dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 0, raisedUntil: null },
    likingsOptOut: false,
    autoWithdraw: { enabled: false, afterDays: 14 },
    ...overrides,
  };
}

function planned(overrides: Partial<PlannedIdentity> = {}): PlannedIdentity {
  return plannedIdentity(config(), overrides);
}

/** A predictable "random": the middle of the spacing range (gap = the average gap). */
const half = () => 0.5;

function stateAfterPlan(now: number, plan: Partial<PlannedIdentity> = {}): IdentityState {
  const state = initialState({ identityId: 'identity-1', workspaceId: 'workspace-1', config: config(), workspaceScrapingPool: 0 });
  recordPlan(state, planned(plan), now, half);
  return state;
}

/** Puts every kind's slot at `at` (as if spacing had brought them there). */
function slotsAt(state: IdentityState, at: number): void {
  for (const kind of ['connectionRequest', 'message', 'scrape', 'like', 'email'] as const) state.usage.nextSlotAt[kind] = at;
}

describe('what the identity does next', () => {
  test('a new run plans first, whatever the time', () => {
    const state = initialState({ identityId: 'i', workspaceId: 'w', config: config(), workspaceScrapingPool: 0 });
    expect(nextStep(state, SUNDAY_12)).toEqual({ type: 'plan' });
    expect(nextStep(state, MONDAY_10)).toEqual({ type: 'plan' });
  });

  test('outside working hours it sleeps until the next window, and continues as new when it opens', () => {
    const state = stateAfterPlan(SUNDAY_12, { nextDueAt: { email: SUNDAY_12 - MINUTE } });
    expect(nextStep(state, SUNDAY_12)).toEqual({ type: 'sleep', until: Date.parse('2026-03-02T08:00:00Z'), reason: 'the next working-hours window', then: 'continue-as-new' });
  });

  test('inside the window a due step whose slot has come is performed, with the window end minus the margin as deadline', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 - MINUTE } });
    slotsAt(state, MONDAY_10);
    expect(nextStep(state, MONDAY_10)).toEqual({ type: 'act', actions: [{ type: 'step', kind: 'email' }], deadline: MONDAY_18 - SLOT_MARGIN_MS });
  });

  test('a due step waits for its spaced slot; a slot with nothing due waits for the step', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 - MINUTE, message: MONDAY_10 + 90 * MINUTE } });
    state.usage.nextSlotAt = { email: MONDAY_10 + 20 * MINUTE, message: MONDAY_10 + 5 * MINUTE };
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'sleep', until: MONDAY_10 + 20 * MINUTE, then: 'pass' });
  });

  test('after acting it sleeps on what it knows and plans again when something may be ready', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 - MINUTE } });
    slotsAt(state, MONDAY_10);
    recordStepOutcome(state, { performed: true, kind: 'email', leadId: 'lead-1', performedAt: MONDAY_10 }, MONDAY_10, half);
    endPass(state);
    expect(state.usage.used.email).toBe(1);
    const slot = state.usage.nextSlotAt.email as number;
    // 29 emails left over the rest of the window, at the average gap (random 0.5).
    expect(slot).toBe(MONDAY_10 + Math.floor((MONDAY_18 - SLOT_MARGIN_MS - SLOT_ROOM_MS - MONDAY_10) / 29));
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'sleep', until: slot });
    expect(nextStep(state, slot)).toEqual({ type: 'plan' });
  });

  test('each kind has its own daily budget: a spent one waits for the next window, the others go on', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10, connectionRequest: MONDAY_10 }, emailDailyCapacity: 1 });
    slotsAt(state, MONDAY_10);
    state.usage.used.email = 1;
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'act', actions: [{ type: 'step', kind: 'connectionRequest' }] });
  });

  test('a slot planned at the last allowed instant still acts when its timer fires a little late', () => {
    const lastSlot = MONDAY_18 - SLOT_MARGIN_MS - SLOT_ROOM_MS;
    const state = stateAfterPlan(lastSlot, { nextDueAt: { email: MONDAY_10 } });
    slotsAt(state, lastSlot);
    expect(nextStep(state, lastSlot + 150)).toMatchObject({ type: 'act', actions: [{ type: 'step', kind: 'email' }] });
  });

  test('nothing starts in the last moments before the deadline: it sleeps until the next window', () => {
    const lateAt = MONDAY_18 - SLOT_MARGIN_MS - MIN_ACTION_TIME_MS + 1;
    const state = stateAfterPlan(lateAt, { nextDueAt: { email: MONDAY_10 } });
    slotsAt(state, MONDAY_10);
    expect(nextStep(state, lateAt)).toEqual({ type: 'sleep', until: TUESDAY_09, reason: 'the next working-hours window', then: 'continue-as-new' });
  });

  test('replies are read before a step goes out, at most every 5 minutes per inbox, and never for withdrawals alone', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 }, replyInboxIds: ['inbox-a', 'inbox-b'] });
    slotsAt(state, MONDAY_10);
    recordReplySync(state, 'inbox-b', MONDAY_10 - REPLY_SYNC_INTERVAL_MS + 1);
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'act', actions: [{ type: 'reply-sync', inboxId: 'inbox-a' }, { type: 'step', kind: 'email' }] });

    const withdrawalsOnly = stateAfterPlan(MONDAY_10, {
      replyInboxIds: ['inbox-a'],
      dueWithdrawals: [{ invitationId: 'inv-1', reason: 'manual' }],
      withdrawalOutlook: { oldestPendingSentAt: MONDAY_10 - MINUTE, manualWithdrawalRequested: true },
    });
    expect(nextStep(withdrawalsOnly, MONDAY_10)).toMatchObject({ type: 'act', actions: [{ type: 'withdrawal', invitationId: 'inv-1', reason: 'manual' }] });
  });

  test('a withdrawal due outside working hours waits for the window', () => {
    const state = stateAfterPlan(SUNDAY_12, {
      dueWithdrawals: [{ invitationId: 'inv-1', reason: 'manual' }],
      withdrawalOutlook: { oldestPendingSentAt: SUNDAY_12 - MINUTE, manualWithdrawalRequested: true },
    });
    expect(nextStep(state, SUNDAY_12)).toMatchObject({ type: 'sleep', until: Date.parse('2026-03-02T08:00:00Z'), then: 'continue-as-new' });
  });
});

describe('failures hold back only their own kind', () => {
  test('a transient failure holds the kind back 1, 2, 4 … minutes (or the Retry-After), while other kinds go on', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10, message: MONDAY_10 } });
    slotsAt(state, MONDAY_10);
    recordStepFailure(state, 'email', { type: 'ActionUnavailable', message: 'SMTP 421', retryAfterMs: null }, MONDAY_10);
    expect(state.holds.email).toEqual({ until: MONDAY_10 + MINUTE, reason: 'SMTP 421', failures: 1 });
    recordStepFailure(state, 'email', { type: 'ActionUnavailable', message: 'SMTP 421', retryAfterMs: null }, MONDAY_10);
    expect(state.holds.email?.until).toBe(MONDAY_10 + 2 * MINUTE);
    recordStepFailure(state, 'email', { type: 'ActionUnavailable', message: 'throttled', retryAfterMs: 30 * MINUTE }, MONDAY_10);
    expect(state.holds.email?.until).toBe(MONDAY_10 + 30 * MINUTE);
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'act', actions: [{ type: 'step', kind: 'message' }] });
    expect(describeStatus(state, MONDAY_10).pacing.email).toMatchObject({ heldUntil: MONDAY_10 + 30 * MINUTE, holdReason: 'throttled' });
  });

  test('a success ends the hold and its back-off', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 } });
    recordStepFailure(state, 'email', { type: null, message: 'timeout', retryAfterMs: null }, MONDAY_10);
    recordStepOutcome(state, { performed: true, kind: 'email', performedAt: MONDAY_10 + MINUTE }, MONDAY_10 + MINUTE, half);
    expect(state.holds.email).toBeUndefined();
  });

  test('a disconnected LinkedIn account holds every LinkedIn action until something changes; email goes on', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10, message: MONDAY_10, like: MONDAY_10 } });
    slotsAt(state, MONDAY_10);
    recordStepFailure(state, 'message', { type: 'LinkedinAccountDisconnected', message: 'reconnect LinkedIn', retryAfterMs: null }, MONDAY_10);
    for (const key of ['connectionRequest', 'message', 'scrape', 'like', 'withdrawal'] as const) expect(state.holds[key]?.until).toBeNull();
    const later = MONDAY_10 + 3 * 3_600_000;
    expect(nextStep(state, later)).toMatchObject({ type: 'act', actions: [{ type: 'step', kind: 'email' }] });
    applyChange(state);
    expect(state.holds.message).toBeUndefined();
  });

  test('a window that closed before the action could start is not a failure', () => {
    const state = stateAfterPlan(MONDAY_10);
    recordStepFailure(state, 'email', { type: 'WindowClosed', message: 'closed', retryAfterMs: null }, MONDAY_10);
    expect(state.holds.email).toBeUndefined();
  });

  test('nothing sendable now (caps) waits for when the caps lift, without counting a failure', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { email: MONDAY_10 } });
    recordStepOutcome(state, { performed: false, kind: 'email', retryAt: MONDAY_10 + 45 * MINUTE, reason: 'caps' }, MONDAY_10, half);
    expect(state.holds.email).toEqual({ until: MONDAY_10 + 45 * MINUTE, reason: 'caps', failures: 0 });
    expect(state.usage.used.email).toBe(0);
  });

  test('a failed withdrawal holds withdrawals back; a withdrawal done ends the hold', () => {
    const state = stateAfterPlan(MONDAY_10, {
      dueWithdrawals: [{ invitationId: 'inv-1', reason: 'auto' }, { invitationId: 'inv-2', reason: 'auto' }],
      withdrawalOutlook: { oldestPendingSentAt: MONDAY_10 - 30 * 86_400_000, manualWithdrawalRequested: false },
      config: config({ autoWithdraw: { enabled: true, afterDays: 7 } }),
    });
    recordWithdrawal(state, 'inv-1', { type: 'ConfigurationFailure', message: '401', retryAfterMs: null }, MONDAY_10);
    expect(state.plan?.dueWithdrawals).toEqual([{ invitationId: 'inv-2', reason: 'auto' }]);
    expect(describeStatus(state, MONDAY_10).withdrawalsHeldUntil).toBe(MONDAY_10 + MINUTE);
    recordWithdrawal(state, 'inv-2', 'gone', MONDAY_10);
    expect(state.holds.withdrawal).toBeUndefined();
  });

  test('a plan that cannot be read is tried again after a back-off', () => {
    const state = initialState({ identityId: 'i', workspaceId: 'w', config: config(), workspaceScrapingPool: 0 });
    recordPlanFailure(state, MONDAY_10);
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'sleep', until: MONDAY_10 + 10_000 });
    expect(nextStep(state, MONDAY_10 + 10_000)).toEqual({ type: 'plan' });
    recordPlanFailure(state, MONDAY_10 + 10_000);
    expect(nextStep(state, MONDAY_10 + 10_000)).toMatchObject({ type: 'sleep', until: MONDAY_10 + 30_000 });
  });
});

describe('budgets reported with each plan', () => {
  test("used and left per kind, valid until the identity's local midnight; a new day starts them again", () => {
    const state = stateAfterPlan(MONDAY_10);
    beginPass(state, MONDAY_10, half);
    recordStepOutcome(state, { performed: true, kind: 'email', leadId: 'lead-1', performedAt: MONDAY_10 }, MONDAY_10, half);
    recordStepOutcome(state, { performed: true, kind: 'connectionRequest', leadId: 'lead-2', performedAt: MONDAY_10 }, MONDAY_10, half);
    const monday = budgetSnapshot(state, MONDAY_10);
    expect(monday.validUntil).toBe(Date.parse('2026-03-02T23:00:00Z')); // midnight in Paris
    expect(Object.fromEntries(monday.kinds.map(({ kind, used, left }) => [kind, [used, left]]))).toEqual({
      connectionRequest: [1, 19],
      message: [0, 100],
      scrape: [0, 0],
      like: [0, 30],
      email: [1, 29],
    });
    beginPass(state, TUESDAY_09, half);
    const tuesday = budgetSnapshot(state, TUESDAY_09);
    expect(tuesday.validUntil).toBe(Date.parse('2026-03-03T23:00:00Z'));
    expect(tuesday.kinds.find((entry) => entry.kind === 'email')).toEqual({ kind: 'email', used: 0, left: 30 });
  });
});

describe('configuration', () => {
  test('a newer signal applies at once, clamped to the hard ceilings; an older or equal one is stale', () => {
    const state = stateAfterPlan(MONDAY_10);
    const forged = config({ version: 5, linkedinLimits: { dailyConnectionRequests: 10_000, dailyMessages: -3, dailyScrapings: 1.5e9, raisedUntil: 'not a date' } });
    expect(applyConfigSignal(state, forged)).toBe('applied');
    expect(state.config.linkedinLimits).toEqual({ dailyConnectionRequests: 100, dailyMessages: 0, dailyScrapings: 1000, raisedUntil: null });
    expect(state.changed).toBe(false); // applied without reading the record: the next pass that acts reads it first
    expect(applyConfigSignal(state, config({ version: 5 }))).toBe('stale');
    expect(state.changed).toBe(true); // a version it already has: read the record again at once
    expect(nextStep(state, MONDAY_10)).toEqual({ type: 'plan' });
    expect(applyConfigSignal(state, config({ version: 4 }))).toBe('stale');
  });

  test('a configuration signal does not make a pass act on it: acting always reads the record first', () => {
    const state = stateAfterPlan(MONDAY_10, { nextDueAt: { connectionRequest: MONDAY_10 } });
    slotsAt(state, MONDAY_10);
    endPass(state);
    applyConfigSignal(state, config({ version: 2, linkedinLimits: { dailyConnectionRequests: 90, dailyMessages: 100, dailyScrapings: 0, raisedUntil: null } }));
    expect(nextStep(state, MONDAY_10)).toEqual({ type: 'plan' });
  });

  test('the plan (what PostgreSQL holds) wins over any signal, so the workflow converges to the database', () => {
    const state = stateAfterPlan(MONDAY_10);
    applyConfigSignal(state, config({ version: 7, likingsOptOut: true }));
    recordPlan(state, planned({ config: config({ version: 3 }) }), MONDAY_10, half);
    expect(state.config).toEqual(config({ version: 3 }));
    expect(applyConfigSignal(state, config({ version: 4 }))).toBe('applied');
  });

  test('raised limits fall back once, at raisedUntil', () => {
    const raisedUntil = new Date(MONDAY_10 + 3_600_000).toISOString();
    const state = stateAfterPlan(MONDAY_10, { config: config({ linkedinLimits: { dailyConnectionRequests: 40, dailyMessages: 100, dailyScrapings: 0, raisedUntil } }) });
    expect(nextStep(state, MONDAY_10)).toMatchObject({ type: 'sleep', until: MONDAY_10 + 3_600_000, reason: 'raised LinkedIn limits fall back' });
    expect(nextStep(state, MONDAY_10 + 3_600_000)).toEqual({ type: 'expire-raised-limits', raisedUntil });
    recordRaisedLimitsExpired(state, raisedUntil);
    expect(nextStep(state, MONDAY_10 + 3_600_000)).toEqual({ type: 'plan' });
  });

  test('a deleted identity ends, by signal or by what the plan reads', () => {
    const state = stateAfterPlan(MONDAY_10);
    recordPlan(state, planned({ deleted: true, config: null }), MONDAY_10, half);
    expect(nextStep(state, MONDAY_10)).toEqual({ type: 'end' });
  });
});

describe('properties', () => {
  const instant = fc.integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-01-01T00:00:00Z') });
  const dueIn = fc.option(fc.integer({ min: -86_400_000, max: 86_400_000 }), { nil: undefined });

  test('it never acts outside working hours or after the deadline, and always sleeps into the future', () => {
    fc.assert(
      fc.property(instant, dueIn, dueIn, fc.boolean(), (now, emailDue, messageDue, slotReached) => {
        const nextDueAt = { ...(emailDue === undefined ? {} : { email: now + emailDue }), ...(messageDue === undefined ? {} : { message: now + messageDue }) };
        const state = stateAfterPlan(now, { nextDueAt });
        if (slotReached) slotsAt(state, now);
        beginPass(state, now, half);
        const step = nextStep(state, now);
        const window = currentWindow(PARIS_OFFICE, now);
        if (step.type === 'act') {
          return window !== null && step.deadline === window.end - SLOT_MARGIN_MS && now <= step.deadline - MIN_ACTION_TIME_MS;
        }
        return step.type === 'sleep' && step.until > now;
      }),
      { numRuns: 500 },
    );
  });
});
