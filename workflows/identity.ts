/**
 * IdentityWorkflow (`identity/<identityId>`): one durable entity per identity. It holds the
 * identity's live configuration, sleeps until its working hours, and re-plans at once when the
 * API signals a change. Idle, it costs two workflow tasks per working day: one wake-up at the
 * window start (which continues-as-new to keep history tiny) and the new run's first task.
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
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import type { PacerActivities } from '../activities';
import { effectiveLinkedinLimits, type LinkedinLimitSettings } from '../domain/linkedin-limits';
import { currentWindow, nextWindowStart, type WorkingHours } from '../domain/working-hours';

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

export interface IdentityWorkflowInput {
  identityId: string;
  workspaceId: string;
  config: IdentityConfig;
}

export type IdentityActivity = 'in-window' | 'waiting-for-window';

export interface DailyBudget {
  limit: number;
  used: number;
  left: number;
}

export interface IdentityStatus {
  identityId: string;
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
  /** Today's LinkedIn budgets (local day); scrapings count the identity's own capacity only. */
  budgets: { connectionRequests: DailyBudget; messages: DailyBudget; scrapings: DailyBudget };
  likesEnabled: boolean;
  /** Epoch ms when raised LinkedIn limits fall back to the recommended values, or null. */
  raisedLimitsFallBackAt: number | null;
  autoWithdraw: { enabled: boolean; afterDays: number };
}

export const identityConfigChanged = defineSignal<[IdentityConfig]>('identityConfigChanged');
/** The identity was deleted: the workflow ends (its history stays in Temporal). */
export const identityDeleted = defineSignal('identityDeleted');
export const identityStatus = defineQuery<IdentityStatus>('identityStatus');

export function identityWorkflowId(identityId: string): string {
  return `identity/${identityId}`;
}

const { expireRaisedLinkedinLimits } = proxyActivities<PacerActivities>({
  startToCloseTimeout: '1 minute',
});

function budget(limit: number): DailyBudget {
  // Nothing spends LinkedIn budget yet (campaign pacing comes next), so nothing is used today.
  const used = 0;
  return { limit, used, left: Math.max(0, limit - used) };
}

function describeStatus(identityId: string, config: IdentityConfig, now: number): IdentityStatus {
  const window = currentWindow(config.workingHours, now);
  const next = nextWindowStart(config.workingHours, now);
  const limits = effectiveLinkedinLimits(config.linkedinLimits, now);
  return {
    identityId,
    configVersion: config.version,
    activity: window ? 'in-window' : 'waiting-for-window',
    waitingFor: window ? null : `working hours start at ${new Date(next).toISOString()}`,
    inWindow: window !== null,
    currentWindowEnd: window?.end ?? null,
    nextWindowStart: next,
    workingHours: config.workingHours,
    budgets: {
      connectionRequests: budget(limits.dailyConnectionRequests),
      messages: budget(limits.dailyMessages),
      scrapings: budget(limits.dailyScrapings),
    },
    likesEnabled: !config.likingsOptOut,
    raisedLimitsFallBackAt: limits.fallsBackAt,
    autoWithdraw: config.autoWithdraw,
  };
}

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  let config = input.config;
  let deleted = false;

  setHandler(identityConfigChanged, (changed) => {
    if (changed.version > config.version) config = changed;
  });
  setHandler(identityDeleted, () => {
    deleted = true;
  });
  setHandler(identityStatus, () => describeStatus(input.identityId, config, Date.now()));

  for (;;) {
    const planned = config;
    const status = describeStatus(input.identityId, planned, Date.now());
    const fallBackDue = status.raisedLimitsFallBackAt !== null && status.raisedLimitsFallBackAt < status.nextWindowStart;
    const wakeAt = fallBackDue ? (status.raisedLimitsFallBackAt as number) : status.nextWindowStart;
    setCurrentDetails(status.waitingFor ?? 'inside working hours: nothing due');
    const interrupted = await condition(() => deleted || config !== planned, wakeAt - Date.now(), {
      summary: fallBackDue ? 'sleep until raised LinkedIn limits fall back' : 'sleep until the next working-hours window',
    });
    if (deleted) return;

    if (!interrupted && fallBackDue && planned.linkedinLimits.raisedUntil) {
      const expired = await expireRaisedLinkedinLimits({ identityId: input.identityId, raisedUntil: planned.linkedinLimits.raisedUntil });
      if (expired && expired.version > config.version) {
        config = { ...config, version: expired.version, linkedinLimits: expired.linkedinLimits };
      }
    } else if (!interrupted || workflowInfo().continueAsNewSuggested) {
      // A new window opened (or many signals grew the history): start over with a small history.
      await condition(allHandlersFinished);
      await continueAsNew<typeof identityWorkflow>({ ...input, config });
    }
  }
}
