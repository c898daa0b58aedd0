/**
 * ============================================================================================
 *  WARM-UP PROVIDER SIMULATOR — for development and tests only. No real warm-up happens.
 * ============================================================================================
 *
 * An in-memory adapter of the warm-up provider gateway. Progress is derived from the caller's `at`
 * (the workflow's time), so Temporal time-skipping drives it: the simulated address sends 5 warm-up
 * emails on its first day and 3 more each day after, placement climbs from 70 % towards 98 %, and
 * the reputation score from 40 towards 95. State lives in this process only.
 */
import { type StartWarmupInput, type WarmupProvider, WarmupProviderError, type WarmupProviderStatus, type WarmupRef } from './provider';

export const WARMUP_SIMULATOR_LABEL = 'Warm-up provider SIMULATOR (in-memory, development and tests only: no real warm-up emails are sent)';

const DAY_MS = 24 * 3600 * 1000;

export interface SimulatedWarmup {
  inboxId: string;
  address: string;
  startedAt: number;
  stoppedAt: number | null;
}

export interface WarmupSimulator extends WarmupProvider {
  readonly adapter: 'simulator';
  readonly label: string;
  /** Every call received, in order (for tests). */
  readonly calls: { operation: 'start' | 'status' | 'stop'; inboxId: string; at: number }[];
  warmup(inboxId: string): SimulatedWarmup | undefined;
}

export function createWarmupSimulator(): WarmupSimulator {
  const warmups = new Map<string, SimulatedWarmup>();
  const calls: WarmupSimulator['calls'] = [];

  function statusOf(warmup: SimulatedWarmup, at: number): WarmupProviderStatus {
    const until = warmup.stoppedAt ?? at;
    const days = Math.max(0, Math.floor((until - warmup.startedAt) / DAY_MS));
    const progress = Math.min(1, days / 14);
    return {
      state: warmup.stoppedAt === null ? 'warming' : 'stopped',
      startedAt: warmup.startedAt,
      emailsSent: until < warmup.startedAt ? 0 : 5 + 3 * days,
      inboxPlacementRate: days === 0 ? null : Math.round((0.7 + 0.28 * progress) * 100) / 100,
      reputation: days === 0 ? null : Math.round(40 + 55 * progress),
    };
  }

  function find(inboxId: string): SimulatedWarmup {
    const warmup = warmups.get(inboxId);
    if (!warmup) throw new WarmupProviderError(`Warm-up simulator: no warm-up for inbox ${inboxId}`, { code: 'not-found', retryable: false });
    return warmup;
  }

  return {
    adapter: 'simulator',
    label: WARMUP_SIMULATOR_LABEL,
    calls,
    warmup: (inboxId) => (warmups.has(inboxId) ? { ...warmups.get(inboxId)! } : undefined),
    start: (input: StartWarmupInput) =>
      settle(() => {
        calls.push({ operation: 'start', inboxId: input.inboxId, at: input.at });
        const existing = warmups.get(input.inboxId);
        if (existing && existing.stoppedAt === null) return statusOf(existing, input.at);
        const warmup = { inboxId: input.inboxId, address: input.address, startedAt: input.at, stoppedAt: null };
        warmups.set(input.inboxId, warmup);
        return statusOf(warmup, input.at);
      }),
    status: (input: WarmupRef) =>
      settle(() => {
        calls.push({ operation: 'status', inboxId: input.inboxId, at: input.at });
        return statusOf(find(input.inboxId), input.at);
      }),
    stop: (input: WarmupRef) =>
      settle(() => {
        calls.push({ operation: 'stop', inboxId: input.inboxId, at: input.at });
        const warmup = find(input.inboxId);
        warmup.stoppedAt ??= input.at;
        return statusOf(warmup, input.at);
      }),
  };
}

/** Synchronous simulator work as a promise, so a refusal is a rejection like the HTTP adapter's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
