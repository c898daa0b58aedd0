/**
 * The webhook workflows' activities (workflows/webhook-delivery.ts, docs/webhooks.md): one attempt of
 * a delivery, giving up on one, and the outbox relay's pass.
 *
 * An attempt reads the delivery, its event and its endpoint from PostgreSQL (nothing of them, and no
 * secret, passes through Temporal), decrypts the endpoint's secret, signs the stored body with this
 * attempt's timestamp and POSTs it (integrations/webhooks/sender: SSRF guard, pinned address, 15 s
 * timeout). The attempt's row and the delivery's summary are written in one transaction.
 */
import type { Database } from '../db/client';
import { unstartedDeliveries } from '../db/webhook-events';
import type { Cidr } from '../domain/network-address';
import { classifyWebhookAnswer, parseRetryAfter, WEBHOOK_REQUEST_TIMEOUT_MS, withRetryAfter, type WebhookDeliveryStarter } from '../domain/webhooks';
import { postWebhook, WebhookSendError } from '../integrations/webhooks/sender';
import { webhookHeaders } from '../integrations/webhooks/standard-webhooks';
import { decryptSecret, SecretDecryptionError, webhookSecretAssociatedData, type Keyring } from '../lib/secrets';

export interface WebhookDeliverySettings {
  /** Starts delivery workflows (a Temporal client on the worker's connection). Without it, events are recorded and left to a relay that has one. */
  deliveries?: WebhookDeliveryStarter;
  /** WEBHOOK_PRIVATE_HOSTS_ALLOWED: private addresses endpoint URLs may resolve to (checked at every attempt). */
  privateHostsAllowed: readonly Cidr[];
  requestTimeoutMs?: number;
  /** Extra certificate authorities (tests only: a self-signed receiver). Never from configuration. */
  trustedCertificates?: string[];
}

export interface WebhookActivityDependencies {
  db: Database;
  keyring: Keyring;
  webhooks?: WebhookDeliverySettings;
}

/** What an attempt leaves the workflow to do. */
export type WebhookAttemptResult = { outcome: 'delivered' | 'failed' | 'cancelled' } | { outcome: 'retry'; retryInMs: number };

/** A delivery left waiting longer than this without its workflow is started by the relay (the publisher starts it at once otherwise). */
const RELAY_GRACE_MS = 30_000;
/** Deliveries one relay pass starts at most; the next pass takes the rest. */
const RELAY_BATCH = 200;

