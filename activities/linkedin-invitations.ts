/**
 * LinkedIn invitations (SPEC §2): recording what was sent, sending invitations asked for through
 * the API, and the withdrawal activity (one invitation per activity: a failure of one never holds
 * up another, nor the identity's other actions).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { LinkedinInvitation, Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import type { WithdrawalOutcome } from '../domain/dispatch';
import { acceptInvitations, endInvitation, reinviteBlockLiftsAt } from '../db/invitations';
import type { WithdrawalReason } from '../domain/invitations';
import {
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  LinkedinGatewayError,
  LinkedinNotFoundError,
  ReinviteBlockedError,
  type LinkedinGateway,
} from '../integrations/linkedin';
import { actionClock, assertBeforeDeadline, unavailable, type ActionClock } from './action-support';
import { gatewayFailure } from './linkedin-account';
import type { WebhookDeliveryStarter } from '../domain/webhooks';

/** The record of a connection request the gateway accepted for sending. */
export interface SentInvitation {
  workspaceId: string;
  identityId: string;
  profileUrl: string;
  note: string | null;
  leadId: string | null;
  idempotencyKey: string;
  gatewayInvitationId: string;
  at: number;
}

/** Prisma operation that records a sent invitation; a repeat of the same key or gateway id is ignored. */
export function recordSentInvitation(db: Prisma.TransactionClient, sent: SentInvitation): Prisma.PrismaPromise<Prisma.BatchPayload> {
  return db.linkedinInvitation.createMany({
    data: {
      workspaceId: sent.workspaceId,
      identityId: sent.identityId,
      profileUrl: sent.profileUrl,
      note: sent.note,
      leadId: sent.leadId,
      status: 'pending',
      gatewayInvitationId: sent.gatewayInvitationId,
      idempotencyKey: sent.idempotencyKey,
      requestedAt: new Date(sent.at),
      sentAt: new Date(sent.at),
    },
    skipDuplicates: true,
  });
}

/** The oldest invitation asked for through the API that may be sent at `at`, if any. */
export function oldestQueuedInvitation(db: Database, identityId: string, at: number): Promise<LinkedinInvitation | null> {
  return db.linkedinInvitation.findFirst({ where: { identityId, status: 'queued', requestedAt: { lte: new Date(at) } }, orderBy: [{ requestedAt: 'asc' }, { id: 'asc' }] });
}

/**
 * Sends an invitation asked for through the API. Answers true when it was sent (it spends a
 * connection-request unit). A block or a refusal found now ends it as failed, with why; a
 * transient failure is thrown (the invitation stays queued).
 */
export async function sendQueuedInvitation(db: Database, linkedin: LinkedinGateway, queued: LinkedinInvitation, clock: ActionClock): Promise<boolean> {
  const at = clock.now();
  const blockedUntil = await reinviteBlockLiftsAt(db, queued.identityId, queued.profileUrl, at);
  if (blockedUntil !== null) {
    await db.linkedinInvitation.update({ where: { id: queued.id }, data: { status: 'failed', error: `re-invite blocked until ${new Date(blockedUntil).toISOString()}` } });
    return false;
  }
  try {
    const sentAt = clock.now();
    const sent = await linkedin.sendConnectionRequest({ identityId: queued.identityId, profileUrl: queued.profileUrl, note: queued.note ?? undefined, idempotencyKey: queued.idempotencyKey, at: sentAt });
    const duplicate = await db.linkedinInvitation.findFirst({ where: { identityId: queued.identityId, gatewayInvitationId: sent.invitationId } });
    // LinkedIn answers an invitation still pending to the same person with that one: no second record.
    await db.linkedinInvitation.update({
      where: { id: queued.id },
      data: duplicate ? { status: 'failed', error: `an invitation to this person is already pending (${duplicate.id})` } : { status: 'pending', gatewayInvitationId: sent.invitationId, sentAt: new Date(sentAt) },
    });
    return duplicate === null;
  } catch (error) {
    const refusal =
      error instanceof ReinviteBlockedError
        ? `re-invite blocked until ${new Date(error.blockedUntil).toISOString()}`
        : error instanceof LinkedinAlreadyConnectedError || (error instanceof LinkedinGatewayError && !error.retryable && !(error instanceof LinkedinAuthError) && error.code !== 'gateway-unauthorized')
          ? `${error.code}: ${error.message}`
          : null;
    if (refusal === null) throw error;
    await db.linkedinInvitation.update({ where: { id: queued.id }, data: { status: 'failed', error: refusal.slice(0, 1000) } });
    return false;
  }
}

