/**
 * The identity workflow's state and every decision it makes, as plain data and functions (the
 * pattern of temporalio/samples-typescript `safe-message-handlers`): signal handlers call the
 * `apply…` functions, activity results go through the `record…` functions, and {@link nextStep}
 * says what to do now — plan, act, expire raised limits, end, or sleep until when and why. The
 * workflow's loop only waits. Deterministic: no clock (`now` is passed in) and no randomness of its
 * own (`random` is the workflow's replay-safe Math.random). Unit-tested without Temporal.
 */
import type { PlannedIdentity } from '../activities/dispatch-plan';
import {
  actionDeadline,
  holdDelayMs,
  MIN_ACTION_TIME_MS,
  planRetryDelayMs,
  REPLY_SYNC_INTERVAL_MS,
  SLOT_ROOM_MS,
  type BudgetSnapshot,
  type DispatchPlan,
  type RelationSyncOutcome,
  type StepOutcome,
  type WithdrawalOutcome,
} from '../domain/dispatch';
import type { IdentityConfig } from '../domain/identity-config';
import { nextWithdrawalDueAt } from '../domain/invitations';
import { connectionWaitingReason } from '../domain/linkedin-connection';
import { clampLinkedinLimits, DAILY_LIKES, effectiveLinkedinLimits } from '../domain/linkedin-limits';
import { localDateOf, nextActionAt, nextLocalMidnight, remainingDailyBudget } from '../domain/pacing';
import { NO_SCRAPING_CAPACITY_REASON } from '../domain/scraping-pool';
import { ACTION_KINDS, isLinkedinActionKind, LINKEDIN_ACTION_KINDS, type ActionKind } from '../domain/steps';
import { currentWindow, nextWindowStart, type TimeWindow } from '../domain/working-hours';
import type { DayUsage, Hold, HoldKey, IdentityStatus, IdentityWorkflowInput, KindPacing } from './identity-contract';

export type { HoldKey } from './identity-contract';

/** What an account that cannot act holds: every LinkedIn action (withdrawals and the relation sync included). */
const LINKEDIN_HOLD_KEYS = [...LINKEDIN_ACTION_KINDS, 'withdrawal', 'relationSync'] as const satisfies readonly HoldKey[];

export interface IdentityState {
  identityId: string;
  workspaceId: string;
  config: IdentityConfig;
  scrapingPool: number;
  usage: DayUsage;
  holds: Partial<Record<HoldKey, Hold>>;
  /** When each inbox's replies were last read (workflow time). */
  lastReplySyncAt: Record<string, number>;
  /** The last plan; only a fresh one (read since the last action or wake) may be acted on. */
  plan: DispatchPlan | null;
  planFresh: boolean;
  /** Something changed since the last plan was read: plan again before acting or sleeping long. */
  changed: boolean;
  /** The raised limits already fallen back (so the fall-back runs once). */
  expiredRaisedUntil: string | null;
  /** Consecutive plans that failed (PostgreSQL unreachable) and when to plan again. */
  planFailures: number;
  planRetryAt: number | null;
  /** Whether this run reads acceptances once a day (patch RELATION_SYNC_PATCH: runs recorded before it do not). */
  relationSyncEnabled: boolean;
  /** The identity's local date of the last completed relation sync. */
  relationsSyncedOn: string | null;
  deleted: boolean;
}

/** A unit of work the workflow performs now, each through its own activity. */
export type PlannedAction =
  | { type: 'reply-sync'; inboxId: string }
  | { type: 'withdrawal'; invitationId: string; reason: 'auto' | 'manual' }
  /** Once a working day while invitations are pending: acceptances LinkedIn has that no webhook reported. */
  | { type: 'relation-sync' }
  | { type: 'step'; kind: ActionKind };

export type NextStep =
  | { type: 'end' }
  | { type: 'plan' }
  | { type: 'act'; actions: PlannedAction[]; deadline: number }
  | { type: 'expire-raised-limits'; raisedUntil: string }
  /** `then`: what waking at `until` (not by a signal) means. */
  | { type: 'sleep'; until: number; reason: string; then: 'pass' | 'continue-as-new' };

