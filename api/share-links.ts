/**
 * Share identity links (SPEC §4): a 24-hour link that lets an identity's owner reconnect its accounts
 * without an API key, and nothing else.
 *
 * - The token is 256 random bits (43 base64url characters); only its SHA-256 hash is stored.
 * - The URL is built from PUBLIC_BASE_URL, never from the request's Host header.
 * - Every public route carries the token in its path and the identity it acts on, so a link is bound
 *   to one identity: a token used on another identity's route answers 403. Unknown, expired or
 *   revoked tokens answer 401. Any other path under /share answers 404.
 * - `GET /share/:token` only reads (mail scanners pre-fetch links): the link stays usable.
 * - Every /share answer carries `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
 * - Brute force is rate-limited per client IP (api/share-rate-limit.ts): 429 problem+json.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IdentityShareLink } from '@prisma/client';
import { Router, type Request, type RequestHandler } from 'express';
import type { Database } from '../db/client';
import { SHARE_LINK_SCOPE, looksLikeShareToken, shareLinkExpiresAt, shareLinkValidity } from '../domain/share-links';
import type { LinkedinGateway } from '../integrations/linkedin';
import { ForbiddenError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import { isUuid } from './ids';
import { openHostedAuth } from './linkedin-accounts';
import { ShareRateLimiter } from './share-rate-limit';

/** What a valid link grants: reconnecting this one identity's accounts. */
export interface ShareContext {
  linkId: string;
  identityId: string;
  workspaceId: string;
  /** The service clock's now (epoch ms). */
  now: number;
  expiresAt: number;
}

/** An answer a share action sends back as is (JSON). */
export interface ShareActionResult {
  status: number;
  body: unknown;
}

/**
 * The inbox actions a share link offers (SPEC §4: connect or reconnect an email inbox, start Google or
 * Microsoft OAuth), implemented with the API's own inbox connection in api/share-inbox-actions.ts.
 * The route has already checked the token and that `context.identityId` is the link's identity; the
 * action must act on that identity only (and, for an account id, only on that identity's inbox).
 */
export interface ShareInboxActions {
  /** `POST /share/:token/identities/:identityId/email-accounts`: connect an IMAP/SMTP inbox (body as #6 defines it). */
  connectImapInbox(context: ShareContext, body: unknown): Promise<ShareActionResult>;
  /** `POST /share/:token/identities/:identityId/email-accounts/:accountId/reconnect`: new credentials for an inbox. */
  reconnectInbox(context: ShareContext, accountId: string, body: unknown): Promise<ShareActionResult>;
  /** `POST /share/:token/identities/:identityId/oauth/:provider/start`: the provider's authorization URL. */
  startOAuth(context: ShareContext, provider: 'google' | 'microsoft', body: unknown): Promise<ShareActionResult>;
}

export interface ShareLinkOptions {
  /** PUBLIC_BASE_URL (no trailing slash). */
  publicBaseUrl: string;
  /** The clock links are created and checked with (tests move it). */
  now?: () => number;
  /** The LinkedIn gateway, for the hosted LinkedIn sign-in. Without it reconnecting LinkedIn answers 503. */
  linkedin?: LinkedinGateway;
  limiter?: ShareRateLimiter;
}

/** What the share routes run with: the options, and the inbox actions createApp builds (api/share-inbox-actions). */
export type ShareLinkRouteOptions = ShareLinkOptions & { inboxActions: ShareInboxActions };

export function hashShareToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function linkView(link: IdentityShareLink, now: number) {
  return {
    id: link.id,
    identityId: link.identityId,
    scope: link.scope,
    createdAt: link.createdAt.toISOString(),
    expiresAt: link.expiresAt.toISOString(),
    revokedAt: link.revokedAt?.toISOString() ?? null,
    state: shareLinkValidity({ expiresAt: link.expiresAt.getTime(), revokedAt: link.revokedAt?.getTime() ?? null }, now),
  };
}

