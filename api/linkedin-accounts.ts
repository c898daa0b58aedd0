/**
 * LinkedIn accounts (SPEC §1, §6): connecting an identity's account through the service's hosted
 * sign-in, the notifications that come back, and Unipile's webhooks.
 *
 * - `POST /identities/:id/linkedin/connect` opens a hosted sign-in for the identity: `reconnect` when
 *   it has an account, `create` otherwise. `POST /linkedin/hosted-auth-links` opens one without an
 *   identity, to create an identity from the account (`POST /identities/from-linkedin`).
 * - The service POSTs the result to `/webhooks/linkedin/hosted-auth/<token>`: a 256-bit token per
 *   sign-in, only its hash stored, so the URL itself authenticates the notification. A repeated
 *   notification changes nothing.
 * - `POST /webhooks/unipile` takes Unipile's `new_relation` (the invitation to that person becomes
 *   accepted, and a message step waiting for it due) and `AccountStatus` (the identity's connection status) events. It is authenticated by a
 *   secret header set when registering the webhook (`X-Pacer-Webhook-Secret`, compared in constant
 *   time); a repeated delivery changes nothing. Wrong secret: 401; malformed body: 422; both before
 *   anything is read or written.
 * After a change the identity workflow is woken (it re-reads what is due); if Temporal cannot be
 * reached the answer is 503, so the sender retries and the retry wakes it.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Prisma, type Identity } from '@prisma/client';
import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Database } from '../db/client';
import { acceptInvitations } from '../db/invitations';
import { recordLinkedinConnection } from '../db/linkedin-connection';
import { startDeliveries } from '../db/webhook-events';
import type { WebhookDeliveryStarter } from '../domain/webhooks';
import { LinkedinAuthError, LinkedinGatewayError, LinkedinNotFoundError, type LinkedinGateway } from '../integrations/linkedin';
import { hostedAuthNotificationSchema, unipileWebhookSchema } from '../integrations/linkedin/notifications';
import { ConflictError, NotFoundError, type PacerError, ServiceUnavailableError, UnauthorizedError, ValidationError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { isUuid } from './ids';
import { parseInput } from './problem';

export interface LinkedinApiSettings {
  gateway: LinkedinGateway;
  /** PUBLIC_BASE_URL (no trailing slash): the service notifies sign-ins there. */
  publicBaseUrl: string;
  /** UNIPILE_WEBHOOK_SECRET: the value of the secret header Unipile's webhooks carry. */
  unipileWebhookSecret?: string;
}

/** A hosted sign-in page works for an hour (Unipile recommends minutes to hours). */
export const HOSTED_AUTH_TTL_MS = 3600 * 1000;
/** A sign-in finished just before its page expired may be notified a little later. */
const NOTIFICATION_GRACE_MS = 24 * 3600 * 1000;
export const WEBHOOK_SECRET_HEADER = 'X-Pacer-Webhook-Secret';

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

/** Where the person's browser goes after the sign-in (both optional). */
export const connectLinkedinSchema = z.strictObject({
  successRedirectUrl: httpUrl.optional(),
  failureRedirectUrl: httpUrl.optional(),
});

/** Sign-in tokens are 256 random bits in base64url: anything else is refused before any lookup. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A gateway failure as the API answers it: a problem, never a 500. */
export function gatewayProblem(error: unknown, action: string): PacerError {
  if (error instanceof LinkedinAuthError) return new ConflictError(`The LinkedIn account cannot ${action}: ${error.message}`);
  if (error instanceof LinkedinNotFoundError) return new NotFoundError(`LinkedIn could not ${action}: ${error.message}`);
  if (error instanceof LinkedinGatewayError) return new ServiceUnavailableError(`The LinkedIn service could not ${action} (${error.message})`);
  throw error;
}

export interface OpenedHostedAuth {
  id: string;
  type: 'create' | 'reconnect';
  identityId: string | null;
  url: string;
  expiresAt: string;
}

/**
 * Opens a hosted sign-in: `reconnect` for an identity with an account, `create` otherwise. The row is
 * written first (the service's notification may come back at once) and removed if the service refuses.
 */
