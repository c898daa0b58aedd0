/** Invitation queries and state changes shared by the API and the activities. */
import type { LinkedinInvitation, Prisma } from '@prisma/client';
import type { Database } from './client';
import { reinviteBlockedUntil, type WithdrawalReason } from '../domain/invitations';
import { REINVITE_BLOCK_MS } from '../domain/pacing';

/** The re-invite block as Pacer's own records know it (the gateway enforces it too): when it lifts, or null. */
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
 * Marks the identity's pending invitations matching `where` accepted at `acceptedAt`, and makes the
 * message steps that waited for them (`Lead.awaitingInvitationId`) due at `at`. One transaction whose
 * first statement locks the invitations, so a message parked meanwhile ({@link awaitAcceptance}) is
 * either seen here or sees the acceptance. A repeat finds nothing pending and changes nothing.
 */
export async function acceptInvitations(
  db: Database,
  input: { identityId: string; where?: Prisma.LinkedinInvitationWhereInput; acceptedAt: number; at: number },
): Promise<{ invitationIds: string[]; releasedLeads: number }> {
  return db.$transaction(async (tx) => {
    const accepted = await tx.linkedinInvitation.updateManyAndReturn({
      where: { ...input.where, identityId: input.identityId, status: 'pending' },
      data: { status: 'accepted', acceptedAt: new Date(input.acceptedAt), withdrawalRequestedAt: null, error: null },
      select: { id: true },
    });
    const invitationIds = accepted.map((row) => row.id);
    if (invitationIds.length === 0) return { invitationIds, releasedLeads: 0 };
    const released = await tx.lead.updateMany({
      where: { awaitingInvitationId: { in: invitationIds }, state: 'waiting' },
      data: { dueAt: new Date(input.at), waitingReason: null, awaitingInvitationId: null },
    });
    return { invitationIds, releasedLeads: released.count };
  });
}

/** What ended an invitation without acceptance. */
export type InvitationEnd = { status: 'withdrawn'; withdrawnAt: number; reason: WithdrawalReason } | { status: 'expired'; error: string | null };

/**
 * Records that an invitation ended without being accepted (withdrawn, or gone from LinkedIn), and
 * ends the leads whose message waited for it as `not-accepted`, saying why. One transaction, locking
 * the invitation first (see {@link acceptInvitations}).
 */
export async function endInvitation(db: Database, invitation: Pick<LinkedinInvitation, 'id' | 'sentAt'>, end: InvitationEnd): Promise<number> {
  return db.$transaction(async (tx) => {
    await tx.linkedinInvitation.update({
      where: { id: invitation.id },
      data:
        end.status === 'withdrawn'
          ? { status: 'withdrawn', withdrawnAt: new Date(end.withdrawnAt), withdrawalReason: end.reason, error: null }
          : { status: 'expired', withdrawalRequestedAt: null, error: end.error },
    });
    const ended = await tx.lead.updateMany({
      where: { awaitingInvitationId: invitation.id, state: 'waiting' },
      data: { state: 'not-accepted', dueAt: null, waitingReason: null, awaitingInvitationId: null, error: notAcceptedReason(invitation, end.status) },
    });
    return ended.count;
  });
}

/** Why a lead ended `not-accepted`. */
export function notAcceptedReason(invitation: Pick<LinkedinInvitation, 'sentAt'>, status: 'withdrawn' | 'expired'): string {
  const sent = invitation.sentAt ? ` sent ${invitation.sentAt.toISOString().slice(0, 10)}` : '';
  return status === 'withdrawn' ? `the invitation${sent} was withdrawn without being accepted` : `the invitation${sent} expired on LinkedIn without being accepted`;
}

/**
 * Parks a lead's message step until `invitationId` is accepted (undated, with the reason shown), if
 * the invitation is still pending once locked, and answers 'pending'; answers its status otherwise
 * ('missing' when gone: it changed meanwhile, the caller decides again).
 */
export async function awaitAcceptance(db: Database, leadId: string, invitationId: string, reason: string): Promise<string> {
  return db.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<{ status: string }[]>`SELECT "status" FROM "LinkedinInvitation" WHERE "id" = ${invitationId}::uuid FOR UPDATE`;
    const status = locked?.status ?? 'missing';
    if (status !== 'pending') return status;
    await tx.lead.update({ where: { id: leadId }, data: { dueAt: null, waitingReason: reason.slice(0, 500), awaitingInvitationId: invitationId } });
    return status;
  });
}

/** The latest invitation sent from the identity to this person (any outcome), or null. */
export function latestInvitationTo(db: Pick<Database, 'linkedinInvitation'>, identityId: string, profileUrl: string): Promise<LinkedinInvitation | null> {
  return db.linkedinInvitation.findFirst({
    where: { identityId, profileUrl, status: { in: ['pending', 'accepted', 'withdrawn', 'expired'] } },
    orderBy: [{ sentAt: { sort: 'desc', nulls: 'last' } }, { id: 'asc' }],
  });
}
