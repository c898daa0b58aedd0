/**
 * IdentityWorkflow (`identity/<identityId>`): one durable entity per identity. It holds the
 * identity's live configuration, sleeps until its working hours, and re-plans at once when the
 * API signals a change. Idle, it costs two workflow tasks per working day: one wake-up at the
 * window start (which continues-as-new to keep history tiny) and the new run's first task.
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
  setCurrentDetails,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey } from '@temporalio/common';
import { currentWindow, nextWindowStart, type WorkingHours } from '../domain/working-hours';

/** Keyword search attributes so operators can filter runs per identity and per workspace in the UI. */
export const IDENTITY_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerIdentityId', 'KEYWORD');
export const WORKSPACE_ID_SEARCH_ATTRIBUTE = defineSearchAttributeKey('PacerWorkspaceId', 'KEYWORD');

export interface IdentityConfig {
  workingHours: WorkingHours;
  /** The identity record's version; a signal carrying an older version is ignored. */
  version: number;
}

export interface IdentityWorkflowInput {
  identityId: string;
  workspaceId: string;
  config: IdentityConfig;
}

export type IdentityActivity = 'in-window' | 'waiting-for-window';

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
}

export const identityConfigChanged = defineSignal<[IdentityConfig]>('identityConfigChanged');
export const identityStatus = defineQuery<IdentityStatus>('identityStatus');

export function identityWorkflowId(identityId: string): string {
  return `identity/${identityId}`;
}

function describeStatus(identityId: string, config: IdentityConfig, now: number): IdentityStatus {
  const window = currentWindow(config.workingHours, now);
  const next = nextWindowStart(config.workingHours, now);
  return {
    identityId,
    configVersion: config.version,
    activity: window ? 'in-window' : 'waiting-for-window',
    waitingFor: window ? null : `working hours start at ${new Date(next).toISOString()}`,
    inWindow: window !== null,
    currentWindowEnd: window?.end ?? null,
    nextWindowStart: next,
    workingHours: config.workingHours,
  };
}

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  let config = input.config;

  setHandler(identityConfigChanged, (changed) => {
    if (changed.version > config.version) config = changed;
  });
  setHandler(identityStatus, () => describeStatus(input.identityId, config, Date.now()));

  for (;;) {
    const planned = config;
    const status = describeStatus(input.identityId, planned, Date.now());
    setCurrentDetails(status.waitingFor ?? 'inside working hours: nothing due');
    const configChanged = await condition(
      () => config !== planned,
      status.nextWindowStart - Date.now(),
      { summary: 'sleep until the next working-hours window' },
    );
    if (!configChanged || workflowInfo().continueAsNewSuggested) {
      // A new window opened (or history grew): start the day with a fresh, small history.
      await condition(allHandlersFinished);
      await continueAsNew<typeof identityWorkflow>({ ...input, config });
    }
  }
}
