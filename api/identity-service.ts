import type { Identity, Prisma } from '@prisma/client';
import type { Request } from 'express';
import type { Database } from '../db/client';
import type { LinkedinLimitSettings } from '../domain/linkedin-limits';
import type { Weekday, WorkingHours } from '../domain/working-hours';
import { ConflictError, NotFoundError, ServiceUnavailableError } from '../lib/errors';
import type { IdentityConfig } from '../workflows/identity';
import type { Caller } from './auth';
import type { IdentityRecordForWorkflow, IdentityWorkflows } from './identity-workflows';
import { isUuid } from './ids';

export function workingHoursOf(identity: Identity): WorkingHours {
  return {
    timeZone: identity.timeZone,
    days: identity.workingDays as Weekday[],
    start: identity.workingStart,
    end: identity.workingEnd,
  };
}

/** The inverse of workingHoursOf: the identity's columns for these hours. */
export function workingHoursColumns(workingHours: WorkingHours) {
  return {
    timeZone: workingHours.timeZone,
    workingDays: workingHours.days,
    workingStart: workingHours.start,
    workingEnd: workingHours.end,
  };
}

export function linkedinLimitsOf(identity: Identity): LinkedinLimitSettings {
  return {
    dailyConnectionRequests: identity.dailyConnectionRequests,
    dailyMessages: identity.dailyMessages,
    dailyScrapings: identity.dailyScrapings,
    raisedUntil: identity.linkedinLimitsRaisedUntil?.toISOString() ?? null,
  };
}

export function identityConfigOf(identity: Identity): IdentityConfig {
  return {
    version: identity.version,
    workingHours: workingHoursOf(identity),
    linkedinLimits: linkedinLimitsOf(identity),
    likingsOptOut: identity.likingsOptOut,
    autoWithdraw: { enabled: identity.autoWithdrawEnabled, afterDays: identity.autoWithdrawAfterDays },
  };
}

export function workflowRecordOf(identity: Identity & { workspace: { linkedinScrapingPoolPerDay: number } }): IdentityRecordForWorkflow {
  return {
    id: identity.id,
    workspaceId: identity.workspaceId,
    config: identityConfigOf(identity),
    workspaceScrapingPool: identity.workspace.linkedinScrapingPoolPerDay,
  };
}

/** The ETag of an identity: its version, which `If-Match` sends back (expectedVersion). */
export function identityEtag(identity: Identity): string {
  return `"${identity.version}"`;
}

/** `If-Match: "<version>"` (the ETag of GET /identities/:id), when the caller sent one. */
export function expectedVersion(request: Request): number | undefined {
  const header = request.headers['if-match'];
  if (header === undefined) return undefined;
  const version = /^(?:W\/)?"(\d+)"$/.exec(header.trim())?.[1];
  if (!version) throw new ConflictError('If-Match must be the ETag of the identity, e.g. "3"');
  return Number(version);
}

export interface IdentityChange {
  caller: Caller;
  existing: Identity;
  action: string;
  data: Prisma.IdentityUpdateInput;
  before: unknown;
  after: unknown;
  /** Whether the change alters what the workflow does (contact details and signatures don't). */
  tellsWorkflow: boolean;
  /** Optimistic locking: refuse with 409 unless the record is still at this version. */
  ifVersion?: number;
}

/** Identity records: always scoped to the caller's workspace; every change versioned, audited, and told to the workflow. */
export class IdentityService {
  constructor(
    private readonly db: Database,
    private readonly workflows: IdentityWorkflows,
  ) {}

  /** One query whether the id is unknown or another workspace's, so both answer the same 404. */
  async findOwned(caller: Caller, id: string): Promise<Identity> {
    const identity = isUuid(id)
      ? await this.db.identity.findFirst({ where: { id, workspaceId: caller.workspaceId, deletedAt: null } })
      : null;
    if (!identity) throw new NotFoundError(`No identity ${id}`);
    return identity;
  }

  async create(caller: Caller, data: Omit<Prisma.IdentityUncheckedCreateInput, 'workspaceId'>, action: string): Promise<Identity> {
    return this.db.$transaction(async (tx) => {
      const created = await tx.identity.create({ data: { ...data, workspaceId: caller.workspaceId }, include: { workspace: true } });
      await tx.auditEntry.create({ data: auditEntry(caller, created.id, action, null, { id: created.id, ...data }) });
      await tellingTemporal(() => this.workflows.start(workflowRecordOf(created)));
      return created;
    });
  }

  /**
   * Applies a change atomically: version + 1, audit entry, and (inside the transaction) the signal
   * to the workflow, so a failed signal leaves the record as it was.
   */
  async change(change: IdentityChange): Promise<Identity> {
    const { caller, existing } = change;
    return this.db.$transaction(async (tx) => {
      const { count } = await tx.identity.updateMany({
        where: { id: existing.id, deletedAt: null, ...(change.ifVersion === undefined ? {} : { version: change.ifVersion }) },
        data: { ...(change.data as Prisma.IdentityUpdateManyMutationInput), version: { increment: 1 } },
      });
      if (count === 0) {
        const current = await tx.identity.findUnique({ where: { id: existing.id } });
        throw new ConflictError(`The identity changed meanwhile (now at version ${current?.version ?? '?'}); read it again and retry`);
      }
      const updated = await tx.identity.findUniqueOrThrow({ where: { id: existing.id }, include: { workspace: true } });
      await tx.auditEntry.create({ data: auditEntry(caller, existing.id, change.action, change.before, change.after) });
      if (change.tellsWorkflow) await tellingTemporal(() => this.workflows.configChanged(workflowRecordOf(updated)));
      return updated;
    });
  }

  /** Hides the identity from the API and ends its workflow; records and Temporal history stay. */
  async delete(caller: Caller, existing: Identity): Promise<void> {
    await this.db.$transaction(async (tx) => {
      await tx.identity.update({ where: { id: existing.id }, data: { deletedAt: new Date(), version: { increment: 1 } } });
      await tx.auditEntry.create({ data: auditEntry(caller, existing.id, 'identity.deleted', { id: existing.id }, null) });
      await tellingTemporal(() => this.workflows.deleted(existing.id));
    });
  }
}

function auditEntry(caller: Caller, identityId: string, action: string, before: unknown, after: unknown) {
  return {
    workspaceId: caller.workspaceId,
    apiKeyId: caller.apiKeyId,
    entityType: 'identity',
    entityId: identityId,
    action,
    before: (before ?? undefined) as Prisma.InputJsonValue | undefined,
    after: (after ?? undefined) as Prisma.InputJsonValue | undefined,
  };
}

async function tellingTemporal<T>(tell: () => Promise<T>): Promise<T> {
  try {
    return await tell();
  } catch (error) {
    throw new ServiceUnavailableError(
      `The identity workflow could not be reached; nothing was changed (${(error as Error).message})`,
    );
  }
}
