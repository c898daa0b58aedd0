import fc from 'fast-check';
import { localDateOf, nextLocalMidnight } from '../../domain/pacing';
import { claimOrder, claimRefusedReason, NO_SCRAPING_CAPACITY_REASON, nextPoolDayStart, nextRefillAt, poolDayOf } from '../../domain/scraping-pool';

const HOUR = 3_600_000;
/** Monday 2 March 2026, 23:30 in Paris = 22:30 UTC. */
const LATE_PARIS = Date.parse('2026-03-02T22:30:00Z');

describe('the pool day is the UTC day', () => {
  test('an instant belongs to its UTC date; the next day starts at 00:00 UTC, whatever the identity zone', () => {
    expect(poolDayOf(LATE_PARIS)).toBe('2026-03-02');
    expect(localDateOf(LATE_PARIS, 'Europe/Paris')).toBe('2026-03-02');
    expect(poolDayOf(LATE_PARIS + 2 * HOUR)).toBe('2026-03-03');
    expect(nextPoolDayStart(LATE_PARIS)).toBe(Date.parse('2026-03-03T00:00:00Z'));
    expect(nextPoolDayStart(Date.parse('2026-03-03T00:00:00Z'))).toBe(Date.parse('2026-03-04T00:00:00Z'));
  });

  test('property: the next pool day starts after `at`, within 24 h, on another date, and every instant before it is on the same date', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-01-01T00:00:00Z') }), (at) => {
        const next = nextPoolDayStart(at);
        return next > at && next - at <= 24 * HOUR && poolDayOf(next - 1) === poolDayOf(at) && poolDayOf(next) !== poolDayOf(at);
      }),
      { numRuns: 500 },
    );
  });
});

describe('claims: the identity own capacity first, then the pool', () => {
  test('the order names only ledgers with capacity', () => {
    expect(claimOrder({ pool: 30, own: 20 })).toEqual(['own', 'pool']);
    expect(claimOrder({ pool: 30, own: 0 })).toEqual(['pool']);
    expect(claimOrder({ pool: 0, own: 5 })).toEqual(['own']);
    expect(claimOrder({ pool: 0, own: 0 })).toEqual([]);
  });

  test('a refused claim waits for the earliest refill of a ledger that has capacity', () => {
    // Pool only: the next UTC midnight (01:00 in Paris), not Paris midnight.
    expect(nextRefillAt({ pool: 30, own: 0 }, LATE_PARIS - 3 * HOUR, 'Europe/Paris')).toBe(Date.parse('2026-03-03T00:00:00Z'));
    // Own only: the identity's local midnight.
    expect(nextRefillAt({ pool: 0, own: 20 }, LATE_PARIS - 3 * HOUR, 'Europe/Paris')).toBe(Date.parse('2026-03-02T23:00:00Z'));
    expect(nextRefillAt({ pool: 30, own: 20 }, LATE_PARIS - 3 * HOUR, 'Europe/Paris')).toBe(Date.parse('2026-03-02T23:00:00Z'));
    expect(nextRefillAt({ pool: 0, own: 0 }, LATE_PARIS, 'Europe/Paris')).toBeNull();
  });

  test('a workspace without a pool and an identity without its own capacity get a reason saying what to set, not "daily budget spent"', () => {
    expect(claimRefusedReason({ pool: 0, poolUsed: 0, own: 0, ownUsed: 0 }, LATE_PARIS, 'Europe/Paris')).toBe(NO_SCRAPING_CAPACITY_REASON);
    expect(NO_SCRAPING_CAPACITY_REASON).toContain('linkedinScrapingPoolPerDay');
    const spent = claimRefusedReason({ pool: 30, poolUsed: 30, own: 0, ownUsed: 0 }, LATE_PARIS - 3 * HOUR, 'Europe/Paris');
    expect(spent).toBe("the workspace's scraping pool is spent for UTC day 2026-03-02 (30 of 30); scrapes resume at 2026-03-03T00:00:00.000Z");
    const both = claimRefusedReason({ pool: 0, poolUsed: 0, own: 20, ownUsed: 20 }, LATE_PARIS - 3 * HOUR, 'Europe/Paris');
    expect(both).toBe("the workspace has no scraping pool and the identity's own Sales Navigator capacity is spent for 2026-03-02 (20 of 20); scrapes resume at 2026-03-02T23:00:00.000Z");
  });

  const capacity = fc.record({ pool: fc.integer({ min: 0, max: 1000 }), own: fc.integer({ min: 0, max: 1000 }) });
  const instant = fc.integer({ min: Date.parse('2024-01-01T00:00:00Z'), max: Date.parse('2030-01-01T00:00:00Z') });
  const zone = fc.constantFrom('Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'Pacific/Chatham', 'UTC');

  test('property: own comes first; a ledger is tried exactly when it has capacity', () => {
    fc.assert(
      fc.property(capacity, ({ pool, own }) => {
        const order = claimOrder({ pool, own });
        return order.includes('own') === own > 0 && order.includes('pool') === pool > 0 && (order.length < 2 || order[0] === 'own');
      }),
    );
  });

  test('property: the refill is the earlier midnight of the ledgers with capacity, in the future, or null when there is none', () => {
    fc.assert(
      fc.property(capacity, instant, zone, ({ pool, own }, at, timeZone) => {
        const refill = nextRefillAt({ pool, own }, at, timeZone);
        if (pool === 0 && own === 0) return refill === null;
        const expected = Math.min(pool > 0 ? nextPoolDayStart(at) : Infinity, own > 0 ? nextLocalMidnight(at, timeZone) : Infinity);
        return refill === expected && refill > at;
      }),
      { numRuns: 300 },
    );
  });

  test('property: a refusal never says "daily budget spent" and names what it is waiting for', () => {
    fc.assert(
      fc.property(capacity, fc.nat(1000), fc.nat(1000), instant, zone, ({ pool, own }, poolUsed, ownUsed, at, timeZone) => {
        const reason = claimRefusedReason({ pool, poolUsed, own, ownUsed }, at, timeZone);
        if (pool === 0 && own === 0) return reason === NO_SCRAPING_CAPACITY_REASON;
        return !reason.includes('daily budget spent') && reason.includes(pool > 0 ? `of ${pool})` : 'no scraping pool') && reason.includes('scrapes resume at');
      }),
      { numRuns: 300 },
    );
  });
});