/** Management routes (API key): create, list and revoke an identity's share links. */
export function shareLinkRoutes(db: Database, identities: IdentityService, options: ShareLinkRouteOptions | undefined): Router {
  const router = Router();
  const now = options?.now ?? Date.now;

  router.post('/identities/:id/share-links', async (request, response) => {
    if (!options) throw new ServiceUnavailableError('Share links are not configured (PUBLIC_BASE_URL)');
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const token = randomBytes(32).toString('base64url');
    const createdAt = now();
    const link = await db.$transaction(async (tx) => {
      const created = await tx.identityShareLink.create({
        data: { workspaceId: identity.workspaceId, identityId: identity.id, tokenHash: hashShareToken(token), scope: SHARE_LINK_SCOPE, createdAt: new Date(createdAt), expiresAt: new Date(shareLinkExpiresAt(createdAt)) },
      });
      await tx.auditEntry.create({
        data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'identity', entityId: identity.id, action: 'identity.share-link.created', after: { linkId: created.id, scope: created.scope, expiresAt: created.expiresAt.toISOString() } },
      });
      return created;
    });
    response.status(201).json({ ...linkView(link, createdAt), url: `${options.publicBaseUrl}/share/${token}` });
  });

  router.get('/identities/:id/share-links', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const links = await db.identityShareLink.findMany({ where: { identityId: identity.id }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }], take: 100 });
    const at = now();
    response.json({ items: links.map((link) => linkView(link, at)) });
  });

  /** Revokes at once (the next use answers 401); revoking twice is fine. */
  router.delete('/identities/:id/share-links/:linkId', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const link = isUuid(request.params.linkId) ? await db.identityShareLink.findFirst({ where: { id: request.params.linkId, identityId: identity.id } }) : null;
    if (!link) throw new NotFoundError(`No share link ${request.params.linkId}`);
    if (!link.revokedAt) {
      await db.$transaction([
        db.identityShareLink.update({ where: { id: link.id }, data: { revokedAt: new Date(now()) } }),
        db.auditEntry.create({ data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'identity', entityId: identity.id, action: 'identity.share-link.revoked', after: { linkId: link.id } } }),
      ]);
    }
    response.status(204).end();
  });

  return router;
}

/** The headers every /share answer carries, errors included. */
export const shareHeaders: RequestHandler = (_request, response, next) => {
  response.setHeader('Referrer-Policy', 'no-referrer');
  response.setHeader('Cache-Control', 'no-store');
  next();
};

