import type { LinkedinInvitation, Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { autoWithdrawalCutoff, reinviteBlockedUntil, type AutoWithdrawSettings } from '../domain/invitations';
import { REINVITE_BLOCK_MS } from '../domain/pacing';
import { LinkedinAlreadyConnectedError, LinkedinGatewayError, ReinviteBlockedError, type LinkedinGateway } from '../integrations/linkedin';

/** Withdrawals one pass performs; the workflow comes straight back while more are due. */
const WITHDRAWALS_PER_PASS = 10;

export interface WithdrawalOutlook {
  /** When the oldest invitation still pending was sent (its automatic withdrawal is the next one). */
  oldestPendingSentAt: number | null;
  /** Some manual withdrawal waits to be performed. */
  manualWithdrawalRequested: boolean;
}

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

/** The re-invite block as Pacer's own records know it (the gateway enforces it too). */
export async function reinviteBlockLiftsAt(db: Pick<Database, 'linkedinInvitation'>, identityId: string, profileUrl: string, now: number): Promise<number | null> {
  const withdrawn = await db.linkedinInvitation.findMany({
    where: { identityId, profileUrl, withdrawnAt: { gt: new Date(now - REINVITE_BLOCK_MS) } },
    select: { withdrawnAt: true },
  });
  return reinviteBlockedUntil(
    withdrawn.map((row) => row.withdrawnAt?.getTime() ?? 0),
    now,
  );
}

/**
 * Invitation bookkeeping for the identity's dispatch pass: records what was sent, performs due
 * withdrawals (manual ones first, then automatic ones), and sends invitations asked for through the
 * API. Every gateway call carries an idempotency key, so a retried pass never acts twice.
 */
export function createInvitationActivities({ db, linkedin }: { db: Database; linkedin: LinkedinGateway }) {
  /** Prisma operation that records a sent invitation; a repeat of the same key or gateway id is ignored. */
  function recordSent(sent: SentInvitation): Prisma.PrismaPromise<Prisma.BatchPayload> {
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

  async function withdrawOne(invitation: LinkedinInvitation, reason: 'auto' | 'manual', at: number): Promise<void> {
    const ids = { identityId: invitation.identityId, invitationId: invitation.gatewayInvitationId ?? '', profileUrl: invitation.profileUrl, at };
    // Acceptance is observed first: an accepted invitation is recorded as such and never withdrawn.
    const seen = await linkedin.getInvitation(ids);
    if (seen.status === 'accepted') {
      await db.linkedinInvitation.update({ where: { id: invitation.id }, data: { status: 'accepted', acceptedAt: new Date(seen.acceptedAt ?? at), withdrawalRequestedAt: null } });
      return;
    }
    if (seen.status === 'withdrawn') {
      // Gone from LinkedIn without Pacer withdrawing it (expired, or withdrawn by hand on LinkedIn).
      await db.linkedinInvitation.update({ where: { id: invitation.id }, data: { status: 'expired', withdrawalRequestedAt: null } });
      return;
    }
    const result = await linkedin.withdrawInvitation({ ...ids, idempotencyKey: `withdraw/${invitation.id}` });
    await db.linkedinInvitation.update({
      where: { id: invitation.id },
      data:
        result.status === 'accepted'
          ? { status: 'accepted', acceptedAt: new Date(at), withdrawalRequestedAt: null }
          : { status: 'withdrawn', withdrawnAt: new Date(at), withdrawalReason: reason },
    });
  }

  return {
    recordSent,

    /** Performs the withdrawals due at `at`: manual requests, then invitations pending longer than the current threshold. */
    async performDueWithdrawals(identityId: string, at: number, settings: AutoWithdrawSettings): Promise<number> {
      const manual = await db.linkedinInvitation.findMany({
        where: { identityId, status: 'pending', withdrawalRequestedAt: { not: null } },
        orderBy: [{ withdrawalRequestedAt: 'asc' }, { id: 'asc' }],
        take: WITHDRAWALS_PER_PASS,
      });
      const cutoff = autoWithdrawalCutoff(at, settings);
      const automatic =
        cutoff === null || manual.length >= WITHDRAWALS_PER_PASS
          ? []
          : await db.linkedinInvitation.findMany({
              where: { identityId, status: 'pending', withdrawalRequestedAt: null, sentAt: { lte: new Date(cutoff) } },
              orderBy: [{ sentAt: 'asc' }, { id: 'asc' }],
              take: WITHDRAWALS_PER_PASS - manual.length,
            });
      for (const invitation of manual) await withdrawOne(invitation, 'manual', at);
      for (const invitation of automatic) await withdrawOne(invitation, 'auto', at);
      return manual.length + automatic.length;
    },

    async withdrawalOutlook(identityId: string): Promise<WithdrawalOutlook> {
      const [oldest, manual] = await Promise.all([
        db.linkedinInvitation.findFirst({ where: { identityId, status: 'pending' }, orderBy: { sentAt: 'asc' }, select: { sentAt: true } }),
        db.linkedinInvitation.count({ where: { identityId, status: 'pending', withdrawalRequestedAt: { not: null } } }),
      ]);
      return { oldestPendingSentAt: oldest?.sentAt?.getTime() ?? null, manualWithdrawalRequested: manual > 0 };
    },

    /** When the oldest invitation asked for through the API may be sent, or undefined when none waits. */
    async queuedDueAt(identityId: string): Promise<number | undefined> {
      const oldest = await db.linkedinInvitation.findFirst({ where: { identityId, status: 'queued' }, orderBy: { requestedAt: 'asc' }, select: { requestedAt: true } });
      return oldest?.requestedAt.getTime();
    },

    /**
     * Sends the oldest invitation asked for through the API, if one waits, and answers its id when it
     * was sent (it spends a connection-request unit). A block or refusal found now ends it as failed, with why.
     */
    async sendQueuedInvitation(identityId: string, at: number): Promise<string | null> {
      const queued = await db.linkedinInvitation.findFirst({ where: { identityId, status: 'queued', requestedAt: { lte: new Date(at) } }, orderBy: [{ requestedAt: 'asc' }, { id: 'asc' }] });
      if (!queued) return null;
      const blockedUntil = await reinviteBlockLiftsAt(db, identityId, queued.profileUrl, at);
      if (blockedUntil !== null) {
        await db.linkedinInvitation.update({ where: { id: queued.id }, data: { status: 'failed', error: `re-invite blocked until ${new Date(blockedUntil).toISOString()}` } });
        return null;
      }
      try {
        const sent = await linkedin.sendConnectionRequest({ identityId, profileUrl: queued.profileUrl, note: queued.note ?? undefined, idempotencyKey: queued.idempotencyKey, at });
        const duplicate = await db.linkedinInvitation.findFirst({ where: { identityId, gatewayInvitationId: sent.invitationId } });
        // LinkedIn answers an invitation still pending to the same person with that one: no second record.
        await db.linkedinInvitation.update({
          where: { id: queued.id },
          data: duplicate ? { status: 'failed', error: `an invitation to this person is already pending (${duplicate.id})` } : { status: 'pending', gatewayInvitationId: sent.invitationId, sentAt: new Date(at) },
        });
        return duplicate === null ? queued.id : null;
      } catch (error) {
        const refusal =
          error instanceof ReinviteBlockedError
            ? `re-invite blocked until ${new Date(error.blockedUntil).toISOString()}`
            : error instanceof LinkedinAlreadyConnectedError || (error instanceof LinkedinGatewayError && !error.retryable)
              ? `${error.code}: ${error.message}`
              : null;
        if (refusal === null) throw error;
        await db.linkedinInvitation.update({ where: { id: queued.id }, data: { status: 'failed', error: refusal } });
        return null;
      }
    },
  };
}

export type InvitationActivities = ReturnType<typeof createInvitationActivities>;
