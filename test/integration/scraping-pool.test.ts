/**
 * The scraping ledgers on the real PostgreSQL: claims from several clients at once (as from several
 * workers) never take more than the pool, own capacity goes first, and a scrape retried under the same
 * idempotency key uses its first claim.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createDatabase, type Database } from '../../db/client';
import { claimScrape, releaseScrape, scrapingUse, type ScrapingClaimInput } from '../../db/scraping-pool';
import { sharedServices } from '../support/services';

jest.setTimeout(120_000);

/** Two clients with their own connection pools: the "workers". */
let workers: [Database, Database];

beforeAll(() => {
  workers = [createDatabase(sharedServices().databaseUrl), createDatabase(sharedServices().databaseUrl)];
});

afterAll(async () => {
  await Promise.all(workers.map((db) => db.$disconnect()));
});

const DAY = { poolDay: '2026-03-02', ownDay: '2026-03-02' };

function claim(workspaceId: string, identityId: string, capacities: { pool: number; own: number }, key: string = randomUUID()): ScrapingClaimInput {
  return { workspaceId, identityId, idempotencyKey: `scrape/${key}`, ...DAY, ...capacities, at: Date.parse('2026-03-02T10:00:00Z') };
}

test('two workers claiming at once for two identities take exactly the pool, plus each identity own capacity', async () => {
  const workspaceId = randomUUID();
  const withoutOwn = randomUUID();
  const withOwn = randomUUID();
  const attempts = [
    ...Array.from({ length: 45 }, () => claim(workspaceId, withoutOwn, { pool: 30, own: 0 })),
    ...Array.from({ length: 45 }, () => claim(workspaceId, withOwn, { pool: 30, own: 20 })),
  ];
  const results = await Promise.all(attempts.map((input, index) => claimScrape(workers[index % 2] as Database, input)));
  const taken = results.flatMap((result) => (result.claimed ? [result.ledger] : []));
  expect(taken.filter((ledger) => ledger === 'pool')).toHaveLength(30);
  expect(taken.filter((ledger) => ledger === 'own')).toHaveLength(20);
  expect(await scrapingUse(workers[0], { workspaceId, identityId: withOwn, ...DAY })).toEqual({ poolUsed: 30, ownUsed: 20 });
  const refused = results.find((result) => !result.claimed);
  expect(refused).toEqual({ claimed: false, capacity: expect.objectContaining({ pool: 30, poolUsed: 30 }) });
});

test('a retried scrape uses its first claim; a claim given back returns its unit once', async () => {
  const workspaceId = randomUUID();
  const identityId = randomUUID();
  const first = claim(workspaceId, identityId, { pool: 1, own: 0 }, 'lead-1');
  expect(await claimScrape(workers[0], first)).toEqual({ claimed: true, ledger: 'pool', day: DAY.poolDay, repeated: false });
  expect(await claimScrape(workers[1], first)).toEqual({ claimed: true, ledger: 'pool', day: DAY.poolDay, repeated: true });
  expect(await claimScrape(workers[1], claim(workspaceId, identityId, { pool: 1, own: 0 }))).toMatchObject({ claimed: false });

  expect(await releaseScrape(workers[0], first.idempotencyKey)).toBe(true);
  expect(await releaseScrape(workers[1], first.idempotencyKey)).toBe(false);
  expect(await scrapingUse(workers[0], { workspaceId, identityId, ...DAY })).toEqual({ poolUsed: 0, ownUsed: 0 });
  expect(await claimScrape(workers[1], claim(workspaceId, identityId, { pool: 1, own: 0 }))).toMatchObject({ claimed: true, ledger: 'pool' });
});

test('a pool of 0 and no own capacity refuses every claim and writes nothing', async () => {
  const workspaceId = randomUUID();
  const identityId = randomUUID();
  expect(await claimScrape(workers[0], claim(workspaceId, identityId, { pool: 0, own: 0 }))).toEqual({ claimed: false, capacity: { pool: 0, own: 0, poolUsed: 0, ownUsed: 0 } });
  expect(await workers[0].linkedinScrapingClaim.count({ where: { workspaceId } })).toBe(0);
});

test('property: whatever the identities, capacities and demand, the pool is never overdrawn and each identity uses its own capacity first', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 0, max: 12 }),
      fc.array(fc.record({ own: fc.integer({ min: 0, max: 6 }), demand: fc.integer({ min: 0, max: 15 }) }), { minLength: 1, maxLength: 4 }),
      async (pool, identities) => {
        const workspaceId = randomUUID();
        const ids = identities.map(() => randomUUID());
        const attempts = identities.flatMap(({ own, demand }, index) => Array.from({ length: demand }, () => claim(workspaceId, ids[index] as string, { pool, own })));
        const results = await Promise.all(attempts.map((input, index) => claimScrape(workers[index % 2] as Database, input)));
        const poolTaken = results.filter((result) => result.claimed && result.ledger === 'pool').length;
        const overflow = identities.reduce((sum, { own, demand }) => sum + Math.max(0, demand - own), 0);
        if (poolTaken !== Math.min(pool, overflow)) return false;
        for (const [index, { own, demand }] of identities.entries()) {
          const use = await scrapingUse(workers[0], { workspaceId, identityId: ids[index] as string, ...DAY });
          if (use.ownUsed !== Math.min(own, demand)) return false;
        }
        return true;
      },
    ),
    { numRuns: 25 },
  );
});
