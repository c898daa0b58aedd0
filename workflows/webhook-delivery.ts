/**
 * Event webhooks out (docs/webhooks.md).
 *
 * `webhookDeliveryWorkflow` (`webhook/<endpointId>/<eventId>`): one event to one endpoint. Each attempt
 * is its own activity (a signed POST with a 15 s timeout, its row in the delivery log); between
 * attempts a durable timer waits the Standard Webhooks schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
 * 14 h, 20 h, 24 h, each ±10 %; longer when the endpoint asks with Retry-After): ten attempts over
 * about three days. It ends when the endpoint answers 2xx, answers 410 Gone (the endpoint is disabled),
 * is deleted, or the last attempt failed. At least once: an answer lost on the way back is retried,
 * with the same `webhook-id`.
 *
 * `webhookOutboxRelayWorkflow` (`webhook-outbox-relay/<taskQueue>`): once a minute, starts the
 * deliveries recorded more than 30 s ago whose workflow never started (the publisher could not reach
 * Temporal, or died between its commit and the start). It continues as new every 240 passes.
 */
import { ActivityFailure, continueAsNew, log, proxyActivities, setCurrentDetails, sleep } from '@temporalio/workflow';
import type { PacerActivities } from '../activities';
import { WEBHOOK_MAX_ATTEMPTS, webhookRetryDelayMs } from '../domain/webhooks';
import type { WebhookDeliveryInput, WebhookDeliveryOutcome, WebhookOutboxRelayInput } from './webhook-delivery-contract';

const { attemptWebhookDelivery } = proxyActivities<PacerActivities>({
  // Resolving the host, the request's own 15 s timeout, and the log's writes.
  startToCloseTimeout: '1 minute',
  // The workflow's schedule is the retry policy: an attempt is never repeated at once.
  retry: { maximumAttempts: 1 },
});

const { abandonWebhookDelivery } = proxyActivities<PacerActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '5 seconds', maximumInterval: '10 minutes' },
});

const { startUnstartedWebhookDeliveries } = proxyActivities<PacerActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function webhookDeliveryWorkflow(input: WebhookDeliveryInput): Promise<WebhookDeliveryOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    const scheduledDelayMs = webhookRetryDelayMs(attempt, Math.random());
    let retryInMs: number | null;
    try {
      const result = await attemptWebhookDelivery({ deliveryId: input.deliveryId, attempt, retryDelayMs: scheduledDelayMs });
      if (result.outcome !== 'retry') return result.outcome;
      retryInMs = result.retryInMs;
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      // The attempt itself failed (it timed out, PostgreSQL could not be reached): a failed attempt like any other.
      const reason = String(error.cause?.message ?? error.message);
      log.warn('webhook attempt failed before it was recorded', { deliveryId: input.deliveryId, attempt, reason });
      if (scheduledDelayMs === null) {
        await abandonWebhookDelivery({ deliveryId: input.deliveryId, attempts: attempt, reason });
        return 'failed';
      }
      retryInMs = scheduledDelayMs;
    }
    setCurrentDetails(`attempt ${attempt} of ${WEBHOOK_MAX_ATTEMPTS} failed; the next one at ${new Date(Date.now() + retryInMs).toISOString()}`);
    await sleep(retryInMs);
  }
}

/** How often the relay looks for deliveries that were never started. */
export const OUTBOX_RELAY_INTERVAL_MS = 60_000;
/** About 8 history events a pass: a run stays far below Temporal's history limits. */
const RELAY_PASSES_PER_RUN = 240;

export async function webhookOutboxRelayWorkflow(input: WebhookOutboxRelayInput): Promise<void> {
  for (let pass = 0; pass < RELAY_PASSES_PER_RUN; pass += 1) {
    try {
      const { started } = await startUnstartedWebhookDeliveries({ at: Date.now() });
      if (started > 0) log.info('webhook deliveries started by the outbox relay', { started });
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      log.warn('the outbox relay could not start deliveries; it tries again at its next pass', { reason: String(error.cause?.message ?? error.message) });
    }
    setCurrentDetails(`outbox relay: ${(input.passes ?? 0) + pass + 1} passes; the next in a minute`);
    await sleep(OUTBOX_RELAY_INTERVAL_MS);
  }
  await continueAsNew<typeof webhookOutboxRelayWorkflow>({ passes: (input.passes ?? 0) + RELAY_PASSES_PER_RUN });
}