export async function openHostedAuth(
  db: Database,
  settings: LinkedinApiSettings,
  input: { workspaceId: string; identity: Identity | null; successRedirectUrl?: string; failureRedirectUrl?: string; at: number },
): Promise<OpenedHostedAuth> {
  const type = input.identity?.linkedinAccountId ? 'reconnect' : 'create';
  const token = randomBytes(32).toString('base64url');
  const id = randomUUID();
  const expiresAt = input.at + HOSTED_AUTH_TTL_MS;
  await db.linkedinHostedAuth.create({
    data: { id, workspaceId: input.workspaceId, identityId: input.identity?.id ?? null, type, tokenHash: hashToken(token), expiresAt: new Date(expiresAt), createdAt: new Date(input.at) },
  });
  try {
    const link = await settings.gateway.startHostedAuth({
      type,
      identityId: input.identity?.id ?? null,
      name: id,
      notifyUrl: `${settings.publicBaseUrl}/webhooks/linkedin/hosted-auth/${token}`,
      successRedirectUrl: input.successRedirectUrl ?? null,
      failureRedirectUrl: input.failureRedirectUrl ?? null,
      expiresAt,
      at: input.at,
    });
    return { id, type, identityId: input.identity?.id ?? null, url: link.url, expiresAt: new Date(Math.min(link.expiresAt, expiresAt)).toISOString() };
  } catch (error) {
    await db.linkedinHostedAuth.delete({ where: { id } });
    throw gatewayProblem(error, 'open a sign-in');
  }
}

async function wake(workflows: IdentityWorkflows, identityId: string): Promise<void> {
  try {
    await workflows.campaignsChanged(identityId);
  } catch (error) {
    throw new ServiceUnavailableError(`Recorded, but the identity workflow could not be woken; deliver again (${(error as Error).message})`);
  }
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

function hostedAuthView(row: { id: string; type: string; identityId: string | null; accountId: string | null; expiresAt: Date; completedAt: Date | null }, now: number) {
  return {
    id: row.id,
    type: row.type,
    identityId: row.identityId,
    status: row.completedAt ? 'completed' : now >= row.expiresAt.getTime() ? 'expired' : 'pending',
    accountId: row.accountId,
    expiresAt: row.expiresAt.toISOString(),
    completedAt: row.completedAt?.toISOString() ?? null,
  };
}

/** API-key routes: open hosted sign-ins and follow them. */
export function linkedinAccountRoutes(db: Database, identities: IdentityService, settings: LinkedinApiSettings | undefined, now: () => Promise<number>): Router {
  const router = Router();
  const configured = (): LinkedinApiSettings => {
    if (!settings) throw new ServiceUnavailableError('No LinkedIn gateway is configured for the API');
    return settings;
  };

  router.post('/identities/:id/linkedin/connect', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const redirects = parseInput(connectLinkedinSchema, request.body ?? {});
    const opened = await openHostedAuth(db, configured(), { workspaceId: caller.workspaceId, identity, ...redirects, at: await now() });
    await db.auditEntry.create({
      data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'identity', entityId: identity.id, action: 'identity.linkedin.sign-in-opened', after: { hostedAuthId: opened.id, type: opened.type } },
    });
    response.status(201).json(opened);
  });

  router.post('/linkedin/hosted-auth-links', async (request, response) => {
    const caller = callerOf(request);
    const redirects = parseInput(connectLinkedinSchema, request.body ?? {});
    response.status(201).json(await openHostedAuth(db, configured(), { workspaceId: caller.workspaceId, identity: null, ...redirects, at: await now() }));
  });

  router.get('/linkedin/hosted-auth-links/:id', async (request, response) => {
    const caller = callerOf(request);
    const row = isUuid(request.params.id) ? await db.linkedinHostedAuth.findFirst({ where: { id: request.params.id, workspaceId: caller.workspaceId } }) : null;
    if (!row) throw new NotFoundError(`No hosted sign-in ${request.params.id}`);
    response.json(hostedAuthView(row, await now()));
  });

  return router;
}

/** The secret header, compared in constant time (digests first, so lengths leak nothing either). */
function hasWebhookSecret(request: Request, secret: string): boolean {
  const sent = request.get(WEBHOOK_SECRET_HEADER);
  if (typeof sent !== 'string' || sent === '') return false;
  return timingSafeEqual(createHash('sha256').update(sent).digest(), createHash('sha256').update(secret).digest());
}