function emptyUsage(localDate: string): DayUsage {
  return { localDate, used: { connectionRequest: 0, message: 0, scrape: 0, like: 0, email: 0 }, nextSlotAt: {} };
}

/** The configuration the workflow may act on: limits within their hard ceilings, whatever a signal carried. */
function safeConfig(config: IdentityConfig): IdentityConfig {
  return { ...config, linkedinLimits: clampLinkedinLimits(config.linkedinLimits) };
}

/** `features.relationSync`: whether the run reads acceptances daily (the workflow passes its patch check). */
export function initialState(input: IdentityWorkflowInput, features: { relationSync: boolean } = { relationSync: true }): IdentityState {
  return {
    identityId: input.identityId,
    workspaceId: input.workspaceId,
    config: safeConfig(input.config),
    scrapingPool: Math.max(0, input.workspaceScrapingPool),
    usage: input.usage ?? emptyUsage(''),
    holds: input.holds ?? {},
    lastReplySyncAt: input.lastReplySyncAt ?? {},
    plan: null,
    planFresh: false,
    changed: true,
    expiredRaisedUntil: null,
    planFailures: 0,
    planRetryAt: null,
    relationSyncEnabled: features.relationSync,
    relationsSyncedOn: input.relationsSyncedOn ?? null,
    deleted: false,
  };
}

/** What a new run (continue-as-new) carries: plain JSON, small. */
export function continuation(state: IdentityState): IdentityWorkflowInput {
  return {
    identityId: state.identityId,
    workspaceId: state.workspaceId,
    config: state.config,
    workspaceScrapingPool: state.scrapingPool,
    usage: state.usage,
    holds: state.holds,
    lastReplySyncAt: state.lastReplySyncAt,
    relationsSyncedOn: state.relationsSyncedOn,
  };
}

// ----- Messages ----------------------------------------------------------------------------------

/**
 * A committed configuration, applied at once when newer than the workflow's own (clamped to the
 * hard ceilings), without reading the record: every pass that acts reads it first anyway, so the
 * workflow never acts on a configuration PostgreSQL does not hold. 'stale' when the workflow already
 * has this version or a newer one (a duplicate, or one overtaken by a later change): then the
 * record is read again at once, which also heals a workflow that took a version the database never
 * committed.
 */
export function applyConfigSignal(state: IdentityState, config: IdentityConfig): 'applied' | 'stale' {
  if (config.version <= state.config.version) {
    state.changed = true;
    return 'stale';
  }
  state.config = safeConfig(config);
  return 'applied';
}

/** Campaigns, leads, inboxes or invitations changed: plan again. Holds that wait for a change (undated) end. */
export function applyChange(state: IdentityState): void {
  state.changed = true;
  for (const key of Object.keys(state.holds) as HoldKey[]) if (state.holds[key]?.until === null) delete state.holds[key];
}

/** The workspace's pool changed: a scrape refused for want of capacity may go now. */
export function applyScrapingPool(state: IdentityState, pool: number): void {
  state.scrapingPool = Number.isFinite(pool) ? Math.max(0, Math.floor(pool)) : 0;
  if (state.holds.scrape?.failures === 0) delete state.holds.scrape;
}

export function markDeleted(state: IdentityState): void {
  state.deleted = true;
}

// ----- Budgets and slots -------------------------------------------------------------------------

/** Slots are planned to leave time for the action before the deadline (the window's end minus the slot margin). */
function plannedSlot(now: number, window: TimeWindow, left: number, random: number): number | undefined {
  return nextActionAt({ now, windowEnd: actionDeadline(window.end) - SLOT_ROOM_MS, remaining: left, random }) ?? undefined;
}

export function dailyLimits(state: IdentityState, now: number): Record<ActionKind, number> {
  const limits = effectiveLinkedinLimits(state.config.linkedinLimits, now);
  return {
    connectionRequest: limits.dailyConnectionRequests,
    message: limits.dailyMessages,
    scrape: state.scrapingPool + limits.dailyScrapings,
    like: state.config.likingsOptOut ? 0 : DAILY_LIKES,
    // Each inbox's own day and clock-hour caps are enforced when a send is chosen (activity).
    email: state.plan?.emailDailyCapacity ?? 0,
  };
}

