import { Router } from 'express';
import { DateTime } from 'luxon';
import type { Database } from '../db/client';
import type { Identity, Prisma } from '@prisma/client';
import type { Weekday, WorkingHours } from '../domain/working-hours';
import { NotFoundError, ServiceUnavailableError } from '../lib/errors';
import type { IdentityStatus } from '../workflows/identity';
import { callerOf, type Caller } from './auth';
import type { IdentityWorkflows } from './identity-workflows';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';
import { createIdentitySchema, workingHoursSchema } from './schemas';

function workingHoursOf(identity: Identity): WorkingHours {
  return {
    timeZone: identity.timeZone,
    days: identity.workingDays as Weekday[],
    start: identity.workingStart,
    end: identity.workingEnd,
  };
}

function workflowRecordOf(identity: Identity) {
  return {
    id: identity.id,
    workspaceId: identity.workspaceId,
    config: { workingHours: workingHoursOf(identity), version: identity.version },
  };
}

/** An instant shown both in UTC and in the identity's own zone. */
function instantView(epochMs: number, timeZone: string) {
  return {
    utc: new Date(epochMs).toISOString(),
    local: DateTime.fromMillis(epochMs, { zone: timeZone }).toISO({ suppressMilliseconds: true }),
  };
}

function statusView(status: IdentityStatus) {
  const zone = status.workingHours.timeZone;
  return {
    activity: status.activity,
    inWindow: status.inWindow,
    waitingFor: status.waitingFor,
    currentWindowEnd: status.currentWindowEnd === null ? null : instantView(status.currentWindowEnd, zone),
    nextWindowStart: instantView(status.nextWindowStart, zone),
    configVersion: status.configVersion,
  };
}

function identityView(identity: Identity) {
  return {
    id: identity.id,
    firstName: identity.firstName,
    lastName: identity.lastName,
    profilePictureUrl: identity.profilePictureUrl,
    jobTitle: identity.jobTitle,
    linkedinUrl: identity.linkedinUrl,
    email: identity.email,
    scheduleMeetingUrl: identity.scheduleMeetingUrl,
    phoneNumber: identity.phoneNumber,
    workingHours: workingHoursOf(identity),
    version: identity.version,
    createdAt: identity.createdAt.toISOString(),
    updatedAt: identity.updatedAt.toISOString(),
  };
}

/** Runs `tell` (a Temporal call) inside the transaction, so a failed call leaves no record behind. */
async function tellingTemporal<T>(tell: () => Promise<T>): Promise<T> {
  try {
    return await tell();
  } catch (error) {
    throw new ServiceUnavailableError(
      `The identity workflow could not be reached; nothing was changed (${(error as Error).message})`,
    );
  }
}

function audit(caller: Caller, identityId: string, action: string, before: unknown, after: unknown) {
  return {
    workspaceId: caller.workspaceId,
    apiKeyId: caller.apiKeyId,
    entityType: 'identity',
    entityId: identityId,
    action,
    before: (before ?? undefined) as Prisma.InputJsonValue | undefined,
    after: after as Prisma.InputJsonValue,
  };
}

export function identityRoutes(db: Database, workflows: IdentityWorkflows): Router {
  const router = Router();

  async function findOwned(caller: Caller, id: string): Promise<Identity> {
    const identity = /^[0-9a-f-]{36}$/i.test(id)
      ? await db.identity.findFirst({ where: { id, workspaceId: caller.workspaceId } })
      : null;
    if (!identity) throw new NotFoundError(`No identity ${id}`);
    return identity;
  }

  router.post('/identities', async (request, response) => {
    const caller = callerOf(request);
    const input = parseInput(createIdentitySchema, request.body);
    const { workingHours, ...contact } = input;
    const identity = await db.$transaction(async (tx) => {
      const created = await tx.identity.create({
        data: {
          ...contact,
          workspaceId: caller.workspaceId,
          timeZone: workingHours.timeZone,
          workingDays: workingHours.days,
          workingStart: workingHours.start,
          workingEnd: workingHours.end,
        },
      });
      await tx.auditEntry.create({ data: audit(caller, created.id, 'identity.created', null, identityView(created)) });
      await tellingTemporal(() => workflows.start(workflowRecordOf(created)));
      return created;
    });
    response.status(201).location(`/identities/${identity.id}`).json(identityView(identity));
  });

  router.get('/identities', async (request, response) => {
    const caller = callerOf(request);
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.identity.findMany({
      where: { workspaceId: caller.workspaceId, ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map(identityView), nextCursor });
  });

  router.get('/identities/:id', async (request, response) => {
    const identity = await findOwned(callerOf(request), request.params.id);
    const status = await workflows.status(identity.id).catch(() => undefined);
    response.json({
      ...identityView(identity),
      status: status ? statusView(status) : null,
      ...(status === undefined ? { warnings: ['The live workflow status could not be read from Temporal'] } : {}),
    });
  });

  router.put('/identities/:id/working-hours', async (request, response) => {
    const caller = callerOf(request);
    const existing = await findOwned(caller, request.params.id);
    const workingHours = parseInput(workingHoursSchema, request.body);
    const identity = await db.$transaction(async (tx) => {
      const updated = await tx.identity.update({
        where: { id: existing.id },
        data: {
          timeZone: workingHours.timeZone,
          workingDays: workingHours.days,
          workingStart: workingHours.start,
          workingEnd: workingHours.end,
          version: { increment: 1 },
        },
      });
      await tx.auditEntry.create({
        data: audit(caller, updated.id, 'identity.working-hours.updated', workingHoursOf(existing), workingHours),
      });
      await tellingTemporal(() => workflows.configChanged(workflowRecordOf(updated)));
      return updated;
    });
    response.json(identityView(identity));
  });

  return router;
}
