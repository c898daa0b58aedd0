/**
 * The scraping ledgers (domain/scraping-pool.ts): the workspace's shared pool per UTC day and each
 * identity's own Sales Navigator capacity per local day, in PostgreSQL so every worker draws from the
 * same counters.
 *
 * A claim is one conditional upsert per ledger (`used = used + 1 WHERE used < capacity`), atomic and
 * race-free across workers without any lock of ours: PostgreSQL serialises the row. It is stored under
 * the scrape's idempotency key (`LinkedinScrapingClaim`), so a scrape retried after an unknown outcome
 * uses its first claim and is never counted twice; a claim is given back only when the scrape
 * certainly did not happen.
 */
import type { Database } from './client';
import { claimOrder, type ScrapingCapacity, type ScrapingLedgerName } from '../domain/scraping-pool';

/**
 * Claims are short, but many scrapes of many identities may claim at once: wait for a connection of
 * the pool longer than Prisma's default 2 s rather than fail the scrape (it would only hold back).
 */
const CLAIM_TRANSACTION = { maxWait: 10_000, timeout: 10_000 };

export interface ScrapingClaimInput {
  workspaceId: string;
  identityId: string;
  /** The scrape's idempotency key (campaign/lead/step). */
  idempotencyKey: string;
  /** The pool's UTC day and the identity's local day (domain/scraping-pool). */
  poolDay: string;
  ownDay: string;
  /** Today's capacities, read fresh by the caller. */
  pool: number;
  own: number;
  at: number;
}

export type ScrapingClaim =
  | { claimed: true; ledger: ScrapingLedgerName; day: string; /** An earlier attempt of the same scrape claimed it. */ repeated: boolean }
  | { claimed: false; capacity: ScrapingCapacity };

/** Today's use of both ledgers. */
export async function scrapingUse(db: Pick<Database, '$queryRaw'>, input: { workspaceId: string; identityId: string; poolDay: string; ownDay: string }): Promise<{ poolUsed: number; ownUsed: number }> {
  const [row] = await db.$queryRaw<{ poolUsed: number | null; ownUsed: number | null }[]>`
    SELECT (SELECT "used" FROM "LinkedinScrapingPoolDay" WHERE "workspaceId" = ${input.workspaceId}::uuid AND "day" = ${input.poolDay}) AS "poolUsed",
           (SELECT "used" FROM "LinkedinScrapingOwnDay" WHERE "identityId" = ${input.identityId}::uuid AND "day" = ${input.ownDay}) AS "ownUsed"`;
  return { poolUsed: row?.poolUsed ?? 0, ownUsed: row?.ownUsed ?? 0 };
}

/** Claims one unit for a scrape: its earlier claim if it has one, else the identity's own capacity, else the pool. */
export async function claimScrape(db: Database, input: ScrapingClaimInput): Promise<ScrapingClaim> {
  return db.$transaction(async (tx) => {
    const earlier = await tx.linkedinScrapingClaim.findUnique({ where: { idempotencyKey: input.idempotencyKey } });
    if (earlier) return { claimed: true, ledger: earlier.ledger as ScrapingLedgerName, day: earlier.day, repeated: true };
    for (const ledger of claimOrder(input)) {
      const day = ledger === 'own' ? input.ownDay : input.poolDay;
      const taken =
        ledger === 'own'
          ? await tx.$queryRaw<{ used: number }[]>`
              INSERT INTO "LinkedinScrapingOwnDay" ("identityId", "day", "used", "updatedAt") VALUES (${input.identityId}::uuid, ${day}, 1, now())
              ON CONFLICT ("identityId", "day") DO UPDATE SET "used" = "LinkedinScrapingOwnDay"."used" + 1, "updatedAt" = now()
              WHERE "LinkedinScrapingOwnDay"."used" < ${input.own}
              RETURNING "used"`
          : await tx.$queryRaw<{ used: number }[]>`
              INSERT INTO "LinkedinScrapingPoolDay" ("workspaceId", "day", "used", "updatedAt") VALUES (${input.workspaceId}::uuid, ${day}, 1, now())
              ON CONFLICT ("workspaceId", "day") DO UPDATE SET "used" = "LinkedinScrapingPoolDay"."used" + 1, "updatedAt" = now()
              WHERE "LinkedinScrapingPoolDay"."used" < ${input.pool}
              RETURNING "used"`;
      if (taken.length === 0) continue;
      await tx.linkedinScrapingClaim.create({
        data: { idempotencyKey: input.idempotencyKey, workspaceId: input.workspaceId, identityId: input.identityId, ledger, day, claimedAt: new Date(input.at) },
      });
      return { claimed: true, ledger, day, repeated: false };
    }
    const use = await scrapingUse(tx, input);
    return { claimed: false, capacity: { pool: input.pool, own: input.own, ...use } };
  }, CLAIM_TRANSACTION);
}

/** Gives a claim back (the scrape certainly did not happen): its unit returns to its ledger. True when there was one. */
export async function releaseScrape(db: Database, idempotencyKey: string): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const [claim] = await tx.$queryRaw<{ ledger: string; day: string; workspaceId: string; identityId: string }[]>`
      DELETE FROM "LinkedinScrapingClaim" WHERE "idempotencyKey" = ${idempotencyKey}
      RETURNING "ledger", "day", "workspaceId"::text AS "workspaceId", "identityId"::text AS "identityId"`;
    if (!claim) return false;
    if (claim.ledger === 'own') {
      await tx.$executeRaw`UPDATE "LinkedinScrapingOwnDay" SET "used" = "used" - 1, "updatedAt" = now() WHERE "identityId" = ${claim.identityId}::uuid AND "day" = ${claim.day} AND "used" > 0`;
    } else {
      await tx.$executeRaw`UPDATE "LinkedinScrapingPoolDay" SET "used" = "used" - 1, "updatedAt" = now() WHERE "workspaceId" = ${claim.workspaceId}::uuid AND "day" = ${claim.day} AND "used" > 0`;
    }
    return true;
  }, CLAIM_TRANSACTION);
}