/** Today's budgets as the workflow holds them (call after beginPass, which starts a new day). */
export function budgetSnapshot(state: IdentityState, now: number): BudgetSnapshot {
  const limits = dailyLimits(state, now);
  return {
    kinds: ACTION_KINDS.map((kind) => ({ kind, used: state.usage.used[kind], left: remainingDailyBudget(limits[kind], state.usage.used[kind]) })),
    validUntil: nextLocalMidnight(now, state.config.workingHours.timeZone),
  };
}

/** At the start of every pass: a new local day resets the budgets; inside the window, every kind with budget left gets a slot. */
export function beginPass(state: IdentityState, now: number, random: () => number): void {
  const localDate = localDateOf(now, state.config.workingHours.timeZone);
  if (state.usage.localDate !== localDate) state.usage = emptyUsage(localDate);
  const window = currentWindow(state.config.workingHours, now);
  if (!window) return;
  const limits = dailyLimits(state, now);
  for (const kind of ACTION_KINDS) {
    const left = remainingDailyBudget(limits[kind], state.usage.used[kind]);
    if (left > 0 && state.usage.nextSlotAt[kind] === undefined) state.usage.nextSlotAt[kind] = plannedSlot(now, window, left, random());
  }
}

function heldUntil(state: IdentityState, key: HoldKey, now: number): number | null {
  const hold = state.holds[key];
  if (!hold) return null;
  if (hold.until === null) return Infinity;
  return hold.until > now ? hold.until : null;
}

/**
 * Why LinkedIn actions wait for the account (the last plan says it cannot act), or null. Plans
 * recorded before the plan carried the account read as able to act.
 */
export function linkedinAccountWait(state: IdentityState): string | null {
  const account = state.plan?.linkedinAccount;
  return account && !account.canAct ? connectionWaitingReason(account) : null;
}

/** When a kind could act next by what the workflow knows: max(its slot, its due step, its hold); Infinity when never today. */
function kindReadyAt(state: IdentityState, kind: ActionKind, limits: Record<ActionKind, number>, now: number): number {
  if (remainingDailyBudget(limits[kind], state.usage.used[kind]) === 0) return Infinity;
  if (isLinkedinActionKind(kind) && linkedinAccountWait(state) !== null) return Infinity;
  return Math.max(state.usage.nextSlotAt[kind] ?? Infinity, state.plan?.nextDueAt[kind] ?? Infinity, heldUntil(state, kind, now) ?? -Infinity);
}

function withdrawalDueAt(state: IdentityState, now: number): number | null {
  if (!state.plan) return null;
  const { oldestPendingSentAt, manualWithdrawalRequested } = state.plan.withdrawalOutlook;
  return nextWithdrawalDueAt({ oldestPendingSentAt, manualRequested: manualWithdrawalRequested, now, settings: state.config.autoWithdraw });
}

function withdrawalReadyAt(state: IdentityState, now: number): number {
  if (linkedinAccountWait(state) !== null) return Infinity;
  return Math.max(withdrawalDueAt(state, now) ?? Infinity, heldUntil(state, 'withdrawal', now) ?? -Infinity);
}

/**
 * The daily relation sync is due at the first moment of a working day (local) while invitations are
 * pending, once per day, unless it holds back after a failure; Infinity otherwise. Inside a window
 * only (the caller checks).
 */
function relationSyncReadyAt(state: IdentityState, now: number): number {
  if (!state.relationSyncEnabled || !state.plan || state.plan.withdrawalOutlook.oldestPendingSentAt === null) return Infinity;
  if (linkedinAccountWait(state) !== null) return Infinity;
  if (state.relationsSyncedOn === localDateOf(now, state.config.workingHours.timeZone)) return Infinity;
  return Math.max(now, heldUntil(state, 'relationSync', now) ?? -Infinity);
}

// ----- Results -----------------------------------------------------------------------------------