/** Public routes under /share/:token (no API key). */
export function publicShareRoutes(db: Database, logger: Logger, options: ShareLinkRouteOptions | undefined): Router {
  const router = Router();
  const now = options?.now ?? Date.now;
  const limiter = options?.limiter ?? new ShareRateLimiter(now);
  const clientOf = (request: Request) => request.ip ?? request.socket.remoteAddress ?? 'unknown';

  /** The link's context, or 401/403 (each counted as a failed attempt). `identityId`: the identity the route acts on. */
  async function access(request: Request, identityId?: string): Promise<ShareContext> {
    const client = clientOf(request);
    limiter.admit(client);
    if (!options) throw new ServiceUnavailableError('Share links are not configured (PUBLIC_BASE_URL)');
    const token = String(request.params.token);
    const at = now();
    const link = looksLikeShareToken(token) ? await db.identityShareLink.findUnique({ where: { tokenHash: hashShareToken(token) }, include: { identity: { select: { deletedAt: true } } } }) : null;
    const validity = link ? shareLinkValidity({ expiresAt: link.expiresAt.getTime(), revokedAt: link.revokedAt?.getTime() ?? null }, at) : 'unknown';
    if (!link || validity !== 'valid' || link.identity.deletedAt !== null || link.scope !== SHARE_LINK_SCOPE) {
      limiter.failed(client);
      logger.info({ shareLinkId: link?.id, validity }, 'share link refused');
      throw new UnauthorizedError('This share link is unknown, expired or revoked: ask for a new one');
    }
    if (identityId !== undefined && identityId !== link.identityId) {
      limiter.failed(client);
      throw new ForbiddenError('This share link is for another identity');
    }
    return { linkId: link.id, identityId: link.identityId, workspaceId: link.workspaceId, now: at, expiresAt: link.expiresAt.getTime() };
  }

  /** Name and connection status; reads only, so a mail scanner's pre-fetch leaves the link usable. */
  router.get('/share/:token', async (request, response) => {
    const context = await access(request);
    const identity = await db.identity.findUniqueOrThrow({ where: { id: context.identityId }, include: { emailInboxes: { orderBy: { createdAt: 'asc' } } } });
    const base = `/share/${String(request.params.token)}/identities/${identity.id}`;
    response.json({
      identity: { id: identity.id, firstName: identity.firstName, lastName: identity.lastName },
      expiresAt: new Date(context.expiresAt).toISOString(),
      linkedin: {
        status: identity.linkedinStatus,
        since: identity.linkedinStatusSince.toISOString(),
        reason: identity.linkedinStatusReason,
        reconnect: `POST ${base}/linkedin/reconnect`,
      },
      inboxes: identity.emailInboxes.map((inbox) => ({ id: inbox.id, address: inbox.email, provider: inbox.provider, status: inbox.status, reconnect: `POST ${base}/email-accounts/${inbox.id}/reconnect` })),
      actions: { connectImapInbox: `POST ${base}/email-accounts`, startGoogleOAuth: `POST ${base}/oauth/google/start`, startMicrosoftOAuth: `POST ${base}/oauth/microsoft/start` },
    });
  });

  /** The automation service's hosted sign-in page, where the owner signs in to LinkedIn again (or for the first time). */
  router.post('/share/:token/identities/:identityId/linkedin/reconnect', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    if (!options?.linkedin) throw new ServiceUnavailableError('No LinkedIn gateway is configured for the API');
    const identity = await db.identity.findUniqueOrThrow({ where: { id: context.identityId } });
    const opened = await openHostedAuth(db, { gateway: options.linkedin, publicBaseUrl: options.publicBaseUrl }, { workspaceId: context.workspaceId, identity, at: context.now });
    await db.auditEntry.create({
      data: { workspaceId: context.workspaceId, entityType: 'identity', entityId: context.identityId, action: 'identity.share-link.linkedin-reconnect', after: { linkId: context.linkId, hostedAuthId: opened.id, type: opened.type } },
    });
    response.json({ reconnectUrl: opened.url, type: opened.type, expiresAt: opened.expiresAt });
  });

  // Inbox actions: the API's own inbox connection, acting on the link's identity only.
  const send = (response: { status(code: number): { json(body: unknown): unknown } }, result: ShareActionResult) => response.status(result.status).json(result.body);
  /** Only reached after access() succeeded, which needs the options. */
  const inboxActions = (): ShareInboxActions => {
    if (!options) throw new ServiceUnavailableError('Share links are not configured (PUBLIC_BASE_URL)');
    return options.inboxActions;
  };
  router.post('/share/:token/identities/:identityId/email-accounts', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    send(response, await inboxActions().connectImapInbox(context, request.body));
  });
  router.post('/share/:token/identities/:identityId/email-accounts/:accountId/reconnect', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    send(response, await inboxActions().reconnectInbox(context, String(request.params.accountId), request.body));
  });
  router.post('/share/:token/identities/:identityId/oauth/:provider/start', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    const provider = String(request.params.provider);
    if (provider !== 'google' && provider !== 'microsoft') throw new NotFoundError(`No OAuth provider ${provider}: google or microsoft`);
    send(response, await inboxActions().startOAuth(context, provider, request.body));
  });

  // Nothing else is reachable under /share (and no API key is asked for there).
  router.use('/share', (request) => {
    throw new NotFoundError(`No route ${request.method} ${request.originalUrl.replace(/\/share\/[^/?]+/, '/share/…')}`);
  });

  return router;
}
