/**
 * Event webhook endpoints of the caller's workspace and their delivery log (docs/webhooks.md).
 *
 * - `POST /webhook-endpoints` `{url, eventTypes?}` registers an endpoint and answers its signing
 *   secret (`whsec_…`) this once; it is stored as an envelope bound to the row and never returned
 *   again. The URL must be http(s) (https in production), carry no user name or password, and
 *   resolve only to addresses the SSRF guard admits (public ones, or WEBHOOK_PRIVATE_HOSTS_ALLOWED);
 *   every attempt checks the host again.
 * - `GET /webhook-endpoints` lists them (never a secret); `DELETE /webhook-endpoints/:id` disables one
 *   and cancels its pending deliveries.
 * - `GET /webhook-endpoints/:id/deliveries` is the delivery log, newest first, paginated;
 *   `…/deliveries/:deliveryId` adds each attempt.
 */
import { randomUUID } from 'node:crypto';
import type { WebhookDelivery, WebhookDeliveryAttempt, WebhookEndpoint, WebhookEvent } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db/client';
import type { Cidr } from '../domain/network-address';
import { MAX_WEBHOOK_ENDPOINTS_PER_WORKSPACE, WEBHOOK_EVENT_TYPES } from '../domain/webhooks';
import { checkMailHost, HostLookupError, systemResolver, type Resolver } from '../integrations/email/host-guard';
import { generateWebhookSecret } from '../integrations/webhooks/standard-webhooks';
import { ConflictError, HostNotAllowedError, NotFoundError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import { encryptSecret, webhookSecretAssociatedData, type Keyring } from '../lib/secrets';
import { callerOf } from './auth';
import { isUuid } from './ids';
import { decodeCursor, encodeCursor, paginationSchema } from './pagination';
import { parseInput } from './problem';

/** What registering endpoints needs: the keyring for their secrets and the SSRF rules. */
export interface WebhookApiSettings {
  keyring: Keyring;
  /** WEBHOOK_PRIVATE_HOSTS_ALLOWED. */
  privateHostsAllowed: Cidr[];
  /** Production: endpoint URLs must be https. */
  requireHttps: boolean;
  /** DNS; tests may resolve names to chosen addresses. */
  resolve?: Resolver;
}

export const createWebhookEndpointSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048),
  /** The event types to deliver; every type when left out. */
  eventTypes: z
    .array(z.enum(WEBHOOK_EVENT_TYPES))
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((types) => new Set(types).size === types.length, 'must not repeat a type')
    .optional(),
});

export const DELIVERY_STATES = ['pending', 'delivered', 'failed', 'cancelled'] as const;
export const listWebhookDeliveriesSchema = paginationSchema.extend({ state: z.enum(DELIVERY_STATES).optional() });

function endpointView(endpoint: WebhookEndpoint) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    eventTypes: endpoint.eventTypes.length === 0 ? [...WEBHOOK_EVENT_TYPES] : endpoint.eventTypes,
    status: endpoint.disabledAt ? 'disabled' : 'enabled',
    disabledAt: endpoint.disabledAt?.toISOString() ?? null,
    disabledReason: endpoint.disabledReason,
    createdAt: endpoint.createdAt.toISOString(),
  };
}

function deliveryView(delivery: WebhookDelivery & { event: Pick<WebhookEvent, 'type' | 'occurredAt'> }) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: delivery.id,
    eventId: delivery.eventId,
    eventType: delivery.event.type,
    occurredAt: delivery.event.occurredAt.toISOString(),
    state: delivery.state,
    attempts: delivery.attempts,
    lastStatus: delivery.lastStatus,
    lastError: delivery.lastError,
    lastAttemptAt: iso(delivery.lastAttemptAt),
    nextAttemptAt: iso(delivery.nextAttemptAt),
    deliveredAt: iso(delivery.deliveredAt),
    createdAt: delivery.createdAt.toISOString(),
  };
}

function attemptView(attempt: WebhookDeliveryAttempt) {
  return { attempt: attempt.attempt, at: attempt.at.toISOString(), status: attempt.status, error: attempt.error, durationMs: attempt.durationMs };
}

/** The URL's own rules, then the SSRF guard on every address its host resolves to. */
async function checkEndpointUrl(text: string, settings: WebhookApiSettings): Promise<string> {
  const url = new URL(text);
  const refuse = (message: string) => new ValidationError([{ field: 'url', message }]);
  if (settings.requireHttps && url.protocol !== 'https:') throw refuse('must be an https URL');
  if (url.username !== '' || url.password !== '') throw refuse('must not carry a user name or password (the signature authenticates Pacer)');
  if (url.hash !== '') throw refuse('must not have a #fragment');
  try {
    await checkMailHost(url.hostname, settings.privateHostsAllowed, settings.resolve ?? systemResolver);
  } catch (error) {
    // One answer whatever the reason, so it tells nothing about the internal network.
    if (error instanceof HostNotAllowedError) {
      throw refuse('resolves to an address Pacer does not call (private, loopback, link-local or reserved); an operator can allow private ranges with WEBHOOK_PRIVATE_HOSTS_ALLOWED');
    }
    if (error instanceof HostLookupError) throw refuse(`its host ${url.hostname} could not be resolved`);
    throw error;
  }
  return url.href;
}

