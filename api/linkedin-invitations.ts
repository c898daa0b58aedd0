import type { LinkedinInvitation } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import { reinviteBlockLiftsAt } from '../db/invitations';
import type { Database } from '../db/client';
import { INVITATION_STATUSES, reinviteAllowedFrom } from '../domain/invitations';
import { CONNECTION_NOTE_MAX_LENGTH, normaliseProfileUrl } from '../integrations/linkedin/gateway';
import { ConflictError, ReinviteBlockedConflictError, ValidationError } from '../lib/errors';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { isUuid } from './ids';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';

export const sendInvitationSchema = z.strictObject({
  profileUrl: z.string().min(1).max(2048),
  note: z.string().min(1).max(CONNECTION_NOTE_MAX_LENGTH).optional(),
});

export const listInvitationsSchema = paginationSchema.extend({ status: z.enum(INVITATION_STATUSES).optional() });

export const withdrawInvitationsSchema = z.strictObject({
  invitationIds: z.array(z.string()).min(1).max(100),
});

/** When the block a withdrawal started lifts (ISO), or null for an invitation never withdrawn. */
function reinviteBlockedUntilOf(invitation: LinkedinInvitation): string | null {
  return invitation.withdrawnAt ? new Date(reinviteAllowedFrom(invitation.withdrawnAt.getTime())).toISOString() : null;
}

function invitationView(invitation: LinkedinInvitation) {
  const iso = (date: Date | null) => date?.toISOString() ?? null;
  return {
    id: invitation.id,
    profileUrl: invitation.profileUrl,
    status: invitation.status,
    source: invitation.leadId ? 'campaign' : 'api',
    leadId: invitation.leadId,
    note: invitation.note,
    requestedAt: iso(invitation.requestedAt),
    sentAt: iso(invitation.sentAt),
    acceptedAt: iso(invitation.acceptedAt),
    withdrawalRequestedAt: iso(invitation.withdrawalRequestedAt),
    withdrawnAt: iso(invitation.withdrawnAt),
    withdrawalReason: invitation.withdrawalReason,
    reinviteBlockedUntil: reinviteBlockedUntilOf(invitation),
    error: invitation.error,
  };
}

type WithdrawalOutcome = 'scheduled' | 'already-scheduled' | 'not-pending' | 'not-found';

/**
 * SPEC §2 invitations. Sending and withdrawing are LinkedIn actions, so the API only records the
 * intent and tells the identity workflow, which performs them inside working hours (a direct
 * invitation also within the daily connection-request budget). `now` is the API's clock (the
 * Temporal server's in time-skipping tests).
 */
export function linkedinInvitationRoutes(db: Database, identities: IdentityService, workflows: IdentityWorkflows, now: () => Promise<number>): Router {
  const router = Router();

  router.post('/identities/:id/linkedin/invitations', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const input = parseInput(sendInvitationSchema, request.body);
    let profileUrl: string;
    try {
      profileUrl = normaliseProfileUrl(input.profileUrl);
    } catch (error) {
      throw new ValidationError([{ field: 'profileUrl', message: (error as Error).message }]);
    }
    const at = await now();
    const blockedUntil = await reinviteBlockLiftsAt(db, identity.id, profileUrl, at);
    if (blockedUntil !== null) throw new ReinviteBlockedConflictError(profileUrl, blockedUntil);
    const open = await db.linkedinInvitation.findFirst({ where: { identityId: identity.id, profileUrl, status: { in: ['queued', 'pending'] } } });
    if (open) throw new ConflictError(`An invitation to ${profileUrl} is already ${open.status} (${open.id})`, { invitationId: open.id });
    const id = crypto.randomUUID();
    const invitation = await db.$transaction(async (tx) => {
      const created = await tx.linkedinInvitation.create({
        data: {
          id,
          workspaceId: identity.workspaceId,
          identityId: identity.id,
          profileUrl,
          note: input.note ?? null,
          status: 'queued',
          idempotencyKey: `invitation/${id}`,
          requestedAt: new Date(at),
        },
      });
      await tx.auditEntry.create({
        data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'linkedin-invitation', entityId: id, action: 'linkedin-invitation.requested', after: { profileUrl, note: input.note ?? null } },
      });
      return created;
    });
    await workflows.campaignsChanged(identity.id);
    response.status(202).location(`/identities/${identity.id}/linkedin/invitations/${id}`).json(invitationView(invitation));
  });

  router.get('/identities/:id/linkedin/invitations', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const { limit, cursor, status } = parseInput(listInvitationsSchema, request.query);
    const rows = await db.linkedinInvitation.findMany({
      where: { identityId: identity.id, ...(status ? { status } : {}), ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map(invitationView), nextCursor });
  });

  /** Bulk manual withdrawal: each id is answered on its own; the pending ones are withdrawn inside the next working hours. */
  router.post('/identities/:id/linkedin/invitations/withdraw', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const { invitationIds } = parseInput(withdrawInvitationsSchema, request.body);
    const at = new Date(await now());
    const found = await db.linkedinInvitation.findMany({ where: { identityId: identity.id, id: { in: invitationIds.filter(isUuid) } } });
    const byId = new Map(found.map((invitation) => [invitation.id, invitation]));
    const results = invitationIds.map((id): { id: string; outcome: WithdrawalOutcome; status?: string } => {
      const invitation = byId.get(id);
      if (!invitation) return { id, outcome: 'not-found' };
      if (invitation.status !== 'pending') return { id, outcome: 'not-pending', status: invitation.status };
      return { id, outcome: invitation.withdrawalRequestedAt ? 'already-scheduled' : 'scheduled', status: invitation.status };
    });
    const scheduled = results.filter((result) => result.outcome === 'scheduled').map((result) => result.id);
    if (scheduled.length > 0) {
      await db.$transaction([
        // Only still-pending rows: one accepted or withdrawn meanwhile is left as it is.
        db.linkedinInvitation.updateMany({ where: { id: { in: scheduled }, status: 'pending', withdrawalRequestedAt: null }, data: { withdrawalRequestedAt: at } }),
        db.auditEntry.create({
          data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'identity', entityId: identity.id, action: 'linkedin-invitations.withdrawal-requested', after: { invitationIds: scheduled } },
        }),
      ]);
      await workflows.campaignsChanged(identity.id);
    }
    response.json({ results, scheduled: scheduled.length });
  });

  /** The withdrawal history: who, when, and whether automatically or by hand (in the order the invitations were made). */
  router.get('/identities/:id/linkedin/withdrawals', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.linkedinInvitation.findMany({
      where: { identityId: identity.id, status: 'withdrawn', ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({
      items: items.map((invitation) => ({
        invitationId: invitation.id,
        profileUrl: invitation.profileUrl,
        sentAt: invitation.sentAt?.toISOString() ?? null,
        withdrawnAt: invitation.withdrawnAt?.toISOString() ?? null,
        reason: invitation.withdrawalReason,
        reinviteBlockedUntil: reinviteBlockedUntilOf(invitation),
      })),
      nextCursor,
    });
  });

  return router;
}
