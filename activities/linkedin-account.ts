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
import type { LinkedinAuthError } from '../integrations/linkedin';
import { linkedinAccountDisconnected, unavailable } from './action-support';

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