export function webhookEndpointRoutes(db: Database, settings: WebhookApiSettings | undefined): Router {
  const router = Router();
  const configured = (): WebhookApiSettings => {
    if (!settings) throw new ServiceUnavailableError('Webhook endpoints need the encryption keyring (PACER_ENCRYPTION_KEYS)');
    return settings;
  };

  async function findOwned(workspaceId: string, id: string): Promise<WebhookEndpoint> {
    const endpoint = isUuid(id) ? await db.webhookEndpoint.findFirst({ where: { id, workspaceId } }) : null;
    if (!endpoint) throw new NotFoundError(`No webhook endpoint ${id}`);
    return endpoint;
  }

  router.post('/webhook-endpoints', async (request, response) => {
    const ready = configured();
    const caller = callerOf(request);
    const input = parseInput(createWebhookEndpointSchema, request.body);
    const url = await checkEndpointUrl(input.url, ready);
    const enabled = await db.webhookEndpoint.count({ where: { workspaceId: caller.workspaceId, disabledAt: null } });
    if (enabled >= MAX_WEBHOOK_ENDPOINTS_PER_WORKSPACE) throw new ConflictError(`A workspace has at most ${MAX_WEBHOOK_ENDPOINTS_PER_WORKSPACE} enabled webhook endpoints: delete one first`);
    const id = randomUUID();
    const secret = generateWebhookSecret();
    const eventTypes = input.eventTypes ?? [];
    const endpoint = await db.$transaction(async (tx) => {
      const created = await tx.webhookEndpoint.create({
        data: { id, workspaceId: caller.workspaceId, url, eventTypes, secretEnvelope: encryptSecret(ready.keyring, secret, webhookSecretAssociatedData(id)) },
      });
      await tx.auditEntry.create({
        data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'webhook-endpoint', entityId: id, action: 'webhook-endpoint.created', after: { url, eventTypes } },
      });
      return created;
    });
    response.status(201).location(`/webhook-endpoints/${id}`).json({ ...endpointView(endpoint), secret });
  });

  router.get('/webhook-endpoints', async (request, response) => {
    const caller = callerOf(request);
    const endpoints = await db.webhookEndpoint.findMany({ where: { workspaceId: caller.workspaceId }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    response.json({ items: endpoints.map(endpointView) });
  });

  router.delete('/webhook-endpoints/:id', async (request, response) => {
    const caller = callerOf(request);
    const endpoint = await findOwned(caller.workspaceId, request.params.id);
    if (!endpoint.disabledAt) {
      // Sleeping delivery workflows find their delivery cancelled when they wake, and end.
      await db.$transaction([
        db.webhookEndpoint.update({ where: { id: endpoint.id }, data: { disabledAt: new Date(), disabledReason: 'deleted' } }),
        db.webhookDelivery.updateMany({ where: { endpointId: endpoint.id, state: 'pending' }, data: { state: 'cancelled', nextAttemptAt: null } }),
        db.auditEntry.create({
          data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'webhook-endpoint', entityId: endpoint.id, action: 'webhook-endpoint.deleted', before: { url: endpoint.url } },
        }),
      ]);
    }
    response.status(204).end();
  });

  router.get('/webhook-endpoints/:id/deliveries', async (request, response) => {
    const caller = callerOf(request);
    const endpoint = await findOwned(caller.workspaceId, request.params.id);
    const query = parseInput(listWebhookDeliveriesSchema, request.query);
    // Newest first: the rows before the cursor in (createdAt, id) order.
    const cursor = query.cursor ? decodeCursor(query.cursor) : undefined;
    const rows = await db.webhookDelivery.findMany({
      where: {
        endpointId: endpoint.id,
        ...(query.state ? { state: query.state } : {}),
        ...(cursor ? { OR: [{ createdAt: { lt: cursor.createdAt } }, { createdAt: cursor.createdAt, id: { lt: cursor.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: query.limit + 1,
      include: { event: { select: { type: true, occurredAt: true } } },
    });
    const items = rows.slice(0, query.limit);
    const last = items[items.length - 1];
    response.json({ items: items.map(deliveryView), nextCursor: rows.length > query.limit && last ? encodeCursor(last) : null });
  });

  router.get('/webhook-endpoints/:id/deliveries/:deliveryId', async (request, response) => {
    const caller = callerOf(request);
    const endpoint = await findOwned(caller.workspaceId, request.params.id);
    const delivery = isUuid(request.params.deliveryId)
      ? await db.webhookDelivery.findFirst({
          where: { id: request.params.deliveryId, endpointId: endpoint.id },
          include: { event: { select: { type: true, occurredAt: true } }, attemptLog: { orderBy: { attempt: 'asc' } } },
        })
      : null;
    if (!delivery) throw new NotFoundError(`No delivery ${request.params.deliveryId}`);
    response.json({ ...deliveryView(delivery), attemptLog: delivery.attemptLog.map(attemptView) });
  });

  return router;
}
