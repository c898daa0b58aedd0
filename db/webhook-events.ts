/**
 * Publishing event webhooks (docs/webhooks.md), shared by the API and the activities.
 *
 * The outbox: an event is a row of `WebhookEvent` whose id is derived from the fact (its type and
 * fact key), written with one `WebhookDelivery` per enabled endpoint of its workspace that takes its
 * type, in one statement. Written inside the fact's own transaction (`recordEvents(tx, …)`), the event
 * exists exactly when the fact does; published again, the same fact adds nothing (the id conflicts).
 * Only endpoints of the event's own workspace ever get a delivery.
 *
 * After the commit, each delivery's workflow is started (`startDeliveries`). A start that fails
 * (Temporal unreachable, a process that died in between) leaves the delivery with `startedAt` null:
 * the outbox relay (workflows/webhook-delivery.ts) starts those a minute later. Starting twice is
 * harmless: a delivery's workflow id is unique and never reused.
 */
import { createHash } from 'node:crypto';
import { Prisma } from '@prisma/client';
import { campaignCompleted, linkedinNeedsReconnect, webhookBody, type WebhookDeliveryRef, type WebhookDeliveryStarter, type WebhookEventInput, type WebhookEventType } from '../domain/webhooks';
import type { Database } from './client';

/** The database, or a transaction of it. */
export type DatabaseClient = Database | Prisma.TransactionClient;

/** `evt_` and 128 bits of SHA-256 of the type and the fact key: the same fact, the same id (no "." in it, as the signature scheme asks). */
export function webhookEventId(type: WebhookEventType, factKey: string): string {
  return `evt_${createHash('sha256').update(`${type}\n${factKey}`).digest('hex').slice(0, 32)}`;
}

/**
 * Records events (those already recorded are skipped) and their deliveries, in one statement; inside
 * `tx`, it commits with the fact or not at all. Answers the deliveries created, for startDeliveries.
 */
export async function recordEvents(tx: DatabaseClient, events: readonly WebhookEventInput[]): Promise<WebhookDeliveryRef[]> {
  const unique = new Map(events.map((event) => [webhookEventId(event.type, event.factKey), event]));
  if (unique.size === 0) return [];
  // Timestamps are UTC wall time, as Prisma stores DateTime in `timestamp(3)` columns.
  const rows = [...unique].map(
    ([id, event]) =>
      Prisma.sql`(${id}, ${event.workspaceId}::uuid, ${event.type}, ${new Date(event.occurredAt).toISOString()}::timestamp(3), ${webhookBody({ id, ...event })}, now() AT TIME ZONE 'UTC')`,
  );
  return tx.$queryRaw<WebhookDeliveryRef[]>`
    WITH inserted AS (
      INSERT INTO "WebhookEvent" ("id", "workspaceId", "type", "occurredAt", "body", "createdAt")
      VALUES ${Prisma.join(rows)}
      ON CONFLICT ("id") DO NOTHING
      RETURNING "id", "workspaceId", "type"
    )
    INSERT INTO "WebhookDelivery" ("id", "eventId", "endpointId", "workspaceId", "createdAt")
    SELECT gen_random_uuid(), inserted."id", endpoint."id", inserted."workspaceId", now() AT TIME ZONE 'UTC'
    FROM inserted
    JOIN "WebhookEndpoint" endpoint
      ON endpoint."workspaceId" = inserted."workspaceId"
     AND endpoint."disabledAt" IS NULL
     AND (cardinality(endpoint."eventTypes") = 0 OR inserted."type" = ANY (endpoint."eventTypes"))
    RETURNING "id" AS "deliveryId", "eventId", "endpointId", "workspaceId"`;
}

/** Starts the deliveries' workflows (after the commit). Never throws: what could not start waits for the relay. */
export async function startDeliveries(starter: WebhookDeliveryStarter | undefined, deliveries: readonly WebhookDeliveryRef[]): Promise<void> {
  if (starter && deliveries.length > 0) await starter.start(deliveries);
}

/**
 * Inside the transaction that took a lead of `campaignId` out of `waiting`: when no lead of the
 * campaign waits any more, records campaign.completed. A lock per campaign makes concurrent finishers
 * take turns, so the last one sees the others' leads finished (none misses the completion); two that
 * both see it compute the same event id.
 */
export async function recordCampaignCompletion(tx: Prisma.TransactionClient, campaignId: string): Promise<WebhookDeliveryRef[]> {
  await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(${`campaign-completion:${campaignId}`}, 0))`;
  if (await tx.lead.findFirst({ where: { campaignId, state: 'waiting' }, select: { id: true } })) return [];
  const [campaign, counts] = await Promise.all([
    tx.campaign.findUnique({ where: { id: campaignId }, select: { id: true, workspaceId: true, identityId: true, name: true } }),
    tx.lead.groupBy({ by: ['state'], where: { campaignId }, _count: { _all: true }, _max: { updatedAt: true } }),
  ]);
  if (!campaign || counts.length === 0) return [];
  const leads = Object.fromEntries(counts.map((row) => [row.state, row._count._all]));
  const lastLeadChangeAt = Math.max(...counts.map((row) => row._max.updatedAt?.getTime() ?? 0));
  return recordEvents(tx, [campaignCompleted(campaign, { leads, lastLeadChangeAt })]);
}

/**
 * An identity's LinkedIn status became needs-reconnect: records linkedin.needs_reconnect (idempotent:
 * `since` names the change). For whatever sets the status (the API's webhooks and sign-ins, the
 * identity workflow's activities); `identity` is the row as written.
 */
export async function recordLinkedinNeedsReconnect(
  tx: DatabaseClient,
  identity: { id: string; workspaceId: string; linkedinAccountId: string | null; linkedinStatusSince: Date; linkedinStatusReason: string | null },
): Promise<WebhookDeliveryRef[]> {
  return recordEvents(tx, [linkedinNeedsReconnect(identity, { since: identity.linkedinStatusSince.getTime(), reason: identity.linkedinStatusReason })]);
}

/** Deliveries recorded more than `olderThanMs` ago whose workflow never started (the relay's work), oldest first. */
export async function unstartedDeliveries(db: Database, now: number, olderThanMs: number, limit: number): Promise<WebhookDeliveryRef[]> {
  const rows = await db.webhookDelivery.findMany({
    where: { startedAt: null, state: 'pending', createdAt: { lt: new Date(now - olderThanMs) } },
    orderBy: { createdAt: 'asc' },
    take: limit,
    select: { id: true, eventId: true, endpointId: true, workspaceId: true },
  });
  return rows.map((row) => ({ deliveryId: row.id, eventId: row.eventId, endpointId: row.endpointId, workspaceId: row.workspaceId }));
}