/** A plan read from PostgreSQL: it is authoritative for the configuration (the database wins over any signal). */
export function recordPlan(state: IdentityState, planned: PlannedIdentity, now: number, random: () => number): void {
  const { config, scrapingPool, ...plan } = planned;
  if (planned.deleted || config === null) {
    state.deleted = true;
    return;
  }
  state.config = safeConfig(config);
  state.scrapingPool = scrapingPool;
  state.plan = plan;
  const account = plan.linkedinAccount;
  if (account?.canAct) {
    // The account can act and its status changed since an action found it unable (a reconnection): its holds end.
    for (const key of LINKEDIN_HOLD_KEYS) {
      const held = state.holds[key];
      if (held && held.accountStatusSince !== undefined && held.accountStatusSince !== account.since) delete state.holds[key];
    }
  }
  state.planFresh = true;
  state.changed = false;
  state.planFailures = 0;
  state.planRetryAt = null;
  beginPass(state, now, random);
}

/** The plan could not be read (PostgreSQL unreachable after the activity's own retries): plan again after a back-off. */
export function recordPlanFailure(state: IdentityState, now: number): void {
  state.planFailures += 1;
  state.planRetryAt = now + planRetryDelayMs(state.planFailures);
}

/** After acting, the plan no longer says what is due now (it still says roughly when, for sleeping). */
export function endPass(state: IdentityState): void {
  state.planFresh = false;
}

export function recordReplySync(state: IdentityState, inboxId: string, now: number): void {
  state.lastReplySyncAt[inboxId] = now;
}

function hold(state: IdentityState, key: HoldKey, now: number, reason: string, retryAfterMs: number | null): void {
  const failures = (state.holds[key]?.failures ?? 0) + 1;
  state.holds[key] = { until: now + holdDelayMs(failures, retryAfterMs), reason: reason.slice(0, 300), failures };
}

export function recordStepOutcome(state: IdentityState, outcome: StepOutcome, now: number, random: () => number): void {
  const { kind } = outcome;
  if (!outcome.performed) {
    // Nothing went (no budget spent); look again once what blocked it may have passed.
    state.holds[kind] = { until: Math.max(outcome.retryAt ?? 0, now + 60_000), reason: outcome.reason, failures: 0 };
    return;
  }
  delete state.holds[kind];
  state.usage.used[kind] += 1;
  const window = currentWindow(state.config.workingHours, now);
  const left = remainingDailyBudget(dailyLimits(state, now)[kind], state.usage.used[kind]);
  state.usage.nextSlotAt[kind] = window ? plannedSlot(now, window, left, random()) : undefined;
}

export interface ActionFailure {
  /** The ApplicationFailure type (domain/dispatch FAILURE_TYPES), or null for a timeout or an unexpected error. */
  type: string | null;
  message: string;
  retryAfterMs: number | null;
  /** LinkedinAccountDisconnected: the stored status's `since` (see {@link Hold.accountStatusSince}). */
  accountStatusSince?: number | null;
}

/** The account cannot act: every LinkedIn action waits, undated, until something changes (a reconnection is a change); email goes on. */
function holdLinkedinAccount(state: IdentityState, failure: ActionFailure): void {
  for (const key of LINKEDIN_HOLD_KEYS) state.holds[key] = { until: null, reason: failure.message.slice(0, 300), failures: 1, accountStatusSince: failure.accountStatusSince ?? null };
}

/** A failed action: nothing when the window closed first; every LinkedIn action when the account cannot act; else its own kind, backing off. */
function holdAfterFailure(state: IdentityState, key: HoldKey, failure: ActionFailure, now: number): void {
  if (failure.type === 'WindowClosed') return;
  if (failure.type === 'LinkedinAccountDisconnected') {
    holdLinkedinAccount(state, failure);
    return;
  }
  hold(state, key, now, failure.message, failure.retryAfterMs);
}

export function recordStepFailure(state: IdentityState, kind: ActionKind, failure: ActionFailure, now: number): void {
  holdAfterFailure(state, kind, failure, now);
}

export function recordWithdrawal(state: IdentityState, invitationId: string, outcome: WithdrawalOutcome | ActionFailure, now: number): void {
  if (state.plan) state.plan.dueWithdrawals = state.plan.dueWithdrawals.filter((due) => due.invitationId !== invitationId);
  if (typeof outcome === 'string') {
    delete state.holds.withdrawal;
    // Accepted: a message that waited for it is due now.
    if (outcome === 'accepted') state.changed = true;
    return;
  }
  holdAfterFailure(state, 'withdrawal', outcome, now);
}

