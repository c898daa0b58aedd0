/**
 * What the LinkedIn adapters read from Pacer's own records (integrations/linkedin LinkedinAccountDirectory):
 * the account connected to an identity through hosted sign-in, and Pacer's last withdrawal to a person.
 */
import type { LinkedinAccountDirectory } from '../integrations/linkedin/gateway';
import type { Database } from './client';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function prismaLinkedinAccountDirectory(db: Database): LinkedinAccountDirectory {
  return {
    async accountOf(identityId) {
      // Identity ids are UUIDs; anything else names no identity of Pacer's.
      if (!UUID.test(identityId)) return null;
      const identity = await db.identity.findFirst({
        where: { id: identityId, deletedAt: null, linkedinAccountId: { not: null } },
        select: { linkedinAccountId: true, salesNavigatorEnabled: true },
      });
      return identity?.linkedinAccountId ? { accountId: identity.linkedinAccountId, salesNavigator: identity.salesNavigatorEnabled } : null;
    },

    async lastWithdrawalAt(identityId, profileUrl) {
      if (!UUID.test(identityId)) return null;
      const last = await db.linkedinInvitation.findFirst({
        where: { identityId, profileUrl, withdrawnAt: { not: null } },
        orderBy: { withdrawnAt: 'desc' },
        select: { withdrawnAt: true },
      });
      return last?.withdrawnAt?.getTime() ?? null;
    },
  };
}
