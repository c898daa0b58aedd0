/**
 * Brute-force guard for the public share routes: in-process, per client IP (the socket address:
 * `trust proxy` is off, so behind a reverse proxy every client shares the proxy's address: configure
 * the proxy to limit too). Two limits, each over a sliding window:
 * - failed attempts (unknown, expired or revoked token; token used for another identity): 10 per
 *   15 minutes. Once reached, every /share request from that IP answers 429 until the oldest failure
 *   leaves the window. 256-bit tokens cannot be guessed; this stops scanning and noise.
 * - all requests: 120 per minute, so a valid link cannot be used to hammer the providers.
 * Memory is bounded: an IP's entries are dropped once they leave the window, when it comes back or
 * when a sweep finds it (the map is swept once it holds SWEEP_AT_KEYS addresses).
 */
import { TooManyRequestsError } from '../lib/errors';

export interface ShareRateLimits {
  maxFailures: number;
  failureWindowMs: number;
  maxRequests: number;
  requestWindowMs: number;
}

export const DEFAULT_SHARE_RATE_LIMITS: ShareRateLimits = { maxFailures: 10, failureWindowMs: 15 * 60_000, maxRequests: 120, requestWindowMs: 60_000 };

const SWEEP_AT_KEYS = 10_000;

class SlidingWindow {
  private readonly hits = new Map<string, number[]>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  private recent(key: string, now: number): number[] {
    const kept = (this.hits.get(key) ?? []).filter((at) => at > now - this.windowMs);
    if (kept.length === 0) this.hits.delete(key);
    else this.hits.set(key, kept);
    return kept;
  }

  /** Seconds until a slot frees, or 0 when under the limit. */
  retryAfter(key: string, now: number): number {
    const recent = this.recent(key, now);
    if (recent.length < this.limit) return 0;
    return Math.max(1, Math.ceil((recent[recent.length - this.limit]! + this.windowMs - now) / 1000));
  }

  add(key: string, now: number): void {
    // Addresses that never come back would stay forever: sweep them once the map grows large.
    if (this.hits.size >= SWEEP_AT_KEYS) for (const other of [...this.hits.keys()]) this.recent(other, now);
    this.hits.set(key, [...this.recent(key, now), now]);
  }
}

export class ShareRateLimiter {
  private readonly failures: SlidingWindow;
  private readonly requests: SlidingWindow;

  constructor(
    private readonly now: () => number,
    limits: ShareRateLimits = DEFAULT_SHARE_RATE_LIMITS,
  ) {
    this.failures = new SlidingWindow(limits.maxFailures, limits.failureWindowMs);
    this.requests = new SlidingWindow(limits.maxRequests, limits.requestWindowMs);
  }

  /** Counts a request; throws 429 when the client is over a limit. */
  admit(client: string): void {
    const now = this.now();
    const wait = Math.max(this.failures.retryAfter(client, now), this.requests.retryAfter(client, now));
    if (wait > 0) throw new TooManyRequestsError(`Too many share-link attempts from this address: retry in ${wait} s`, wait);
    this.requests.add(client, now);
  }

  failed(client: string): void {
    this.failures.add(client, this.now());
  }
}
