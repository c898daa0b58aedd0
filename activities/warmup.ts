/**
 * Side effects of the WarmupWorkflow: the warm-up row, pausing and resuming the identity's campaigns,
 * and the warm-up provider. Each one is idempotent: a retry (or a replay after a worker restart) finds
 * what the first attempt did and does not do it twice.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { recordEvents, startDeliveries } from '../db/webhook-events';
import { campaignsToResume, inboxWarmingUpReason, type PausedCampaign, type WarmupState } from '../domain/warmup';
import { warmupCompleted, type WebhookDeliveryStarter } from '../domain/webhooks';
import { WarmupProviderError, type WarmupProvider, type WarmupProviderStatus } from '../integrations/warmup';

export interface BeginWarmupInput {
  inboxId: string;
  identityId: string;
  workspaceId: string;
  pauseCampaigns: boolean;
  /** Workflow time: the workflow's clock decides the 14 days. */
  startedAt: number;
  endsAt: number;
}

/** Provider refusals that retrying cannot fix fail the activity at once; the others are retried. */
async function provider<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof WarmupProviderError && !error.retryable) {
      throw ApplicationFailure.nonRetryable(error.message, error.name, { code: error.code, status: error.status ?? null });
    }
    throw error;
  }
}

function asJson(status: WarmupProviderStatus): Prisma.InputJsonValue {
  return { ...status, startedAt: new Date(status.startedAt).toISOString() };
}

