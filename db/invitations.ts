/** Invitation queries shared by the API and the activities. */
import type { Database } from './client';
import { reinviteBlockedUntil } from '../domain/invitations';
import { REINVITE_BLOCK_MS } from '../domain/pacing';

/** The re-invite block as Pacer's own records know it (the gateway enforces it too): when it lifts, or null. */
export async function reinviteBlockLiftsAt(db: Pick<Database, 'linkedinInvitation'>, identityId: string, profileUrl: string, now: number): Promise<number | null> {
  const withdrawn = await db.linkedinInvitation.findMany({
    where: { identityId, profileUrl, withdrawnAt: { gt: new Date(now - REINVITE_BLOCK_MS) } },
    select: { withdrawnAt: true },
  });
  return reinviteBlockedUntil(
    withdrawn.map((row) => row.withdrawnAt?.getTime() ?? 0),
    now,
  );
}
