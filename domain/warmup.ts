/**
 * Warm-up rules (SPEC §3 "Warm-up"): pure, shared by the WarmupWorkflow, its activities and the API.
 */

const DAY_MS = 24 * 3600 * 1000;

/** A warm-up lasts 2 weeks: 14 days of exactly 24 hours from its start (durable time, not calendar days). */
export const WARMUP_DAYS = 14;
export const WARMUP_DURATION_MS = WARMUP_DAYS * DAY_MS;
/** The workflow asks the provider for progress once a day. */
export const WARMUP_PROGRESS_INTERVAL_MS = DAY_MS;

export type WarmupState = 'running' | 'completed' | 'stopped';

/** When a warm-up started at `startedAt` (epoch ms) ends. */
export function warmupEndsAt(startedAt: number): number {
  if (!Number.isFinite(startedAt)) throw new RangeError(`startedAt must be finite epoch milliseconds, got ${startedAt}`);
  return startedAt + WARMUP_DURATION_MS;
}

/**
 * Whole days left, rounded up: 14 right after the start, 1 during the last 24 hours, 0 once ended.
 * Never negative, never more than 14.
 */
export function warmupDaysLeft(endsAt: number, now: number): number {
  if (now >= endsAt) return 0;
  return Math.min(WARMUP_DAYS, Math.ceil((endsAt - now) / DAY_MS));
}

/** The readable reason a lead whose inbox warms up waits for. */
export function inboxWarmingUpReason(address: string, endsAt: number): string {
  return `inbox ${address} is warming up until ${new Date(endsAt).toISOString()}`;
}

/** A campaign as the warm-up paused it: its version right after the pause. */
export interface PausedCampaign {
  id: string;
  version: number;
}

/**
 * Which of the campaigns a warm-up paused it resumes at the end: those still paused and untouched
 * since (same version). A campaign the user resumed, or resumed and paused again, during the
 * warm-up changed version: the user's last word stands, so it is left as it is.
 */
export function campaignsToResume(paused: PausedCampaign[], now: { id: string; status: string; version: number }[]): string[] {
  const current = new Map(now.map((campaign) => [campaign.id, campaign]));
  return paused.filter((campaign) => {
    const found = current.get(campaign.id);
    return found !== undefined && found.status === 'paused' && found.version === campaign.version;
  }).map((campaign) => campaign.id);
}