export function createWebhookActivities({ db, keyring, webhooks = { privateHostsAllowed: [] } }: WebhookActivityDependencies) {
  /** The endpoint answered 410 Gone: it is disabled and its other pending deliveries are cancelled. */
  function disableGoneEndpoint(endpointId: string, at: Date) {
    return [
      db.webhookEndpoint.updateMany({ where: { id: endpointId, disabledAt: null }, data: { disabledAt: at, disabledReason: 'gone' } }),
      db.webhookDelivery.updateMany({ where: { endpointId, state: 'pending' }, data: { state: 'cancelled', nextAttemptAt: null } }),
    ];
  }

  return {
    /**
     * Attempt `attempt` of a delivery. `retryDelayMs` is the wait the workflow will take after a
     * failure (null: this is the last attempt), recorded as the next attempt's time. Never retried by
     * Temporal: the workflow's schedule is the retry.
     */
    async attemptWebhookDelivery(input: { deliveryId: string; attempt: number; retryDelayMs: number | null }): Promise<WebhookAttemptResult> {
      const delivery = await db.webhookDelivery.findUnique({ where: { id: input.deliveryId }, include: { event: true, endpoint: true } });
      if (!delivery || delivery.state === 'cancelled') return { outcome: 'cancelled' };
      if (delivery.state === 'delivered' || delivery.state === 'failed') return { outcome: delivery.state };
      const { endpoint, event } = delivery;
      const startedAt = delivery.startedAt ?? new Date();
      if (endpoint.disabledAt) {
        await db.webhookDelivery.update({ where: { id: delivery.id }, data: { state: 'cancelled', nextAttemptAt: null, startedAt } });
        return { outcome: 'cancelled' };
      }

      const began = performance.now();
      let status: number | null = null;
      let error: string | null = null;
      let answer: 'delivered' | 'gone' | 'failed' = 'failed';
      let retryAfterMs: number | null = null;
      try {
        const secret = decryptSecret(keyring, endpoint.secretEnvelope, webhookSecretAssociatedData(endpoint.id));
        // The attempt's own time (the real clock): receivers compare it with theirs.
        const timestampSeconds = Math.floor(Date.now() / 1000);
        const response = await postWebhook(
          { url: endpoint.url, body: event.body, headers: webhookHeaders(secret, event.id, timestampSeconds, event.body) },
          {
            allowlist: webhooks.privateHostsAllowed,
            timeoutMs: webhooks.requestTimeoutMs ?? WEBHOOK_REQUEST_TIMEOUT_MS,
            ...(webhooks.trustedCertificates ? { trustedCertificates: webhooks.trustedCertificates } : {}),
          },
        );
        status = response.status;
        answer = classifyWebhookAnswer(response.status);
        if (answer !== 'delivered') error = `answered ${response.status}${response.excerpt ? `: ${response.excerpt}` : ''}`;
        retryAfterMs = parseRetryAfter(response.retryAfter, Date.now());
      } catch (failure) {
        if (failure instanceof SecretDecryptionError) {
          error = `this worker cannot decrypt the endpoint's secret (${failure.reason}, key ${failure.keyId ?? '?'}): check PACER_ENCRYPTION_KEYS`;
        } else if (failure instanceof WebhookSendError) {
          error = failure.message;
        } else {
          throw failure;
        }
      }

      const at = new Date();
      const durationMs = Math.round(performance.now() - began);
      const retryInMs = answer === 'failed' && input.retryDelayMs !== null ? withRetryAfter(input.retryDelayMs, retryAfterMs) : null;
      const state = answer === 'delivered' ? 'delivered' : retryInMs === null ? 'failed' : 'pending';
      const lastError = error === null ? null : (answer === 'gone' ? `${error} (410 Gone: the endpoint is disabled)` : error).slice(0, 1000);
      await db.$transaction([
        db.webhookDeliveryAttempt.upsert({
          where: { deliveryId_attempt: { deliveryId: delivery.id, attempt: input.attempt } },
          create: { deliveryId: delivery.id, attempt: input.attempt, at, status, error: lastError, durationMs },
          update: { at, status, error: lastError, durationMs },
        }),
        ...(answer === 'gone' ? disableGoneEndpoint(endpoint.id, at) : []),
        db.webhookDelivery.update({
          where: { id: delivery.id },
          data: {
            state,
            attempts: Math.max(delivery.attempts, input.attempt),
            lastStatus: status,
            lastError,
            lastAttemptAt: at,
            nextAttemptAt: retryInMs === null ? null : new Date(at.getTime() + retryInMs),
            deliveredAt: answer === 'delivered' ? at : null,
            startedAt,
          },
        }),
      ]);
      if (answer === 'delivered') return { outcome: 'delivered' };
      if (retryInMs === null) return { outcome: 'failed' };
      return { outcome: 'retry', retryInMs };
    },

    /** The last attempt could not even be recorded: the delivery has failed (if nothing else ended it meanwhile). */
    async abandonWebhookDelivery(input: { deliveryId: string; attempts: number; reason: string }): Promise<void> {
      await db.webhookDelivery.updateMany({
        where: { id: input.deliveryId, state: 'pending' },
        data: { state: 'failed', attempts: input.attempts, lastError: `the attempt could not be made: ${input.reason}`.slice(0, 1000), nextAttemptAt: null },
      });
    },

    /** The outbox relay's pass: starts deliveries recorded before `at` minus a grace period that never started. */
    async startUnstartedWebhookDeliveries(input: { at: number }): Promise<{ found: number; started: number }> {
      if (!webhooks.deliveries) return { found: 0, started: 0 };
      const pending = await unstartedDeliveries(db, input.at, RELAY_GRACE_MS, RELAY_BATCH);
      if (pending.length === 0) return { found: 0, started: 0 };
      const started = await webhooks.deliveries.start(pending);
      if (started.length > 0) await db.webhookDelivery.updateMany({ where: { id: { in: started }, startedAt: null }, data: { startedAt: new Date() } });
      return { found: pending.length, started: started.length };
    },
  };
}
