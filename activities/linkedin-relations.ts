/**
 * The daily relation sync: the fallback for acceptance webhooks that come late (Unipile sends
 * `new_relation` up to 8 hours late) or never (no webhook configured, the HTTP contract, the
 * simulator). Once a working day while the identity has pending invitations, the workflow runs it as
 * its own action (one attempt): it lists the invitations still pending on LinkedIn, and for Pacer's
 * pending invitations no longer among them reads the identity's relations, newest first, until each
 * is found or the relations predate it. Those found are marked accepted with LinkedIn's connection
 * time when it gives one (db/invitations acceptInvitations), which makes the messages that waited for
 * them due at once. Those still not found are read one by one (at most RELATION_SYNC_MAX_LOOKUPS):
 * one gone from LinkedIn without acceptance becomes `expired` and ends its waiting messages'
 * leads `not-accepted` (even with auto-withdrawal off). It never changes anything on LinkedIn.
 */
import type { Database } from '../db/client';
import { acceptInvitations, endInvitation } from '../db/invitations';
import type { RelationSyncOutcome } from '../domain/dispatch';
import { LinkedinNotFoundError, type LinkedinGateway, type Page } from '../integrations/linkedin';
import { actionClock, assertBeforeDeadline } from './action-support';
import { gatewayFailure } from './linkedin-account';
import type { WebhookDeliveryStarter } from '../domain/webhooks';

/** Pages read per list and sync (the gateways page by 100): a bound on one action's work. */
export const RELATION_SYNC_MAX_PAGES = 20;
/** Invitations read one by one per sync (gone from the pending list, not among the relations). */
export const RELATION_SYNC_MAX_LOOKUPS = 20;

export interface RelationSyncInput {
  identityId: string;
  /** The workflow's instant when it scheduled the sync. */
  at: number;
  /** Nothing is started after this instant (the window's end minus the slot margin). */
  deadline: number;
}

export function createRelationSyncActivities({ db, linkedin, webhooks }: { db: Database; linkedin: LinkedinGateway; webhooks?: { deliveries?: WebhookDeliveryStarter } }) {
  /** Every item of a listing, page after page, until `enough` says so or the page bound. */
  async function readPages<T>(list: (cursor: string | null) => Promise<Page<T>>, enough: (items: T[]) => boolean): Promise<void> {
    let cursor: string | null = null;
    for (let pages = 0; pages < RELATION_SYNC_MAX_PAGES; pages++) {
      const page = await list(cursor);
      if (enough(page.items) || page.nextCursor === null) return;
      cursor = page.nextCursor;
    }
  }

  return {
    async syncLinkedinRelations(input: RelationSyncInput): Promise<RelationSyncOutcome> {
      const { identityId } = input;
      const clock = actionClock(input.at);
      const pending = await db.linkedinInvitation.findMany({ where: { identityId, status: 'pending' }, select: { id: true, profileUrl: true, gatewayInvitationId: true, sentAt: true } });
      if (pending.length === 0) return { accepted: 0 };
      assertBeforeDeadline(clock, input.deadline, 'relation sync');
      const startedAt = clock.now();
      try {
        const stillPending = new Set<string>();
        await readPages(
          (cursor) => linkedin.listSentInvitations({ identityId, cursor, at: clock.now() }),
          (items) => {
            for (const item of items) {
              stillPending.add(item.invitationId);
              if (item.profileUrl) stillPending.add(item.profileUrl);
            }
            return false;
          },
        );
        const candidates = new Map(
          pending.filter((invitation) => !stillPending.has(invitation.profileUrl) && !(invitation.gatewayInvitationId && stillPending.has(invitation.gatewayInvitationId))).map((invitation) => [invitation.profileUrl, invitation]),
        );
        if (candidates.size === 0) return { accepted: 0 };
        const oldestSentAt = Math.min(...[...candidates.values()].map((invitation) => invitation.sentAt?.getTime() ?? 0));
        const found: { invitationId: string; acceptedAt: number | null }[] = [];
        await readPages(
          (cursor) => linkedin.listRelations({ identityId, cursor, at: clock.now() }),
          (relations) => {
            for (const relation of relations) {
              const invitation = relation.profileUrl === null ? undefined : candidates.get(relation.profileUrl);
              if (!invitation) continue;
              const sentAt = invitation.sentAt?.getTime() ?? 0;
              found.push({ invitationId: invitation.id, acceptedAt: relation.connectedAt !== null && relation.connectedAt >= sentAt ? relation.connectedAt : null });
              candidates.delete(invitation.profileUrl);
            }
            // Newest first: relations made before the oldest invitation cannot be its acceptance.
            const last = relations[relations.length - 1];
            return candidates.size === 0 || (last?.connectedAt !== null && last?.connectedAt !== undefined && last.connectedAt < oldestSentAt);
          },
        );
        let accepted = 0;
        for (const { invitationId, acceptedAt } of found) {
          const now = clock.now();
          accepted += (await acceptInvitations(db, { identityId, where: { id: invitationId }, acceptedAt: acceptedAt ?? now, at: now })).invitationIds.length;
        }
        // Neither pending on LinkedIn nor found among the relations: read each one (a bounded number per
        // sync), as the withdrawal pass does, so one gone without acceptance ends its waiting message
        // even when auto-withdrawal is off.
        for (const invitation of [...candidates.values()].slice(0, RELATION_SYNC_MAX_LOOKUPS)) {
          assertBeforeDeadline(clock, input.deadline, 'relation sync');
          const ids = { identityId, invitationId: invitation.gatewayInvitationId ?? '', profileUrl: invitation.profileUrl };
          try {
            const seen = await linkedin.getInvitation({ ...ids, at: clock.now() });
            if (seen.status === 'accepted') {
              const now = clock.now();
              accepted += (await acceptInvitations(db, { identityId, where: { id: invitation.id }, acceptedAt: seen.acceptedAt ?? now, at: now })).invitationIds.length;
            } else if (seen.status === 'withdrawn') {
              await endInvitation(db, invitation, { status: 'expired', error: 'gone from LinkedIn without being accepted (withdrawn or expired there)' });
            }
          } catch (error) {
            if (!(error instanceof LinkedinNotFoundError)) throw error;
            await endInvitation(db, invitation, { status: 'expired', error: `LinkedIn no longer has this invitation (${error.status ?? 'not found'})` });
          }
        }
        return { accepted };
      } catch (error) {
        throw (await gatewayFailure(db, error, { identityId, startedAt, at: clock.now(), source: 'relation-sync', deliveries: webhooks?.deliveries }, (message) => `relation sync failed: ${message}`)) ?? error;
      }
    },
  };
}
