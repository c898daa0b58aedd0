import type { Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { effectiveLinkedinLimits, type LinkedinLimitSettings } from '../domain/linkedin-limits';

export interface ExpiredLimits {
  version: number;
  linkedinLimits: LinkedinLimitSettings;
}

export function createIdentitySettingsActivities(db: Database) {
  return {
    /**
     * The raised-limit timer fired: store the recommended values again. Idempotent and safe against
     * races: it only acts while the record still carries this `raisedUntil`, so a retry, or a caller
     * who changed the limits meanwhile, makes it a no-op (null).
     */
    async expireRaisedLinkedinLimits(input: { identityId: string; raisedUntil: string }): Promise<ExpiredLimits | null> {
      return db.$transaction(async (tx) => {
        const identity = await tx.identity.findFirst({
          where: { id: input.identityId, deletedAt: null, linkedinLimitsRaisedUntil: new Date(input.raisedUntil) },
        });
        if (!identity) return null;
        const before: LinkedinLimitSettings = {
          dailyConnectionRequests: identity.dailyConnectionRequests,
          dailyMessages: identity.dailyMessages,
          dailyScrapings: identity.dailyScrapings,
          raisedUntil: input.raisedUntil,
        };
        // The limits in force once raisedUntil is reached, by the one rule that defines the fall-back.
        const fallenBack = effectiveLinkedinLimits(before, Date.parse(input.raisedUntil));
        const after: LinkedinLimitSettings = {
          dailyConnectionRequests: fallenBack.dailyConnectionRequests,
          dailyMessages: fallenBack.dailyMessages,
          dailyScrapings: fallenBack.dailyScrapings,
          raisedUntil: null,
        };
        const updated = await tx.identity.update({
          where: { id: identity.id },
          data: {
            dailyConnectionRequests: after.dailyConnectionRequests,
            dailyMessages: after.dailyMessages,
            linkedinLimitsRaisedUntil: null,
            version: { increment: 1 },
          },
        });
        await tx.auditEntry.create({
          data: {
            workspaceId: identity.workspaceId,
            entityType: 'identity',
            entityId: identity.id,
            action: 'identity.linkedin-limits.expired',
            before: before as unknown as Prisma.InputJsonValue,
            after: after as unknown as Prisma.InputJsonValue,
          },
        });
        return { version: updated.version, linkedinLimits: after };
      });
    },
  };
}
