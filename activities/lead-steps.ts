/**
 * Lead bookkeeping shared by the step activities: the step's idempotency key, its template
 * variables, and the writes that move a lead on, make it wait, or stop it with an error.
 */
import type { Campaign, Lead, Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { recordCampaignCompletion, recordEvents, startDeliveries } from '../db/webhook-events';
import { leadRetryDelayMs } from '../domain/dispatch';
import { advancedLead, campaignSteps, type ActionKind } from '../domain/steps';
import type { TemplateVariables } from '../domain/templates';
import { leadFailed, type WebhookDeliveryStarter } from '../domain/webhooks';

export type LeadWithCampaign = Lead & { campaign: Campaign };

/** Campaign/lead/step: the one key an action is recorded (and deduplicated) under. */
export function idempotencyKeyOf(lead: Pick<Lead, 'campaignId' | 'id' | 'stepIndex'>): string {
  return `${lead.campaignId}/${lead.id}/${lead.stepIndex}`;
}

/** The lead's own variables plus its columns; nothing else can be looked up (domain/templates). */
export function variablesOf(lead: Lead): TemplateVariables {
  return { ...(lead.variables as Record<string, string>), firstName: lead.firstName, lastName: lead.lastName, company: lead.company, email: lead.email };
}

/** Leads of the identity whose next step may be due: waiting, in an active campaign. */
export function activeWaiting(identityId: string) {
  return { identityId, state: 'waiting', campaign: { status: 'active' } } satisfies Prisma.LeadWhereInput;
}

/** Moves the lead past its current step: the next step's delay starts at `at`. */
export function advance(lead: LeadWithCampaign, at: number): Prisma.LeadUncheckedUpdateInput {
  return { ...advancedLead(campaignSteps(lead.campaign), lead.stepIndex, at), waitingReason: null, failedAttempts: 0 };
}

/** Writes of one step, built on the client they run on (the database, or a transaction of it). */
export type StepWrites = (client: Prisma.TransactionClient) => Prisma.PrismaPromise<unknown>[];

/**
 * Commits writes that move `lead` past its step (`advance(lead, at)` among them) in one transaction.
 * When that was the lead's last step, the same transaction records campaign.completed if no lead of
 * the campaign waits any more (an interactive transaction only then: most steps are one round trip).
 */
export async function commitAdvance(db: Database, lead: LeadWithCampaign, at: number, writes: StepWrites, webhooks?: WebhookDeliveryStarter): Promise<void> {
  if (advancedLead(campaignSteps(lead.campaign), lead.stepIndex, at).state !== 'done') {
    await db.$transaction(writes(db));
    return;
  }
  const deliveries = await db.$transaction(async (tx) => {
    for (const write of writes(tx)) await write;
    return recordCampaignCompletion(tx, lead.campaignId);
  });
  await startDeliveries(webhooks, deliveries);
}

/** Records the performed step and moves the lead on, in one transaction with any `extra` writes. */
export async function recordAndAdvance(
  db: Database,
  lead: LeadWithCampaign,
  kind: ActionKind,
  performedAt: number,
  result: Prisma.InputJsonValue,
  extra: StepWrites = () => [],
  webhooks?: WebhookDeliveryStarter,
): Promise<void> {
  await commitAdvance(
    db,
    lead,
    performedAt,
    (client) => [
      client.leadAction.create({ data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind, idempotencyKey: idempotencyKeyOf(lead), performedAt: new Date(performedAt), result } }),
      client.lead.update({ where: { id: lead.id }, data: advance(lead, performedAt) }),
      ...extra(client),
    ],
    webhooks,
  );
}

/**
 * Stops the lead: a permanent failure, with the reason shown on it. The same transaction records
 * lead.failed and, when it was the campaign's last waiting lead, campaign.completed.
 */
export async function failLead(db: Database, lead: Pick<Lead, 'id'>, error: string, webhooks?: WebhookDeliveryStarter): Promise<void> {
  const deliveries = await db.$transaction(async (tx) => {
    const failed = await tx.lead.update({ where: { id: lead.id }, data: { state: 'error', error: error.slice(0, 1000), dueAt: null, waitingReason: null } });
    const events = await recordEvents(tx, [leadFailed(failed, { reason: failed.error ?? error, failedAt: failed.updatedAt.getTime() })]);
    return [...events, ...(await recordCampaignCompletion(tx, failed.campaignId))];
  });
  await startDeliveries(webhooks, deliveries);
}

/** The lead's step failed for a reason that may pass: it waits its own back-off, with the reason shown; nothing was performed. */
export async function retryLeadLater(db: Database, lead: Pick<Lead, 'id' | 'failedAttempts'>, at: number, reason: string): Promise<number> {
  const failedAttempts = lead.failedAttempts + 1;
  const dueAt = at + leadRetryDelayMs(failedAttempts);
  await db.lead.update({ where: { id: lead.id }, data: { dueAt: new Date(dueAt), failedAttempts, waitingReason: `${reason.slice(0, 500)}; trying again at ${new Date(dueAt).toISOString()}` } });
  return dueAt;
}

/** The lead waits until `until` (null: until something changes, e.g. an inbox is reconnected), with the reason shown. */
export async function waitLead(db: Database, lead: Pick<Lead, 'id'>, until: number | null, reason: string): Promise<void> {
  await db.lead.update({ where: { id: lead.id }, data: { dueAt: until === null ? null : new Date(until), waitingReason: reason.slice(0, 500) } });
}
