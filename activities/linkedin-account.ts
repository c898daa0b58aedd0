/**
 * What an action does when LinkedIn says the identity's account cannot act (LinkedinAuthError): the
 * status is recorded on the identity (db/linkedin-connection, audited), so the next plan holds every
 * LinkedIn action and the API shows why, instead of lead after lead failing. Reconnecting (hosted
 * sign-in, a webhook) changes the status and wakes the workflow.
 */
import type { ApplicationFailure } from '@temporalio/activity';
import type { Database } from '../db/client';
import { connectionOf, recordLinkedinConnection } from '../db/linkedin-connection';
import { startDeliveries } from '../db/webhook-events';
import { observeConnection } from '../domain/linkedin-connection';
import type { WebhookDeliveryStarter } from '../domain/webhooks';
import { LinkedinAuthError, LinkedinGatewayError } from '../integrations/linkedin';
import { linkedinAccountDisconnected, misconfigured, unavailable } from './action-support';

/**
 * Records what `error` says about the account and answers the failure to throw. `startedAt` is when the
 * failed call began: a reconnection stored after it makes the error stale, so nothing is recorded and
 * the kind is only held back briefly (it tries again with the reconnected account). A status that
 * becomes needs-reconnect publishes `linkedin.needs_reconnect`, whose deliveries `deliveries` starts.
 */
export async function accountCannotAct(
  db: Database,
  identityId: string,
  error: LinkedinAuthError,
  times: { startedAt: number; at: number },
  source: string,
  deliveries: WebhookDeliveryStarter | undefined,
): Promise<ApplicationFailure> {
  const { startedAt, at } = times;
  const identity = await db.identity.findUnique({ where: { id: identityId } });
  if (!identity) return linkedinAccountDisconnected(error, null);
  if (identity.linkedinStatus === 'connected' && identity.linkedinStatusSince.getTime() > startedAt) {
    return unavailable(`${error.message}; the account was reconnected meanwhile: trying again`);
  }
  const observed = { status: error.connection, reason: error.message };
  const recorded = await db.$transaction((tx) => recordLinkedinConnection(tx, identity, observed, at, `dispatch:${source}`));
  await startDeliveries(deliveries, recorded.deliveries);
  return linkedinAccountDisconnected(error, observeConnection(connectionOf(identity), observed, at).connection.since);
}

/**
 * The failure to throw for an error the LinkedIn gateway raised: the account cannot act (recorded,
 * see accountCannotAct), Pacer's own token refused (a configuration failure), or any other gateway
 * error as transient, honouring its Retry-After (`describe` words its message). Undefined for an error
 * that is not the gateway's.
 */
export async function gatewayFailure(
  db: Database,
  error: unknown,
  context: { identityId: string; startedAt: number; at: number; source: string; deliveries: WebhookDeliveryStarter | undefined },
  describe: (message: string) => string = (message) => message,
): Promise<ApplicationFailure | undefined> {
  if (error instanceof LinkedinAuthError) return accountCannotAct(db, context.identityId, error, context, context.source, context.deliveries);
  if (!(error instanceof LinkedinGatewayError)) return undefined;
  if (error.code === 'gateway-unauthorized') return misconfigured(error.message);
  return unavailable(describe(error.message), 'retryAfterMs' in error ? (error.retryAfterMs as number | null) : null);
}
