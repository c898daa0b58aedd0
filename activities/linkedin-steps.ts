/**
 * One LinkedIn step of a kind (connection request, message, scrape, like) for an identity: the
 * oldest due one that can go now. Each gateway call carries the step's idempotency key, so a call
 * whose outcome is unknown can be made again later without acting twice (the gateway's contract).
 *
 * Outcomes, classified once by the gateway's error types (integrations/linkedin):
 * - performed: recorded with the real time and the lead moved on (an invitation is recorded too);
 * - the lead's own problem (already connected, re-invite block, a refused request): the lead gets a
 *   state and a reason, and the next due lead is tried;
 * - a message to someone whose invitation (from this identity) is still pending waits, undated, until
 *   it is accepted (db/invitations acceptInvitations makes it due again); one whose invitation from
 *   this lead's campaign was withdrawn or expired ends `not-accepted`; anyone else is messaged at once
 *   (LinkedIn refusing a non-connection stops the lead with that reason);
 * - a scrape claims a unit of scraping capacity right before the call (db/scraping-pool: the
 *   identity's own, then the workspace's pool); a refused claim performs nothing and holds the kind
 *   back until a ledger refills;
 * - the account's problem (disconnected, our token refused, the service unavailable or throttling):
 *   a typed failure; the lead stays due and the workflow holds the kind back. A disconnected account
 *   is recorded on the identity first.
 */
