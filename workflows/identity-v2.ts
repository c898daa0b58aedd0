/**
 * The identity workflow as it shipped before plan → perform (versions 1 and 2), frozen. Runs
 * recorded by those versions replay through it (test/workflows/identity.replay.test.ts). A run of
 * that age that a current worker picks up live hands over at once: at its first live step it
 * continues as new, and the new run takes the current path (workflows/identity.ts). Remove this
 * module together with the patch (deprecatePatch, then delete) once no run older than the patch
 * can exist: runs continue as new at every window start, so a few days after the deploy
 * (docs/workflow-versioning.md).
 *
 * Do not change what this code does: its commands must stay exactly those of the recorded histories.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { AutoWithdrawSettings } from '../domain/invitations';
import { nextWithdrawalDueAt } from '../domain/invitations';
import { DAILY_LIKES, effectiveLinkedinLimits } from '../domain/linkedin-limits';
import { localDateOf, nextActionAt, remainingDailyBudget } from '../domain/pacing';
import { currentWindow, nextWindowStart, type TimeWindow } from '../domain/working-hours';
import {
  campaignsChanged,
  identityConfigChanged,
  identityDeleted,
  identityStatus,
  workspaceScrapingPoolChanged,
  type IdentityConfig,
  type IdentityStatus,
  type IdentityWorkflowInput,
} from './identity-contract';
import { PLAN_PERFORM_PATCH } from './patches';

const PACED_KINDS = ['connectionRequest', 'message', 'scrape', 'like', 'email'] as const;
type PacedKind = (typeof PACED_KINDS)[number];

/** Today's use as v1/v2 kept it. */
interface DayUsage {
  localDate: string;
  used: Record<PacedKind, number>;
  nextSlotAt: Partial<Record<PacedKind, number>>;
}

/** What the v1/v2 local activity answered (the recorded markers carry it). */
interface WithdrawalOutlook {
  oldestPendingSentAt: number | null;
  manualWithdrawalRequested: boolean;
}

interface DueLeadStepOutcome {
  performed: { kind: PacedKind } | null;
  nextDueAt: Partial<Record<PacedKind, number>>;
  emailDailyCapacity: number;
  withdrawals?: WithdrawalOutlook;
}

/** The activities v1/v2 scheduled; only expireRaisedLinkedinLimits still exists (runDueLeadStep is never scheduled live: see handOver). */
interface LegacyActivities {
  runDueLeadStep(input: { identityId: string; at: number; readyKinds: PacedKind[]; likesOptedOut: boolean; autoWithdraw: AutoWithdrawSettings }): Promise<DueLeadStepOutcome>;
  expireRaisedLinkedinLimits(input: { identityId: string; raisedUntil: string }): Promise<{ version: number; linkedinLimits: IdentityConfig['linkedinLimits'] } | null>;
}

const { expireRaisedLinkedinLimits } = proxyActivities<LegacyActivities>({
  startToCloseTimeout: '1 minute',
});

/** Side effects are short and idempotent (keyed by campaign/lead/step), so they run as local activities. */
const { runDueLeadStep } = proxyLocalActivities<LegacyActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '5 minutes' },
});

/**
 * Slots are planned to end this long before the window closes: a timer's workflow task runs a
 * little after the timer fires, and a slot in the window's last instant would then fall outside it.
 */
const SLOT_MARGIN_MS = 2 * 60_000;

/** The next spaced slot for `left` actions of one kind in the rest of `window` (undefined: none today). */
function plannedSlot(now: number, window: TimeWindow, left: number): number | undefined {
  return nextActionAt({ now, windowEnd: window.end - SLOT_MARGIN_MS, remaining: left, random: Math.random() }) ?? undefined;
}

function emptyUsage(localDate: string): DayUsage {
  return { localDate, used: { connectionRequest: 0, message: 0, scrape: 0, like: 0, email: 0 }, nextSlotAt: {} };
}

function dailyLimits(state: IdentityState, now: number): Record<PacedKind, number> {
  const limits = effectiveLinkedinLimits(state.config.linkedinLimits, now);
  return {
    connectionRequest: limits.dailyConnectionRequests,
    message: limits.dailyMessages,
    scrape: state.scrapingPool + limits.dailyScrapings,
    like: state.config.likingsOptOut ? 0 : DAILY_LIKES,
    // Each inbox's own day and clock-hour caps are enforced when a send is chosen (activity).
    email: state.emailDailyCapacity,
  };
}

