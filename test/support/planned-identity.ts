import type { PlannedIdentity } from '../../activities/dispatch-plan';
import type { IdentityConfig } from '../../domain/identity-config';

/** A plan as the plan activity answers it for an identity with nothing due, one 30-a-day inbox and nothing needing attention. */
export function plannedIdentity(config: IdentityConfig, overrides: Partial<PlannedIdentity> = {}): PlannedIdentity {
  return {
    deleted: false,
    config,
    scrapingPool: 0,
    nextDueAt: {},
    emailDailyCapacity: 30,
    dueWithdrawals: [],
    withdrawalOutlook: { oldestPendingSentAt: null, manualWithdrawalRequested: false },
    replyInboxIds: [],
    attention: { linkedinNeedsReconnect: false, inboxesNeedingReconnect: 0, inboxesFailingSync: 0 },
    ...overrides,
  };
}
