/**
 * WarmupWorkflow (`warmup/<inboxId>`): one inbox's two-week warm-up (SPEC §3 "Warm-up").
 * - records the warm-up and, if asked, pauses the identity's active campaigns, remembering which;
 * - starts the address at the warm-up provider;
 * - waits 14 days of durable time, asking the provider for progress once a day (a small history:
 *   about 10 events a day), and wakes at once when stopped early;
 * - at the end stops the provider and resumes only the campaigns it paused and nobody touched since.
 * The identity workflow is told each time its campaigns change, so it re-plans at once.
 * While the warm-up's row says running, the inbox sends no campaign email (activities/warmup-gate).
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
} from '@temporalio/workflow';
import type { PacerActivities } from '../activities';
import { WARMUP_PROGRESS_INTERVAL_MS, warmupDaysLeft, warmupEndsAt, type WarmupState } from '../domain/warmup';
import type { WarmupProviderStatus } from '../integrations/warmup/provider';
import { campaignsChanged, identityWorkflowId } from './identity-contract';
import { stopWarmup, warmupStarted, warmupStatus, type WarmupStatus, type WarmupWorkflowInput } from './warmup-contract';

const { beginWarmup, startWarmupAtProvider, recordWarmupProgress, stopWarmupAtProvider, finishWarmup } = proxyActivities<PacerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

export async function warmupWorkflow(input: WarmupWorkflowInput): Promise<WarmupStatus> {
  const startedAt = Date.now();
  const endsAt = warmupEndsAt(startedAt);
  let state: WarmupState = 'running';
  let stopRequested = false;
  let begun = false;
  let provider: WarmupProviderStatus | null = null;
  let pausedCampaignIds: string[] = [];
  let resumedCampaignIds: string[] = [];

  const status = (): WarmupStatus => ({
    inboxId: input.inboxId,
    identityId: input.identityId,
    state,
    startedAt,
    endsAt,
    daysLeft: state === 'running' ? warmupDaysLeft(endsAt, Date.now()) : 0,
    pauseCampaigns: input.pauseCampaigns,
    pausedCampaignIds,
    resumedCampaignIds,
    provider,
    now: Date.now(),
  });
  setHandler(warmupStatus, status);
  setHandler(warmupStarted, async () => {
    await condition(() => begun || state !== 'running');
    return status();
  });
  setHandler(stopWarmup, async () => {
    stopRequested = true;
    await condition(() => state !== 'running');
    return status();
  });

  const tellIdentity = async () => {
    try {
      await getExternalWorkflowHandle(identityWorkflowId(input.identityId)).signal(campaignsChanged);
    } catch (error) {
      // A deleted identity has no workflow to tell; its campaigns are recorded anyway.
      log.warn('could not signal the identity workflow', { identityId: input.identityId, error: String(error) });
    }
  };

  const begin = await beginWarmup({ ...input, startedAt, endsAt });
  pausedCampaignIds = begin.pausedCampaignIds;
  if (pausedCampaignIds.length > 0) await tellIdentity();
  try {
    provider = await startWarmupAtProvider({ inboxId: input.inboxId, address: begin.address, at: Date.now() });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    // The provider refused the address (a non-retryable answer): the warm-up cannot happen.
    log.error('the warm-up provider refused to start', { inboxId: input.inboxId, error: String(error.cause ?? error) });
    stopRequested = true;
  }
  begun = true;

  while (!stopRequested && Date.now() < endsAt) {
    const wakeAt = Math.min(endsAt, Date.now() + WARMUP_PROGRESS_INTERVAL_MS);
    setCurrentDetails(`warming up ${begin.address} until ${new Date(endsAt).toISOString()}`);
    const stopped = await condition(() => stopRequested, wakeAt - Date.now(), { summary: 'next warm-up progress check' });
    if (stopped || Date.now() >= endsAt) break;
    try {
      provider = await recordWarmupProgress({ inboxId: input.inboxId, at: Date.now() });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('warm-up progress unavailable', { inboxId: input.inboxId, error: String(error.cause ?? error) });
    }
  }

  const finalState: WarmupState = stopRequested ? 'stopped' : 'completed';
  const stoppedAtProvider = await stopWarmupAtProvider({ inboxId: input.inboxId, at: Date.now() });
  provider = stoppedAtProvider ?? provider;
  ({ resumedCampaignIds } = await finishWarmup({ inboxId: input.inboxId, state: finalState, at: Date.now(), providerStatus: stoppedAtProvider }));
  state = finalState;
  await tellIdentity();
  setCurrentDetails(`warm-up of ${begin.address} ${finalState}`);
  await condition(allHandlersFinished);
  return status();
}