export function createWarmupActivities(deps: { db: Database; warmup: WarmupProvider; webhooks?: { deliveries?: WebhookDeliveryStarter } }) {
  const { db, warmup } = deps;
  const addressOf = async (inboxId: string) => (await db.emailInbox.findUniqueOrThrow({ where: { id: inboxId }, select: { email: true } })).email;

  return {
    /**
     * Records the warm-up (replacing the row of a finished one) and, with pauseCampaigns, pauses the
     * identity's active campaigns, remembering each one's version after the pause. Idempotent: a row
     * already recorded for this start is returned as is.
     */
    async beginWarmup(input: BeginWarmupInput): Promise<{ address: string; pausedCampaignIds: string[] }> {
      return db.$transaction(async (tx) => {
        const inbox = await tx.emailInbox.findUniqueOrThrow({ where: { id: input.inboxId } });
        const existing = await tx.inboxWarmup.findUnique({ where: { inboxId: input.inboxId } });
        if (existing && existing.startedAt.getTime() === input.startedAt) {
          return { address: inbox.email, pausedCampaignIds: (existing.pausedCampaigns as unknown as PausedCampaign[]).map((c) => c.id) };
        }
        // A row still running belongs to a warm-up whose workflow was ended from outside (an operator
        // terminated it): the campaigns it paused are kept, so this warm-up resumes them at its end.
        const paused: PausedCampaign[] = existing?.state === 'running' ? [...(existing.pausedCampaigns as unknown as PausedCampaign[])] : [];
        if (input.pauseCampaigns) {
          const active = await tx.campaign.findMany({ where: { identityId: input.identityId, status: 'active' } });
          for (const campaign of active) {
            const updated = await tx.campaign.update({ where: { id: campaign.id }, data: { status: 'paused', version: { increment: 1 } } });
            paused.push({ id: updated.id, version: updated.version });
            await tx.auditEntry.create({
              data: {
                workspaceId: input.workspaceId,
                entityType: 'campaign',
                entityId: campaign.id,
                action: 'campaign.paused-for-warmup',
                before: { status: 'active' },
                after: { status: 'paused', warmupInboxId: input.inboxId },
              },
            });
          }
        }
        const row = {
          workspaceId: input.workspaceId,
          identityId: input.identityId,
          state: 'running',
          startedAt: new Date(input.startedAt),
          endsAt: new Date(input.endsAt),
          finishedAt: null,
          pauseCampaigns: input.pauseCampaigns,
          pausedCampaigns: paused as unknown as Prisma.InputJsonValue,
        };
        await tx.inboxWarmup.upsert({ where: { inboxId: input.inboxId }, create: { inboxId: input.inboxId, ...row }, update: { ...row, providerStatus: Prisma.DbNull, providerError: Prisma.DbNull } });
        return { address: inbox.email, pausedCampaignIds: paused.map((campaign) => campaign.id) };
      });
    },

    /**
     * Starts warming the address at the provider (idempotent there: one warm-up per inbox). A refusal
     * that retrying cannot fix (e.g. the mailbox is not connected at Instantly) is kept on the row, so
     * the API can say why the warm-up did not start.
     */
    async startWarmupAtProvider(input: { inboxId: string; address: string; at: number }): Promise<WarmupProviderStatus> {
      try {
        const status = await provider(() => warmup.start(input));
        await db.inboxWarmup.update({ where: { inboxId: input.inboxId }, data: { providerStatus: asJson(status), providerError: Prisma.DbNull } });
        return status;
      } catch (error) {
        if (error instanceof ApplicationFailure && error.nonRetryable) {
          const { code } = (error.details?.[0] ?? {}) as { code?: string };
          await db.inboxWarmup.update({ where: { inboxId: input.inboxId }, data: { providerError: { code: code ?? 'request-rejected', message: error.message } } });
        }
        throw error;
      }
    },

    /** Reads the provider's progress and keeps it on the row (GET shows it once the workflow is gone). */
    async recordWarmupProgress(input: { inboxId: string; at: number }): Promise<WarmupProviderStatus> {
      const address = await addressOf(input.inboxId);
      const status = await provider(() => warmup.status({ ...input, address }));
      await db.inboxWarmup.update({ where: { inboxId: input.inboxId }, data: { providerStatus: asJson(status) } });
      return status;
    },

    /** Stops the provider; a warm-up the provider does not know (never started) has nothing to stop. */
    async stopWarmupAtProvider(input: { inboxId: string; at: number }): Promise<WarmupProviderStatus | null> {
      const address = await addressOf(input.inboxId);
      try {
        return await provider(() => warmup.stop({ ...input, address }));
      } catch (error) {
        if (error instanceof ApplicationFailure && (error.details?.[0] as { code?: string } | undefined)?.code === 'not-found') return null;
        throw error;
      }
    },

    /**
     * Ends the warm-up: the row's final state, the campaigns it paused that nobody touched since
     * resumed, and the inbox's leads that waited for the warm-up due again. Idempotent.
     */
    async finishWarmup(input: { inboxId: string; state: Exclude<WarmupState, 'running'>; at: number; providerStatus: WarmupProviderStatus | null }): Promise<{ resumedCampaignIds: string[] }> {
      const { resumedCampaignIds, deliveries } = await db.$transaction(async (tx) => {
        const row = await tx.inboxWarmup.findUniqueOrThrow({ where: { inboxId: input.inboxId } });
        if (row.state !== 'running') return { resumedCampaignIds: [], deliveries: [] };
        const paused = row.pausedCampaigns as unknown as PausedCampaign[];
        const current = await tx.campaign.findMany({ where: { id: { in: paused.map((campaign) => campaign.id) } } });
        const resume = campaignsToResume(paused, current);
        for (const id of resume) {
          await tx.campaign.update({ where: { id }, data: { status: 'active', version: { increment: 1 } } });
          await tx.auditEntry.create({
            data: {
              workspaceId: row.workspaceId,
              entityType: 'campaign',
              entityId: id,
              action: 'campaign.resumed-after-warmup',
              before: { status: 'paused' },
              after: { status: 'active', warmupInboxId: input.inboxId, warmup: input.state },
            },
          });
        }
        const inbox = await tx.emailInbox.findUnique({ where: { id: input.inboxId } });
        if (inbox) {
          // The leads held for this warm-up (sticky to the inbox, or with no other inbox to start on) are due again.
          await tx.lead.updateMany({
            where: { identityId: row.identityId, state: 'waiting', waitingReason: inboxWarmingUpReason(inbox.email, row.endsAt.getTime()) },
            data: { dueAt: new Date(input.at), waitingReason: null },
          });
        }
        await tx.inboxWarmup.update({
          where: { inboxId: input.inboxId },
          data: { state: input.state, finishedAt: new Date(input.at), ...(input.providerStatus ? { providerStatus: asJson(input.providerStatus) } : {}) },
        });
        // A warm-up that ran to its end is warmup.completed (one stopped early is not), recorded with its end.
        const event = warmupCompleted({ ...row, startedAt: row.startedAt.getTime() }, { email: inbox?.email ?? null, finishedAt: input.at, resumedCampaignIds: resume });
        return { resumedCampaignIds: resume, deliveries: input.state === 'completed' ? await recordEvents(tx, [event]) : [] };
      });
      await startDeliveries(deps.webhooks?.deliveries, deliveries);
      return { resumedCampaignIds };
    },
  };
}
