import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  IDENTITY_ID_SEARCH_ATTRIBUTE,
  WORKSPACE_ID_SEARCH_ATTRIBUTE,
  campaignsChanged,
  identityConfigChanged,
  identityDeleted,
  workspaceScrapingPoolChanged,
  identityStatus,
  identityWorkflow,
  identityWorkflowId,
  type IdentityConfig,
  type IdentityStatus,
} from '../workflows/identity';

export interface IdentityRecordForWorkflow {
  id: string;
  workspaceId: string;
  config: IdentityConfig;
  workspaceScrapingPool: number;
}

/** How the API tells identity workflows what changed. It never waits for them to act. */
export class IdentityWorkflows {
  constructor(
    /** Also used by the warm-up routes (api/warmup.ts) to reach their workflows. */
    readonly client: Client,
    readonly taskQueue: string,
  ) {}

  async start(identity: IdentityRecordForWorkflow): Promise<void> {
    await this.client.workflow.start(identityWorkflow, {
      workflowId: identityWorkflowId(identity.id),
      taskQueue: this.taskQueue,
      args: [{ identityId: identity.id, workspaceId: identity.workspaceId, config: identity.config, workspaceScrapingPool: identity.workspaceScrapingPool }],
      typedSearchAttributes: [
        { key: IDENTITY_ID_SEARCH_ATTRIBUTE, value: identity.id },
        { key: WORKSPACE_ID_SEARCH_ATTRIBUTE, value: identity.workspaceId },
      ],
    });
  }

  /** Signal-with-start: a change reaches the workflow even if it had been terminated by an operator. */
  async configChanged(identity: IdentityRecordForWorkflow): Promise<void> {
    await this.client.workflow.signalWithStart(identityWorkflow, {
      workflowId: identityWorkflowId(identity.id),
      taskQueue: this.taskQueue,
      args: [{ identityId: identity.id, workspaceId: identity.workspaceId, config: identity.config, workspaceScrapingPool: identity.workspaceScrapingPool }],
      signal: identityConfigChanged,
      signalArgs: [identity.config],
      typedSearchAttributes: [
        { key: IDENTITY_ID_SEARCH_ATTRIBUTE, value: identity.id },
        { key: WORKSPACE_ID_SEARCH_ATTRIBUTE, value: identity.workspaceId },
      ],
    });
  }

  /** Campaigns or leads changed: the workflow re-reads what is due. A missing workflow is fine (deleted identity). */
  async campaignsChanged(identityId: string): Promise<void> {
    await this.signalIfRunning(() => this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(campaignsChanged));
  }

  async workspaceScrapingPoolChanged(identityId: string, pool: number): Promise<void> {
    await this.signalIfRunning(() =>
      this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(workspaceScrapingPoolChanged, pool),
    );
  }

  private async signalIfRunning(signal: () => Promise<void>): Promise<void> {
    try {
      await signal();
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }

  /** Ends the identity's workflow; its history stays in Temporal. An already-ended workflow is fine. */
  async deleted(identityId: string): Promise<void> {
    await this.signalIfRunning(() => this.client.workflow.getHandle(identityWorkflowId(identityId)).signal(identityDeleted));
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
