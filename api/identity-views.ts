import type { Identity } from '@prisma/client';
import { DateTime } from 'luxon';
import type { DailyBudget, IdentityStatus } from '../workflows/identity';
import { linkedinLimitsOf, workingHoursOf } from './identity-service';

/** An instant shown both in UTC and in the identity's own zone. */
export function instantView(epochMs: number, timeZone: string) {
  return {
    utc: new Date(epochMs).toISOString(),
    local: DateTime.fromMillis(epochMs, { zone: timeZone }).toISO({ suppressMilliseconds: true }),
  };
}

export function identityView(identity: Identity) {
  return {
    id: identity.id,
    firstName: identity.firstName,
    lastName: identity.lastName,
    profilePictureUrl: identity.profilePictureUrl,
    jobTitle: identity.jobTitle,
    linkedinUrl: identity.linkedinUrl,
    email: identity.email,
    scheduleMeetingUrl: identity.scheduleMeetingUrl,
    phoneNumber: identity.phoneNumber,
    workingHours: workingHoursOf(identity),
    linkedin: {
      salesNavigatorEnabled: identity.salesNavigatorEnabled,
      rateLimits: linkedinLimitsOf(identity),
      withdrawals: { autoWithdraw: identity.autoWithdrawEnabled, thresholdDays: identity.autoWithdrawAfterDays },
    },
    likingsOptOut: identity.likingsOptOut,
    signature: { mode: identity.signatureMode, html: identity.signatureHtml },
    version: identity.version,
    createdAt: identity.createdAt.toISOString(),
    updatedAt: identity.updatedAt.toISOString(),
  };
}

/** The workflow's live status, with total scraping capacity = workspace pool + the identity's own. */
export function statusView(status: IdentityStatus, workspaceScrapingPool: number) {
  const zone = status.workingHours.timeZone;
  const scrapings: DailyBudget = {
    limit: status.budgets.scrapings.limit + workspaceScrapingPool,
    used: status.budgets.scrapings.used,
    left: status.budgets.scrapings.left + workspaceScrapingPool,
  };
  return {
    activity: status.activity,
    inWindow: status.inWindow,
    waitingFor: status.waitingFor,
    currentWindowEnd: status.currentWindowEnd === null ? null : instantView(status.currentWindowEnd, zone),
    nextWindowStart: instantView(status.nextWindowStart, zone),
    budgetsToday: {
      connectionRequests: status.budgets.connectionRequests,
      messages: status.budgets.messages,
      scrapings,
      likes: { enabled: status.likesEnabled },
    },
    raisedLimitsFallBackAt: status.raisedLimitsFallBackAt === null ? null : instantView(status.raisedLimitsFallBackAt, zone),
    autoWithdraw: status.autoWithdraw,
    configVersion: status.configVersion,
  };
}