function describeStatus(input: IdentityWorkflowInput, state: IdentityState, now: number): IdentityStatus {
  const { config, usage, nextDueAt } = state;
  const window = currentWindow(config.workingHours, now);
  const next = nextWindowStart(config.workingHours, now);
  const limits = dailyLimits(state, now);
  const today = usage.localDate === localDateOf(now, config.workingHours.timeZone) ? usage : emptyUsage('');
  const pacing = Object.fromEntries(
    PACED_KINDS.map((kind) => [
      kind,
      {
        limit: limits[kind],
        used: today.used[kind],
        left: remainingDailyBudget(limits[kind], today.used[kind]),
        nextSlotAt: today.nextSlotAt[kind] ?? null,
        nextDueAt: nextDueAt[kind] ?? null,
        heldUntil: null,
        holdReason: null,
      },
    ]),
  ) as IdentityStatus['pacing'];
  return {
    identityId: input.identityId,
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
    withdrawalsHeldUntil: null,
  };
}

interface IdentityState {
  config: IdentityConfig;
  scrapingPool: number;
  /** Sum of the daily rates of the identity's connected inboxes, as the last activity saw it. */
  emailDailyCapacity: number;
  usage: DayUsage;
  /** From the last local activity: when the earliest waiting step of each kind is due. */
  nextDueAt: Partial<Record<PacedKind, number>>;
  /** From the last local activity: pending invitations and manual withdrawal requests. */
  withdrawals: WithdrawalOutlook | null;
}

/** The next withdrawal under the current settings (a changed threshold applies at once). */
function withdrawalDueAt(state: IdentityState, now: number): number | null {
  if (!state.withdrawals) return null;
  return nextWithdrawalDueAt({ ...state.withdrawals, manualRequested: state.withdrawals.manualWithdrawalRequested, now, settings: state.config.autoWithdraw });
}

/** The kinds that may act now: budget left, slot reached, and a step due. */
function readyKinds(state: IdentityState, limits: Record<PacedKind, number>, now: number): PacedKind[] {
  return PACED_KINDS.filter(
    (kind) =>
      remainingDailyBudget(limits[kind], state.usage.used[kind]) > 0 &&
      (state.usage.nextSlotAt[kind] ?? Infinity) <= now &&
      (state.nextDueAt[kind] ?? Infinity) <= now,
  );
}

/** The earliest instant some kind could act: max(its slot, its due step), for kinds with budget left. */
function nextActionInstant(state: IdentityState, limits: Record<PacedKind, number>): number {
  return Math.min(
    ...PACED_KINDS.filter((kind) => remainingDailyBudget(limits[kind], state.usage.used[kind]) > 0).map((kind) =>
      Math.max(state.usage.nextSlotAt[kind] ?? Infinity, state.nextDueAt[kind] ?? Infinity),
    ),
  );
}

/**
 * A run recorded before plan → perform reaches its first live step: it continues as new (the new
 * run takes the current path), instead of scheduling the activity that no longer exists.
 */
async function handOverIfLive(input: IdentityWorkflowInput, state: IdentityState): Promise<void> {
  if (patched(PLAN_PERFORM_PATCH)) {
    await condition(allHandlersFinished);
    await continueAsNew<typeof legacyIdentityWorkflow>({ identityId: input.identityId, workspaceId: input.workspaceId, config: state.config, workspaceScrapingPool: state.scrapingPool, usage: state.usage });
  }
}

