/**
 * The plan (read-only): what is due for an identity now, read fresh from PostgreSQL at every pass
 * of its workflow, with the configuration it acts on. A lost or repeated signal therefore heals on
 * the next pass: the workflow never acts on a configuration the database does not hold.
 */
import type { Database } from '../db/client';
import { WITHDRAWALS_PER_PASS, type BudgetSnapshot, type DispatchPlan } from '../domain/dispatch';
import { identityConfigOf, type IdentityConfig } from '../domain/identity-config';
import { effectiveInboxRate, rateOverrideOf } from '../domain/inbox-rate';
import { autoWithdrawalCutoff } from '../domain/invitations';
import { ACTION_KINDS, type ActionKind } from '../domain/steps';
import { recordActionDeferred, recordBudget } from '../lib/metrics';
import { activeWaiting } from './lead-steps';

export interface PlannedIdentity extends DispatchPlan {
  /** The configuration as PostgreSQL holds it; null once the identity is deleted. */
  config: IdentityConfig | null;
  /** The workspace's shared daily scraping pool. */
  scrapingPool: number;
}

function isActionKind(value: string | null): value is ActionKind {
  return value !== null && (ACTION_KINDS as readonly string[]).includes(value);
}

function exportBudget(identityId: string, budget: BudgetSnapshot, nextDueAt: Partial<Record<ActionKind, number>>, at: number): void {
  for (const { kind, used, left } of budget.kinds) {
    recordBudget(identityId, { kind, used, left, validUntil: budget.validUntil });
    if (left === 0 && (nextDueAt[kind] ?? Infinity) <= at) recordActionDeferred(kind, 'budget-spent');
  }
}

export function createDispatchPlanActivities({ db }: { db: Database }) {
  return {
    /**
     * What is due for the identity at `at` (workflow time). Changes nothing, so it may be retried
     * freely. `budget` is the workflow's, exported as metrics (with the due steps it puts off).
     */
    async planDispatch(input: { identityId: string; at: number; budget?: BudgetSnapshot }): Promise<PlannedIdentity> {
      const { identityId, at } = input;
      const identity = await db.identity.findUnique({ where: { id: identityId }, include: { workspace: { select: { linkedinScrapingPoolPerDay: true } } } });
      if (!identity || identity.deletedAt !== null) {
        return {
          deleted: true,
          config: null,
          scrapingPool: 0,
          nextDueAt: {},
          emailDailyCapacity: 0,
          dueWithdrawals: [],
          withdrawalOutlook: { oldestPendingSentAt: null, manualWithdrawalRequested: false },
          replyInboxIds: [],
          attention: { linkedinNeedsReconnect: false, inboxesNeedingReconnect: 0, inboxesFailingSync: 0 },
        };
      }
      const config = identityConfigOf(identity);
      const cutoff = autoWithdrawalCutoff(at, config.autoWithdraw);
      const [dueRows, queued, inboxes, carrying, manual, automatic, oldestPending, inboxHealth] = await Promise.all([
        db.lead.groupBy({ by: ['nextActionKind'], where: { ...activeWaiting(identityId), dueAt: { not: null } }, _min: { dueAt: true } }),
        db.linkedinInvitation.findFirst({ where: { identityId, status: 'queued' }, orderBy: { requestedAt: 'asc' }, select: { requestedAt: true } }),
        db.emailInbox.findMany({ where: { identityId, status: 'connected' } }),
        db.lead.groupBy({ by: ['inboxId'], where: { identityId, state: 'waiting', inboxId: { not: null } } }),
        db.linkedinInvitation.findMany({
          where: { identityId, status: 'pending', withdrawalRequestedAt: { not: null } },
          orderBy: [{ withdrawalRequestedAt: 'asc' }, { id: 'asc' }],
          take: WITHDRAWALS_PER_PASS,
          select: { id: true },
        }),
        cutoff === null
          ? Promise.resolve([])
          : db.linkedinInvitation.findMany({
              where: { identityId, status: 'pending', withdrawalRequestedAt: null, sentAt: { lte: new Date(cutoff) } },
              orderBy: [{ sentAt: 'asc' }, { id: 'asc' }],
              take: WITHDRAWALS_PER_PASS,
              select: { id: true },
            }),
        db.linkedinInvitation.findFirst({ where: { identityId, status: 'pending' }, orderBy: { sentAt: 'asc' }, select: { sentAt: true } }),
        db.emailInbox.findMany({ where: { identityId, status: { not: 'disconnected' } }, select: { status: true, syncStatus: true } }),
      ]);

      const nextDueAt: Partial<Record<ActionKind, number>> = {};
      for (const row of dueRows) if (isActionKind(row.nextActionKind) && row._min.dueAt) nextDueAt[row.nextActionKind] = row._min.dueAt.getTime();
      if (queued) nextDueAt.connectionRequest = Math.min(nextDueAt.connectionRequest ?? Infinity, queued.requestedAt.getTime());

      if (input.budget) exportBudget(identityId, input.budget, nextDueAt, at);

      const carryingIds = new Set(carrying.flatMap((row) => (row.inboxId ? [row.inboxId] : [])));
      return {
        deleted: false,
        config,
        scrapingPool: identity.workspace.linkedinScrapingPoolPerDay,
        nextDueAt,
        emailDailyCapacity: inboxes.reduce((sum, inbox) => sum + effectiveInboxRate(inbox, rateOverrideOf(inbox), at).dailyRate, 0),
        dueWithdrawals: [
          ...manual.map((row) => ({ invitationId: row.id, reason: 'manual' as const })),
          ...automatic.map((row) => ({ invitationId: row.id, reason: 'auto' as const })),
        ].slice(0, WITHDRAWALS_PER_PASS),
        withdrawalOutlook: { oldestPendingSentAt: oldestPending?.sentAt?.getTime() ?? null, manualWithdrawalRequested: manual.length > 0 },
        replyInboxIds: inboxes.filter((inbox) => carryingIds.has(inbox.id)).map((inbox) => inbox.id),
        attention: {
          linkedinNeedsReconnect: identity.linkedinStatus === 'needs-reconnect',
          inboxesNeedingReconnect: inboxHealth.filter((inbox) => inbox.status === 'needs-reconnect' || inbox.syncStatus === 'needs-reconnect').length,
          inboxesFailingSync: inboxHealth.filter((inbox) => inbox.status === 'connected' && inbox.syncStatus === 'failing').length,
        },
      };
    },
  };
}
