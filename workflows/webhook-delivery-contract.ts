/**
 * The contract of the webhook workflows (docs/webhooks.md): their ids, inputs, and the one way to start
 * them, shared by the API and the worker (whose activities publish events too). The API and the worker
 * import this module, never the workflow bodies; workflow code imports only its types.
 *
 * - `webhook/<endpointId>/<eventId>`: one event to one endpoint, attempts with durable timers between
 *   them. Its id is never reused (REJECT_DUPLICATE), so starting a delivery twice delivers it once.
 * - `webhook-outbox-relay/<taskQueue>`: starts deliveries whose start was lost (the outbox relay).
 */
import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { WebhookDeliveryRef, WebhookDeliveryStarter } from '../domain/webhooks';
import { WORKSPACE_ID_SEARCH_ATTRIBUTE } from './identity-contract';

export const WEBHOOK_DELIVERY_WORKFLOW_TYPE = 'webhookDeliveryWorkflow';
export const WEBHOOK_OUTBOX_RELAY_WORKFLOW_TYPE = 'webhookOutboxRelayWorkflow';

export type WebhookDeliveryInput = WebhookDeliveryRef;

/** How a delivery ended. */
export type WebhookDeliveryOutcome = 'delivered' | 'failed' | 'cancelled';

export interface WebhookOutboxRelayInput {
  /** Passes done by earlier runs (carried across continue-as-new, for the UI's details only). */
  passes?: number;
}

export function webhookDeliveryWorkflowId(delivery: Pick<WebhookDeliveryRef, 'endpointId' | 'eventId'>): string {
  return `webhook/${delivery.endpointId}/${delivery.eventId}`;
}

export function webhookOutboxRelayWorkflowId(taskQueue: string): string {
  return `webhook-outbox-relay/${taskQueue}`;
}

/** Where a start that failed is reported; pino's `warn(details, message)` fits. */
export interface StartFailureLog {
  warn(details: object, message: string): void;
}

/**
 * The starter the API and the worker hand to publishers: one workflow per delivery, started at once.
 * A workflow already running or finished under the same id counts as started.
 */
export function temporalWebhookDeliveries(client: Client, taskQueue: string, log?: StartFailureLog): WebhookDeliveryStarter {
  return {
    async start(deliveries) {
      const started: string[] = [];
      for (const delivery of deliveries) {
        try {
          await client.workflow.start(WEBHOOK_DELIVERY_WORKFLOW_TYPE, {
            workflowId: webhookDeliveryWorkflowId(delivery),
            taskQueue,
            args: [delivery] as [WebhookDeliveryInput],
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
            typedSearchAttributes: [{ key: WORKSPACE_ID_SEARCH_ATTRIBUTE, value: delivery.workspaceId }],
          });
          started.push(delivery.deliveryId);
        } catch (error) {
          if (error instanceof WorkflowExecutionAlreadyStartedError) {
            started.push(delivery.deliveryId);
            continue;
          }
          log?.warn({ deliveryId: delivery.deliveryId, eventId: delivery.eventId, err: error }, 'webhook delivery not started now; the outbox relay starts it within a minute or two');
        }
      }
      return started;
    },
  };
}

/** Starts the outbox relay of this task queue unless it runs (API start-up; idempotent). */
export async function ensureWebhookOutboxRelay(client: Client, taskQueue: string): Promise<void> {
  await client.workflow.start(WEBHOOK_OUTBOX_RELAY_WORKFLOW_TYPE, {
    workflowId: webhookOutboxRelayWorkflowId(taskQueue),
    taskQueue,
    args: [{}] as [WebhookOutboxRelayInput],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
