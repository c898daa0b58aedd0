import { log } from '@temporalio/activity';
import type { Campaign, EmailInbox, Lead, Prisma } from '@prisma/client';
import { campaignSteps, type CampaignStep } from '../api/campaign-schemas';
import type { Database } from '../db/client';
import type { AutoWithdrawSettings } from '../domain/invitations';
import { effectiveInboxRate, rateOverrideOf } from '../domain/inbox-rate';
import type { Cidr } from '../domain/network-address';
import { chooseInbox, emailCapacity, inboxDisconnectedError, inboxNeedsReconnectReason } from '../domain/pacing';
import { renderTemplate } from '../domain/templates';
import { checkMailHost, HostLookupError } from '../integrations/email/host-guard';
import { gmailSender, graphSender, smtpSender, type EmailSender, type GoogleClientConfig, type MicrosoftClientConfig } from '../integrations/email/senders';
import { composeEmail, deterministicMessageId, SmtpSendError } from '../integrations/email/smtp-sender';
import {
  LinkedinAlreadyConnectedError,
  LinkedinGatewayError,
  PendingInvitationCapError,
  ReinviteBlockedError,
  type LinkedinGateway,
} from '../integrations/linkedin';
import { HostNotAllowedError } from '../lib/errors';
import { decryptSecret, type Keyring } from '../lib/secrets';
import type { PacedKind } from '../workflows/identity';
import { createInvitationActivities, reinviteBlockLiftsAt, type WithdrawalOutlook } from './linkedin-invitations';
import { warmingInboxes, warmupHold } from './warmup-gate';

/** How long a lead waits before retrying when the pending-invitation cap is reached (withdrawals free room). */
const PENDING_CAP_RETRY_MS = 24 * 3600 * 1000;
/**
 * An inbox with leads mid-sequence is read for replies at most this often, by the dispatch pass that
 * is about to act: a lead who replied is stopped before its next step goes out.
 */
export const REPLY_SYNC_INTERVAL_MS = 5 * 60_000;
/** How many due email leads one pass considers when the oldest ones' inboxes are at their caps. */
const EMAIL_CANDIDATES = 50;

export interface DueLeadStepOutcome {
  /** The step performed (a lead's, or an invitation asked for through the API), which spent one unit of its kind's budget; null when none did. */
  performed: { kind: PacedKind; leadId?: string; stepIndex?: number; invitationId?: string } | null;
  /** Per kind, when the earliest waiting step of the identity's active campaigns can go. */
  nextDueAt: Partial<Record<PacedKind, number>>;
  /** Sum of the daily rates of the identity's connected inboxes. */
  emailDailyCapacity: number;
  /** What the workflow needs to know when the next withdrawal is due. */
  withdrawals: WithdrawalOutlook;
}

export interface CampaignStepDependencies {
  db: Database;
  linkedin: LinkedinGateway;
  keyring: Keyring;
  /** OAuth clients for Google and Microsoft 365 inboxes (real endpoints, or local replay servers in tests). */
  emailProviders?: { google?: GoogleClientConfig; microsoft?: MicrosoftClientConfig };
  /** SSRF rules for user-supplied mail hosts, checked again at every connection; private ones refused when unset. */
  mailHosts?: { privateHostsAllowed: readonly Cidr[]; timeoutMs: number };
  /** Reads an inbox's new mail (activities/reply-sync): replies and bounces stop their leads. */
  syncReplies?: (input: { inboxId: string }) => Promise<unknown>;
}

type LeadWithCampaign = Lead & { campaign: Campaign };

export const STEP_KIND: Record<CampaignStep['kind'], PacedKind> = {
  'linkedin-connection-request': 'connectionRequest',
  'linkedin-message': 'message',
  'linkedin-profile-scrape': 'scrape',
  'linkedin-like': 'like',
  email: 'email',
};

export function inboxPasswordAssociatedData(inboxId: string): string {
  return `email-inbox:${inboxId}:password`;
}

export function inboxRefreshTokenAssociatedData(inboxId: string): string {
  return `email-inbox:${inboxId}:refresh-token`;
}

