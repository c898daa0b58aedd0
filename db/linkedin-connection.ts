/**
 * The one way an identity's LinkedIn connection status is stored (domain/linkedin-connection), shared
 * by the API (hosted sign-in notifications, Unipile's account-status webhooks) and the activities (an
 * action that meets a disconnected account). Every change is audited.
 */
import type { Identity, Prisma } from '@prisma/client';
import { type LinkedinConnection, type ObservedConnection, observeConnection } from '../domain/linkedin-connection';
import type { WebhookDeliveryRef } from '../domain/webhooks';
import { recordLinkedinNeedsReconnect } from './webhook-events';

type ConnectionColumns = Pick<Identity, 'id' | 'workspaceId' | 'linkedinStatus' | 'linkedinStatusSince' | 'linkedinStatusReason' | 'linkedinAccountId'>;

export function connectionOf(identity: Pick<Identity, 'linkedinStatus' | 'linkedinStatusSince' | 'linkedinStatusReason'>): LinkedinConnection {
  return { status: identity.linkedinStatus as LinkedinConnection['status'], since: identity.linkedinStatusSince.getTime(), reason: identity.linkedinStatusReason };
}

/**
 * Stores what was observed about the identity's account (idempotent: the same again changes nothing)
 * and audits a change, `source` saying who observed it (`hosted-auth:RECONNECTED`, `unipile:CREDENTIALS`,
 * `dispatch:message`…). `linkedinAccountId` attaches (or, with null, detaches) the account. Returns
 * whether anything changed, and the deliveries of `linkedin.needs_reconnect` when the status became
 * needs-reconnect (start them after the commit). Run it inside a transaction (`tx`), so the change,
 * its audit entry and its event are stored together.
 */
export async function recordLinkedinConnection(
  tx: Prisma.TransactionClient,
  identity: ConnectionColumns,
  observed: ObservedConnection,
  at: number,
  source: string,
  linkedinAccountId?: string | null,
): Promise<{ changed: boolean; deliveries: WebhookDeliveryRef[] }> {
  const { connection, changed } = observeConnection(connectionOf(identity), observed, at);
  const accountChanged = linkedinAccountId !== undefined && linkedinAccountId !== identity.linkedinAccountId;
  if (!changed && !accountChanged) return { changed: false, deliveries: [] };
  // Observed state, not a setting: the version (If-Match) is left alone.
  const updated = await tx.identity.update({
    where: { id: identity.id },
    data: {
      linkedinStatus: connection.status,
      linkedinStatusSince: new Date(connection.since),
      linkedinStatusReason: connection.reason,
      ...(accountChanged ? { linkedinAccountId } : {}),
    },
  });
  await tx.auditEntry.create({
    data: {
      workspaceId: identity.workspaceId,
      entityType: 'identity',
      entityId: identity.id,
      action: 'identity.linkedin.connection-changed',
      before: { status: identity.linkedinStatus, reason: identity.linkedinStatusReason, accountId: identity.linkedinAccountId },
      after: { status: connection.status, reason: connection.reason, accountId: accountChanged ? linkedinAccountId : identity.linkedinAccountId, source },
    },
  });
  const lost = connection.status === 'needs-reconnect' && identity.linkedinStatus !== 'needs-reconnect';
  return { changed: true, deliveries: lost ? await recordLinkedinNeedsReconnect(tx, updated) : [] };
}
