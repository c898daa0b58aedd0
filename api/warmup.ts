/**
 * Warm-up routes (SPEC §3 "Warm-up"): start, read and stop the warm-up of one of an identity's inboxes.
 * The WarmupWorkflow (`warmup/<inboxId>`) owns the two weeks; the API starts it, asks it, or stops it.
 */
import type { EmailInbox, InboxWarmup, Prisma } from '@prisma/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db/client';
import { warmupDaysLeft, type PausedCampaign, type WarmupState } from '../domain/warmup';
import { ConflictError, NotFoundError, ServiceUnavailableError, WarmupRefusedError } from '../lib/errors';
import { IDENTITY_ID_SEARCH_ATTRIBUTE, WORKSPACE_ID_SEARCH_ATTRIBUTE } from '../workflows/identity-contract';
import { stopWarmup, WARMUP_WORKFLOW_TYPE, warmupStarted, warmupStatus, warmupWorkflowId, type WarmupStatus, type WarmupWorkflowInput } from '../workflows/warmup-contract';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import { isUuid } from './ids';
import { parseInput } from './problem';

export const startWarmupSchema = z.strictObject({
  /** Pause the identity's active campaigns for the two weeks (SPEC: recommended). Default true. */
  pauseCampaigns: z.boolean().default(true),
});

/** How the API reaches warm-up workflows. */
export class WarmupWorkflows {
  constructor(
    private readonly client: Client,
    private readonly taskQueue: string,
  ) {}

