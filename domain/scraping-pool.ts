/**
 * The shared scraping pool (SPEC §2): the rules of the ledger db/scraping-pool.ts keeps.
 *
 * - **One pool per workspace per UTC day.** Every identity of the workspace draws from it; N
 *   identities together use it once, not N times. Its day is the UTC day because the identities of one
 *   workspace may live in different time zones: the UTC day is the only day they all share, so the
 *   pool cannot be spent twice by identities whose local days overlap. For an identity whose working
 *   hours span UTC midnight, the pool refills in the middle of its window.
 * - **Each identity's own Sales Navigator capacity** (its `dailyScrapings`) is its own counter, per
 *   the identity's local day like its other limits, and is spent **first**: the shared pool is left to
 *   identities that have nothing else.
 * - A scrape **claims** a unit right before the gateway call (own first, then the pool); the claim is
 *   the truth. The workflow paces scrapes with pool + own as an upper bound; a refused claim holds
 *   scrapes until a ledger refills ({@link nextRefillAt}).
 */
import { localDateOf, nextLocalMidnight } from './pacing';

export type ScrapingLedgerName = 'own' | 'pool';

/** The pool's day: the UTC date (YYYY-MM-DD) of `at`. */
export function poolDayOf(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The first instant of the UTC day after the one holding `at`. */
export function nextPoolDayStart(at: number): number {
  const day = new Date(at);
  return Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1);
}

/** Why scrapes wait when the identity can never scrape as configured. */
export const NO_SCRAPING_CAPACITY_REASON =
  "no scraping capacity: the workspace has no scraping pool and the identity no Sales Navigator capacity (set the workspace's linkedinScrapingPoolPerDay, or the identity's daily scrapings with Sales Navigator)";

export interface ScrapingCapacity {
  /** The workspace's pool for a UTC day, and what its identities used of it today. */
  pool: number;
  poolUsed: number;
  /** The identity's own Sales Navigator capacity for its local day, and what it used. */
  own: number;
  ownUsed: number;
}

/** The ledgers a claim tries, in order: the identity's own first, then the shared pool. */
export function claimOrder(capacity: Pick<ScrapingCapacity, 'pool' | 'own'>): ScrapingLedgerName[] {
  return [...(capacity.own > 0 ? ['own' as const] : []), ...(capacity.pool > 0 ? ['pool' as const] : [])];
}

/** When a refused claim may succeed again by itself: the earlier refill of a ledger with capacity (null: none has any). */
export function nextRefillAt(capacity: Pick<ScrapingCapacity, 'pool' | 'own'>, at: number, timeZone: string): number | null {
  const refills = [...(capacity.pool > 0 ? [nextPoolDayStart(at)] : []), ...(capacity.own > 0 ? [nextLocalMidnight(at, timeZone)] : [])];
  return refills.length === 0 ? null : Math.min(...refills);
}

/** Why a claim was refused, for the scrape kind's hold and the leads waiting on it. */
export function claimRefusedReason(capacity: ScrapingCapacity, at: number, timeZone: string): string {
  if (capacity.pool <= 0 && capacity.own <= 0) return NO_SCRAPING_CAPACITY_REASON;
  const spent = [
    ...(capacity.pool > 0 ? [`the workspace's scraping pool is spent for UTC day ${poolDayOf(at)} (${capacity.poolUsed} of ${capacity.pool})`] : ['the workspace has no scraping pool']),
    ...(capacity.own > 0 ? [`the identity's own Sales Navigator capacity is spent for ${localDateOf(at, timeZone)} (${capacity.ownUsed} of ${capacity.own})`] : []),
  ];
  const refill = nextRefillAt(capacity, at, timeZone);
  return `${spent.join(' and ')}${refill === null ? '' : `; scrapes resume at ${new Date(refill).toISOString()}`}`;
}
