/**
 * The part of an identity's record that decides what its workflow does, read the same way by the
 * API (to tell the workflow) and by the plan activity (which re-reads it at every pass).
 */
import type { AutoWithdrawSettings } from './invitations';
import type { LinkedinLimitSettings } from './linkedin-limits';
import type { Weekday, WorkingHours } from './working-hours';

/** Everything about an identity that changes what its workflow does (plain JSON: it crosses continue-as-new). */
export interface IdentityConfig {
  /** The identity record's version; a signal carrying a version the workflow already has is dropped (and logged). */
  version: number;
  workingHours: WorkingHours;
  linkedinLimits: LinkedinLimitSettings;
  likingsOptOut: boolean;
  autoWithdraw: AutoWithdrawSettings;
}

/** The identity columns the configuration comes from (a Prisma Identity row has them). */
export interface IdentityConfigColumns {
  version: number;
  timeZone: string;
  workingDays: string[];
  workingStart: string;
  workingEnd: string;
  dailyConnectionRequests: number;
  dailyMessages: number;
  dailyScrapings: number;
  linkedinLimitsRaisedUntil: Date | null;
  likingsOptOut: boolean;
  autoWithdrawEnabled: boolean;
  autoWithdrawAfterDays: number;
}

export function workingHoursOf(identity: Pick<IdentityConfigColumns, 'timeZone' | 'workingDays' | 'workingStart' | 'workingEnd'>): WorkingHours {
  return { timeZone: identity.timeZone, days: identity.workingDays as Weekday[], start: identity.workingStart, end: identity.workingEnd };
}

export function linkedinLimitsOf(identity: Pick<IdentityConfigColumns, 'dailyConnectionRequests' | 'dailyMessages' | 'dailyScrapings' | 'linkedinLimitsRaisedUntil'>): LinkedinLimitSettings {
  return {
    dailyConnectionRequests: identity.dailyConnectionRequests,
    dailyMessages: identity.dailyMessages,
    dailyScrapings: identity.dailyScrapings,
    raisedUntil: identity.linkedinLimitsRaisedUntil?.toISOString() ?? null,
  };
}

export function identityConfigOf(identity: IdentityConfigColumns): IdentityConfig {
  return {
    version: identity.version,
    workingHours: workingHoursOf(identity),
    linkedinLimits: linkedinLimitsOf(identity),
    likingsOptOut: identity.likingsOptOut,
    autoWithdraw: { enabled: identity.autoWithdrawEnabled, afterDays: identity.autoWithdrawAfterDays },
  };
}
