/**
 * Reply sync (SPEC §3): reads an inbox's new mail, each provider through its own API with the
 * permissions already granted at connection, and stops the leads who replied or bounced.
 *
 * - **Password (IMAP/SMTP) inboxes**: IMAP from the last UID examined (UIDVALIDITY checked).
 * - **Google**: the Gmail API. `users.history.list` from the stored `historyId`; when Gmail no
 *   longer has it (404) or none is stored yet, `users.messages.list` with a date query (since the
 *   last successful sync, or the inbox's connection, minus a day; at most 30 days back), then the
 *   profile's `historyId` is stored. Each message is read with `users.messages.get` (metadata).
 * - **Microsoft 365**: Microsoft Graph, `/me/mailFolders/inbox/messages/delta` from the stored delta
 *   link (a new round from the same date on when none is stored or it expired), and each message's
 *   `internetMessageHeaders`.
 *
 * Matching (domain/reply-matching): In-Reply-To / References against the Message-IDs Pacer sent;
 * for Gmail, the Message-IDs of the message's thread; a delivery report is a bounce, matched by the
 * Message-IDs it quotes, else by X-Failed-Recipients; a reply that names nothing Pacer sent is matched
 * by its sender's address. A reply marks the lead `replied`, a bounce puts it in `error` naming the
 * bounce; both stop its sequence.
 *
 * Idempotent: a matched message is recorded once (LeadAction keyed by inbox and the provider's message
 * identity), and the position advances only past what was examined, so a retry re-reads at most a
 * batch and changes nothing.
 *
 * Cancellation: the activity's cancellation signal (or the one the caller passes) stops it between
 * messages, aborts requests in flight and closes the IMAP connection; the position reached is kept.
 * As a regular activity it heartbeats after every message (a local activity cannot).
 *
 * The result of every run is shown on the inbox: `syncStatus` (ok | failing | needs-reconnect),
 * `lastSyncAt` (last success) and `lastSyncError`. A token or password that no longer reads the
 * mailbox fails the activity without retry (`ApplicationFailure` type `ReplySyncError`, details
 * `[{code: 'needs-reconnect'}]`); other failures are retryable.
 *
 * The activity receives the inbox id, never a secret; it decrypts inside.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { EmailInbox, Lead } from '@prisma/client';
import { simpleParser } from 'mailparser';
import type { Database } from '../db/client';
import { recordCampaignCompletion, recordEvents, startDeliveries } from '../db/webhook-events';
import type { Cidr } from '../domain/network-address';
import { failedRecipients, isBounce, referencedMessageIds, senderAddress } from '../domain/reply-matching';
import { inboxNeedsReconnect, leadBounced, leadReplied, type WebhookDeliveryStarter } from '../domain/webhooks';
import { gmailMailbox, type GmailMailbox, type GmailMessageRef } from '../integrations/email/gmail-client';
import { graphMailbox, type GraphMailbox } from '../integrations/email/graph-client';
import { checkMailHost } from '../integrations/email/host-guard';
import { imapClient } from '../integrations/email/inbox-probe';
import { GRAPH_READ_SCOPES, googleAccessToken, microsoftAccessToken } from '../integrations/email/oauth-tokens';
import { MailboxApiError } from '../integrations/email/provider-api';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../lib/config';
import { HostNotAllowedError } from '../lib/errors';
import { decryptSecret, inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, SecretDecryptionError, type Keyring } from '../lib/secrets';

/** At most this many messages per run (IMAP, Gmail history, Graph delta); `more` tells the caller to run again soon. */
const BATCH = 200;
/** Larger messages are examined by their headers only (IMAP), and bounce bodies are read up to this size. */
const MAX_SOURCE_BYTES = 512 * 1024;
const DAY_MS = 24 * 3600 * 1000;
/** A first or recovering sync looks back at most this far. */
const MAX_LOOKBACK_MS = 30 * DAY_MS;
/** Gmail labels of messages the mailbox itself wrote. */
const OWN_LABELS = new Set(['SENT', 'DRAFT', 'CHAT']);

export interface ReplySyncDependencies {
  db: Database;
  keyring: Keyring;
  emailProviders?: { google?: GoogleClientConfig; microsoft?: MicrosoftClientConfig };
  /** SSRF allowlist and timeout for the inbox's IMAP host (the host is checked again at every run); the timeout also bounds each provider API request. */
  mailHosts?: { privateHostsAllowed: readonly Cidr[]; timeoutMs: number };
  /** Starts the deliveries of the events a sync publishes (lead.replied, lead.bounced, campaign.completed, inbox.needs_reconnect). */
  webhooks?: { deliveries?: WebhookDeliveryStarter };
}

