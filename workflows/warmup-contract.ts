/**
 * The warm-up workflow's contract: its id, input, status and messages. The API imports this module,
 * never the workflow body.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { WarmupState } from '../domain/warmup';
import type { WarmupProviderStatus } from '../integrations/warmup/provider';

/** The workflow type, for clients that start it by name. */
export const WARMUP_WORKFLOW_TYPE = 'warmupWorkflow';

export interface WarmupWorkflowInput {
  inboxId: string;
  identityId: string;
  workspaceId: string;
  pauseCampaigns: boolean;
}

export interface WarmupStatus {
  inboxId: string;
  identityId: string;
  state: WarmupState;
  /** Epoch ms (workflow time). */
  startedAt: number;
  endsAt: number;
  /** Whole days left, rounded up (0 once finished). */
  daysLeft: number;
  pauseCampaigns: boolean;
  pausedCampaignIds: string[];
  resumedCampaignIds: string[];
  /** The provider's last answer, null before it answered. */
  provider: WarmupProviderStatus | null;
  /** The workflow's clock when it answered. */
  now: number;
}

export const warmupStatus = defineQuery<WarmupStatus>('warmupStatus');
/** Answers once the warm-up is recorded and started at the provider (the API's POST waits for it). */
export const warmupStarted = defineUpdate<WarmupStatus>('warmupStarted');
/** Stops the warm-up early; answers once the provider is stopped and the campaigns resumed. */
export const stopWarmup = defineUpdate<WarmupStatus>('stopWarmup');

export function warmupWorkflowId(inboxId: string): string {
  return `warmup/${inboxId}`;
}