function variablesOf(lead: Lead): Record<string, string | null> {
  return { ...(lead.variables as Record<string, string>), firstName: lead.firstName, lastName: lead.lastName, company: lead.company, email: lead.email };
}

/** Moves the lead past its current step: the next step's delay starts now. */
function advance(lead: LeadWithCampaign, at: number): Prisma.LeadUncheckedUpdateInput {
  const next = campaignSteps(lead.campaign)[lead.stepIndex + 1];
  return {
    stepIndex: lead.stepIndex + 1,
    nextStepKind: next ? STEP_KIND[next.kind] : null,
    dueAt: next ? new Date(at + next.delayMinutes * 60_000) : null,
    state: next ? 'waiting' : 'done',
    waitingReason: null,
  };
}

/**
 * A send failure after which the server certainly holds no copy: it answered with a refusal, the
 * login failed, or no connection was made. A connection lost later (even right after DATA, when the
 * server may have stored the message) is not certain.
 */
function certainlyNotDelivered(error: SmtpSendError): boolean {
  return error.responseCode !== undefined || error.code === 'auth-failed' || error.nodemailerCode === 'EDNS' || error.nodemailerCode === 'ESOCKET';
}

function idempotencyKeyOf(lead: Lead): string {
  return `${lead.campaignId}/${lead.id}/${lead.stepIndex}`;
}

