/**
 * One campaign email for an identity: the oldest due lead whose inbox can send now (SPEC §3).
 *
 * At most once, by stage:
 * 1. choose the lead and its inbox (sticky, fixed or Shuffle), check the inbox's caps and warm-up;
 * 2. render the message, decrypt the secret, check the host again (DNS rebinding), and open the
 *    session (connect + log in, or refresh the access token) — anything failing here sent nothing:
 *    the lead waits with the reason (its own back-off) and the identity's other inboxes go on;
 * 3. send: the intent (`sending`) is recorded at the last moment nothing has reached the provider
 *    (after SMTP accepted the envelope and DATA, before the first byte of the message; right
 *    before an HTTP request), then the message is handed over. A failure is "certainly not
 *    delivered" only by its stage (before the hand-over, or an explicit refusal of the message):
 *    then the intent is removed. Otherwise the message may have arrived: the step is
 *    `sent-unconfirmed` and is never sent again.
 * An intent found by the next attempt (a worker that died after recording it) means the same:
 * `sent-unconfirmed`. A worker that died before it left nothing: the next attempt sends.
 */
import type { EmailInbox, Lead, Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { recordEvents, startDeliveries } from '../db/webhook-events';
import type { StepOutcome } from '../domain/dispatch';
import { effectiveInboxRate, rateOverrideOf } from '../domain/inbox-rate';
import type { Cidr } from '../domain/network-address';
import { chooseInbox, emailCapacity, inboxDisconnectedError, inboxNeedsReconnectReason } from '../domain/pacing';
import { campaignSteps, type CampaignStep } from '../domain/steps';
import { renderTemplate } from '../domain/templates';
import { inboxNeedsReconnect, type WebhookDeliveryStarter } from '../domain/webhooks';
import { checkMailHost, HostLookupError } from '../integrations/email/host-guard';
import { gmailSender, graphSender, smtpSender, type EmailSender } from '../integrations/email/senders';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../lib/config';
import { composeEmail, deterministicMessageId, EmailSendError, type EmailSession, type OutgoingEmail } from '../integrations/email/smtp-sender';
import { HostNotAllowedError } from '../lib/errors';
import { recordActionDeferred, recordEmailSent, type EmailSendResult } from '../lib/metrics';
import { decryptSecret, inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, SecretDecryptionError, type Keyring } from '../lib/secrets';
import { actionClock, assertBeforeDeadline, type ActionClock } from './action-support';
import { activeWaiting, advance, commitAdvance, failLead, idempotencyKeyOf, retryLeadLater, variablesOf, waitLead, type LeadWithCampaign } from './lead-steps';
import { warmingInboxes, warmupHold } from './warmup-gate';

/** How many due email leads one attempt considers when the oldest ones' inboxes cannot send now. */
const CANDIDATES = 50;

export interface EmailStepDependencies {
  db: Database;
  keyring: Keyring;
  /** OAuth clients for Google and Microsoft 365 inboxes (real endpoints, or local replay servers in tests). */
  emailProviders?: { google?: GoogleClientConfig; microsoft?: MicrosoftClientConfig };
  /** SSRF rules for user-supplied mail hosts, checked again at every connection; private ones refused when unset. */
  mailHosts?: { privateHostsAllowed: readonly Cidr[]; timeoutMs: number };
  /** Starts the deliveries of the events the steps publish (inbox.needs_reconnect, lead.failed, campaign.completed). */
  webhooks?: { deliveries?: WebhookDeliveryStarter };
}

export interface EmailStepInput {
  identityId: string;
  /** The workflow's instant when it scheduled the step. */
  at: number;
  /** Nothing is started after this instant (the window's end minus the slot margin). */
  deadline: number;
}

/** A failure to prepare or open a sender: nothing was sent. `configuration` is the deployment's problem, not the inbox's. */
class SenderUnavailable extends Error {
  constructor(
    message: string,
    readonly configuration: boolean,
  ) {
    super(message);
  }
}

/** How a send that failed counts in the inbox's metrics: unconfirmed once the message may have reached the server. */
function emailSendResultOf(error: EmailSendError | SenderUnavailable, handedOver: boolean): EmailSendResult {
  if (error instanceof SenderUnavailable) return error.configuration ? 'failed-permanent' : 'failed-transient';
  if (handedOver && error.delivery === 'unknown') return 'sent-unconfirmed';
  return error.retryable ? 'failed-transient' : 'failed-permanent';
}

export function createEmailStepActivities({ db, keyring, emailProviders = {}, mailHosts = { privateHostsAllowed: [], timeoutMs: 30_000 }, webhooks }: EmailStepDependencies) {
  const deliveries = webhooks?.deliveries;

  /** The step's recorded intent becomes its result (`data`) and the lead moves on as of `at`: one transaction, with the events that publishes. */
  function settleIntent(lead: LeadWithCampaign, intent: Prisma.LeadActionWhereUniqueInput, data: Prisma.LeadActionUpdateInput, at: number): Promise<void> {
    return commitAdvance(db, lead, at, (client) => [client.leadAction.update({ where: intent, data }), client.lead.update({ where: { id: lead.id }, data: advance(lead, at) })], deliveries);
  }

  /** The sender for the inbox's provider. Secrets are decrypted here, inside the activity; hosts are checked again. */
  async function senderFor(inbox: EmailInbox): Promise<EmailSender> {
    try {
      if (inbox.provider === 'google' || inbox.provider === 'microsoft') {
        if (inbox.refreshTokenEnvelope === null) throw new SenderUnavailable(`inbox ${inbox.email} has no refresh token: reconnect it`, false);
        const refreshToken = decryptSecret(keyring, inbox.refreshTokenEnvelope, inboxRefreshTokenAssociatedData(inbox.id));
        const { google, microsoft } = emailProviders;
        if (inbox.provider === 'google') {
          if (!google) throw new SenderUnavailable('Google inboxes need GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET on the worker', true);
          return gmailSender(google, refreshToken);
        }
        if (!microsoft) throw new SenderUnavailable('Microsoft 365 inboxes need MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET on the worker', true);
        return graphSender(microsoft, refreshToken);
      }
      const password = decryptSecret(keyring, inbox.passwordEnvelope ?? '', inboxPasswordAssociatedData(inbox.id));
      // The host was checked when the inbox was connected; DNS may answer differently now (rebinding).
      const checked = await checkMailHost(inbox.smtpHost, mailHosts.privateHostsAllowed);
      return smtpSender(
        {
          host: checked.address,
          ...(checked.address === checked.host ? {} : { servername: checked.host }),
          port: inbox.smtpPort,
          security: inbox.smtpSecurity as 'tls' | 'starttls' | 'none',
          username: inbox.username,
          password,
        },
        { timeoutMs: mailHosts.timeoutMs },
      );
    } catch (error) {
      if (error instanceof SecretDecryptionError) {
        throw new SenderUnavailable(`this worker cannot decrypt the credentials of ${inbox.email} (${error.reason}, key ${error.keyId ?? '?'}): check PACER_ENCRYPTION_KEYS`, true);
      }
      if (error instanceof HostLookupError) throw new SenderUnavailable(`the SMTP host of ${inbox.email} could not be resolved (${error.code})`, false);
      throw error;
    }
  }

  /** Sends from each inbox in the last 26 hours (enough for both caps). */
  async function sendHistory(inboxIds: string[], since: number): Promise<Map<string, number[]>> {
    const actions = await db.leadAction.findMany({
      where: { kind: 'email', performedAt: { gte: new Date(since) }, lead: { inboxId: { in: inboxIds } } },
      select: { performedAt: true, lead: { select: { inboxId: true } } },
    });
    const history = new Map<string, number[]>(inboxIds.map((id) => [id, []]));
    for (const action of actions) history.get(action.lead.inboxId ?? '')?.push(action.performedAt.getTime());
    return history;
  }

  /** How many leads each connected inbox already carries (Shuffle balances on it). */
  async function leadsPerInbox(identityId: string, connected: string[]): Promise<Record<string, number>> {
    const loads = await db.lead.groupBy({ by: ['inboxId'], where: { identityId, inboxId: { in: connected } }, _count: true });
    return Object.fromEntries(loads.map((row) => [row.inboxId ?? '', row._count]));
  }

  /** The inbox a lead's email goes from: its own (sticky), the campaign's fixed one, or a Shuffle pick. */
  function inboxFor(lead: LeadWithCampaign, inboxes: Map<string, EmailInbox>, connected: string[], loads: Record<string, number>): { inbox: EmailInbox } | { error: string } | { parked: EmailInbox } {
    const fixed = lead.campaign.emailInbox === 'shuffle' ? null : lead.campaign.emailInbox;
    const own = inboxes.get(lead.inboxId ?? fixed ?? '');
    if (own?.status === 'needs-reconnect') return { parked: own };
    const choice = chooseInbox({ leadKey: lead.id, assignedInboxId: lead.inboxId ?? fixed, connectedInboxIds: connected, leadsPerInbox: loads });
    if (choice.kind === 'inbox') return { inbox: inboxes.get(choice.inboxId) as EmailInbox };
    if (choice.kind === 'no-inbox') return { error: 'no connected email inbox: connect one to this identity' };
    return { error: inboxDisconnectedError(inboxes.get(choice.inboxId)?.email ?? choice.inboxId) };
  }

  /**
   * Leads whose next step is an email from an inbox that needs reconnecting wait, undated (so nothing
   * polls), with a reason naming the address; reconnecting dates them again. That is the leads on the
   * inbox, and those not started yet of campaigns fixed to it (assigned to it, so reconnecting finds
   * them too). Their LinkedIn steps are not held up: a lead is parked only when its email is next.
   */
  async function parkLeads(inbox: EmailInbox) {
    const data = { dueAt: null, waitingReason: inboxNeedsReconnectReason(inbox.email) };
    await db.$transaction([
      db.lead.updateMany({ where: { inboxId: inbox.id, state: 'waiting', nextActionKind: 'email' }, data }),
      db.lead.updateMany({ where: { inboxId: null, state: 'waiting', nextActionKind: 'email', campaign: { emailInbox: inbox.id } }, data: { ...data, inboxId: inbox.id } }),
    ]);
  }

  /** The inbox needs reconnecting: marked, with inbox.needs_reconnect in the same transaction (its version before names the broken connection). */
  async function markNeedsReconnect(inbox: EmailInbox, reason: string) {
    const { updated, events } = await db.$transaction(async (tx) => {
      const marked = await tx.emailInbox.update({ where: { id: inbox.id }, data: { status: 'needs-reconnect', statusReason: reason.slice(0, 500) } });
      const event = inboxNeedsReconnect(marked, { reason, detectedBy: 'sending', connectedSince: inbox.updatedAt.getTime(), at: marked.updatedAt.getTime() });
      return { updated: marked, events: await recordEvents(tx, [event]) };
    });
    await startDeliveries(deliveries, events);
    await parkLeads(updated);
  }

  /** The message for the lead's step: rendered (lead values escaped into HTML), with the signature and a deterministic Message-ID. */
  function messageFor(lead: Lead, step: Extract<CampaignStep, { kind: 'email' }>, inbox: EmailInbox, signatureHtml: string): OutgoingEmail {
    const variables = variablesOf(lead);
    return {
      from: { address: inbox.email, name: inbox.displayName ?? undefined },
      to: lead.email ?? '',
      subject: renderTemplate(step.subject, variables, 'header'),
      ...composeEmail({ bodyHtml: renderTemplate(step.body, variables, 'html'), signatureHtml }),
      messageId: deterministicMessageId({ campaignId: lead.campaignId, leadId: lead.id, stepIndex: lead.stepIndex, domain: inbox.email.split('@')[1] ?? 'pacer.invalid' }),
    };
  }

  /**
   * A failure before or while handing the message over that left no copy: the lead, or the inbox,
   * gets the consequence. Answers whether the inbox is at fault (its other leads wait for the next attempt).
   */
  async function notDelivered(lead: LeadWithCampaign, inbox: EmailInbox, error: EmailSendError | SenderUnavailable, clock: ActionClock): Promise<boolean> {
    if (error instanceof EmailSendError && error.code === 'auth-failed' && !error.retryable) {
      // The password or token stopped working: no retry (a storm would only lock the account), no
      // other inbox. The inbox needs reconnecting; its leads wait until the same address is reconnected.
      await markNeedsReconnect(inbox, error.smtpResponse ?? error.message);
      return true;
    }
    if (error instanceof EmailSendError && error.code === 'rejected' && !error.retryable) {
      await failLead(db, lead, `email from ${inbox.email} was refused: ${error.message}`, deliveries);
      return false;
    }
    await retryLeadLater(db, lead, clock.now(), `email from ${inbox.email} could not be sent: ${error.message}`);
    return true;
  }

  /**
   * Sends one lead's email through an opened session. The intent is recorded at the last moment
   * nothing has reached the provider (after SMTP accepted the envelope and DATA, right before an
   * HTTP request): a crash before it leaves nothing to undo; one after it is found by the next
   * attempt as `sent-unconfirmed`. Answers whether the step now counts as performed (sent, or
   * sent-unconfirmed), else whether the inbox is at fault.
   */
  async function handOver(lead: LeadWithCampaign, inbox: EmailInbox, session: EmailSession, email: OutgoingEmail, clock: ActionClock): Promise<{ performed: boolean; inboxAtFault: boolean }> {
    const key = idempotencyKeyOf(lead);
    let handedOverAt: number | null = null;
    const recordIntent = async () => {
      const at = clock.now();
      await db.$transaction([
        db.leadAction.create({ data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind: 'email', idempotencyKey: key, performedAt: new Date(at), result: { state: 'sending', inboxId: inbox.id } } }),
        db.lead.update({ where: { id: lead.id }, data: { inboxId: inbox.id } }),
      ]);
      handedOverAt = at;
    };
    try {
      const sent = await session.send(email, { beforeHandOver: recordIntent });
      recordEmailSent(inbox.id, 'sent');
      const performedAt = clock.now();
      await settleIntent(lead, { idempotencyKey: key }, { performedAt: new Date(performedAt), result: { state: 'sent', inboxId: inbox.id, messageId: sent.messageId } }, performedAt);
      return { performed: true, inboxAtFault: false };
    } catch (error) {
      if (error instanceof EmailSendError) recordEmailSent(inbox.id, emailSendResultOf(error, handedOverAt !== null));
      if (handedOverAt !== null && !(error instanceof EmailSendError)) {
        // Handed over, then something else failed (e.g. PostgreSQL): the intent stays, and the next attempt finds it.
        throw error;
      }
      if (handedOverAt !== null && error instanceof EmailSendError && error.delivery === 'unknown') {
        // The server may hold the message: never send it again.
        const result = { state: 'sent-unconfirmed', inboxId: inbox.id, messageId: email.messageId, error: error.message.slice(0, 500) } satisfies Prisma.InputJsonValue;
        await settleIntent(lead, { idempotencyKey: key }, { result }, handedOverAt);
        return { performed: true, inboxAtFault: false };
      }
      // Certainly not delivered (refused before or by an explicit answer to the message): nothing to keep.
      if (handedOverAt !== null) await db.leadAction.delete({ where: { idempotencyKey: key } });
      if (error instanceof EmailSendError) return { performed: false, inboxAtFault: await notDelivered(lead, inbox, error, clock) };
      if (error instanceof RangeError) {
        // A message that cannot be built (a programming error): the step cannot go.
        await failLead(db, lead, `email could not be built: ${error.message}`, deliveries);
        return { performed: false, inboxAtFault: false };
      }
      throw error;
    }
  }

  return {
    /**
     * Sends the oldest due email whose inbox can send now. Leads that cannot go are resolved on the
     * way (warm-up hold, disconnected inbox, needs-reconnect); an inbox that fails is skipped for the
     * rest of the attempt, so one broken inbox never holds up another. Never retried by Temporal.
     */
    async sendDueEmail(input: EmailStepInput): Promise<StepOutcome> {
      const clock = actionClock(input.at);
      const candidates = await db.lead.findMany({
        where: { ...activeWaiting(input.identityId), nextActionKind: 'email', dueAt: { lte: new Date(input.at) } },
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: CANDIDATES,
        include: { campaign: true },
      });
      if (candidates.length === 0) return { performed: false, kind: 'email', retryAt: null, reason: 'no email is due' };
      const [identity, inboxList, intentList, warming] = await Promise.all([
        db.identity.findUniqueOrThrow({ where: { id: input.identityId } }),
        db.emailInbox.findMany({ where: { identityId: input.identityId } }),
        db.leadAction.findMany({ where: { idempotencyKey: { in: candidates.map(idempotencyKeyOf) } } }),
        warmingInboxes(db, input.identityId),
      ]);
      const inboxes = new Map(inboxList.map((inbox) => [inbox.id, inbox]));
      // An inbox warming up sends no campaign email (activities/warmup-gate.ts).
      const connected = inboxList.filter((inbox) => inbox.status === 'connected' && !warming.has(inbox.id)).map((inbox) => inbox.id);
      const intents = new Map(intentList.map((intent) => [intent.idempotencyKey, intent]));
      const [history, loads] = await Promise.all([sendHistory([...inboxes.keys()], input.at - 26 * 3600 * 1000), leadsPerInbox(input.identityId, connected)]);
      /** Inboxes that failed during this attempt: their other leads wait for the next one. */
      const failedInboxes = new Set<string>();
      let capsLiftAt: number | null = null;

      for (const lead of candidates) {
        const step = campaignSteps(lead.campaign)[lead.stepIndex];
        if (step?.kind !== 'email') {
          await failLead(db, lead, `step ${lead.stepIndex} of the campaign is not an email`, deliveries);
          continue;
        }
        const intent = intents.get(idempotencyKeyOf(lead));
        if (intent) {
          // An earlier attempt recorded its intent and then died: the server may have the message.
          recordEmailSent((intent.result as { inboxId?: string }).inboxId ?? 'unknown', 'sent-unconfirmed');
          await settleIntent(lead, { id: intent.id }, { result: { ...(intent.result as object), state: 'sent-unconfirmed' } }, intent.performedAt.getTime());
          return { performed: true, kind: 'email', leadId: lead.id, performedAt: intent.performedAt.getTime() };
        }
        const hold = warmupHold(lead.inboxId ?? (lead.campaign.emailInbox === 'shuffle' ? null : lead.campaign.emailInbox), warming, inboxes, connected, input.at);
        if (hold) {
          recordActionDeferred('email', 'inbox-warming-up');
          await waitLead(db, lead, hold.dueAt.getTime(), hold.waitingReason);
          continue;
        }
        const chosen = inboxFor(lead, inboxes, connected, loads);
        if ('error' in chosen) {
          await failLead(db, lead, chosen.error, deliveries);
          continue;
        }
        if ('parked' in chosen) {
          recordActionDeferred('email', 'inbox-needs-reconnect');
          await parkLeads(chosen.parked);
          continue;
        }
        const { inbox } = chosen;
        if (failedInboxes.has(inbox.id)) continue;
        const rate = effectiveInboxRate(inbox, rateOverrideOf(inbox), input.at);
        const capacity = emailCapacity({ sentAt: history.get(inbox.id) ?? [], now: input.at, timeZone: identity.timeZone, perDay: rate.dailyRate, perHour: rate.hourlyRate });
        if (!capacity.allowedNow) {
          capsLiftAt = Math.min(capsLiftAt ?? Infinity, capacity.nextAllowedAt);
          continue;
        }

        assertBeforeDeadline(clock, input.deadline, `email for lead ${lead.id}`);
        let session: EmailSession;
        let email: OutgoingEmail;
        try {
          email = messageFor(lead, step, inbox, identity.signatureHtml);
          session = await (await senderFor(inbox)).open();
        } catch (error) {
          if (error instanceof HostNotAllowedError) {
            await markNeedsReconnect(inbox, `SMTP host ${inbox.smtpHost} resolves to an address that is not allowed`);
            continue;
          }
          if (!(error instanceof EmailSendError || error instanceof SenderUnavailable)) throw error;
          recordEmailSent(inbox.id, emailSendResultOf(error, false));
          if (await notDelivered(lead, inbox, error, clock)) failedInboxes.add(inbox.id);
          continue;
        }
        try {
          assertBeforeDeadline(clock, input.deadline, `email for lead ${lead.id}`);
          const outcome = await handOver(lead, inbox, session, email, clock);
          if (outcome.performed) return { performed: true, kind: 'email', leadId: lead.id, performedAt: clock.now() };
          if (outcome.inboxAtFault) failedInboxes.add(inbox.id);
        } finally {
          session.close();
        }
      }
      if (capsLiftAt !== null) recordActionDeferred('email', 'inbox-rate');
      return { performed: false, kind: 'email', retryAt: capsLiftAt, reason: capsLiftAt === null ? 'the due emails could not be sent now' : "every due lead's inbox is at its cap" };
    },
  };
}
