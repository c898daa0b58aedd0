/**
 * Per-inbox email rate (SPEC §3 "Email rate"): 30/day and 5/hour recommended, 80/10 maximum.
 * Above the maximum only with an operator override, recorded with a reason and an expiry.
 *
 * The override is stored beside the customer's own rate, never over it. The effective rate is a
 * pure function of the clock: while the override runs it applies, and from its expiry on the
 * inbox's own rate applies again. Nothing has to wake up to restore it, so no timer (and no cron)
 * is needed, and every send checks the caps with the rate in force at that instant.
 */
import { EMAIL_RATE } from './pacing';

export interface InboxRate {
  dailyRate: number;
  hourlyRate: number;
}

export interface RateOverride extends InboxRate {
  /** Epoch ms; the override applies strictly before this instant. */
  expiresAt: number;
}

/** An inbox's stored override columns (all set, or the override is absent). */
export interface StoredRateOverride {
  rateOverrideDaily: number | null;
  rateOverrideHourly: number | null;
  rateOverrideExpiresAt: Date | null;
}

export function rateOverrideOf(inbox: StoredRateOverride): RateOverride | null {
  return inbox.rateOverrideExpiresAt && inbox.rateOverrideDaily !== null && inbox.rateOverrideHourly !== null
    ? { dailyRate: inbox.rateOverrideDaily, hourlyRate: inbox.rateOverrideHourly, expiresAt: inbox.rateOverrideExpiresAt.getTime() }
    : null;
}

/** The rate in force at `now`. */
export function effectiveInboxRate(own: InboxRate, override: RateOverride | null, now: number): InboxRate & { overridden: boolean } {
  if (override !== null && now < override.expiresAt) return { dailyRate: override.dailyRate, hourlyRate: override.hourlyRate, overridden: true };
  return { dailyRate: own.dailyRate, hourlyRate: own.hourlyRate, overridden: false };
}

/** Problems with a rate a customer sets (an override may exceed the maximum; a customer may not). */
export function customerRateProblems(rate: InboxRate): { field: keyof InboxRate; message: string }[] {
  const problems: { field: keyof InboxRate; message: string }[] = [];
  if (rate.dailyRate > EMAIL_RATE.perDay.max) {
    problems.push({ field: 'dailyRate', message: `at most ${EMAIL_RATE.perDay.max} per day; more needs an operator override` });
  }
  if (rate.hourlyRate > EMAIL_RATE.perHour.max) {
    problems.push({ field: 'hourlyRate', message: `at most ${EMAIL_RATE.perHour.max} per hour; more needs an operator override` });
  }
  if (rate.hourlyRate > rate.dailyRate) problems.push({ field: 'hourlyRate', message: 'cannot exceed the daily rate' });
  return problems;
}

/** Warnings for values above recommended (accepted). */
export function rateWarnings(rate: InboxRate): string[] {
  const warnings: string[] = [];
  if (rate.dailyRate > EMAIL_RATE.perDay.recommended) warnings.push(`dailyRate ${rate.dailyRate} is above the recommended ${EMAIL_RATE.perDay.recommended}`);
  if (rate.hourlyRate > EMAIL_RATE.perHour.recommended) warnings.push(`hourlyRate ${rate.hourlyRate} is above the recommended ${EMAIL_RATE.perHour.recommended}`);
  return warnings;
}
