import type { Identity } from '@prisma/client';
import { DateTime } from 'luxon';
import { linkedinLimitsOf, workingHoursOf } from '../domain/identity-config';
import type { IdentityStatus, KindPacing } from '../workflows/identity-contract';

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
      /** Whether the account can act (domain/linkedin-connection), since when, and why not. */
      status: identity.linkedinStatus,
      since: identity.linkedinStatusSince.toISOString(),
      reason: identity.linkedinStatusReason,
      accountId: identity.linkedinAccountId,
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

function budgetView(pacing: KindPacing, zone: string) {
  return {
    limit: pacing.limit,
    used: pacing.used,
    left: pacing.left,
    nextSlotAt: pacing.left > 0 && pacing.nextSlotAt !== null ? instantView(pacing.nextSlotAt, zone) : null,
    /** Set while the kind holds back after a failure (null until: until something changes, e.g. a reconnection). */
    heldBack: pacing.holdReason === null ? null : { until: pacing.heldUntil === null ? null : instantView(pacing.heldUntil, zone), reason: pacing.holdReason },
  };
}

/** Today's scraping ledgers (db/scraping-pool): the workspace's shared pool per UTC day, and the identity's own capacity per its local day. */
export interface ScrapingToday {
  pool: { day: string; size: number; used: number; left: number };
  own: { day: string; capacity: number; used: number; left: number };
}

/**
 * The workflow's live status, in the identity's zone and in UTC. `scraping`, when read, adds the
 * ledgers to the scrape budget (whose limit is the workflow's upper bound: pool + own).
 */
export function statusView(status: IdentityStatus, scraping?: ScrapingToday) {
  const zone = status.workingHours.timeZone;
  const account = status.linkedinAccount ?? null;
  return {
    activity: status.activity,
    inWindow: status.inWindow,
    waitingFor: status.waitingFor,
    currentWindowEnd: status.currentWindowEnd === null ? null : instantView(status.currentWindowEnd, zone),
    nextWindowStart: instantView(status.nextWindowStart, zone),
    /** The LinkedIn account as the dispatch last read it; while `actionsWait`, every LinkedIn action waits for `waitingReason`. */
    linkedin:
      account === null
        ? null
        : { status: account.status, since: instantView(account.since, zone), reason: account.reason, actionsWait: account.actionsWait, waitingReason: account.waitingReason },
    relationsSyncedOn: status.relationsSyncedOn ?? null,
    budgetsToday: {
      connectionRequests: budgetView(status.pacing.connectionRequest, zone),
      messages: budgetView(status.pacing.message, zone),
      scrapings: { ...budgetView(status.pacing.scrape, zone), ...(scraping ?? {}) },
      likes: { enabled: status.likesEnabled, ...budgetView(status.pacing.like, zone) },
      emails: budgetView(status.pacing.email, zone),
    },
    raisedLimitsFallBackAt: status.raisedLimitsFallBackAt === null ? null : instantView(status.raisedLimitsFallBackAt, zone),
    autoWithdraw: status.autoWithdraw,
    nextWithdrawalDueAt: status.nextWithdrawalDueAt === null ? null : instantView(status.nextWithdrawalDueAt, zone),
    withdrawalsHeldUntil: status.withdrawalsHeldUntil === null ? null : instantView(status.withdrawalsHeldUntil, zone),
    configVersion: status.configVersion,
  };
}
