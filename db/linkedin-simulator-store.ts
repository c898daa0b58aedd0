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
  /**
   * Changes to one record queue up in this process before they take the row lock, so a burst of
   * changes for one identity holds one pooled connection, not all of them (the others would wait
   * for a connection past Prisma's transaction start limit). Other processes take turns on the lock.
   */
  const pending = new Map<string, Promise<unknown>>();
  return {
    async read(key) {
      const row = await db.linkedinSimulatorRecord.findUnique({ where: { key }, select: { state: true } });
      return row?.state ?? null;
    },

    update(key, change) {
      const apply = () =>
        db.$transaction(async (tx) => {
          await tx.$executeRaw`INSERT INTO "LinkedinSimulatorRecord" ("key", "state", "updatedAt") VALUES (${key}, NULL, now()) ON CONFLICT ("key") DO NOTHING`;
          const [row] = await tx.$queryRaw<{ state: unknown }[]>`SELECT "state" FROM "LinkedinSimulatorRecord" WHERE "key" = ${key} FOR UPDATE`;
          const { next, result } = change(row?.state ?? null);
          await tx.linkedinSimulatorRecord.update({ where: { key }, data: { state: next as Prisma.InputJsonValue } });
          return result;
        });
      const applied = (pending.get(key) ?? Promise.resolve()).then(apply, apply);
      const settled = applied.then(
        () => undefined,
        () => undefined,
      );
      pending.set(key, settled);
      void settled.then(() => {
        if (pending.get(key) === settled) pending.delete(key);
      });
      return applied;
    },
  };
}

/** A simulator whose state and account records are in `db`: the one development, tests and benches share between API and workers. */
export function createLinkedinSimulatorOn(db: Database, options: Omit<LinkedinSimulatorOptions, 'store' | 'accounts'> = {}): LinkedinSimulator {
  return createLinkedinSimulator({ ...options, store: prismaLinkedinSimulatorStore(db), accounts: prismaLinkedinAccountDirectory(db) });
}
