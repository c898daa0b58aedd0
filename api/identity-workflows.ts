import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from '../lib/logger';
import {
  IDENTITY_ID_SEARCH_ATTRIBUTE,
  IDENTITY_WORKFLOW_TYPE,
  WORKSPACE_ID_SEARCH_ATTRIBUTE,
  campaignsChanged,
  identityConfigChanged,
  identityDeleted,
  identityStatus,
  identityWorkflowId,
  workspaceScrapingPoolChanged,
  type IdentityConfig,
  type IdentityStatus,
  type IdentityWorkflowInput,
} from '../workflows/identity-contract';

export interface IdentityRecordForWorkflow {
  id: string;
  workspaceId: string;
  config: IdentityConfig;
  workspaceScrapingPool: number;
}

/** Attempts (and the pause before each retry) to tell a workflow about a change that is already committed. */
const NOTIFY_RETRY_DELAYS_MS = [0, 100, 400];

/**
 * How the API tells identity workflows what changed. It never waits for them to act.
 *
 * Commit, then signal: callers commit the change first and tell the workflow afterwards, with a few
 * quick retries. A signal that still cannot be delivered is not an error — the change is saved and
 * the workflow reads the record again at its next pass — so the `notify…` methods answer whether
 * the workflow was told now, for the response to say so.
 */
export class IdentityWorkflows {
  constructor(
    /** Also used by the warm-up routes (api/warmup.ts) to reach their workflows. */
    readonly client: Client,
    readonly taskQueue: string,
    private readonly logger?: Pick<Logger, 'warn'>,
  ) {}

  private startOptions(identity: IdentityRecordForWorkflow) {
    const input: IdentityWorkflowInput = { identityId: identity.id, workspaceId: identity.workspaceId, config: identity.config, workspaceScrapingPool: identity.workspaceScrapingPool };
    return {
      workflowId: identityWorkflowId(identity.id),
      taskQueue: this.taskQueue,
      args: [input] as [IdentityWorkflowInput],
      // Ids only: names and addresses stay in PostgreSQL, not in Temporal's histories.
      staticSummary: `Identity ${identity.id} · workspace ${identity.workspaceId}`,
      staticDetails: [
        `Paces identity \`${identity.id}\` (workspace \`${identity.workspaceId}\`): LinkedIn and email actions inside its working hours, within its budgets.`,
        `Status: \`GET /identities/${identity.id}/status\` or the \`identityStatus\` query. Identities needing a person: \`PacerAttention IS NOT NULL\`.`,
      ].join('\n\n'),
      typedSearchAttributes: [
        { key: IDENTITY_ID_SEARCH_ATTRIBUTE, value: identity.id },
        { key: WORKSPACE_ID_SEARCH_ATTRIBUTE, value: identity.workspaceId },
      ],
    };
  }

  /** Tries `tell` a few times; answers whether it succeeded. A missing workflow counts as told when `missingIsFine`. */
  private async notify(what: string, identityId: string, tell: () => Promise<unknown>, missingIsFine = false): Promise<boolean> {
    let last: unknown;
    for (const delay of NOTIFY_RETRY_DELAYS_MS) {
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        await tell();
        return true;
      } catch (error) {
        if (missingIsFine && error instanceof WorkflowNotFoundError) return true;
        last = error;
      }
    }
    this.logger?.warn({ identityId, what, err: last }, 'identity workflow not told about a committed change; it reads the record again at its next pass');
    return false;
  }

  /** Starts the workflow of a new identity (already committed). */
  async start(identity: IdentityRecordForWorkflow): Promise<boolean> {
    return this.notify('start', identity.id, () => this.client.workflow.start(IDENTITY_WORKFLOW_TYPE, this.startOptions(identity)));
  }

  /**
   * A plain signal, which is all a running workflow needs (and the cheapest call for the server);
   * signal-with-start only when none runs (terminated by an operator, or never started), so the
   * change reaches a workflow either way. `recordForStart` reads what starting needs, only then.
   */
  async configChanged(identityId: string, config: IdentityConfig, recordForStart: () => Promise<IdentityRecordForWorkflow>): Promise<boolean> {
    return this.notify('configuration', identityId, async () => {
      try {
        await this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(identityConfigChanged, config);
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        const identity = await recordForStart();
        await this.client.workflow.signalWithStart(IDENTITY_WORKFLOW_TYPE, { ...this.startOptions(identity), signal: identityConfigChanged, signalArgs: [identity.config] });
      }
    });
  }

  /** Campaigns, leads, inboxes or invitations changed: the workflow re-reads what is due. A missing workflow is fine (deleted identity). */
  async campaignsChanged(identityId: string): Promise<boolean> {
    return this.notify('campaigns', identityId, () => this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(campaignsChanged), true);
  }

  async workspaceScrapingPoolChanged(identityId: string, pool: number): Promise<boolean> {
    return this.notify('scraping pool', identityId, () => this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(workspaceScrapingPoolChanged, pool), true);
  }

  /** Ends the identity's workflow; its history stays in Temporal. An already-ended workflow is fine. */
  async deleted(identityId: string): Promise<boolean> {
    return this.notify('deletion', identityId, () => this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(identityDeleted), true);
  }

  /** The live status, or null when no workflow runs for this identity. */
  async status(identityId: string): Promise<IdentityStatus | null> {
    try {
      return await this.client.workflow.getHandle(identityWorkflowId(identityId)).query(identityStatus);
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return null;
      throw error;
    }
  }
}