/** The v1/v2 loop, for runs recorded before plan → perform. */
export async function legacyIdentityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  const state: IdentityState = {
    config: input.config,
    scrapingPool: input.workspaceScrapingPool,
    emailDailyCapacity: 0,
    usage: input.usage ?? emptyUsage(''),
    nextDueAt: {},
    withdrawals: null,
  };
  let deleted = false;
  /** Set by signals that may change what is due; the next in-window pass re-reads it. */
  let dueWorkChanged = true;
  let changes = 0;

  setHandler(identityConfigChanged, (changed) => {
    if (changed.version > state.config.version) {
      state.config = changed;
      changes += 1;
    }
  });
  setHandler(campaignsChanged, () => {
    dueWorkChanged = true;
    changes += 1;
  });
  setHandler(workspaceScrapingPoolChanged, (pool) => {
    state.scrapingPool = pool;
    changes += 1;
  });
  setHandler(identityDeleted, () => {
    deleted = true;
  });
  setHandler(identityStatus, () => describeStatus(input, state, Date.now()));

  for (;;) {
    await handOverIfLive(input, state);
    const now = Date.now();
    const { config } = state;
    const localDate = localDateOf(now, config.workingHours.timeZone);
    if (state.usage.localDate !== localDate) state.usage = emptyUsage(localDate);
    const window = currentWindow(config.workingHours, now);
    const limits = dailyLimits(state, now);

    if (window) {
      // Plan a spaced slot for every kind that has budget left and none planned yet.
      for (const kind of PACED_KINDS) {
        const left = remainingDailyBudget(limits[kind], state.usage.used[kind]);
        if (left > 0 && state.usage.nextSlotAt[kind] === undefined) {
          state.usage.nextSlotAt[kind] = plannedSlot(now, window, left);
        }
      }
      const ready = readyKinds(state, limits, now);
      if (dueWorkChanged || ready.length > 0 || (withdrawalDueAt(state, now) ?? Infinity) <= now) {
        dueWorkChanged = false;
        await handOverIfLive(input, state);
        const outcome = await runDueLeadStep({
          identityId: input.identityId,
          at: now,
          readyKinds: ready,
          likesOptedOut: config.likingsOptOut,
          autoWithdraw: config.autoWithdraw,
        });
        state.nextDueAt = outcome.nextDueAt;
        state.emailDailyCapacity = outcome.emailDailyCapacity;
        // Absent from results recorded before withdrawals existed.
        state.withdrawals = outcome.withdrawals ?? null;
        if (outcome.performed) {
          const kind = outcome.performed.kind;
          state.usage.used[kind] += 1;
          const left = remainingDailyBudget(limits[kind], state.usage.used[kind]);
          state.usage.nextSlotAt[kind] = plannedSlot(Date.now(), window, left);
        }
        continue;
      }
    }

    const status = describeStatus(input, state, now);
    const actionAt = window ? nextActionInstant(state, limits) : Infinity;
    const withdrawalAt = window ? (status.nextWithdrawalDueAt ?? Infinity) : Infinity;
    const wakeFor = [
      { at: actionAt < (window?.end ?? 0) ? actionAt : Infinity, reason: 'sleep until the next paced action' },
      { at: withdrawalAt < (window?.end ?? 0) ? withdrawalAt : Infinity, reason: 'sleep until the next invitation withdrawal' },
      { at: status.raisedLimitsFallBackAt ?? Infinity, reason: 'sleep until raised LinkedIn limits fall back' },
      { at: status.nextWindowStart, reason: 'sleep until the next working-hours window' },
    ].reduce((earliest, candidate) => (candidate.at < earliest.at ? candidate : earliest));
    setCurrentDetails(window ? `inside working hours: ${wakeFor.reason.replace('sleep until ', 'next: ')}` : (status.waitingFor ?? ''));

    const changesBefore = changes;
    const interrupted = await condition(() => deleted || changes !== changesBefore, wakeFor.at - Date.now(), { summary: wakeFor.reason });
    if (deleted) return;

    if (!interrupted && wakeFor.at === status.raisedLimitsFallBackAt && config.linkedinLimits.raisedUntil) {
      const expired = await expireRaisedLinkedinLimits({ identityId: input.identityId, raisedUntil: config.linkedinLimits.raisedUntil });
      if (expired && expired.version > state.config.version) {
        state.config = { ...state.config, version: expired.version, linkedinLimits: expired.linkedinLimits };
      }
    } else if ((!interrupted && wakeFor.at === status.nextWindowStart) || workflowInfo().continueAsNewSuggested) {
      // A new window opened (or many signals grew the history): start over with a small history.
      await condition(allHandlersFinished);
      await continueAsNew<typeof legacyIdentityWorkflow>({ ...input, config: state.config, workspaceScrapingPool: state.scrapingPool, usage: state.usage });
    }
  }
}
