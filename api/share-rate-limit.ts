/**
 * Brute-force guard for the public share routes (SPEC §4: wrong or expired links from other people
 * never stop a valid link from working). In-process, two limits, each over a sliding window:
 *
 * - **wrong tokens, per client**: 10 failed attempts (unknown, expired or revoked token; a token used
 *   for another identity) in 15 minutes. From the 11th, that client's *failed* attempts answer 429
 *   until the oldest failure leaves the window. A request with a valid, unexpired link is never
 *   refused by this limit, whoever else shares the client's address: the token is checked first.
 *   The client is the request's address as Express derives it under TRUST_PROXY (the socket
 *   address unless proxies are trusted), with IPv6 grouped per /64 (one subscriber's allocation).
 * - **requests, per valid link**: 120 a minute, so a link holder cannot hammer the mail servers or
 *   the LinkedIn service through it. Only the link's holder can spend this budget.
 *
 * 256-bit tokens cannot be guessed; the first limit stops scanning noise and keeps lookups cheap.
 *
 * Memory is bounded: each key keeps at most its limit's count of timestamps, and each window tracks
 * at most `maxTrackedKeys` keys. When full, expired keys are swept, then the least recently seen key
 * is dropped (a client cycling through more than that many /64 networks can thus shorten its own
 * block; it still cannot block anyone else's link).
 */
import { parseAddress } from '../domain/network-address';
import { TooManyRequestsError } from '../lib/errors';

export interface ShareRateLimits {
  maxFailures: number;
  failureWindowMs: number;
  maxRequestsPerLink: number;
  requestWindowMs: number;
  /** Keys (clients, links) each window remembers at most. */
  maxTrackedKeys: number;
}

export const DEFAULT_SHARE_RATE_LIMITS: ShareRateLimits = {
  maxFailures: 10,
  failureWindowMs: 15 * 60_000,
  maxRequestsPerLink: 120,
  requestWindowMs: 60_000,
  maxTrackedKeys: 10_000,
};

/**
 * The key a client is counted under: an IPv4 address as is (IPv4-mapped IPv6 unwrapped), an IPv6
 * address by its /64 prefix (`2001:db8:1:2::/64`), anything unparsable as given.
 */
export function clientKeyOf(address: string): string {
  const parsed = parseAddress(address);
  if (!parsed) return address;
  const bytes = parsed.bytes;
  if (parsed.version === 4) return bytes.join('.');
  const mapped = bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return bytes.slice(12).join('.');
  const groups = [0, 2, 4, 6].map((offset) => (((bytes[offset] ?? 0) << 8) | (bytes[offset + 1] ?? 0)).toString(16));
  return `${groups.join(':')}::/64`;
}

/** A valid link used more than its per-minute budget (its holder's doing, not someone else's). */
export class ShareLinkOverusedError extends TooManyRequestsError {}

class SlidingWindow {
  /** Insertion order is recency order: a key is re-inserted whenever it is touched. */
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.hits.size;
  }

  private recent(key: string, now: number): number[] {
    const kept = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    this.hits.delete(key);
    if (kept.length > 0) this.hits.set(key, kept);
    return kept;
  }

  /** Seconds until a slot frees, or 0 when under the limit. */
  retryAfter(key: string, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit]! + this.windowMs - now) / 1000));
  }

  add(key: string, now: number): void {
    const kept = [...this.recent(key, now), now].slice(-this.limit);
    if (!this.hits.has(key) && this.hits.size >= this.maxKeys) this.makeRoom(now);
    this.hits.set(key, kept);
  }

  private makeRoom(now: number): void {
    for (const key of [...this.hits.keys()]) this.recent(key, now);
    while (this.hits.size >= this.maxKeys) {
      const oldest = this.hits.keys().next().value;
      if (oldest === undefined) break;
      this.hits.delete(oldest);
    }
  }
}

export class ShareRateLimiter {
  private readonly failures: SlidingWindow;
  private readonly linkRequests: SlidingWindow;

  constructor(
    private readonly now: () => number,
    limits: ShareRateLimits = DEFAULT_SHARE_RATE_LIMITS,
  ) {
    this.failures = new SlidingWindow(limits.maxFailures, limits.failureWindowMs, limits.maxTrackedKeys);
    this.linkRequests = new SlidingWindow(limits.maxRequestsPerLink, limits.requestWindowMs, limits.maxTrackedKeys);
  }

  /**
   * A request whose token was refused: counted for its client. Returns the 429 to answer instead of
   * the refusal when the client already had its allowance of failures in the window.
   */
  failed(client: string): TooManyRequestsError | undefined {
    const key = clientKeyOf(client);
    const now = this.now();
    const wait = this.failures.retryAfter(key, now);
    this.failures.add(key, now);
    return wait > 0 ? new TooManyRequestsError(`Too many wrong share links from this network: retry in ${wait} s`, wait) : undefined;
  }

  /** A request with a valid link: counted for the link; throws 429 when the link is over its own budget. */
  admitLink(linkId: string): void {
    const now = this.now();
    const wait = this.linkRequests.retryAfter(linkId, now);
    if (wait > 0) throw new ShareLinkOverusedError(`Too many requests with this share link: retry in ${wait} s`, wait);
    this.linkRequests.add(linkId, now);
  }

  /** How many keys each window holds now (to check that memory stays bounded). */
  trackedKeys(): { clients: number; links: number } {
    return { clients: this.failures.size, links: this.linkRequests.size };
  }
}