/** The relation sync ran (done for the local day; acceptances found make messages due: plan again), or failed (held back). */
export function recordRelationSync(state: IdentityState, outcome: RelationSyncOutcome | ActionFailure, now: number): void {
  if ('accepted' in outcome) {
    delete state.holds.relationSync;
    state.relationsSyncedOn = localDateOf(now, state.config.workingHours.timeZone);
    if (outcome.accepted > 0) state.changed = true;
    return;
  }
  holdAfterFailure(state, 'relationSync', outcome, now);
}

/** The raised limits' fall-back ran (or found nothing to do): read the record again. */
export function recordRaisedLimitsExpired(state: IdentityState, raisedUntil: string): void {
  state.expiredRaisedUntil = raisedUntil;
  state.changed = true;
}

// ----- Decision ----------------------------------------------------------------------------------

function readyKinds(state: IdentityState, now: number): ActionKind[] {
  const limits = dailyLimits(state, now);
  return ACTION_KINDS.filter((kind) => kindReadyAt(state, kind, limits, now) <= now);
}

/** What to do now. */
export function nextStep(state: IdentityState, now: number): NextStep {
  if (state.deleted) return { type: 'end' };
  const { config } = state;
  const raisedUntil = config.linkedinLimits.raisedUntil;
  if (raisedUntil !== null && Date.parse(raisedUntil) <= now && state.expiredRaisedUntil !== raisedUntil) {
    return { type: 'expire-raised-limits', raisedUntil };
  }
  const window = currentWindow(config.workingHours, now);
  const deadline = window ? actionDeadline(window.end) : null;
  const canAct = deadline !== null && deadline - now >= MIN_ACTION_TIME_MS;
  const withdrawalReady = canAct && withdrawalReadyAt(state, now) <= now;
  const relationSyncReady = canAct && relationSyncReadyAt(state, now) <= now;
  const kinds = canAct ? readyKinds(state, now) : [];

  // A change makes any plan stale; otherwise a stale plan is read again only when something may be ready.
  if (state.changed || state.plan === null || (!state.planFresh && (kinds.length > 0 || withdrawalReady || relationSyncReady))) {
    if (state.planRetryAt !== null && state.planRetryAt > now) {
      return { type: 'sleep', until: state.planRetryAt, reason: 'the records could not be read: planning again', then: 'pass' };
    }
    return { type: 'plan' };
  }

  if (canAct && state.plan && (kinds.length > 0 || withdrawalReady || relationSyncReady)) {
    const plan = state.plan;
    // Acceptances first: an accepted invitation is not withdrawn, and its waiting message becomes due.
    const relationSync: PlannedAction[] = relationSyncReady ? [{ type: 'relation-sync' }] : [];
    const withdrawals: PlannedAction[] = withdrawalReady ? plan.dueWithdrawals.map((due) => ({ type: 'withdrawal', ...due })) : [];
    const steps: PlannedAction[] = kinds.map((kind) => ({ type: 'step', kind }));
    // Replies are read before a step goes out, so a lead who replied gets nothing more.
    const syncs: PlannedAction[] =
      steps.length === 0 ? [] : plan.replyInboxIds.filter((id) => now - (state.lastReplySyncAt[id] ?? -Infinity) >= REPLY_SYNC_INTERVAL_MS).map((inboxId) => ({ type: 'reply-sync', inboxId }));
    const actions = [...syncs, ...relationSync, ...withdrawals, ...steps];
    if (actions.length > 0) return { type: 'act', actions, deadline: deadline };
  }
  return sleep(state, now, window, deadline);
}

