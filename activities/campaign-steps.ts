import type { Campaign, Lead, Prisma } from '@prisma/client';
import type { Database } from '../db/client';
import { renderTemplate } from '../domain/templates';
import {
  LinkedinAlreadyConnectedError,
  LinkedinGatewayError,
  PendingInvitationCapError,
  ReinviteBlockedError,
  type LinkedinGateway,
} from '../integrations/linkedin';
import type { CampaignStep } from '../api/campaign-schemas';
import type { LinkedinActionKind } from '../workflows/identity';

/** How long a lead waits before retrying when the pending-invitation cap is reached (withdrawals free room). */
const PENDING_CAP_RETRY_MS = 24 * 3600 * 1000;

export interface DueLeadStepOutcome {
  /** The step performed, which spent one unit of its kind's budget; null when none did. */
  performed: { kind: LinkedinActionKind; leadId: string; stepIndex: number } | null;
  /** Per kind, when the earliest waiting step of the identity's active campaigns is due. */
  nextDueAt: Partial<Record<LinkedinActionKind, number>>;
}

type LeadWithCampaign = Lead & { campaign: Campaign };

function stepOf(lead: LeadWithCampaign): CampaignStep | undefined {
  return (lead.campaign.steps as unknown as CampaignStep[])[lead.stepIndex];
}

function variablesOf(lead: Lead): Record<string, string | null> {
  return {
    ...(lead.variables as Record<string, string>),
    firstName: lead.firstName,
    lastName: lead.lastName,
    company: lead.company,
  };
}

export function createCampaignStepActivities(db: Database, linkedin: LinkedinGateway) {
  const kindOfStep: Record<CampaignStep['kind'], LinkedinActionKind | null> = {
    'linkedin-connection-request': 'connectionRequest',
    'linkedin-message': 'message',
    'linkedin-profile-scrape': 'scrape',
    'linkedin-like': 'like',
    email: null,
  };

  /** The external action of a step. The idempotency key makes the gateway refuse to act twice. */
  async function act(lead: LeadWithCampaign, step: CampaignStep, idempotencyKey: string, at: number, likesOptedOut: boolean) {
    const base = { identityId: lead.identityId, profileUrl: lead.linkedinUrl ?? '', idempotencyKey, at };
    switch (step.kind) {
      case 'linkedin-connection-request':
        return linkedin.sendConnectionRequest({ ...base, note: step.note === undefined ? undefined : renderTemplate(step.note, variablesOf(lead)) });
      case 'linkedin-message':
        return linkedin.sendMessage({ ...base, text: renderTemplate(step.text, variablesOf(lead)) });
      case 'linkedin-profile-scrape':
        return linkedin.scrapeProfile(base);
      case 'linkedin-like':
        return likesOptedOut ? { skipped: 'the identity opted out of likes' } : linkedin.likeLatestPost(base);
      case 'email':
        throw new Error('email steps are not LinkedIn actions');
    }
  }

  /** Moves the lead past its current step: the next step's delay starts now. */
  function advance(lead: LeadWithCampaign, at: number): Prisma.LeadUpdateInput {
    const next = (lead.campaign.steps as unknown as CampaignStep[])[lead.stepIndex + 1];
    return {
      stepIndex: lead.stepIndex + 1,
      nextStepKind: next ? kindOfStep[next.kind] : null,
      dueAt: next ? new Date(at + next.delayMinutes * 60_000) : null,
      state: next ? 'waiting' : 'done',
      waitingReason: null,
    };
  }

  async function nextDueAt(identityId: string): Promise<DueLeadStepOutcome['nextDueAt']> {
    const rows = await db.lead.groupBy({
      by: ['nextStepKind'],
      where: { identityId, state: 'waiting', dueAt: { not: null }, campaign: { status: 'active' } },
      _min: { dueAt: true },
    });
    return Object.fromEntries(
      rows.flatMap((row) => (row.nextStepKind && row._min.dueAt ? [[row.nextStepKind, row._min.dueAt.getTime()]] : [])),
    );
  }

  return {
    /**
     * Performs the oldest due step among `readyKinds` (those with budget and a reached slot), then
     * answers when each kind's next step is due. Like steps are skipped without an action while
     * the identity opts out of likes. Idempotent: the action is keyed by campaign/lead/step.
     */
    async runDueLeadStep(input: { identityId: string; at: number; readyKinds: LinkedinActionKind[]; likesOptedOut: boolean }): Promise<DueLeadStepOutcome> {
      const kinds = input.likesOptedOut ? [...new Set([...input.readyKinds, 'like' as const])] : input.readyKinds;
      const lead =
        kinds.length === 0
          ? null
          : await db.lead.findFirst({
              where: { identityId: input.identityId, state: 'waiting', nextStepKind: { in: kinds }, dueAt: { lte: new Date(input.at) }, campaign: { status: 'active' } },
              orderBy: [{ dueAt: 'asc' }, { id: 'asc' }],
              include: { campaign: true },
            });
      const performed = lead ? await performStep(lead, input.at, input.likesOptedOut) : null;
      return { performed, nextDueAt: await nextDueAt(input.identityId) };
    },
  };

  async function performStep(lead: LeadWithCampaign, at: number, likesOptedOut: boolean): Promise<DueLeadStepOutcome['performed']> {
    const step = stepOf(lead);
    const kind = step ? kindOfStep[step.kind] : null;
    if (!step || !kind) {
      await db.lead.update({ where: { id: lead.id }, data: { state: 'error', error: `step ${lead.stepIndex} cannot run here`, dueAt: null } });
      return null;
    }
    const idempotencyKey = `${lead.campaignId}/${lead.id}/${lead.stepIndex}`;
    const alreadyDone = await db.leadAction.findUnique({ where: { idempotencyKey } });
    if (alreadyDone) {
      // A retry after a crash between the action and this bookkeeping: advance only.
      await db.lead.update({ where: { id: lead.id }, data: advance(lead, alreadyDone.performedAt.getTime()) });
      return null;
    }
    try {
      const result = await act(lead, step, idempotencyKey, at, likesOptedOut).catch((error: unknown) => {
        // Inviting an existing connection has nothing left to do: the step is complete, no budget spent.
        if (error instanceof LinkedinAlreadyConnectedError) return { skipped: 'already connected' };
        throw error;
      });
      await db.$transaction([
        db.leadAction.create({
          data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind, idempotencyKey, performedAt: new Date(at), result: result as Prisma.InputJsonValue },
        }),
        db.lead.update({ where: { id: lead.id }, data: advance(lead, at) }),
      ]);
      const skipped = 'skipped' in result;
      return skipped ? null : { kind, leadId: lead.id, stepIndex: lead.stepIndex };
    } catch (error) {
      if (error instanceof ReinviteBlockedError) {
        await db.lead.update({
          where: { id: lead.id },
          data: { dueAt: new Date(error.blockedUntil), waitingReason: `re-invite blocked until ${new Date(error.blockedUntil).toISOString()}` },
        });
        return null;
      }
      if (error instanceof PendingInvitationCapError) {
        await db.lead.update({
          where: { id: lead.id },
          data: { dueAt: new Date(at + PENDING_CAP_RETRY_MS), waitingReason: `LinkedIn's pending-invitation cap (${error.cap}) is reached: waiting for withdrawals` },
        });
        return null;
      }
      if (error instanceof LinkedinGatewayError && !error.retryable) {
        await db.lead.update({ where: { id: lead.id }, data: { state: 'error', error: `${error.code}: ${error.message}`, dueAt: null } });
        return null;
      }
      throw error;
    }
  }
}