  /**
   * Starts `warmup/<inboxId>`, or finds the one already running (the same id: starting twice is
   * idempotent), and answers once it is recorded and started at the provider.
   */
  async start(input: WarmupWorkflowInput): Promise<{ status: WarmupStatus; created: boolean }> {
    let created = true;
    try {
      await this.client.workflow.start(WARMUP_WORKFLOW_TYPE, {
        workflowId: warmupWorkflowId(input.inboxId),
        taskQueue: this.taskQueue,
        args: [input],
        // A finished warm-up may be followed by a new one; a running one is never started twice.
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [
          { key: IDENTITY_ID_SEARCH_ATTRIBUTE, value: input.identityId },
          { key: WORKSPACE_ID_SEARCH_ATTRIBUTE, value: input.workspaceId },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      created = false;
    }
    const status = await this.client.workflow.getHandle(warmupWorkflowId(input.inboxId)).executeUpdate(warmupStarted);
    return { status, created };
  }

  /** The live status of the running warm-up, or null when none runs. */
  async status(inboxId: string): Promise<WarmupStatus | null> {
    try {
      return await this.client.workflow.getHandle(warmupWorkflowId(inboxId)).query(warmupStatus);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }

  /** Stops the running warm-up and answers once the provider is stopped and campaigns resumed. */
  async stop(inboxId: string): Promise<WarmupStatus> {
    return this.client.workflow.getHandle(warmupWorkflowId(inboxId)).executeUpdate(stopWarmup);
  }
  /** Stops the inbox's running warm-up (its inbox is disconnected); false when none runs. */
  async stopIfRunning(db: Database, inboxId: string): Promise<boolean> {
    const row = await db.inboxWarmup.findUnique({ where: { inboxId }, select: { state: true } });
    if (row?.state !== 'running') return false;
    try {
      await this.stop(inboxId);
      return true;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return false;
      throw error;
    }
  }

  /**
   * Stops every warm-up of a deleted identity, so the provider stops warming its addresses. One whose
   * workflow is gone (terminated by an operator) has nothing left to stop.
   */
  async stopAllOf(db: Database, identityId: string): Promise<void> {
    const running = await db.inboxWarmup.findMany({ where: { identityId, state: 'running' }, select: { inboxId: true } });
    for (const { inboxId } of running) {
      await this.stop(inboxId).catch((error: unknown) => {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
    }
  }
}

/**
 * Campaign id → why it is paused, for the campaigns a running warm-up paused and nobody touched since
 * (the identity's `/status`).
 */
export async function warmupPauseReasons(db: Database, campaigns: { id: string; identityId: string; version: number }[]): Promise<Map<string, string>> {
  const reasons = new Map<string, string>();
  const identityIds = [...new Set(campaigns.map((campaign) => campaign.identityId))];
  if (identityIds.length === 0) return reasons;
  const running = await db.inboxWarmup.findMany({ where: { identityId: { in: identityIds }, state: 'running' } });
  for (const warmup of running) {
    const inbox = await db.emailInbox.findUnique({ where: { id: warmup.inboxId }, select: { email: true } });
    for (const paused of warmup.pausedCampaigns as unknown as PausedCampaign[]) {
      if (campaigns.some((campaign) => campaign.id === paused.id && campaign.version === paused.version)) {
        reasons.set(paused.id, `paused for the warm-up of ${inbox?.email ?? warmup.inboxId} until ${warmup.endsAt.toISOString()}`);
      }
    }
  }
  return reasons;
}

const REFUSAL_GUIDANCE: Record<string, string> = {
  'mailbox-not-connected':
    'The warm-up service (Instantly) warms only mailboxes connected to it: add this address in Instantly (Email accounts, with the mailbox\'s own sign-in), then start the warm-up again.',
  'provider-unauthorized': 'The warm-up service refused Pacer\'s API key: the operator must check INSTANTLY_API_KEY (or WARMUP_PROVIDER_TOKEN) and its scopes.',
};

/** The provider's recorded refusal of this start, as the problem the API answers. */
function refusal(row: InboxWarmup | null, startedAt: number): WarmupRefusedError | null {
  const error = row?.providerError as { code?: string; message?: string } | null | undefined;
  if (!row || !error || row.startedAt.getTime() !== startedAt) return null;
  const code = error.code ?? 'request-rejected';
  return new WarmupRefusedError(code, error.message ?? 'the warm-up provider refused the address', REFUSAL_GUIDANCE[code] ?? 'The warm-up did not start and the campaigns it paused were resumed. Check the address at the warm-up provider, then start it again.');
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** One shape whether it comes from the workflow (live) or the row (finished). */
function warmupView(inbox: EmailInbox, live: WarmupStatus | null, row: InboxWarmup | null, now: number) {
  if (live) {
    return {
      inboxId: inbox.id,
      address: inbox.email,
      state: live.state,
      startedAt: iso(live.startedAt),
      endsAt: iso(live.endsAt),
      daysLeft: live.daysLeft,
      pauseCampaigns: live.pauseCampaigns,
      pausedCampaignIds: live.pausedCampaignIds,
      resumedCampaignIds: live.resumedCampaignIds,
      provider: live.provider ? { ...live.provider, startedAt: iso(live.provider.startedAt) } : null,
    };
  }
  const state = row!.state as WarmupState;
  return {
    inboxId: inbox.id,
    address: inbox.email,
    state,
    startedAt: row!.startedAt.toISOString(),
    endsAt: row!.endsAt.toISOString(),
    daysLeft: state === 'running' ? warmupDaysLeft(row!.endsAt.getTime(), now) : 0,
    pauseCampaigns: row!.pauseCampaigns,
    pausedCampaignIds: (row!.pausedCampaigns as unknown as PausedCampaign[]).map((campaign) => campaign.id),
    resumedCampaignIds: null,
    provider: row!.providerStatus ?? null,
    providerError: row!.providerError ?? null,
  };
}

async function reachingTemporal<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new ServiceUnavailableError(`The warm-up workflow could not be reached (${(error as Error).message})`);
  }
}

export function warmupRoutes(db: Database, identities: IdentityService, workflows: WarmupWorkflows): Router {
  const router = Router();
  const path = '/identities/:id/email-accounts/:accountId/warmup';

  async function ownedInbox(request: Parameters<typeof callerOf>[0]): Promise<EmailInbox> {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, String(request.params.id));
    const accountId = String(request.params.accountId);
    const inbox = isUuid(accountId) ? await db.emailInbox.findFirst({ where: { id: accountId, identityId: identity.id } }) : null;
    if (!inbox) throw new NotFoundError(`No email account ${accountId}`);
    return inbox;
  }

  async function audit(request: Parameters<typeof callerOf>[0], inbox: EmailInbox, action: string, after: Prisma.InputJsonObject) {
    const caller = callerOf(request);
    await db.auditEntry.create({ data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'email-inbox', entityId: inbox.id, action, after } });
  }

  /** Starts a two-week warm-up; 201 when started, 200 with the running one when it already runs. */
  router.post(path, async (request, response) => {
    const inbox = await ownedInbox(request);
    const { pauseCampaigns } = parseInput(startWarmupSchema, request.body ?? {});
    const running = await db.inboxWarmup.findUnique({ where: { inboxId: inbox.id } });
    if (running?.state !== 'running' && inbox.status !== 'connected') {
      throw new ConflictError(`${inbox.email} is disconnected: reconnect it before warming it up`);
    }
    const { status, created } = await reachingTemporal(() =>
      workflows.start({ inboxId: inbox.id, identityId: inbox.identityId, workspaceId: inbox.workspaceId, pauseCampaigns }),
    );
    // The provider may have refused the address (not connected at Instantly): the warm-up ends at once; say why.
    const refused = refusal(await db.inboxWarmup.findUnique({ where: { inboxId: inbox.id } }), status.startedAt);
    if (refused) throw refused;
    if (created) await audit(request, inbox, 'email-inbox.warmup.started', { pauseCampaigns, startedAt: iso(status.startedAt), endsAt: iso(status.endsAt) });
    response.status(created ? 201 : 200).json(warmupView(inbox, status, null, Date.now()));
  });

  /** State, start, end, days left and the provider's status: live from the workflow while it runs. */
  router.get(path, async (request, response) => {
    const inbox = await ownedInbox(request);
    const row = await db.inboxWarmup.findUnique({ where: { inboxId: inbox.id } });
    if (!row) throw new NotFoundError(`${inbox.email} has never been warmed up`);
    const live = row.state === 'running' ? await workflows.status(inbox.id).catch(() => null) : null;
    response.json(warmupView(inbox, live?.state === 'running' ? live : null, row, Date.now()));
  });

  /** Stops a running warm-up early (provider stopped, campaigns resumed); a finished one is answered as is. */
  router.delete(path, async (request, response) => {
    const inbox = await ownedInbox(request);
    const row = await db.inboxWarmup.findUnique({ where: { inboxId: inbox.id } });
    if (!row) throw new NotFoundError(`${inbox.email} has never been warmed up`);
    if (row.state !== 'running') {
      response.json(warmupView(inbox, null, row, Date.now()));
      return;
    }
    const status = await workflows.stop(inbox.id).catch(async (error: unknown) => {
      // The warm-up may have ended between the read and the stop: answer how it ended.
      const ended = await db.inboxWarmup.findUnique({ where: { inboxId: inbox.id } });
      if (ended && ended.state !== 'running') return null;
      throw new ServiceUnavailableError(`The warm-up workflow could not be reached (${(error as Error).message})`);
    });
    if (!status) {
      response.json(warmupView(inbox, null, await db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: inbox.id } }), Date.now()));
      return;
    }
    await audit(request, inbox, 'email-inbox.warmup.stopped', { daysLeftWhenStopped: warmupDaysLeft(status.endsAt, status.now), resumedCampaignIds: status.resumedCampaignIds });
    response.json(warmupView(inbox, status, null, Date.now()));
  });

  return router;
}
