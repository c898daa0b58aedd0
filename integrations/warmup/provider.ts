/**
 * The warm-up provider gateway (SPEC §3 "Warm-up", §6): the only way Pacer talks to the external
 * warm-up service that trains an address's reputation.
 * - `instantly.ts`: Instantly's public API v2, a real warm-up service (the mailbox must be connected at Instantly);
 * - `http-provider.ts`: the documented HTTP contract (`CONTRACT.md`), for a service of one's own;
 * - `simulator.ts`: an in-memory, clearly labelled SIMULATOR, for development and tests.
 *
 * Every call carries `at`, the caller's notion of now (the workflow's time), so the simulator follows
 * Temporal's time-skipping. Start and stop are idempotent by nature (PUT / DELETE of one resource per
 * inbox): retrying either never starts or stops twice.
 */

export type WarmupProviderState = 'warming' | 'stopped';

export interface WarmupProviderStatus {
  state: WarmupProviderState;
  /** Epoch ms when the provider started warming the address. */
  startedAt: number;
  /** Warm-up emails the provider sent from the address so far. */
  emailsSent: number;
  /** Of those, how many landed in the inbox (not spam) at the receiving side. */
  inboxPlacementRate: number | null;
  /** The provider's reputation score for the address, 0–100, or null before it has one. */
  reputation: number | null;
}

export interface StartWarmupInput {
  /** Pacer's inbox id: the provider keys the warm-up by it. */
  inboxId: string;
  /** The address to warm up. */
  address: string;
  at: number;
}

export interface WarmupRef {
  inboxId: string;
  /** The address warming up (Instantly keys accounts by address). */
  address: string;
  at: number;
}

export interface WarmupProvider {
  readonly adapter: 'instantly' | 'http' | 'simulator';
  /** Starts warming the address; a warm-up already running for this inbox is returned as is. */
  start(input: StartWarmupInput): Promise<WarmupProviderStatus>;
  /** Progress of the warm-up. Throws {@link WarmupProviderError} `not-found` for an unknown inbox. */
  status(input: WarmupRef): Promise<WarmupProviderStatus>;
  /** Stops warming; stopping a stopped warm-up answers its status again. An unknown inbox is `not-found`. */
  stop(input: WarmupRef): Promise<WarmupProviderStatus>;
}

/** `mailbox-not-connected`: the provider has no access to the mailbox (Instantly: the account is not connected there). */
export type WarmupProviderErrorCode = 'not-found' | 'mailbox-not-connected' | 'invalid-request' | 'rate-limited' | 'unavailable' | 'provider-unauthorized' | 'request-rejected';

/**
 * Every provider failure. `retryable` says whether the same call may succeed later unchanged (so an
 * activity retries it); `name` is the class name, which Temporal shows as the failure type.
 */
export class WarmupProviderError extends Error {
  readonly code: WarmupProviderErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: { code: WarmupProviderErrorCode; retryable: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WarmupProviderError';
    this.code = options.code;
    this.retryable = options.retryable;
    this.status = options.status;
  }
}