export function createCampaignStepActivities({ db, linkedin, keyring, emailProviders = {}, mailHosts = { privateHostsAllowed: [], timeoutMs: 30_000 }, syncReplies }: CampaignStepDependencies) {
  const invitations = createInvitationActivities({ db, linkedin });
  /** When this worker last read each inbox (workflow time); a restart only means one early read. */
  const lastReplySync = new Map<string, number>();

  /** Reads the replies of the identity's connected inboxes that carry waiting leads, unless read recently. */
  async function syncRepliesIfDue(identityId: string, at: number): Promise<void> {
    if (!syncReplies) return;
    const carrying = await db.lead.groupBy({ by: ['inboxId'], where: { identityId, state: 'waiting', inboxId: { not: null } } });
    const inboxes = await db.emailInbox.findMany({ where: { id: { in: carrying.flatMap((row) => (row.inboxId ? [row.inboxId] : [])) }, status: 'connected' }, select: { id: true } });
    for (const { id } of inboxes) {
      if (at - (lastReplySync.get(id) ?? -Infinity) < REPLY_SYNC_INTERVAL_MS) continue;
      lastReplySync.set(id, at);
      try {
        await syncReplies({ inboxId: id });
      } catch (error) {
        // An unreachable mailbox must not stop the identity; the next pass after the interval tries again.
        log.warn('reply sync failed', { inboxId: id, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }

  /** The one sending interface, for the inbox's provider. Secrets are decrypted here, inside the activity. */
  async function senderFor(inbox: EmailInbox): Promise<EmailSender> {
    if (inbox.provider === 'google' || inbox.provider === 'microsoft') {
      if (inbox.refreshTokenEnvelope === null) throw new Error(`inbox ${inbox.id} has no refresh token`);
      const refreshToken = decryptSecret(keyring, inbox.refreshTokenEnvelope, inboxRefreshTokenAssociatedData(inbox.id));
      const { google, microsoft } = emailProviders;
      if (inbox.provider === 'google') {
        if (!google) throw new Error('Google inboxes need GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET on the worker');
        return gmailSender(google, refreshToken);
      }
      if (!microsoft) throw new Error('Microsoft 365 inboxes need MICROSOFT_CLIENT_ID and MICROSOFT_CLIENT_SECRET on the worker');
      return graphSender(microsoft, refreshToken);
    }
    // The host was checked when the inbox was connected; DNS may answer differently now (rebinding).
    const checked = await checkMailHost(inbox.smtpHost, mailHosts.privateHostsAllowed);
    return smtpSender(
      {
        host: checked.address,
        ...(checked.address === checked.host ? {} : { servername: checked.host }),
        port: inbox.smtpPort,
        security: inbox.smtpSecurity as 'tls' | 'starttls' | 'none',
        username: inbox.username,
        password: decryptSecret(keyring, inbox.passwordEnvelope ?? '', inboxPasswordAssociatedData(inbox.id)),
      },
      { timeoutMs: mailHosts.timeoutMs },
    );
  }

  const activeWaiting = (identityId: string) => ({ identityId, state: 'waiting', campaign: { status: 'active' } }) satisfies Prisma.LeadWhereInput;

  async function recordAndAdvance(lead: LeadWithCampaign, kind: PacedKind, at: number, result: Prisma.InputJsonValue, extra: Prisma.PrismaPromise<unknown>[] = []) {
    await db.$transaction([
      db.leadAction.create({ data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind, idempotencyKey: idempotencyKeyOf(lead), performedAt: new Date(at), result } }),
      db.lead.update({ where: { id: lead.id }, data: advance(lead, at) }),
      ...extra,
    ]);
  }

  /** The invitation record a sent connection request leaves (history, withdrawals, re-invite block). */
  function invitationRecord(lead: LeadWithCampaign, step: CampaignStep, result: object, at: number): Prisma.PrismaPromise<unknown>[] {
    if (step.kind !== 'linkedin-connection-request' || !('invitationId' in result)) return [];
    return [
      invitations.recordSent({
        workspaceId: lead.workspaceId,
        identityId: lead.identityId,
        profileUrl: lead.linkedinUrl ?? '',
        note: step.note === undefined ? null : renderTemplate(step.note, variablesOf(lead)),
        leadId: lead.id,
        idempotencyKey: idempotencyKeyOf(lead),
        gatewayInvitationId: String(result.invitationId),
        at,
      }),
    ];
  }

  async function failLead(lead: Lead, error: string) {
    await db.lead.update({ where: { id: lead.id }, data: { state: 'error', error, dueAt: null } });
  }

  // ----- LinkedIn steps ------------------------------------------------------------------------

  async function linkedinAction(lead: LeadWithCampaign, step: CampaignStep, at: number, likesOptedOut: boolean) {
    const base = { identityId: lead.identityId, profileUrl: lead.linkedinUrl ?? '', idempotencyKey: idempotencyKeyOf(lead), at };
    switch (step.kind) {
      case 'linkedin-connection-request':
        return linkedin.sendConnectionRequest({ ...base, note: step.note === undefined ? undefined : renderTemplate(step.note, variablesOf(lead)) });
      case 'linkedin-message':
        return linkedin.sendMessage({ ...base, text: renderTemplate(step.text, variablesOf(lead)) });
      case 'linkedin-profile-scrape':
        return linkedin.scrapeProfile(base);
      case 'linkedin-like':
        return likesOptedOut ? { skipped: 'the identity opted out of likes' } : linkedin.likeLatestPost(base);
      case 'email':
        throw new Error('email steps are not LinkedIn actions');
    }
  }

  async function performLinkedinStep(lead: LeadWithCampaign, step: CampaignStep, at: number, likesOptedOut: boolean): Promise<DueLeadStepOutcome['performed']> {
    const kind = STEP_KIND[step.kind];
    try {
      if (step.kind === 'linkedin-connection-request') {
        const blockedUntil = await reinviteBlockLiftsAt(db, lead.identityId, lead.linkedinUrl ?? '', at);
        if (blockedUntil !== null) throw new ReinviteBlockedError(blockedUntil, { profileUrl: lead.linkedinUrl ?? undefined });
      }
      const result = await linkedinAction(lead, step, at, likesOptedOut).catch((error: unknown) => {
        // Inviting an existing connection has nothing left to do: the step is complete, no budget spent.
        if (error instanceof LinkedinAlreadyConnectedError) return { skipped: 'already connected' };
        throw error;
      });
      await recordAndAdvance(lead, kind, at, result as Prisma.InputJsonValue, invitationRecord(lead, step, result, at));
      return 'skipped' in result ? null : { kind, leadId: lead.id, stepIndex: lead.stepIndex };
    } catch (error) {
      if (error instanceof ReinviteBlockedError) {
        const until = new Date(error.blockedUntil);
        await db.lead.update({ where: { id: lead.id }, data: { dueAt: until, waitingReason: `re-invite blocked until ${until.toISOString()}` } });
        return null;
      }
      if (error instanceof PendingInvitationCapError) {
        await db.lead.update({
          where: { id: lead.id },
          data: { dueAt: new Date(at + PENDING_CAP_RETRY_MS), waitingReason: `LinkedIn's pending-invitation cap (${error.cap}) is reached: waiting for withdrawals` },
        });
        return null;
      }
      if (error instanceof LinkedinGatewayError && !error.retryable) {
        await failLead(lead, `${error.code}: ${error.message}`);
        return null;
      }
      throw error;
    }
  }

  // ----- Email steps ---------------------------------------------------------------------------

  /** Sends from each inbox in the current local day (enough for both caps). */
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

  async function sendEmailStep(lead: LeadWithCampaign, step: Extract<CampaignStep, { kind: 'email' }>, inbox: EmailInbox, signatureHtml: string, at: number): Promise<void> {
    const key = idempotencyKeyOf(lead);
    // At most once: the intent is recorded before the send, so a retry after a crash never sends twice.
    await db.leadAction.create({
      data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind: 'email', idempotencyKey: key, performedAt: new Date(at), result: { state: 'sending', inboxId: inbox.id } },
    });
    await db.lead.update({ where: { id: lead.id }, data: { inboxId: inbox.id } });
    const variables = variablesOf(lead);
    const body = composeEmail({ bodyHtml: renderTemplate(step.body, variables), signatureHtml });
    const messageId = deterministicMessageId({ campaignId: lead.campaignId, leadId: lead.id, stepIndex: lead.stepIndex, domain: inbox.email.split('@')[1] ?? 'pacer.invalid' });
    const sent = await (await senderFor(inbox)).send({
      from: { address: inbox.email, name: inbox.displayName ?? undefined },
      to: lead.email ?? '',
      subject: renderTemplate(step.subject, variables),
      ...body,
      messageId,
    });
    await db.$transaction([
      db.leadAction.update({ where: { idempotencyKey: key }, data: { result: { state: 'sent', inboxId: inbox.id, messageId: sent.messageId } } }),
      db.lead.update({ where: { id: lead.id }, data: advance(lead, at) }),
    ]);
  }

  /** The rate in force at `at`: an operator override until it expires, then the inbox's own (domain/inbox-rate). */
  function rateAt(inbox: EmailInbox, at: number) {
    return effectiveInboxRate(inbox, rateOverrideOf(inbox), at);
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
      db.lead.updateMany({ where: { inboxId: inbox.id, state: 'waiting', nextStepKind: 'email' }, data }),
      db.lead.updateMany({ where: { inboxId: null, state: 'waiting', nextStepKind: 'email', campaign: { emailInbox: inbox.id } }, data: { ...data, inboxId: inbox.id } }),
    ]);
  }

  async function markNeedsReconnect(inbox: EmailInbox, reason: string) {
    const updated = await db.emailInbox.update({ where: { id: inbox.id }, data: { status: 'needs-reconnect', statusReason: reason.slice(0, 500) } });
    await parkLeads(updated);
  }

  /** Tries the due email leads oldest first; the first whose inbox has room now is sent. */
  async function performDueEmail(identityId: string, at: number): Promise<{ performed: DueLeadStepOutcome['performed']; blockedUntil: number | null }> {
    const candidates = await db.lead.findMany({
      where: { ...activeWaiting(identityId), nextStepKind: 'email', dueAt: { lte: new Date(at) } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      take: EMAIL_CANDIDATES,
      include: { campaign: true },
    });
    if (candidates.length === 0) return { performed: null, blockedUntil: null };
    const [identity, inboxList, intentList, warming] = await Promise.all([
      db.identity.findUniqueOrThrow({ where: { id: identityId } }),
      db.emailInbox.findMany({ where: { identityId } }),
      db.leadAction.findMany({ where: { idempotencyKey: { in: candidates.map(idempotencyKeyOf) } } }),
      warmingInboxes(db, identityId),
    ]);
    const inboxes = new Map(inboxList.map((inbox) => [inbox.id, inbox]));
    // An inbox warming up sends no campaign email (activities/warmup-gate.ts).
    const connected = inboxList.filter((inbox) => inbox.status === 'connected' && !warming.has(inbox.id)).map((inbox) => inbox.id);
    const intents = new Map(intentList.map((intent) => [intent.idempotencyKey, intent]));
    const [history, loads] = await Promise.all([sendHistory([...inboxes.keys()], at - 26 * 3600 * 1000), leadsPerInbox(identityId, connected)]);
    let blockedUntil: number | null = null;
    for (const lead of candidates) {
      const step = campaignSteps(lead.campaign)[lead.stepIndex];
      if (step?.kind !== 'email') continue;
      const intent = intents.get(idempotencyKeyOf(lead));
      if (intent) {
        // A crash after the send began: the server may have the message, so it is never sent again.
        await db.$transaction([
          db.leadAction.update({ where: { id: intent.id }, data: { result: { ...(intent.result as object), state: 'sent-unconfirmed' } } }),
          db.lead.update({ where: { id: lead.id }, data: advance(lead, intent.performedAt.getTime()) }),
        ]);
        return { performed: { kind: 'email', leadId: lead.id, stepIndex: lead.stepIndex }, blockedUntil: null };
      }
      const hold = warmupHold(lead.inboxId ?? (lead.campaign.emailInbox === 'shuffle' ? null : lead.campaign.emailInbox), warming, inboxes, connected, at);
      if (hold) {
        await db.lead.update({ where: { id: lead.id }, data: hold });
        continue;
      }
      const chosen = inboxFor(lead, inboxes, connected, loads);
      if ('error' in chosen) {
        await failLead(lead, chosen.error);
        continue;
      }
      if ('parked' in chosen) {
        await parkLeads(chosen.parked);
        continue;
      }
      const rate = rateAt(chosen.inbox, at);
      const capacity = emailCapacity({ sentAt: history.get(chosen.inbox.id) ?? [], now: at, timeZone: identity.timeZone, perDay: rate.dailyRate, perHour: rate.hourlyRate });
      if (!capacity.allowedNow) {
        blockedUntil = Math.min(blockedUntil ?? Infinity, capacity.nextAllowedAt);
        continue;
      }
      try {
        await sendEmailStep(lead, step, chosen.inbox, identity.signatureHtml, at);
        return { performed: { kind: 'email', leadId: lead.id, stepIndex: lead.stepIndex }, blockedUntil: null };
      } catch (error) {
        if (error instanceof HostNotAllowedError || error instanceof HostLookupError) {
          // Nothing was sent. A refused host needs the inbox reconnected with a valid one; a lookup failure is retried.
          await db.leadAction.delete({ where: { idempotencyKey: idempotencyKeyOf(lead) } });
          if (error instanceof HostLookupError) throw error;
          await markNeedsReconnect(chosen.inbox, `SMTP host ${chosen.inbox.smtpHost} resolves to an address that is not allowed`);
          return { performed: null, blockedUntil: null };
        }
        if (!(error instanceof SmtpSendError)) throw error;
        if (error.code === 'auth-failed' && !error.retryable) {
          // The password stopped working: no retry (a storm would only lock the account), no other
          // inbox. The inbox needs reconnecting; its leads wait until the same address is reconnected.
          await db.leadAction.delete({ where: { idempotencyKey: idempotencyKeyOf(lead) } });
          await markNeedsReconnect(chosen.inbox, error.smtpResponse ?? error.message);
          return { performed: null, blockedUntil: null };
        }
        if (!error.retryable) {
          await failLead(lead, `email from ${chosen.inbox.email} failed (${error.code}): ${error.message}`);
          return { performed: null, blockedUntil: null };
        }
        // Retry only when the message certainly never reached the server; otherwise keep the intent,
        // so the retry records the step as sent-unconfirmed instead of sending a second copy.
        if (certainlyNotDelivered(error)) await db.leadAction.delete({ where: { idempotencyKey: idempotencyKeyOf(lead) } });
        throw error;
      }
    }
    return { performed: null, blockedUntil };
  }

  // ----- Dispatch ------------------------------------------------------------------------------

  async function nextDueAt(identityId: string): Promise<DueLeadStepOutcome['nextDueAt']> {
    const [rows, queuedInvitationAt] = await Promise.all([
      db.lead.groupBy({ by: ['nextStepKind'], where: { ...activeWaiting(identityId), dueAt: { not: null } }, _min: { dueAt: true } }),
      invitations.queuedDueAt(identityId),
    ]);
    const due: DueLeadStepOutcome['nextDueAt'] = Object.fromEntries(rows.flatMap((row) => (row.nextStepKind && row._min.dueAt ? [[row.nextStepKind, row._min.dueAt.getTime()]] : [])));
    if (queuedInvitationAt !== undefined) due.connectionRequest = Math.min(due.connectionRequest ?? Infinity, queuedInvitationAt);
    return due;
  }

  async function performDueLinkedinStep(identityId: string, at: number, kinds: PacedKind[], likesOptedOut: boolean): Promise<DueLeadStepOutcome['performed']> {
    if (kinds.length === 0) return null;
    // An invitation asked for directly goes before campaign leads: someone is waiting for it.
    if (kinds.includes('connectionRequest')) {
      const sent = await invitations.sendQueuedInvitation(identityId, at);
      if (sent) return { kind: 'connectionRequest', invitationId: sent };
    }
    const lead = await db.lead.findFirst({
      where: { ...activeWaiting(identityId), nextStepKind: { in: kinds }, dueAt: { lte: new Date(at) } },
      orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
      include: { campaign: true },
    });
    if (!lead) return null;
    const step = campaignSteps(lead.campaign)[lead.stepIndex];
    if (!step) {
      await failLead(lead, `step ${lead.stepIndex} does not exist in the campaign`);
      return null;
    }
    if (await db.leadAction.findUnique({ where: { idempotencyKey: idempotencyKeyOf(lead) } })) {
      // A retry after a crash between the action and this bookkeeping: advance only.
      await db.lead.update({ where: { id: lead.id }, data: advance(lead, at) });
      return null;
    }
    return performLinkedinStep(lead, step, at, likesOptedOut);
  }

  return {
    /**
     * Performs the oldest due step among `readyKinds` (budget left and slot reached), then answers
     * when each kind's next step can go. Like steps are skipped without an action while the
     * identity opts out of likes. Idempotent: every action is keyed by campaign/lead/step.
     */
    async runDueLeadStep(input: { identityId: string; at: number; readyKinds: PacedKind[]; likesOptedOut: boolean; autoWithdraw?: AutoWithdrawSettings }): Promise<DueLeadStepOutcome> {
      // Histories recorded before withdrawals existed carry no settings: nothing is withdrawn automatically for them.
      await invitations.performDueWithdrawals(input.identityId, input.at, input.autoWithdraw ?? { enabled: false, afterDays: 0 });
      await syncRepliesIfDue(input.identityId, input.at);
      const linkedinKinds = input.readyKinds.filter((kind) => kind !== 'email');
      if (input.likesOptedOut && !linkedinKinds.includes('like')) linkedinKinds.push('like');
      let performed = await performDueLinkedinStep(input.identityId, input.at, linkedinKinds, input.likesOptedOut);
      let emailBlockedUntil: number | null = null;
      if (!performed && input.readyKinds.includes('email')) {
        ({ performed, blockedUntil: emailBlockedUntil } = await performDueEmail(input.identityId, input.at));
      }
      const due = await nextDueAt(input.identityId);
      if (emailBlockedUntil !== null && (due.email ?? Infinity) <= input.at) due.email = emailBlockedUntil;
      const connected = await db.emailInbox.findMany({ where: { identityId: input.identityId, status: 'connected' } });
      const emailDailyCapacity = connected.reduce((sum, inbox) => sum + rateAt(inbox, input.at).dailyRate, 0);
      return { performed, nextDueAt: due, emailDailyCapacity, withdrawals: await invitations.withdrawalOutlook(input.identityId) };
    },
  };
}
