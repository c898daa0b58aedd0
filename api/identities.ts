import { Prisma } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import { DEFAULT_LINKEDIN_LIMITS } from '../domain/linkedin-limits';
import type { LinkedinOwnProfile } from '../integrations/linkedin';
import { ConflictError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import { callerOf } from './auth';
import { expectedVersion, identityEtag, workflowNotice, workingHoursColumns, type IdentityService } from './identity-service';
import { identityView, statusView } from './identity-views';
import { gatewayProblem, type LinkedinApiSettings } from './linkedin-accounts';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';
import type { WarmupWorkflows } from './warmup';
import type { InboxConnections } from './email-inboxes';
import { createIdentityFromLinkedinSchema, createIdentitySchema, updateIdentitySchema } from './schemas';
import type { Database } from '../db/client';

const profileEmail = z.email().max(320);

/** The identity's contact details from the account's own profile (clipped to Pacer's limits; every field stays editable). */
function contactFromProfile(profile: LinkedinOwnProfile) {
  const firstName = profile.firstName.trim().slice(0, 100);
  const lastName = profile.lastName.trim().slice(0, 100);
  if (firstName === '' || lastName === '') {
    throw new ValidationError([{ field: 'linkedinAccountId', message: 'the account\'s LinkedIn profile has no first or last name: create the identity by hand (POST /identities)' }]);
  }
  return {
    firstName,
    lastName,
    linkedinUrl: profile.profileUrl,
    jobTitle: profile.headline?.trim().slice(0, 200) || null,
    profilePictureUrl: profile.pictureUrl !== null && profile.pictureUrl.length <= 2048 ? profile.pictureUrl : null,
    email: profile.email !== null && profileEmail.safeParse(profile.email).success ? profile.email : null,
  };
}

/** Identity records: create (by hand or from a connected LinkedIn account), list, read with live status, edit contact details, delete. */
export function identityRoutes(
  db: Database,
  identities: IdentityService,
  warmups: WarmupWorkflows,
  connections: InboxConnections,
  linkedin: LinkedinApiSettings | undefined,
  now: () => Promise<number>,
): Router {
  const router = Router();

  router.post('/identities', async (request, response) => {
    const { workingHours, ...contact } = parseInput(createIdentitySchema, request.body);
    const { identity, workflowNotified } = await identities.create(callerOf(request), { ...contact, ...workingHoursColumns(workingHours) }, 'identity.created');
    response.status(201).location(`/identities/${identity.id}`).set('ETag', identityEtag(identity)).json({ ...identityView(identity), ...workflowNotice(workflowNotified) });
  });

  /**
   * From an account connected through this workspace's hosted sign-in: contact details come from the
   * account's own profile (`users/me`). The old form that took a pasted profile is gone: it connected
   * nothing and was the same as creating an identity by hand.
   */
  router.post('/identities/from-linkedin', async (request, response) => {
    const caller = callerOf(request);
    if (typeof request.body === 'object' && request.body !== null && 'profile' in request.body) {
      throw new ValidationError([
        {
          field: 'profile',
          message: 'a pasted profile is no longer accepted: connect the account (POST /linkedin/hosted-auth-links) and send its linkedinAccountId, or create the identity by hand (POST /identities)',
        },
      ]);
    }
    const input = parseInput(createIdentityFromLinkedinSchema, request.body);
    if (!linkedin) throw new ServiceUnavailableError('No LinkedIn gateway is configured for the API');
    const signIn = await db.linkedinHostedAuth.findFirst({ where: { workspaceId: caller.workspaceId, accountId: input.linkedinAccountId, completedAt: { not: null } } });
    if (!signIn) {
      throw new ValidationError([{ field: 'linkedinAccountId', message: 'no hosted sign-in of this workspace connected this account: open one with POST /linkedin/hosted-auth-links' }]);
    }
    const holder = await db.identity.findFirst({ where: { linkedinAccountId: input.linkedinAccountId } });
    if (holder && holder.deletedAt === null) throw new ConflictError(`The identity ${holder.id} already uses this LinkedIn account`);
    const at = await now();
    const profile = await linkedin.gateway.getOwnProfile({ accountId: input.linkedinAccountId, at }).catch((error: unknown) => {
      throw gatewayProblem(error, 'read the account\'s profile');
    });
    const contact = contactFromProfile(profile);
    // A deleted identity keeps its records, but lets go of its account.
    if (holder) await db.identity.update({ where: { id: holder.id }, data: { linkedinAccountId: null } });
    let created;
    try {
      created = await identities.create(
        caller,
        {
          ...contact,
          email: input.email ?? contact.email,
          salesNavigatorEnabled: input.salesNavigatorEnabled ?? profile.salesNavigator,
          linkedinAccountId: input.linkedinAccountId,
          linkedinStatus: 'connected',
          linkedinStatusSince: new Date(at),
          linkedinStatusReason: null,
          ...workingHoursColumns(input.workingHours),
        },
        'identity.created-from-linkedin',
      );
    } catch (error) {
      if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') throw new ConflictError('Another identity took this LinkedIn account meanwhile');
      throw error;
    }
    const { identity, workflowNotified } = created;
    response.status(201).location(`/identities/${identity.id}`).set('ETag', identityEtag(identity)).json({ ...identityView(identity), ...workflowNotice(workflowNotified) });
  });

  router.get('/identities', async (request, response) => {
    const caller = callerOf(request);
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.identity.findMany({
      where: { workspaceId: caller.workspaceId, deletedAt: null, ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map(identityView), nextCursor });
  });

  router.get('/identities/:id', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const status = await identities.liveStatus(identity).catch(() => undefined);
    response.set('ETag', identityEtag(identity)).json({
      ...identityView(identity),
      status: status ? statusView(status, await identities.scrapingToday(identity, status.now)) : null,
      ...(status === undefined ? { warnings: ['The live workflow status could not be read from Temporal'] } : {}),
    });
  });

  router.patch('/identities/:id', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const change = parseInput(updateIdentitySchema, request.body);
    if (change.salesNavigatorEnabled === false && existing.dailyScrapings > DEFAULT_LINKEDIN_LIMITS.dailyScrapings) {
      throw new ValidationError([
        { field: 'salesNavigatorEnabled', message: `set linkedin daily scrapings (now ${existing.dailyScrapings}) to 0 before turning Sales Navigator off` },
      ]);
    }
    const before = Object.fromEntries(Object.keys(change).map((key) => [key, existing[key as keyof typeof change]]));
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.contact-details.updated',
      data: change,
      before,
      after: change,
      tellsWorkflow: false,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({ ...identityView(updated), ...workflowNotice(workflowNotified) });
  });

  router.delete('/identities/:id', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const ifVersion = expectedVersion(request);
    if (ifVersion !== undefined && ifVersion !== existing.version) {
      throw new ConflictError(`The identity changed meanwhile (now at version ${existing.version})`);
    }
    await identities.delete(caller, existing);
    await warmups.stopAllOf(db, existing.id);
    // Credentials leave with the identity: tokens revoked where possible, envelopes erased.
    await connections.eraseAllOf(existing.id);
    response.status(204).end();
  });

  return router;
}