function sleep(state: IdentityState, now: number, window: TimeWindow | null, deadline: number | null): NextStep {
  const limits = dailyLimits(state, now);
  // Only what can still start before the deadline wakes the workflow inside this window.
  const before = (at: number) => (deadline !== null && Math.max(at, now) <= deadline - MIN_ACTION_TIME_MS ? at : Infinity);
  const next = nextWindowStart(state.config.workingHours, now);
  const fallsBackAt = effectiveLinkedinLimits(state.config.linkedinLimits, now).fallsBackAt;
  const candidates: { at: number; reason: string; then: 'pass' | 'continue-as-new' }[] = [
    ...ACTION_KINDS.map((kind) => ({ at: window ? before(kindReadyAt(state, kind, limits, now)) : Infinity, reason: `the next ${kind}`, then: 'pass' as const })),
    { at: window ? before(withdrawalReadyAt(state, now)) : Infinity, reason: 'the next invitation withdrawal', then: 'pass' },
    { at: window ? before(relationSyncReadyAt(state, now)) : Infinity, reason: "the day's relation sync", then: 'pass' },
    { at: fallsBackAt ?? Infinity, reason: 'raised LinkedIn limits fall back', then: 'pass' },
    { at: next, reason: 'the next working-hours window', then: 'continue-as-new' },
  ];
  const earliest = candidates.reduce((best, candidate) => (candidate.at < best.at ? candidate : best));
  // Due by a fresh plan yet nothing to do (the records changed under it): look again in a minute, never spin.
  if (earliest.at <= now) return { type: 'sleep', until: now + 60_000, reason: `${earliest.reason} (looking again)`, then: 'pass' };
  return { type: 'sleep', until: earliest.at, reason: earliest.reason, then: earliest.then };
}

// ----- Status ------------------------------------------------------------------------------------

export function describeStatus(state: IdentityState, now: number): IdentityStatus {
  const { config, usage, plan } = state;
  const window = currentWindow(config.workingHours, now);
  const next = nextWindowStart(config.workingHours, now);
  const limits = dailyLimits(state, now);
  const today = usage.localDate === localDateOf(now, config.workingHours.timeZone) ? usage : emptyUsage('');
  const accountWait = linkedinAccountWait(state);
  const pacing = Object.fromEntries(
    ACTION_KINDS.map((kind): [ActionKind, KindPacing] => {
      // Waiting for something to change, undated: the account, or (with a scrape due) a scraping capacity of nothing.
      const noCapacity = kind === 'scrape' && limits.scrape === 0 && plan?.nextDueAt.scrape !== undefined;
      const waitsFor = isLinkedinActionKind(kind) && accountWait !== null ? accountWait : noCapacity ? NO_SCRAPING_CAPACITY_REASON : null;
      const held = waitsFor === null ? heldUntil(state, kind, now) : Infinity;
      return [
        kind,
        {
          limit: limits[kind],
          used: today.used[kind],
          left: remainingDailyBudget(limits[kind], today.used[kind]),
          nextSlotAt: today.nextSlotAt[kind] ?? null,
          nextDueAt: plan?.nextDueAt[kind] ?? null,
          heldUntil: held === null || held === Infinity ? null : held,
          holdReason: waitsFor ?? (held === null ? null : (state.holds[kind]?.reason ?? null)),
        },
      ];
    }),
  ) as Record<ActionKind, KindPacing>;
  const withdrawalHold = heldUntil(state, 'withdrawal', now);
  const account = plan?.linkedinAccount;
  return {
    identityId: state.identityId,
    now,
    configVersion: config.version,
    activity: window ? 'in-window' : 'waiting-for-window',
    waitingFor: window ? null : `working hours start at ${new Date(next).toISOString()}`,
    inWindow: window !== null,
    currentWindowEnd: window?.end ?? null,
    nextWindowStart: next,
    workingHours: config.workingHours,
    pacing,
    likesEnabled: !config.likingsOptOut,
    raisedLimitsFallBackAt: effectiveLinkedinLimits(config.linkedinLimits, now).fallsBackAt,
    autoWithdraw: config.autoWithdraw,
    nextWithdrawalDueAt: withdrawalDueAt(state, now),
    withdrawalsHeldUntil: withdrawalHold === null || withdrawalHold === Infinity ? null : withdrawalHold,
    linkedinAccount: account ? { status: account.status, reason: account.reason, since: account.since, actionsWait: accountWait !== null, waitingReason: accountWait } : null,
    relationsSyncedOn: state.relationsSyncedOn,
  };
}
