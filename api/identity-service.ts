import { Prisma, type Identity } from '@prisma/client';
import type { Request } from 'express';
import type { Database } from '../db/client';
import { scrapingUse } from '../db/scraping-pool';
import { identityConfigOf, linkedinLimitsOf } from '../domain/identity-config';
import { effectiveLinkedinLimits } from '../domain/linkedin-limits';
import { localDateOf } from '../domain/pacing';
import { poolDayOf } from '../domain/scraping-pool';
import type { WorkingHours } from '../domain/working-hours';
import { ConflictError, NotFoundError } from '../lib/errors';
import type { Caller } from './auth';
import type { IdentityRecordForWorkflow, IdentityWorkflows } from './identity-workflows';
import { isUuid } from './ids';
import type { ScrapingToday } from './identity-views';
import type { IdentityStatus } from '../workflows/identity-contract';

/** The inverse of workingHoursOf: the identity's columns for these hours. */
export function workingHoursColumns(workingHours: WorkingHours) {
  return {
    timeZone: workingHours.timeZone,
    workingDays: workingHours.days,
    workingStart: workingHours.start,
    workingEnd: workingHours.end,
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

/**
 * A committed change and whether the identity's workflow was told at once. When it was not (Temporal
 * unreachable after a few quick retries), nothing is lost: the workflow reads the record again at its
 * next pass, and the answer says so.
 */
export interface CommittedIdentity {
  identity: Identity;
  workflowNotified: boolean;
}

export interface IdentityChange {
  caller: Caller;
  existing: Identity;
  action: string;
  data: Prisma.IdentityUpdateManyMutationInput;
  before: unknown;
  after: unknown;
  /** Whether the change alters what the workflow does (contact details and signatures don't). */
  tellsWorkflow: boolean;
  /** Optimistic locking: refuse with 409 unless the record is still at this version. */
  ifVersion?: number;
}

/**
 * Identity records: always scoped to the caller's workspace; every change versioned and audited in
 * one transaction, then (after the commit) told to the workflow.
 */
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

  async create(caller: Caller, data: Omit<Prisma.IdentityUncheckedCreateInput, 'workspaceId'>, action: string): Promise<CommittedIdentity> {
    const identity = await this.db.$transaction(async (tx) => {
      const created = await tx.identity.create({ data: { ...data, workspaceId: caller.workspaceId }, include: { workspace: true } });
      await tx.auditEntry.create({ data: auditEntry(caller, created.id, action, null, { id: created.id, ...data }) });
      return created;
    });
    return { identity, workflowNotified: await this.workflows.start(workflowRecordOf(identity)) };
  }

  /**
   * Applies a change atomically (version + 1 and the audit entry in one transaction of four round
   * trips: BEGIN, UPDATE … RETURNING, INSERT, COMMIT), then tells the workflow when it alters what
   * the workflow does.
   */
  async change(change: IdentityChange): Promise<CommittedIdentity> {
    const { caller, existing } = change;
    const identity = await this.db.$transaction(async (tx) => {
      const [updated] = await tx.identity.updateManyAndReturn({
        where: { id: existing.id, deletedAt: null, ...(change.ifVersion === undefined ? {} : { version: change.ifVersion }) },
        data: { ...change.data, version: { increment: 1 } },
      });
      if (!updated) {
        // No row matched: deleted, or (with If-Match) changed meanwhile. Nothing was written.
        const current = await tx.identity.findUnique({ where: { id: existing.id }, select: { version: true } });
        throw new ConflictError(`The identity changed meanwhile (now at version ${current?.version ?? '?'}); read it again and retry`);
      }
      await tx.auditEntry.create({ data: auditEntry(caller, existing.id, change.action, change.before, change.after) });
      return updated;
    });
    return { identity, workflowNotified: change.tellsWorkflow ? await this.tellConfigChanged(identity) : true };
  }

  /** A plain signal with the new configuration; the record with its workspace is read only when the workflow must be started again. */
  private tellConfigChanged(identity: Identity): Promise<boolean> {
    return this.workflows.configChanged(identity.id, identityConfigOf(identity), () => this.workflowRecord(identity.id));
  }

  private async workflowRecord(id: string): Promise<IdentityRecordForWorkflow> {
    return workflowRecordOf(await this.db.identity.findUniqueOrThrow({ where: { id }, include: { workspace: true } }));
  }

  /** Hides the identity from the API, then ends its workflow (which also ends by itself when its next pass finds the identity deleted). */
  async delete(caller: Caller, existing: Identity): Promise<boolean> {
    await this.db.$transaction(async (tx) => {
      await tx.identity.update({ where: { id: existing.id }, data: { deletedAt: new Date(), version: { increment: 1 } } });
      await tx.auditEntry.create({ data: auditEntry(caller, existing.id, 'identity.deleted', { id: existing.id }, null) });
    });
    return this.workflows.deleted(existing.id);
  }

  /** Today's scraping ledgers as PostgreSQL holds them: the workspace's pool (UTC day) and the identity's own capacity (its local day). */
  async scrapingToday(identity: Identity, at: number): Promise<ScrapingToday> {
    const poolDay = poolDayOf(at);
    const ownDay = localDateOf(at, identity.timeZone);
    const [workspace, use] = await Promise.all([
      this.db.workspace.findUniqueOrThrow({ where: { id: identity.workspaceId }, select: { linkedinScrapingPoolPerDay: true } }),
      scrapingUse(this.db, { workspaceId: identity.workspaceId, identityId: identity.id, poolDay, ownDay }),
    ]);
    const pool = workspace.linkedinScrapingPoolPerDay;
    const own = effectiveLinkedinLimits(linkedinLimitsOf(identity), at).dailyScrapings;
    return {
      pool: { day: poolDay, size: pool, used: use.poolUsed, left: Math.max(0, pool - use.poolUsed) },
      own: { day: ownDay, capacity: own, used: use.ownUsed, left: Math.max(0, own - use.ownUsed) },
    };
  }

  /** The live status; a workflow found missing (never started, or terminated by an operator) is started again from the record. */
  async liveStatus(identity: Identity): Promise<IdentityStatus | null> {
    const status = await this.workflows.status(identity.id);
    if (status !== null) return status;
    await this.tellConfigChanged(identity);
    return null;
  }
}

/** What a change answers about its workflow: `workflowNotified`, and when it is false, what that means. */
export function workflowNotice(workflowNotified: boolean) {
  return workflowNotified
    ? { workflowNotified }
    : { workflowNotified, workflowNotice: "Saved. The identity's workflow could not be told now; it reads the change at its next pass (its next action, or the next working-hours window at the latest)." };
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
