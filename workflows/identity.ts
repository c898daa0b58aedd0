/**
 * IdentityWorkflow (`identity/<identityId>`): one durable entity per identity. It holds the
 * identity's live configuration and decides *when* the identity acts:
 * - outside working hours it sleeps until the next window (one timer, no polling);
 * - inside, it performs due campaign steps one at a time, each kind within its daily budget and
 *   spread across the rest of the window (domain/pacing), re-planning at once on any signal;
 * - at each new window it continues-as-new, so history stays small, carrying only plain state.
 * An idle identity costs two workflow tasks per working day (the wake-up and the new run).
 *
 * Lead state lives in PostgreSQL. Each wake runs at most one due step through a local activity
 * that also answers when the next step of each kind is due, so an action costs about six
 * history events.
 *
 * Withdrawals (SPEC §2) ride on the same passes: the local activity withdraws what is due (manual
 * requests, then invitations pending longer than the current threshold) and says when the oldest
 * pending invitation comes due, so the workflow wakes for it inside working hours and never outside.
 *
 * It also owns the raised-LinkedIn-limit timer: at `raisedUntil` it stores the recommended values
 * again (an activity), so a temporary increase ends by itself.
 *
 * Window math runs here, not in an activity: Temporal matches a timer command by its sequence,
 * not its duration, so a time-zone database update between original run and replay cannot cause
 * non-determinism; it only moves future timers, which is what the identity wants.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { PacerActivities } from '../activities';
import type { WithdrawalOutlook } from '../activities/linkedin-invitations';
import { nextWithdrawalDueAt } from '../domain/invitations';
import { DAILY_LIKES, effectiveLinkedinLimits, type LinkedinLimitSettings } from '../domain/linkedin-limits';
import { localDateOf, nextActionAt, remainingDailyBudget } from '../domain/pacing';
import { currentWindow, nextWindowStart, type TimeWindow, type WorkingHours } from '../domain/working-hours';

/** Keyword search attributes so operators can filter runs per identity and per workspace in the UI. */
export const IDENTITY_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerIdentityId', 'KEYWORD');
export const WORKSPACE_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerWorkspaceId', 'KEYWORD');

/** Everything about an identity that changes what its workflow does (plain JSON: it crosses continue-as-new). */
export interface IdentityConfig {
  /** The identity record's version; a signal carrying an older version is ignored. */
  version: number;
  workingHours: WorkingHours;
  linkedinLimits: LinkedinLimitSettings;
  likingsOptOut: boolean;
  autoWithdraw: { enabled: boolean; afterDays: number };
}

/** The kinds the workflow paces, each with its own daily budget. */
export const PACED_KINDS = ['connectionRequest', 'message', 'scrape', 'like', 'email'] as const;
export type PacedKind = (typeof PACED_KINDS)[number];

/** Today's use, per local day of the identity; plain JSON so it crosses continue-as-new. */
export interface DayUsage {
  localDate: string;
  used: Record<PacedKind, number>;
  /** When the next action of each kind may happen (spacing across the window). */
  nextSlotAt: Partial<Record<PacedKind, number>>;
}

export interface IdentityWorkflowInput {
  identityId: string;
  workspaceId: string;
  config: IdentityConfig;
  /** The workspace's shared daily scraping pool (scrape budget = pool + the identity's own). */
  workspaceScrapingPool: number;
  /** Carried across continue-as-new. */
  usage?: DayUsage;
}

export type IdentityActivity = 'in-window' | 'waiting-for-window';

export interface KindPacing {
  limit: number;
  used: number;
  left: number;
  /** Epoch ms of the next spaced slot for this kind today, or null when none is planned. */
  nextSlotAt: number | null;
  /** Epoch ms when the earliest waiting lead step of this kind is due, or null when none waits. */
  nextDueAt: number | null;
}

export interface IdentityStatus {
  identityId: string;
  /** The workflow's clock when it answered (the server's time; differs from wall time only in tests). */
  now: number;
  configVersion: number;
  activity: IdentityActivity;
  /** Human-readable reason, the same text the Temporal UI shows as current details. */
  waitingFor: string | null;
  inWindow: boolean;
  /** Epoch ms: end of the window the identity is in now, or null outside working hours. */
  currentWindowEnd: number | null;
  /** Epoch ms: the earliest window start after now. */
  nextWindowStart: number;
  workingHours: WorkingHours;
  /** Today's budgets and spacing per kind (local day); scrapes include the workspace pool. */
  pacing: Record<PacedKind, KindPacing>;
  likesEnabled: boolean;
  /** Epoch ms when raised LinkedIn limits fall back to the recommended values, or null. */
  raisedLimitsFallBackAt: number | null;
  autoWithdraw: { enabled: boolean; afterDays: number };
  /** Epoch ms when the next withdrawal is due (performed at once if inside working hours, else when they start), or null. */
  nextWithdrawalDueAt: number | null;
}

export const identityConfigChanged = defineSignal<[IdentityConfig]>('identityConfigChanged');
/** Campaigns or leads of this identity changed: re-read what is due. */
export const campaignsChanged = defineSignal('campaignsChanged');
export const workspaceScrapingPoolChanged = defineSignal<[number]>('workspaceScrapingPoolChanged');
/** The identity was deleted: the workflow ends (its history stays in Temporal). */
export const identityDeleted = defineSignal('identityDeleted');
export const identityStatus = defineQuery<IdentityStatus>('identityStatus');

export function identityWorkflowId(identityId: string): string {
  return `identity/${identityId}`;
}

const { expireRaisedLinkedinLimits } = proxyActivities<PacerActivities>({
  startToCloseTimeout: '1 minute',
});

/** Side effects are short and idempotent (keyed by campaign/lead/step), so they run as local activities. */
const { runDueLeadStep } = proxyLocalActivities<PacerActivities>({
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
      },
    ]),
  ) as Record<PacedKind, KindPacing>;
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

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
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
      await continueAsNew<typeof identityWorkflow>({ ...input, config: state.config, workspaceScrapingPool: state.scrapingPool, usage: state.usage });
    }
  }
}