export interface ReplySyncResult {
  provider: 'imap-smtp' | 'google' | 'microsoft';
  examined: number;
  replies: number;
  bounces: number;
  /** The batch limit was reached: more mail is waiting, run again soon. */
  more: boolean;
  /** IMAP only: the highest UID examined. */
  lastUid?: number;
}

export type SyncStatus = 'ok' | 'failing' | 'needs-reconnect';

/** A message as every provider describes it to the matcher. */
interface IncomingMessage {
  /** Unique per inbox: the idempotency key's tail (`imap/<validity>/<uid>`, `gmail/<id>`, `graph/<id>`). */
  key: string;
  messageId: string | undefined;
  from: string | undefined;
  subject: string | undefined;
  date: Date | undefined;
  contentType: string | undefined;
  inReplyTo: string | undefined;
  references: string | undefined;
  failedRecipients: string | undefined;
  /** The bounce's text (read only for bounces). */
  bounceBody: () => Promise<string>;
  /** Message-IDs of the message's conversation (Gmail threads), read only when nothing else matched. */
  conversationMessageIds?: () => Promise<string[]>;
}

interface RunControl {
  signal: AbortSignal;
  /** Throws the cancellation reason when cancelled. */
  checkpoint(details: object): void;
}

/** Context.current() exists only inside an activity; tests call the function directly. */
function currentActivity(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

function runControl(signal: AbortSignal | undefined): RunControl {
  const context = currentActivity();
  const signals = [signal, context?.cancellationSignal].filter((candidate): candidate is AbortSignal => candidate !== undefined);
  const combined = signals.length === 0 ? new AbortController().signal : signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
  // Heartbeats carry cancellation to a regular activity; a local activity has no heartbeat.
  const heartbeat = context && !context.info.isLocal ? (details: object) => context.heartbeat(details) : () => undefined;
  return {
    signal: combined,
    checkpoint(details) {
      if (combined.aborted) throw combined.reason ?? new Error('cancelled');
      heartbeat(details);
    },
  };
}

function header(headers: { name: string; value: string }[] | Map<string, string>, name: string): string | undefined {
  if (headers instanceof Map) return headers.get(name.toLowerCase());
  return headers.find((entry) => entry.name.toLowerCase() === name.toLowerCase())?.value;
}

/** Where a first or recovering sync starts: a day before the last success (or the connection), at most 30 days back. */
function lookbackStart(inbox: EmailInbox, now: number): Date {
  const from = (inbox.lastSyncAt ?? inbox.createdAt).getTime() - DAY_MS;
  return new Date(Math.max(from, now - MAX_LOOKBACK_MS));
}

/** Why a sync failed, for the inbox: permanent (reconnect) or transient, and a text without secrets. */
function failureOf(error: unknown): { status: SyncStatus; message: string; permanent: boolean } {
  // The stored IMAP host now resolves to an address Pacer must not reach: only a new host fixes it.
  if (error instanceof HostNotAllowedError) return { status: 'needs-reconnect', message: error.message, permanent: true };
  // A credential no key in PACER_ENCRYPTION_KEYS opens: the operator must restore the key (retrying changes nothing).
  if (error instanceof SecretDecryptionError) return { status: 'failing', message: error.message, permanent: true };
  if (error instanceof MailboxApiError) {
    const permanent = !error.retryable;
    return { status: error.code === 'needs-reconnect' ? 'needs-reconnect' : 'failing', message: error.message, permanent };
  }
  const { authenticationFailed, responseText, message } = (error ?? {}) as { authenticationFailed?: unknown; responseText?: unknown; message?: unknown };
  const text = [responseText, message].filter((part): part is string => typeof part === 'string' && part !== '').join(' — ') || String(error);
  if (authenticationFailed === true) return { status: 'needs-reconnect', message: `IMAP login refused: ${text}`, permanent: true };
  return { status: 'failing', message: text, permanent: false };
}

export function createReplySyncActivities({ db, keyring, emailProviders = {}, mailHosts = { privateHostsAllowed: [], timeoutMs: 10_000 }, webhooks }: ReplySyncDependencies) {
  async function leadFor(inbox: EmailInbox, ids: string[]): Promise<Lead | null> {
    if (ids.length === 0) return null;
    const action = await db.leadAction.findFirst({
      where: { kind: 'email', identityId: inbox.identityId, OR: ids.map((id) => ({ result: { path: ['messageId'], equals: id } })) },
      include: { lead: true },
    });
    return action?.lead ?? null;
  }

  async function leadByAddress(inbox: EmailInbox, address: string): Promise<Lead | null> {
    return db.lead.findFirst({ where: { identityId: inbox.identityId, email: address, state: { in: ['waiting', 'done'] } }, orderBy: { createdAt: 'desc' } });
  }

  /** Matches one message to a lead and stops it; answers what the message was for Pacer. */
  async function apply(inbox: EmailInbox, message: IncomingMessage): Promise<'reply' | 'bounce' | null> {
    const from = senderAddress(message.from);
    if (from !== undefined && from === inbox.email.toLowerCase()) return null; // the mailbox's own mail
    const bounce = isBounce({ contentType: message.contentType, from });
    let ids = referencedMessageIds({ inReplyTo: message.inReplyTo, references: message.references });
    let lead = await leadFor(inbox, ids);
    let matchedBy = 'message-id';
    if (!lead && bounce) {
      ids = referencedMessageIds({ bounceBody: await message.bounceBody() });
      lead = await leadFor(inbox, ids);
    }
    if (!lead && message.conversationMessageIds) {
      lead = await leadFor(inbox, await message.conversationMessageIds());
      matchedBy = 'thread';
    }
    if (!lead) {
      const addresses = bounce ? failedRecipients(message.failedRecipients) : from ? [from] : [];
      for (const address of addresses) {
        lead = await leadByAddress(inbox, address);
        if (lead) break;
      }
      matchedBy = bounce ? 'failed-recipient' : 'sender';
    }
    if (!lead || lead.state === 'replied' || lead.state === 'error') return null;
    const key = `reply/${inbox.id}/${message.key}`;
    if (await db.leadAction.findUnique({ where: { idempotencyKey: key } })) return null;
    const kind = bounce ? 'bounce' : 'reply';
    const detail = { kind, inboxId: inbox.id, provider: inbox.provider, key: message.key, messageId: message.messageId ?? null, matchedBy };
    const at = message.date ?? new Date();
    const reason = `email to ${lead.email ?? 'the lead'} bounced: ${(message.subject ?? 'delivery failure').slice(0, 200)}`;
    // The lead stops and its event (lead.replied or lead.bounced) is recorded, with campaign.completed if it was the last waiting lead: one transaction.
    const deliveries = await db.$transaction(async (tx) => {
      await tx.leadAction.create({ data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind, idempotencyKey: key, performedAt: at, result: detail } });
      await tx.lead.update({ where: { id: lead.id }, data: bounce ? { state: 'error', error: reason, dueAt: null, waitingReason: null } : { state: 'replied', dueAt: null, waitingReason: null } });
      const event = bounce ? leadBounced(lead, { inboxId: inbox.id, reason, at: at.getTime() }) : leadReplied(lead, { inboxId: inbox.id, messageId: message.messageId ?? null, at: at.getTime() });
      const events = await recordEvents(tx, [event]);
      // A lead that had finished its sequence already counted towards the campaign's completion.
      return lead.state === 'waiting' ? [...events, ...(await recordCampaignCompletion(tx, lead.campaignId))] : events;
    });
    await startDeliveries(webhooks?.deliveries, deliveries);
    return kind;
  }

  function count(result: ReplySyncResult, outcome: 'reply' | 'bounce' | null) {
    result.examined += 1;
    if (outcome === 'reply') result.replies += 1;
    if (outcome === 'bounce') result.bounces += 1;
  }

  function refreshTokenOf(inbox: EmailInbox): string {
    if (inbox.refreshTokenEnvelope === null) throw new MailboxApiError(`inbox ${inbox.email} holds no refresh token: connect it again`, { code: 'needs-reconnect' });
    return decryptSecret(keyring, inbox.refreshTokenEnvelope, inboxRefreshTokenAssociatedData(inbox.id));
  }

  // ----- IMAP (password inboxes) ---------------------------------------------------------------

  async function syncImap(inbox: EmailInbox, control: RunControl): Promise<ReplySyncResult> {
    if (inbox.imapHost === null || inbox.imapPort === null) throw new Error(`inbox ${inbox.email} has no IMAP server recorded: connect it again`);
    if (inbox.passwordEnvelope === null) throw new MailboxApiError(`inbox ${inbox.email} holds no password: connect it again`, { code: 'needs-reconnect' });
    const password = decryptSecret(keyring, inbox.passwordEnvelope, inboxPasswordAssociatedData(inbox.id));
    const checked = await checkMailHost(inbox.imapHost, mailHosts.privateHostsAllowed);
    const client = imapClient(
      checked,
      { host: inbox.imapHost, port: inbox.imapPort, security: (inbox.imapSecurity ?? 'tls') as 'tls' | 'starttls' | 'none' },
      { user: inbox.username, pass: password },
      mailHosts.timeoutMs,
    );
    client.on('error', () => undefined);
    // A cancellation closes the connection at once, whatever it is waiting for.
    const close = () => client.close();
    control.signal.addEventListener('abort', close, { once: true });
    const result: ReplySyncResult = { provider: 'imap-smtp', examined: 0, replies: 0, bounces: 0, more: false, lastUid: inbox.syncLastUid ?? 0 };
    let validity: bigint | undefined;
    try {
      control.checkpoint({ examined: 0 });
      await client.connect();
      const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
      validity = BigInt(mailbox.uidValidity);
      const from = inbox.syncUidValidity === validity ? (inbox.syncLastUid ?? 0) : 0;
      result.lastUid = from;
      if (mailbox.exists > 0) {
        for await (const fetched of client.fetch(`${from + 1}:*`, { uid: true, size: true, headers: true, source: { maxLength: MAX_SOURCE_BYTES } }, { uid: true })) {
          if (fetched.uid <= from) continue; // `n:*` always includes the last message
          if (result.examined >= BATCH) {
            result.more = true;
            break;
          }
          control.checkpoint({ examined: result.examined, lastUid: result.lastUid });
          const parsed = await simpleParser(fetched.source ?? fetched.headers ?? Buffer.alloc(0));
          const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
          const references = Array.isArray(parsed.references) ? parsed.references.join(' ') : parsed.references;
          const outcome = await apply(inbox, {
            key: `${validity}/${fetched.uid}`,
            messageId: parsed.messageId,
            from: parsed.from?.text,
            subject: parsed.subject,
            date: parsed.date,
            contentType: contentType ? `${contentType.value ?? ''}; ${Object.entries(contentType.params ?? {}).map(([name, value]) => `${name}=${value}`).join('; ')}` : undefined,
            inReplyTo: parsed.inReplyTo,
            references,
            failedRecipients: parsed.headers.get('x-failed-recipients') as string | undefined,
            bounceBody: () => Promise.resolve(fetched.source?.toString('utf8') ?? ''),
          });
          count(result, outcome);
          result.lastUid = Math.max(result.lastUid ?? 0, fetched.uid);
        }
      }
    } finally {
      control.signal.removeEventListener('abort', close);
      // The position reached is kept, also when cancelled or failed midway.
      if (validity !== undefined) await db.emailInbox.update({ where: { id: inbox.id }, data: { syncUidValidity: validity, syncLastUid: result.lastUid ?? 0 } });
      if (control.signal.aborted) client.close();
      else await client.logout().catch(() => client.close());
    }
    control.checkpoint({ examined: result.examined, lastUid: result.lastUid });
    return result;
  }

  // ----- Gmail API -----------------------------------------------------------------------------

  function gmailMessage(gmail: GmailMailbox, ref: GmailMessageRef, metadata: Awaited<ReturnType<GmailMailbox['metadata']>>): IncomingMessage {
    const date = metadata.internalDate ? new Date(Number(metadata.internalDate)) : undefined;
    return {
      key: `gmail/${metadata.id}`,
      messageId: header(metadata.headers, 'Message-ID'),
      from: header(metadata.headers, 'From'),
      subject: header(metadata.headers, 'Subject'),
      date: date && !Number.isNaN(date.getTime()) ? date : undefined,
      contentType: header(metadata.headers, 'Content-Type'),
      inReplyTo: header(metadata.headers, 'In-Reply-To'),
      references: header(metadata.headers, 'References'),
      failedRecipients: header(metadata.headers, 'X-Failed-Recipients'),
      bounceBody: () => gmail.raw(metadata.id, MAX_SOURCE_BYTES),
      // Gmail's thread id is the id of the thread's first message: only a later message has a thread to look in.
      ...(ref.threadId !== ref.id ? { conversationMessageIds: () => gmail.threadMessageIds(ref.threadId) } : {}),
    };
  }

  async function examineGmail(gmail: GmailMailbox, inbox: EmailInbox, ref: GmailMessageRef, result: ReplySyncResult, control: RunControl) {
    control.checkpoint({ examined: result.examined });
    if (ref.labelIds?.some((label) => OWN_LABELS.has(label))) return;
    const metadata = await gmail.metadata(ref.id);
    if (metadata.labelIds.some((label) => OWN_LABELS.has(label))) return;
    count(result, await apply(inbox, gmailMessage(gmail, ref, metadata)));
  }

  async function syncGmail(inbox: EmailInbox, control: RunControl): Promise<ReplySyncResult> {
    const config = emailProviders.google;
    if (!config) throw ApplicationFailure.nonRetryable('Google inboxes need GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET on the worker', 'ConfigurationError');
    const accessToken = await googleAccessToken(config, refreshTokenOf(inbox), control.signal);
    const gmail = gmailMailbox({ rootUrl: config.gmailRootUrl, accessToken, signal: control.signal, timeoutMs: mailHosts.timeoutMs });
    const result: ReplySyncResult = { provider: 'google', examined: 0, replies: 0, bounces: 0, more: false };

    if (inbox.gmailHistoryId !== null) {
      let position = inbox.gmailHistoryId;
      let pageToken: string | undefined;
      let expired = false;
      try {
        for (;;) {
          const page = await gmail.history(inbox.gmailHistoryId, pageToken);
          if (page === 'expired') {
            expired = true;
            break;
          }
          for (const record of page.history) {
            // The batch limit and cancellation are honoured between history records, the unit the position counts in.
            if (result.examined >= BATCH) {
              result.more = true;
              return result;
            }
            for (const added of record.messagesAdded ?? []) await examineGmail(gmail, inbox, added.message, result, control);
            position = record.id;
          }
          if (!page.nextPageToken) {
            position = page.historyId;
            return result;
          }
          pageToken = page.nextPageToken;
        }
      } finally {
        if (!expired && position !== inbox.gmailHistoryId) await db.emailInbox.update({ where: { id: inbox.id }, data: { gmailHistoryId: position } });
      }
    }

    // No usable history point: read by date, then track changes from the mailbox's current history id.
    const { historyId } = await gmail.profile();
    const query = `after:${Math.floor(lookbackStart(inbox, Date.now()).getTime() / 1000)} -in:sent -in:drafts -in:chats`;
    let pageToken: string | undefined;
    do {
      const page = await gmail.list(query, pageToken);
      for (const ref of page.messages) await examineGmail(gmail, inbox, ref, result, control);
      pageToken = page.nextPageToken;
    } while (pageToken);
    await db.emailInbox.update({ where: { id: inbox.id }, data: { gmailHistoryId: historyId } });
    return result;
  }

  // ----- Microsoft Graph -----------------------------------------------------------------------

  function graphMessage(graph: GraphMailbox, message: Awaited<ReturnType<GraphMailbox['headers']>>): IncomingMessage {
    const date = message.receivedDateTime ? new Date(message.receivedDateTime) : undefined;
    return {
      key: `graph/${message.id}`,
      messageId: header(message.headers, 'Message-ID') ?? message.internetMessageId,
      from: header(message.headers, 'From') ?? message.from,
      subject: message.subject ?? header(message.headers, 'Subject'),
      date: date && !Number.isNaN(date.getTime()) ? date : undefined,
      contentType: header(message.headers, 'Content-Type'),
      inReplyTo: header(message.headers, 'In-Reply-To'),
      references: header(message.headers, 'References'),
      failedRecipients: header(message.headers, 'X-Failed-Recipients'),
      bounceBody: () => graph.bodyText(message.id, MAX_SOURCE_BYTES),
    };
  }

  async function syncGraph(inbox: EmailInbox, control: RunControl): Promise<ReplySyncResult> {
    const config = emailProviders.microsoft;
    if (!config) throw ApplicationFailure.nonRetryable('Microsoft 365 inboxes need MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET on the worker', 'ConfigurationError');
    const accessToken = await microsoftAccessToken(config, refreshTokenOf(inbox), GRAPH_READ_SCOPES, control.signal);
    const graph = graphMailbox({ graphBaseUrl: config.graphBaseUrl, accessToken, signal: control.signal, timeoutMs: mailHosts.timeoutMs });
    const result: ReplySyncResult = { provider: 'microsoft', examined: 0, replies: 0, bounces: 0, more: false };
    const fresh = () => graph.deltaStart(lookbackStart(inbox, Date.now()));
    let link = inbox.graphDeltaLink !== null && graph.isOwnDeltaLink(inbox.graphDeltaLink) ? inbox.graphDeltaLink : fresh();
    let restarted = false;
    const save = (position: string) => db.emailInbox.update({ where: { id: inbox.id }, data: { graphDeltaLink: position } });
    for (;;) {
      const page = await graph.deltaPage(link);
      if (page === 'expired') {
        if (restarted) throw new MailboxApiError('Microsoft Graph refused a new delta round as expired', { code: 'unavailable' });
        restarted = true;
        link = fresh();
        continue;
      }
      if (result.examined + page.messageIds.length > BATCH && result.examined > 0) {
        // The next page is read by the next run (its link is the saved position).
        result.more = true;
        await save(link);
        return result;
      }
      for (const id of page.messageIds) {
        try {
          control.checkpoint({ examined: result.examined });
        } catch (cancelled) {
          await save(link);
          throw cancelled;
        }
        count(result, await apply(inbox, graphMessage(graph, await graph.headers(id))));
      }
      link = page.nextLink ?? page.deltaLink!;
      await save(link);
      if (!page.nextLink) return result;
    }
  }

  // ----- Entry point ---------------------------------------------------------------------------

  /**
   * Shows the run's result on the inbox. A sync that finds the credentials refused records
   * inbox.needs_reconnect with it (once: later runs that find the same find it already marked).
   */
  async function record(inbox: EmailInbox, status: SyncStatus, error: string | null) {
    const data = { syncStatus: status, lastSyncError: error === null ? null : error.slice(0, 500), ...(status === 'ok' ? { lastSyncAt: new Date() } : {}) };
    if (status !== 'needs-reconnect' || inbox.syncStatus === 'needs-reconnect') {
      await db.emailInbox.update({ where: { id: inbox.id }, data });
      return;
    }
    const deliveries = await db.$transaction(async (tx) => {
      const marked = await tx.emailInbox.update({ where: { id: inbox.id }, data });
      const event = inboxNeedsReconnect(marked, { reason: error ?? 'the mailbox refused the credentials', detectedBy: 'reply-sync', connectedSince: inbox.updatedAt.getTime(), at: marked.updatedAt.getTime() });
      return recordEvents(tx, [event]);
    });
    await startDeliveries(webhooks?.deliveries, deliveries);
  }

  return {
    /**
     * Reads an inbox's new mail through its provider and stops the leads who replied or bounced.
     * `signal` is for direct callers; inside an activity the activity's cancellation applies too.
     */
    async syncInboxReplies(input: { inboxId: string }, signal?: AbortSignal): Promise<ReplySyncResult> {
      const inbox = await db.emailInbox.findUniqueOrThrow({ where: { id: input.inboxId } });
      const provider = inbox.provider as ReplySyncResult['provider'];
      if (inbox.status !== 'connected') return { provider, examined: 0, replies: 0, bounces: 0, more: false };
      const control = runControl(signal);
      try {
        const result = inbox.provider === 'google' ? await syncGmail(inbox, control) : inbox.provider === 'microsoft' ? await syncGraph(inbox, control) : await syncImap(inbox, control);
        await record(inbox, 'ok', null);
        return result;
      } catch (error) {
        // A cancelled run fails with the cancellation, not with what the closed connection said.
        if (control.signal.aborted) throw control.signal.reason ?? error;
        if (error instanceof ApplicationFailure) {
          await record(inbox, 'failing', error.message);
          throw error;
        }
        const failure = failureOf(error);
        await record(inbox, failure.status, failure.message);
        if (failure.permanent) throw ApplicationFailure.nonRetryable(failure.message, 'ReplySyncError', { code: failure.status === 'needs-reconnect' ? 'needs-reconnect' : 'rejected' });
        // Transient: retried by the caller (the activity's retry policy, or the next dispatch pass).
        throw error;
      }
    },
  };
}
