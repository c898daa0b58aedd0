import type { EmailInbox } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import type { Database } from '../db/client';
import { inboxDisconnectedError } from '../domain/pacing';
import { ConflictError, NotFoundError } from '../lib/errors';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { parseInput } from './problem';
import { isUuid } from './ids';

/**
 * SPEC §3 lead continuity: a lead stays on the address it started with. Disconnecting that address
 * puts its leads in error naming it (they are never moved to another inbox); reconnecting the same
 * address resumes them where they were.
 */
export class InboxConnections {
  constructor(
    private readonly db: Database,
    private readonly workflows: IdentityWorkflows,
  ) {}

  async disconnect(inbox: EmailInbox): Promise<number> {
    const { count } = await this.db.$transaction(async (tx) => {
      await tx.emailInbox.update({ where: { id: inbox.id }, data: { status: 'disconnected' } });
      return tx.lead.updateMany({ where: { inboxId: inbox.id, state: 'waiting' }, data: { state: 'error', error: inboxDisconnectedError(inbox.email) } });
    });
    await this.workflows.campaignsChanged(inbox.identityId);
    return count;
  }

  /** The same address is connected again: its leads in error because of the disconnection wait again. */
  async reconnected(inbox: EmailInbox): Promise<number> {
    const { count } = await this.db.$transaction(async (tx) => {
      await tx.emailInbox.update({ where: { id: inbox.id }, data: { status: 'connected' } });
      return tx.lead.updateMany({ where: { inboxId: inbox.id, state: 'error', error: inboxDisconnectedError(inbox.email) }, data: { state: 'waiting', error: null } });
    });
    await this.workflows.campaignsChanged(inbox.identityId);
    return count;
  }
}

export function emailInboxRoutes(db: Database, identities: IdentityService, connections: InboxConnections): Router {
  const router = Router();

  /** Disconnects an inbox (kept, so the same address can be reconnected). Leads mid-sequence on it need ?force=true. */
  router.delete('/identities/:id/email-accounts/:accountId', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const { force } = parseInput(z.strictObject({ force: z.enum(['true', 'false']).default('false') }), request.query);
    const inbox = isUuid(request.params.accountId)
      ? await db.emailInbox.findFirst({ where: { id: request.params.accountId, identityId: identity.id } })
      : null;
    if (!inbox) throw new NotFoundError(`No email account ${request.params.accountId}`);
    const activeLeads = await db.lead.count({ where: { inboxId: inbox.id, state: 'waiting' } });
    if (activeLeads > 0 && force !== 'true') {
      throw new ConflictError(
        `${activeLeads} lead(s) are mid-sequence on ${inbox.email}; they would stop with an error until it is reconnected. Repeat with ?force=true to disconnect anyway`,
      );
    }
    const stopped = await connections.disconnect(inbox);
    response.json({ id: inbox.id, email: inbox.email, status: 'disconnected', leadsStopped: stopped });
  });

  return router;
}
