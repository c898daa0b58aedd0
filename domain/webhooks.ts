/**
 * Event webhooks (SPEC §5b): the events Pacer publishes, what each carries, and the rules of their
 * delivery. Pure; the signing is in integrations/webhooks, the outbox in db/webhook-events, the
 * delivery in workflows/webhook-delivery.
 *
 * Following the Standard Webhooks specification 1.0
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 * - the body is `{"id", "type", "timestamp", "data"}`: a full-stop delimited type, when the event
 *   occurred (not when it is delivered), and a thin `data` (ids, addresses, reasons; never a secret);
 * - an event's id is the `webhook-id` of every attempt to every endpoint, so receivers deduplicate on
 *   it; here it is derived from the fact itself, so the same fact published twice is one event;
 * - "2xx: success; 3xx: failure (redirects are not followed); 410 Gone: disable the endpoint; the rest
 *   is a failure", `Retry-After` taken into account, request timeouts of 15–30 s, and a retry schedule
 *   with exponential back-off and random jitter spanning days (the specification's example schedule,
 *   used here as is).
 */

export const WEBHOOK_EVENT_TYPES = [
  'inbox.needs_reconnect',
  'inbox.reconnected',
  'linkedin.needs_reconnect',
  'lead.replied',
  'lead.bounced',
  'lead.failed',
  'warmup.completed',
  'campaign.completed',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * A fact to publish. `factKey` names the fact within its type (e.g. a lead id and its step): the
 * event id is derived from the type and this key, so publishing the same fact again adds nothing.
 */
export interface WebhookEventInput {
  type: WebhookEventType;
  workspaceId: string;
  factKey: string;
  /** When the fact happened (epoch ms). */
  occurredAt: number;
  data: { [key: string]: JsonValue };
}

/** The body every attempt sends, byte for byte (the signature covers it): built once, when the event is recorded. */
export function webhookBody(event: { id: string; type: WebhookEventType; occurredAt: number; data: { [key: string]: JsonValue } }): string {
  return JSON.stringify({ id: event.id, type: event.type, timestamp: new Date(event.occurredAt).toISOString(), data: event.data });
}

// ----- The events ----------------------------------------------------------------------------------

const iso = (instant: number | Date) => new Date(instant).toISOString();

interface InboxFacts {
  id: string;
  workspaceId: string;
  identityId: string;
  email: string;
  provider: string;
}

/**
 * An inbox's password or token stopped working (SMTP/Gmail/Graph refused it while sending, or a reply
 * sync could no longer read the mailbox). `connectedSince` identifies the connection that broke (the
 * inbox row's version before it was marked, or the last successful sync), so the same breakdown seen
 * again is the same event.
 */
export function inboxNeedsReconnect(inbox: InboxFacts, facts: { reason: string; detectedBy: 'sending' | 'reply-sync'; connectedSince: number; at: number }): WebhookEventInput {
  return {
    type: 'inbox.needs_reconnect',
    workspaceId: inbox.workspaceId,
    factKey: `${inbox.id}/${facts.detectedBy}/${iso(facts.connectedSince)}`,
    occurredAt: facts.at,
    data: { inboxId: inbox.id, identityId: inbox.identityId, email: inbox.email, provider: inbox.provider, detectedBy: facts.detectedBy, reason: facts.reason.slice(0, 500) },
  };
}

/** An inbox that needed reconnecting (or was disconnected) is connected again; `reconnectedAt` is the write that did it. */
export function inboxReconnected(inbox: InboxFacts, facts: { previousStatus: string; leadsResumed: number; reconnectedAt: number }): WebhookEventInput {
  return {
    type: 'inbox.reconnected',
    workspaceId: inbox.workspaceId,
    factKey: `${inbox.id}/${iso(facts.reconnectedAt)}`,
    occurredAt: facts.reconnectedAt,
    data: { inboxId: inbox.id, identityId: inbox.identityId, email: inbox.email, provider: inbox.provider, previousStatus: facts.previousStatus, leadsResumed: facts.leadsResumed },
  };
}

/** An identity's LinkedIn account lost its session; `since` is when its status became needs-reconnect. */
export function linkedinNeedsReconnect(identity: { id: string; workspaceId: string; linkedinAccountId: string | null }, facts: { since: number; reason: string | null }): WebhookEventInput {
  return {
    type: 'linkedin.needs_reconnect',
    workspaceId: identity.workspaceId,
    factKey: `${identity.id}/${iso(facts.since)}`,
    occurredAt: facts.since,
    data: { identityId: identity.id, accountId: identity.linkedinAccountId, reason: facts.reason },
  };
}

interface LeadFacts {
  id: string;
  workspaceId: string;
  campaignId: string;
  identityId: string;
  stepIndex: number;
  email: string | null;
  linkedinUrl: string | null;
}

function leadData(lead: LeadFacts): { [key: string]: JsonValue } {
  return { leadId: lead.id, campaignId: lead.campaignId, identityId: lead.identityId, email: lead.email, linkedinUrl: lead.linkedinUrl, stepIndex: lead.stepIndex };
}

/** A lead answered (its sequence stopped). A lead replies once: the lead and its step name the fact. */
export function leadReplied(lead: LeadFacts, facts: { inboxId: string; messageId: string | null; at: number }): WebhookEventInput {
  return {
    type: 'lead.replied',
    workspaceId: lead.workspaceId,
    factKey: `${lead.id}/${lead.stepIndex}`,
    occurredAt: facts.at,
    data: { ...leadData(lead), inboxId: facts.inboxId, messageId: facts.messageId },
  };
}

/** An email to the lead bounced (its sequence stopped). */
export function leadBounced(lead: LeadFacts, facts: { inboxId: string; reason: string; at: number }): WebhookEventInput {
  return {
    type: 'lead.bounced',
    workspaceId: lead.workspaceId,
    factKey: `${lead.id}/${lead.stepIndex}`,
    occurredAt: facts.at,
    data: { ...leadData(lead), inboxId: facts.inboxId, reason: facts.reason.slice(0, 500) },
  };
}

/**
 * A lead stopped with an error. `failedAt` is the write that stopped it, so a lead revived (its inbox
 * reconnected) that fails again at the same step is a new event.
 */
export function leadFailed(lead: LeadFacts, facts: { reason: string; failedAt: number }): WebhookEventInput {
  return {
    type: 'lead.failed',
    workspaceId: lead.workspaceId,
    factKey: `${lead.id}/${lead.stepIndex}/${iso(facts.failedAt)}`,
    occurredAt: facts.failedAt,
    data: { ...leadData(lead), reason: facts.reason.slice(0, 500) },
  };
}

/** A two-week warm-up ran to its end (a warm-up stopped early is not a completion). */
export function warmupCompleted(warmup: { inboxId: string; workspaceId: string; identityId: string; startedAt: number }, facts: { email: string | null; finishedAt: number; resumedCampaignIds: string[] }): WebhookEventInput {
  return {
    type: 'warmup.completed',
    workspaceId: warmup.workspaceId,
    factKey: `${warmup.inboxId}/${iso(warmup.startedAt)}`,
    occurredAt: facts.finishedAt,
    data: { inboxId: warmup.inboxId, identityId: warmup.identityId, email: facts.email, startedAt: iso(warmup.startedAt), resumedCampaignIds: facts.resumedCampaignIds },
  };
}

/** Lead counts per state when a campaign completed. */
export type LeadStateCounts = { [state: string]: number };

/**
 * No lead of the campaign is waiting any more. `lastLeadChangeAt` (the latest change of any of its
 * leads) names this completion: a campaign that gets new leads (or revived ones) and finishes again is
 * a new event; the same completion seen twice is one.
 */
export function campaignCompleted(campaign: { id: string; workspaceId: string; identityId: string; name: string }, facts: { leads: LeadStateCounts; lastLeadChangeAt: number }): WebhookEventInput {
  return {
    type: 'campaign.completed',
    workspaceId: campaign.workspaceId,
    factKey: `${campaign.id}/${iso(facts.lastLeadChangeAt)}`,
    occurredAt: facts.lastLeadChangeAt,
    data: { campaignId: campaign.id, identityId: campaign.identityId, name: campaign.name, leads: facts.leads },
  };
}

// ----- Delivery ------------------------------------------------------------------------------------

export type WebhookDeliveryState = 'pending' | 'delivered' | 'failed' | 'cancelled';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * The wait after each failed attempt: the specification's example schedule (5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 14 h, 20 h, 24 h), ten attempts spanning about 75 hours.
 */
export const WEBHOOK_RETRY_DELAYS_MS: readonly number[] = [5 * SECOND_MS, 5 * MINUTE_MS, 30 * MINUTE_MS, 2 * HOUR_MS, 5 * HOUR_MS, 10 * HOUR_MS, 14 * HOUR_MS, 20 * HOUR_MS, 24 * HOUR_MS];
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_MS.length + 1;
/** Each delay is spread by up to ±10 % so endpoints that failed together are not retried together. */
export const WEBHOOK_RETRY_JITTER = 0.1;
/** A `Retry-After` longer than the schedule's delay is honoured up to this. */
export const WEBHOOK_RETRY_AFTER_MAX_MS = 24 * HOUR_MS;
/** The request timeout of one attempt (the specification recommends 15 to 30 s). */
export const WEBHOOK_REQUEST_TIMEOUT_MS = 15 * SECOND_MS;

/**
 * The wait after attempt `attempt` (1-based) failed, or null when it was the last. `random` in [0, 1)
 * picks the jitter (the workflow's deterministic Math.random).
 */
export function webhookRetryDelayMs(attempt: number, random: number): number | null {
  const base = WEBHOOK_RETRY_DELAYS_MS[attempt - 1];
  if (base === undefined) return null;
  return Math.round(base * (1 + WEBHOOK_RETRY_JITTER * (2 * Math.min(Math.max(random, 0), 1) - 1)));
}

/** The scheduled wait, or the receiver's `Retry-After` when longer (honoured up to a day). */
export function withRetryAfter(scheduledMs: number, retryAfterMs: number | null): number {
  return Math.max(scheduledMs, Math.min(retryAfterMs ?? 0, WEBHOOK_RETRY_AFTER_MAX_MS));
}

/** What an HTTP answer means for a delivery. */
export type WebhookAnswer = 'delivered' | 'gone' | 'failed';

export function classifyWebhookAnswer(status: number): WebhookAnswer {
  if (status >= 200 && status <= 299) return 'delivered';
  if (status === 410) return 'gone';
  return 'failed';
}

/** `Retry-After` (delay-seconds or an HTTP-date) in ms from `now`; null when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number): number | null {
  if (value === undefined) return null;
  const text = value.trim();
  if (/^[0-9]{1,9}$/.test(text)) return Number(text) * SECOND_MS;
  const date = Date.parse(text);
  if (Number.isNaN(date) || !/[A-Za-z]/.test(text)) return null;
  return Math.max(0, date - now);
}

/** A workspace may register at most this many endpoints (enabled ones). */
export const MAX_WEBHOOK_ENDPOINTS_PER_WORKSPACE = 20;

/** One event to one endpoint: what a delivery workflow is started for. */
export interface WebhookDeliveryRef {
  deliveryId: string;
  eventId: string;
  endpointId: string;
  workspaceId: string;
}

/**
 * Starts delivery workflows (built on a Temporal client: workflows/webhook-delivery-contract). Answers
 * the deliveries whose workflow now runs or ran (started now, or found started); never throws: one it
 * could not start is left to the outbox relay.
 */
export interface WebhookDeliveryStarter {
  start(deliveries: readonly WebhookDeliveryRef[]): Promise<string[]>;
}
