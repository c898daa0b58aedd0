import { Router } from 'express';
import { DEFAULT_LINKEDIN_LIMITS } from '../domain/linkedin-limits';
import { ConflictError, ValidationError } from '../lib/errors';
import { callerOf } from './auth';
import { expectedVersion, identityEtag, workingHoursColumns, type IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { identityView, statusView } from './identity-views';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';
import type { WarmupWorkflows } from './warmup';
import type { InboxConnections } from './email-inboxes';
import { createIdentityFromLinkedinSchema, createIdentitySchema, updateIdentitySchema } from './schemas';
import type { Database } from '../db/client';

/** Identity records: create (by hand or from LinkedIn), list, read with live status, edit contact details, delete. */
export function identityRoutes(db: Database, identities: IdentityService, workflows: IdentityWorkflows, warmups: WarmupWorkflows, connections: InboxConnections): Router {
  const router = Router();

  router.post('/identities', async (request, response) => {
    const { workingHours, ...contact } = parseInput(createIdentitySchema, request.body);
    const identity = await identities.create(callerOf(request), { ...contact, ...workingHoursColumns(workingHours) }, 'identity.created');
    response.status(201).location(`/identities/${identity.id}`).set('ETag', identityEtag(identity)).json(identityView(identity));
  });

  router.post('/identities/from-linkedin', async (request, response) => {
    const { profile, workingHours, email } = parseInput(createIdentityFromLinkedinSchema, request.body);
    const identity = await identities.create(
      callerOf(request),
      {
        firstName: profile.firstName,
        lastName: profile.lastName,
        linkedinUrl: profile.profileUrl,
        jobTitle: profile.jobTitle ?? profile.headline ?? null,
        profilePictureUrl: profile.pictureUrl ?? null,
        salesNavigatorEnabled: profile.salesNavigatorEnabled ?? false,
        email: email ?? null,
        ...workingHoursColumns(workingHours),
      },
      'identity.created-from-linkedin',
    );
    response.status(201).location(`/identities/${identity.id}`).set('ETag', identityEtag(identity)).json(identityView(identity));
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
    const status = await workflows.status(identity.id).catch(() => undefined);
    response.set('ETag', identityEtag(identity)).json({
      ...identityView(identity),
      status: status ? statusView(status) : null,
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
    const updated = await identities.change({
      caller,
      existing,
      action: 'identity.contact-details.updated',
      data: change,
      before,
      after: change,
      tellsWorkflow: false,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json(identityView(updated));
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