import type { Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import type { StepOutcome } from '../domain/dispatch';
import { actionKindOf, campaignSteps, type CampaignStep, type LinkedinActionKind } from '../domain/steps';
import { renderTemplate } from '../domain/templates';
import type { WebhookDeliveryStarter } from '../domain/webhooks';
import {
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  LinkedinGatewayError,
  LinkedinRateLimitedError,
  LinkedinUnavailableError,
  PendingInvitationCapError,
  ReinviteBlockedError,
  type LinkedinGateway,
} from '../integrations/linkedin';
import { linkedinLimitsOf } from '../domain/identity-config';
import { effectiveLinkedinLimits } from '../domain/linkedin-limits';
import { localDateOf } from '../domain/pacing';
import { claimRefusedReason, nextRefillAt, poolDayOf, type ScrapingCapacity } from '../domain/scraping-pool';
import { awaitAcceptance, latestInvitationTo, notAcceptedReason, reinviteBlockLiftsAt } from '../db/invitations';
import { claimScrape, releaseScrape } from '../db/scraping-pool';
import { recordActionDeferred } from '../lib/metrics';
import { actionClock, assertBeforeDeadline, misconfigured, unavailable, type ActionClock } from './action-support';
import { activeWaiting, failLead, idempotencyKeyOf, recordAndAdvance, variablesOf, waitLead, type LeadWithCampaign, type StepWrites } from './lead-steps';
import { accountCannotAct, gatewayFailure } from './linkedin-account';
import { oldestQueuedInvitation, recordSentInvitation, sendQueuedInvitation } from './linkedin-invitations';

/** Due leads one activity considers when the oldest ones resolve without an action. */
const CANDIDATES = 10;
/** When LinkedIn's pending-invitation cap is reached, a lead waits this long (withdrawals free room). */
const PENDING_CAP_WAIT_MS = 24 * 3600 * 1000;
/** …and the connection-request kind looks again after this long. */
const PENDING_CAP_RETRY_MS = 6 * 3600 * 1000;

/** No scraping capacity is left (or there is none): nothing was performed; the kind waits until `retryAt`. */
class ScrapingCapacitySpent extends Error {
  constructor(
    readonly capacity: ScrapingCapacity,
    readonly retryAt: number | null,
    reason: string,
  ) {
    super(reason);
    this.name = 'ScrapingCapacitySpent';
  }
}

/** The lead as its waiting reason names them: their name, else their profile. */
function personOf(lead: LeadWithCampaign): string {
  const name = [lead.firstName, lead.lastName].filter((part) => part && part.trim() !== '').join(' ');
  return name === '' ? (lead.linkedinUrl ?? 'this person') : name;
}

export interface LinkedinStepInput {
  identityId: string;
  kind: LinkedinActionKind;
  /** The workflow's instant when it scheduled the step. */
  at: number;
  /** Nothing is started after this instant (the window's end minus the slot margin). */
  deadline: number;
  likesOptedOut: boolean;
}

export function createLinkedinStepActivities({ db, linkedin, webhooks }: { db: Database; linkedin: LinkedinGateway; webhooks?: { deliveries?: WebhookDeliveryStarter } }) {
  const deliveries = webhooks?.deliveries;
  function gatewayCall(lead: LeadWithCampaign, step: CampaignStep, at: number) {
    const base = { identityId: lead.identityId, profileUrl: lead.linkedinUrl ?? '', idempotencyKey: idempotencyKeyOf(lead), at };
    const variables = variablesOf(lead);
    switch (step.kind) {
      case 'linkedin-connection-request':
        return linkedin.sendConnectionRequest({ ...base, note: step.note === undefined ? undefined : renderTemplate(step.note, variables, 'text') });
      case 'linkedin-message':
        return linkedin.sendMessage({ ...base, text: renderTemplate(step.text, variables, 'text') });
      case 'linkedin-profile-scrape':
        return linkedin.scrapeProfile(base);
      case 'linkedin-like':
        return linkedin.likeLatestPost(base);
      case 'email':
        throw new RangeError('email steps are not LinkedIn actions');
    }
  }

  /** The invitation record a sent connection request leaves (history, withdrawals, re-invite block). */
  function invitationRecord(lead: LeadWithCampaign, step: CampaignStep, result: object, at: number): StepWrites {
    if (step.kind !== 'linkedin-connection-request' || !('invitationId' in result)) return () => [];
    return (client) => [
      recordSentInvitation(client, {
        workspaceId: lead.workspaceId,
        identityId: lead.identityId,
        profileUrl: lead.linkedinUrl ?? '',
        note: step.note === undefined ? null : renderTemplate(step.note, variablesOf(lead), 'text'),
        leadId: lead.id,
        idempotencyKey: idempotencyKeyOf(lead),
        gatewayInvitationId: String(result.invitationId),
        at,
      }),
    ];
  }

  /**
   * A message goes only to a connection: while an invitation from this identity to the person is
   * pending, the lead waits (undated) for its acceptance; an invitation from this lead's campaign that
   * was withdrawn or expired ends the lead `not-accepted`. 'send' otherwise (no invitation: someone
   * already connected, or LinkedIn decides).
   */
  async function messageGate(lead: LeadWithCampaign): Promise<'send' | 'resolved'> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const invitation = await latestInvitationTo(db, lead.identityId, lead.linkedinUrl ?? '');
      if (!invitation || invitation.status === 'accepted') return 'send';
      if (invitation.status === 'pending') {
        const sent = (invitation.sentAt ?? invitation.requestedAt).toISOString().slice(0, 10);
        const status = await awaitAcceptance(db, lead.id, invitation.id, `waiting for ${personOf(lead)} to accept the invitation sent ${sent}`);
        if (status === 'pending') {
          recordActionDeferred('message', 'awaiting-acceptance');
          return 'resolved';
        }
        continue; // Accepted or ended meanwhile: decide again on what it is now.
      }
      if (invitation.leadId !== lead.id) return 'send';
      await db.lead.update({
        where: { id: lead.id },
        data: { state: 'not-accepted', dueAt: null, waitingReason: null, awaitingInvitationId: null, error: notAcceptedReason(invitation, invitation.status === 'withdrawn' ? 'withdrawn' : 'expired') },
      });
      return 'resolved';
    }
    return 'resolved';
  }

  /** Claims a unit of scraping capacity for the lead's scrape (fresh capacities), or throws {@link ScrapingCapacitySpent}. */
  async function claimScrapingCapacity(lead: LeadWithCampaign, at: number): Promise<void> {
    const identity = await db.identity.findUniqueOrThrow({ where: { id: lead.identityId }, include: { workspace: { select: { linkedinScrapingPoolPerDay: true } } } });
    const pool = identity.workspace.linkedinScrapingPoolPerDay;
    const own = effectiveLinkedinLimits(linkedinLimitsOf(identity), at).dailyScrapings;
    const claim = await claimScrape(db, {
      workspaceId: identity.workspaceId,
      identityId: identity.id,
      idempotencyKey: idempotencyKeyOf(lead),
      poolDay: poolDayOf(at),
      ownDay: localDateOf(at, identity.timeZone),
      pool,
      own,
      at,
    });
    if (claim.claimed) return;
    recordActionDeferred('scrape', 'scraping-pool');
    throw new ScrapingCapacitySpent(claim.capacity, nextRefillAt(claim.capacity, at, identity.timeZone), claimRefusedReason(claim.capacity, at, identity.timeZone));
  }

  /** Completes a step that has nothing left to do (no budget spent). */
  async function skipStep(lead: LeadWithCampaign, kind: LinkedinActionKind, at: number, why: string): Promise<void> {
    await recordAndAdvance(db, lead, kind, at, { skipped: why }, undefined, deliveries);
  }

  /**
   * Performs one lead's step, or resolves the lead otherwise. True when an action was performed.
   * Throws the account-level failures (the workflow holds the kind back).
   */
  async function performLeadStep(lead: LeadWithCampaign, input: LinkedinStepInput, clock: ActionClock): Promise<boolean> {
    const step = campaignSteps(lead.campaign)[lead.stepIndex];
    if (!step) {
      await failLead(db, lead, `step ${lead.stepIndex} does not exist in the campaign`, deliveries);
      return false;
    }
    if (actionKindOf(step) !== input.kind) {
      // The campaign's steps no longer match the lead's next kind: file it under the right one.
      await db.lead.update({ where: { id: lead.id }, data: { nextActionKind: actionKindOf(step) } });
      return false;
    }
    if (step.kind === 'linkedin-like' && input.likesOptedOut) {
      await skipStep(lead, input.kind, clock.now(), 'the identity opted out of likes');
      return false;
    }
    if (step.kind === 'linkedin-connection-request') {
      const blockedUntil = await reinviteBlockLiftsAt(db, lead.identityId, lead.linkedinUrl ?? '', clock.now());
      if (blockedUntil !== null) {
        recordActionDeferred(input.kind, 'reinvite-blocked');
        await waitLead(db, lead, blockedUntil, `re-invite blocked until ${new Date(blockedUntil).toISOString()}`);
        return false;
      }
    }
    if (step.kind === 'linkedin-message' && (await messageGate(lead)) === 'resolved') return false;
    assertBeforeDeadline(clock, input.deadline, `${input.kind} for lead ${lead.id}`);
    if (step.kind === 'linkedin-profile-scrape') await claimScrapingCapacity(lead, clock.now());
    // The action happens when the gateway is called: that instant is recorded.
    const performedAt = clock.now();
    try {
      const result = await gatewayCall(lead, step, performedAt);
      await recordAndAdvance(db, lead, input.kind, performedAt, result as Prisma.InputJsonValue, invitationRecord(lead, step, result, performedAt), deliveries);
      return true;
    } catch (error) {
      // A refusal the service answered means the scrape did not happen: its unit goes back. An unknown outcome keeps it (a retry reuses the claim).
      if (step.kind === 'linkedin-profile-scrape' && error instanceof LinkedinGatewayError && !(error instanceof LinkedinUnavailableError)) {
        await releaseScrape(db, idempotencyKeyOf(lead));
      }
      if (error instanceof LinkedinAlreadyConnectedError) {
        // Inviting an existing connection has nothing left to do: the step is complete, no budget spent.
        await skipStep(lead, input.kind, clock.now(), 'already connected');
        return false;
      }
      if (error instanceof ReinviteBlockedError) {
        recordActionDeferred(input.kind, 'reinvite-blocked');
        await waitLead(db, lead, error.blockedUntil, `re-invite blocked until ${new Date(error.blockedUntil).toISOString()}`);
        return false;
      }
      if (error instanceof PendingInvitationCapError) {
        await waitLead(db, lead, clock.now() + PENDING_CAP_WAIT_MS, `LinkedIn's pending-invitation cap (${error.cap}) is reached: waiting for withdrawals`);
        throw unavailable(error.message, PENDING_CAP_RETRY_MS);
      }
      if (error instanceof LinkedinAuthError) throw await accountCannotAct(db, lead.identityId, error, { startedAt: performedAt, at: clock.now() }, input.kind, deliveries);
      if (error instanceof LinkedinGatewayError && error.code === 'gateway-unauthorized') throw misconfigured(error.message);
      if (error instanceof LinkedinRateLimitedError || error instanceof LinkedinUnavailableError) throw unavailable(error.message, error.retryAfterMs);
      if (error instanceof LinkedinGatewayError && error.retryable) throw unavailable(error.message);
      if (error instanceof LinkedinGatewayError) {
        await failLead(db, lead, `${error.code}: ${error.message}`, deliveries);
        return false;
      }
      throw error;
    }
  }

  return {
    /**
     * Performs the oldest due step of `kind` that can go now (an invitation asked for through the
     * API goes before campaign leads: someone is waiting for it). Never retried by Temporal: a
     * transient failure is thrown as a typed failure and the workflow plans again later.
     */
    async performLinkedinStep(input: LinkedinStepInput): Promise<StepOutcome> {
      const clock = actionClock(input.at);
      if (input.kind === 'connectionRequest') {
        const queued = await oldestQueuedInvitation(db, input.identityId, clock.now());
        if (queued) {
          assertBeforeDeadline(clock, input.deadline, 'invitation');
          const startedAt = clock.now();
          try {
            if (await sendQueuedInvitation(db, linkedin, queued, clock)) {
              return { performed: true, kind: input.kind, invitationId: queued.id, performedAt: clock.now() };
            }
          } catch (error) {
            throw (await gatewayFailure(db, error, { identityId: input.identityId, startedAt, at: clock.now(), source: 'invitation', deliveries })) ?? error;
          }
        }
      }
      const leads = await db.lead.findMany({
        where: { ...activeWaiting(input.identityId), nextActionKind: input.kind, dueAt: { lte: new Date(input.at) } },
        orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
        take: CANDIDATES,
        include: { campaign: true },
      });
      for (const lead of leads) {
        try {
          if (await performLeadStep(lead, input, clock)) {
            return { performed: true, kind: input.kind, leadId: lead.id, performedAt: clock.now() };
          }
        } catch (error) {
          // Not the lead's problem: the kind waits for capacity (no budget spent).
          if (error instanceof ScrapingCapacitySpent) return { performed: false, kind: input.kind, retryAt: error.retryAt, reason: error.message };
          throw error;
        }
      }
      return { performed: false, kind: input.kind, retryAt: null, reason: leads.length === 0 ? 'no step of this kind is due' : 'the due steps were resolved without an action' };
    },
  };
}