export function createInvitationActivities({ db, linkedin, webhooks }: { db: Database; linkedin: LinkedinGateway; webhooks?: { deliveries?: WebhookDeliveryStarter } }) {
  return {
    /**
     * Withdraws one due invitation (SPEC §2). Acceptance is read first: an accepted invitation is
     * recorded as such and never withdrawn (a message waiting for it becomes due); one LinkedIn no
     * longer has (gone, or 404) is `expired`. Withdrawn or expired, the leads whose message waited
     * for it end `not-accepted`.
     * A failure of the service (unavailable, our token refused) leaves it pending with the error
     * shown and is thrown, so the workflow holds withdrawals back; the identity's other actions go on.
     */
    async withdrawInvitation(input: { identityId: string; invitationId: string; reason: WithdrawalReason; at: number; deadline: number }): Promise<WithdrawalOutcome> {
      const clock = actionClock(input.at);
      const invitation = await db.linkedinInvitation.findFirst({ where: { id: input.invitationId, identityId: input.identityId } });
      if (!invitation || invitation.status !== 'pending') return 'not-pending';
      assertBeforeDeadline(clock, input.deadline, 'withdrawal');
      const ids = { identityId: invitation.identityId, invitationId: invitation.gatewayInvitationId ?? '', profileUrl: invitation.profileUrl };
      const accepted = (acceptedAt: number) => acceptInvitations(db, { identityId: invitation.identityId, where: { id: invitation.id }, acceptedAt, at: clock.now() });
      const startedAt = clock.now();
      try {
        const seen = await linkedin.getInvitation({ ...ids, at: startedAt });
        if (seen.status === 'accepted') {
          await accepted(seen.acceptedAt ?? clock.now());
          return 'accepted';
        }
        if (seen.status === 'withdrawn') {
          // Gone from LinkedIn without Pacer withdrawing it (expired, or withdrawn by hand on LinkedIn).
          await endInvitation(db, invitation, { status: 'expired', error: null });
          return 'gone';
        }
        assertBeforeDeadline(clock, input.deadline, 'withdrawal');
        const at = clock.now();
        const result = await linkedin.withdrawInvitation({ ...ids, idempotencyKey: `withdraw/${invitation.id}`, at });
        if (result.status === 'accepted') {
          await accepted(at);
          return 'accepted';
        }
        await endInvitation(db, invitation, { status: 'withdrawn', withdrawnAt: at, reason: input.reason });
        return 'withdrawn';
      } catch (error) {
        if (error instanceof ApplicationFailure) throw error;
        if (error instanceof LinkedinNotFoundError) {
          await endInvitation(db, invitation, { status: 'expired', error: `LinkedIn no longer has this invitation (${error.status ?? 'not found'}): nothing to withdraw` });
          return 'gone';
        }
        const message = error instanceof Error ? error.message : String(error);
        await db.linkedinInvitation.update({ where: { id: invitation.id }, data: { error: `withdrawal failed, will be tried again: ${message}`.slice(0, 1000) } }).catch(() => undefined);
        const describe = (detail: string) => `withdrawal of invitation ${invitation.id} failed: ${detail}`;
        throw (await gatewayFailure(db, error, { identityId: input.identityId, startedAt, at: clock.now(), source: 'withdrawal', deliveries: webhooks?.deliveries }, describe)) ?? unavailable(describe(message));
      }
    },
  };
}
