/**
 * The LinkedIn simulator's state in PostgreSQL (`LinkedinSimulatorRecord`), so the API and every
 * worker share one simulated LinkedIn. A change reads its record `FOR UPDATE` inside a transaction,
 * so two workers acting for one identity at once take turns instead of both acting.
 */
import type { Prisma } from '@prisma/client';
import { createLinkedinSimulator, type LinkedinSimulator, type LinkedinSimulatorOptions, type LinkedinSimulatorStore } from '../integrations/linkedin/simulator';
import type { Database } from './client';
import { prismaLinkedinAccountDirectory } from './linkedin-directory';

export function prismaLinkedinSimulatorStore(db: Database): LinkedinSimulatorStore {
  return {
    async read(key) {
      const row = await db.linkedinSimulatorRecord.findUnique({ where: { key }, select: { state: true } });
      return row?.state ?? null;
    },

    update(key, change) {
      return db.$transaction(async (tx) => {
        await tx.$executeRaw`INSERT INTO "LinkedinSimulatorRecord" ("key", "state", "updatedAt") VALUES (${key}, NULL, now()) ON CONFLICT ("key") DO NOTHING`;
        const [row] = await tx.$queryRaw<{ state: unknown }[]>`SELECT "state" FROM "LinkedinSimulatorRecord" WHERE "key" = ${key} FOR UPDATE`;
        const { next, result } = change(row?.state ?? null);
        await tx.linkedinSimulatorRecord.update({ where: { key }, data: { state: next as Prisma.InputJsonValue } });
        return result;
      });
    },
  };
}

/** A simulator whose state and account records are in `db`: the one development, tests and benches share between API and workers. */
export function createLinkedinSimulatorOn(db: Database, options: Omit<LinkedinSimulatorOptions, 'store' | 'accounts'> = {}): LinkedinSimulator {
  return createLinkedinSimulator({ ...options, store: prismaLinkedinSimulatorStore(db), accounts: prismaLinkedinAccountDirectory(db) });
}