/** Public routes the automation service calls (no API key; each authenticates its own way). */
export function linkedinWebhookRoutes(
  db: Database,
  workflows: IdentityWorkflows,
  settings: LinkedinApiSettings | undefined,
  now: () => Promise<number>,
  logger: Logger,
  webhooks?: WebhookDeliveryStarter,
): Router {
  const router = Router();

  router.post('/webhooks/linkedin/hosted-auth/:token', async (request, response) => {
    const token = String(request.params.token);
    const row = TOKEN.test(token) ? await db.linkedinHostedAuth.findUnique({ where: { tokenHash: hashToken(token) } }) : null;
    const at = await now();
    if (!row || at >= row.expiresAt.getTime() + NOTIFICATION_GRACE_MS) {
      logger.info({ hostedAuthId: row?.id }, 'hosted sign-in notification refused');
      throw new UnauthorizedError('This notification URL is unknown or expired');
    }
    const notification = parseInput(hostedAuthNotificationSchema, request.body);
    if (notification.name !== row.id) throw new ValidationError([{ field: 'name', message: 'does not name the sign-in this URL was issued for' }]);
    if (row.completedAt) {
      if (row.accountId !== notification.account_id) throw new ConflictError('This sign-in already completed with another account');
      if (row.identityId) await wake(workflows, row.identityId);
      response.json({ hostedAuthId: row.id, identityId: row.identityId, accountId: row.accountId, changed: false });
      return;
    }

    const identityId = row.identityId;
    try {
      await db.$transaction(async (tx) => {
        await tx.linkedinHostedAuth.update({ where: { id: row.id }, data: { accountId: notification.account_id, completedAt: new Date(at) } });
        if (identityId === null) return;
        const identity = await tx.identity.findFirst({ where: { id: identityId, deletedAt: null } });
        if (!identity) throw new NotFoundError(`The identity ${identityId} this sign-in was for no longer exists`);
        if (identity.linkedinAccountId !== null && identity.linkedinAccountId !== notification.account_id) {
          throw new ConflictError(`The identity is connected to another account (${identity.linkedinAccountId}); a sign-in with ${notification.account_id} does not replace it`);
        }
        await recordLinkedinConnection(tx, identity, { status: 'connected', reason: null }, at, `hosted-auth:${notification.status}`, notification.account_id);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new ConflictError(`The account ${notification.account_id} is already connected to another identity`);
      throw error;
    }
    if (identityId) await wake(workflows, identityId);
    response.json({ hostedAuthId: row.id, identityId, accountId: notification.account_id, changed: true });
  });

  router.post('/webhooks/unipile', async (request, response) => {
    const secret = settings?.unipileWebhookSecret;
    if (!secret) throw new ServiceUnavailableError('Unipile webhooks are not configured (UNIPILE_WEBHOOK_SECRET)');
    if (!hasWebhookSecret(request, secret)) {
      logger.warn({ ip: request.ip }, 'Unipile webhook refused: wrong or missing secret header');
      throw new UnauthorizedError(`Send the secret configured for this webhook in ${WEBHOOK_SECRET_HEADER}`);
    }
    const event = parseInput(unipileWebhookSchema, request.body);
    if (event.kind === 'ignored') {
      response.json({ handled: false, reason: `event ${event.event} is not one Pacer acts on` });
      return;
    }
    const identity = await db.identity.findFirst({ where: { linkedinAccountId: event.accountId, deletedAt: null } });
    if (!identity) {
      response.json({ handled: false, reason: 'no identity is connected to this account' });
      return;
    }
    const at = await now();

    if (event.kind === 'new-relation') {
      // The pending invitation to this person is accepted and a message waiting for it is due now; a repeat finds nothing pending and changes nothing.
      const accepted = await acceptInvitations(db, { identityId: identity.id, where: { profileUrl: event.profileUrl }, acceptedAt: at, at });
      const known = accepted.invitationIds.length > 0 || (await db.linkedinInvitation.count({ where: { identityId: identity.id, profileUrl: event.profileUrl, status: 'accepted' } })) > 0;
      if (known) await wake(workflows, identity.id);
      response.json({ handled: true, identityId: identity.id, acceptedInvitations: accepted.invitationIds.length });
      return;
    }

    if (event.connection === null) {
      response.json({ handled: true, identityId: identity.id, changed: false });
      return;
    }
    const observed = event.connection;
    // A deleted account cannot be reconnected: the identity needs a new sign-in (create).
    const accountId = event.providerStatus === 'DELETED' ? null : undefined;
    const { changed, deliveries } = await db.$transaction((tx) => recordLinkedinConnection(tx, identity, observed, at, `unipile:${event.providerStatus}`, accountId));
    await startDeliveries(webhooks, deliveries);
    if (changed) await wake(workflows, identity.id);
    response.json({ handled: true, identityId: identity.id, changed });
  });

  return router;
}
