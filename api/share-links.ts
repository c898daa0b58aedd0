/**
 * Share identity links (SPEC §4): a 24-hour link that lets an identity's owner reconnect its accounts
 * without an API key, and nothing else. The owner is a person with a browser: the link opens a page.
 *
 * - The token is 256 random bits (43 base64url characters); only its SHA-256 hash is stored.
 * - The URL is built from PUBLIC_BASE_URL, never from the request's Host header.
 * - Every public route carries the token in its path and the identity it acts on, so a link is bound
 *   to one identity: a token used on another identity's route answers 403. Unknown, expired or
 *   revoked tokens answer 401. Any other path under /share answers 404.
 * - One set of routes for people and for backend callers: `GET /share/:token` answers the page
 *   (api/share-page.ts) to a browser (`Accept: text/html`) and JSON otherwise; a POST sent as a form
 *   (`application/x-www-form-urlencoded`, with the CSRF token bound to the link) answers a 303
 *   redirect (back to the page with its result, or on to a provider's sign-in page), a POST sent as
 *   JSON answers JSON. Refusals are pages for browsers and problem+json for the others.
 * - `GET /share/:token` only reads (mail scanners pre-fetch links): the link stays usable.
 * - Every /share answer carries `Referrer-Policy: no-referrer` and `Cache-Control: no-store`.
 * - A link holder never sees internals: a dependency's failure is logged for operators and answered
 *   in plain words; logs and problem documents name the path as `/share/…`, never the token.
 * - Wrong tokens are limited per client and a valid link's use per link (api/share-rate-limit.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IdentityShareLink } from '@prisma/client';
import express, { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Database } from '../db/client';
import { SHARE_LINK_SCOPE, looksLikeShareToken, shareLinkExpiresAt, shareLinkValidity } from '../domain/share-links';
import type { LinkedinGateway } from '../integrations/linkedin';
import { SIMULATOR_SIGN_IN_ORIGIN } from '../integrations/linkedin/simulator';
import {
  ForbiddenError,
  HostNotAllowedError,
  InboxConnectionError,
  InternalError,
  NotFoundError,
  PacerError,
  ServiceUnavailableError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../lib/errors';
import type { Logger } from '../lib/logger';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import { isUuid } from './ids';
import { seeOther, sendPage } from './pages';
import {
  ServerSettingsNeeded,
  connectFormSchema,
  connectInputFromForm,
  csrfSecretFor,
  csrfTokenFor,
  csrfTokenValid,
  formValuesOf,
  resultBanner,
  resultOf,
  resultQueryString,
  setFormFlash,
  sharePageView,
  takeFormFlash,
  type LinkedinStatus,
  type ShareResult,
} from './share-page';
import { ShareLinkOverusedError, ShareRateLimiter } from './share-rate-limit';

/** What a valid link grants: reconnecting this one identity's accounts. */
export interface ShareContext {
  linkId: string;
  identityId: string;
  workspaceId: string;
  /** The service clock's now (epoch ms). */
  now: number;
  expiresAt: number;
  /** The link's token, to send the browser back to its page after a sign-in elsewhere (never stored or logged). */
  token: string;
}

/** An answer a share action sends back as is (JSON). */
export interface ShareActionResult {
  status: number;
  body: unknown;
  /** The next step is a provider's sign-in page: a form is redirected there. */
  redirectTo?: string;
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
  /** Whether sign-in with the provider can start (the page shows its button only then). */
  oauthAvailable(provider: 'google' | 'microsoft'): boolean;
  /** Microsoft's application id and permissions, for the message to an administrator. */
  microsoftApp(): { clientId: string; scopes: string[] } | undefined;
}

export interface ShareLinkOptions {
  /** PUBLIC_BASE_URL (no trailing slash). */
  publicBaseUrl: string;
  /** The clock links are created and checked with (tests move it). */
  now?: () => number;
  /** The LinkedIn gateway, for the LinkedIn status and reconnect. Without it LinkedIn shows as unknown and reconnect answers 503. */
  linkedin?: LinkedinGateway;
  /**
   * Origins of the gateway's sign-in pages: the page's CSP lets a form be redirected there (and a
   * reconnect URL elsewhere is refused with a log line rather than blocked by the browser). The
   * simulator's when unset and the gateway is the simulator.
   */
  linkedinSignInOrigins?: string[];
  limiter?: ShareRateLimiter;
}

/** What the share routes run with: the options, and the inbox actions createApp builds (api/share-inbox-actions). */
export type ShareLinkRouteOptions = ShareLinkOptions & { inboxActions: ShareInboxActions };

/** A token that opens nothing: unknown, expired or revoked (or its identity deleted). */
export class ShareLinkRefusedError extends PacerError {
  readonly status = 401;
  readonly code = 'unauthorized';
  readonly title = 'Share link not valid';
  constructor(readonly reason: 'unknown' | 'expired' | 'revoked') {
    super('This share link is unknown, expired or revoked: ask for a new one');
  }
}

function linkedinSignInOrigins(options: ShareLinkOptions | undefined): string[] {
  return options?.linkedinSignInOrigins ?? (options?.linkedin?.adapter === 'simulator' ? [SIMULATOR_SIGN_IN_ORIGIN] : []);
}

/** Origins a share page's forms may be redirected to: the providers' and the LinkedIn gateway's sign-in pages. */
export function shareSignInOrigins(options: ShareLinkOptions | undefined, oauth: { googleAuthorizeUrl?: string; google?: unknown; microsoft?: { loginBaseUrl: string } } | undefined): string[] {
  const origins = linkedinSignInOrigins(options);
  if (oauth?.google) origins.push(new URL(oauth.googleAuthorizeUrl ?? 'https://accounts.google.com').origin);
  if (oauth?.microsoft) origins.push(new URL(oauth.microsoft.loginBaseUrl).origin);
  return origins;
}

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

/** `/share/…` for logs and problem documents: the token never leaves the request. */
export function redactSharePath(url: string): string {
  return url.replace(/\/share\/[^/?#]*/, '/share/…').replace(/[?#].*$/, '');
}

const isForm = (request: Request) => Boolean(request.is('application/x-www-form-urlencoded'));
/** A browser asking for a page (GET with Accept: text/html first), or a form post. */
const wantsPage = (request: Request) => isForm(request) || (request.method === 'GET' && request.accepts(['json', 'html']) === 'html');

/** Share bodies: JSON (API callers) or a form (the page); nothing else. */
const shareBodies: RequestHandler[] = [
  express.json({ limit: '20kb', strict: true }),
  express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 30 }),
  (request, _response, next) => {
    const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
    if (hasBody && !request.is('application/json') && !isForm(request)) {
      next(new UnsupportedMediaTypeError('Send the request body as application/json, or as a form (application/x-www-form-urlencoded)'));
      return;
    }
    next();
  },
];

const REFUSED_PAGES: Record<ShareLinkRefusedError['reason'], { title: string; paragraphs: string[] }> = {
  expired: { title: 'This link has expired', paragraphs: ['Links to reconnect accounts work for 24 hours.', 'Ask the person who sent it for a new link.'] },
  revoked: { title: 'This link was cancelled', paragraphs: ['The person who sent it cancelled it.', 'Ask them for a new link.'] },
  unknown: { title: 'This link does not work', paragraphs: ['Check that the whole link was copied from the message, or ask the person who sent it for a new one.'] },
};

/** The page a browser gets instead of a problem document. */
function refusalPage(error: PacerError): { title: string; paragraphs: string[] } {
  if (error instanceof ShareLinkRefusedError) return REFUSED_PAGES[error.reason];
  if (error instanceof TooManyRequestsError) {
    const minutes = Math.max(1, Math.ceil(error.retryAfterSeconds / 60));
    const why = error instanceof ShareLinkOverusedError ? 'This link was used very often in the last minute.' : 'Too many links that do not work were opened from your network.';
    return { title: 'Too many attempts', paragraphs: [`${why} Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`] };
  }
  if (error instanceof ForbiddenError) return { title: 'This link does not cover this page', paragraphs: ['Open the link exactly as you received it.'] };
  if (error instanceof NotFoundError) return { title: 'Page not found', paragraphs: ['Open the link exactly as you received it.'] };
  if (error instanceof ServiceUnavailableError) return { title: 'Not available right now', paragraphs: ['Nothing was changed. Try again in a few minutes, or ask the person who sent you this link.'] };
  if (error.status < 500) return { title: 'This request could not be handled', paragraphs: ['Go back to the link you received and try again.'] };
  return { title: 'Something went wrong', paragraphs: ['Nothing was changed. Try again in a few minutes.'] };
}

/** Public routes under /share/:token (no API key). */
export function publicShareRoutes(db: Database, logger: Logger, options: ShareLinkRouteOptions | undefined): Router {
  const router = Router();
  const now = options?.now ?? Date.now;
  const limiter = options?.limiter ?? new ShareRateLimiter(now);
  const cookies = { secure: options?.publicBaseUrl.startsWith('https://') ?? false };
  /** The client as Express derives it (TRUST_PROXY decides whether X-Forwarded-For counts). */
  const clientOf = (request: Request) => request.ip ?? request.socket.remoteAddress ?? 'unknown';
  router.use('/share', ...shareBodies);

  /** 503s already worded for a link holder (any other one is reworded before it leaves). */
  const plainWords = new WeakSet<ServiceUnavailableError>();
  /** What an operator must fix, logged; what the link holder reads, in plain words. */
  function unavailable(what: string, operatorDetail: string): ServiceUnavailableError {
    logger.warn({ reason: operatorDetail }, `share link: ${what} is not available`);
    const error = new ServiceUnavailableError(`${what} is not available right now: try again later, or ask the person who sent you this link`);
    plainWords.add(error);
    return error;
  }

  /** A link holder is not the operator: no setting names, no internal addresses. */
  function forLinkHolder(error: unknown): unknown {
    if (error instanceof ServiceUnavailableError && !plainWords.has(error)) return unavailable('This action', error.message);
    if (error instanceof HostNotAllowedError) {
      return new InboxConnectionError(
        { code: 'host-not-allowed', side: 'imap', title: error.title, guidance: 'Use the public server name your email provider gives (for example imap.example.com). Addresses of private networks are not accepted.' },
        error.message,
      );
    }
    return error;
  }

  /** The link's context, or 401/403 (each counted as a failed attempt for the client; 429 past the limit). */
  async function access(request: Request, identityId?: string): Promise<ShareContext> {
    if (!options) throw unavailable('Reconnecting accounts', 'share links are not configured (PUBLIC_BASE_URL)');
    const token = String(request.params.token);
    const at = now();
    const link = looksLikeShareToken(token) ? await db.identityShareLink.findUnique({ where: { tokenHash: hashShareToken(token) }, include: { identity: { select: { deletedAt: true } } } }) : null;
    const validity = link ? shareLinkValidity({ expiresAt: link.expiresAt.getTime(), revokedAt: link.revokedAt?.getTime() ?? null }, at) : 'unknown';
    if (!link || validity !== 'valid' || link.identity.deletedAt !== null || link.scope !== SHARE_LINK_SCOPE) {
      logger.info({ shareLinkId: link?.id, validity }, 'share link refused');
      throw limiter.failed(clientOf(request)) ?? new ShareLinkRefusedError(validity === 'valid' ? 'revoked' : validity);
    }
    if (identityId !== undefined && identityId !== link.identityId) {
      throw limiter.failed(clientOf(request)) ?? new ForbiddenError('This share link is for another identity');
    }
    limiter.admitLink(link.id);
    return { linkId: link.id, identityId: link.identityId, workspaceId: link.workspaceId, now: at, expiresAt: link.expiresAt.getTime(), token };
  }

  const pageUrl = (context: ShareContext, result: ShareResult) => `/share/${context.token}?${resultQueryString(result)}#result`;

  /**
   * A form's ending (post/redirect/get): the action's next sign-in page, or back to the page with the
   * result. What the person typed (never a password) is kept for the page when the action failed.
   */
  async function answerForm(request: Request, response: Response, context: ShareContext, provider: ShareResult['provider'], run: () => Promise<ShareActionResult>, keepForm = false) {
    if (!csrfTokenValid(request, context.linkId, (request.body as Record<string, unknown> | undefined)?.csrf)) {
      seeOther(response, pageUrl(context, { status: 'failed', code: 'form-expired', ...(provider ? { provider } : {}) }));
      return;
    }
    let result: ShareResult;
    try {
      const done = await run();
      if (done.redirectTo) {
        seeOther(response, done.redirectTo);
        return;
      }
      const inbox = (done.body as { id?: string } | undefined)?.id;
      result = { status: done.status === 201 ? 'connected' : 'reconnected', code: 'ok', ...(provider ? { provider } : {}), ...(inbox ? { inbox } : {}) };
    } catch (error) {
      const failure = formFailure(error);
      if (!failure) throw error;
      result = { status: 'failed', code: failure.code, ...(provider ? { provider } : {}) };
      if (keepForm) setFormFlash(response, { link: context.linkId, values: formValuesOf(connectFormSchema.parse(request.body ?? {})), invalid: failure.fields ?? [], ...(failure.domain ? { domain: failure.domain } : {}) }, cookies);
    }
    seeOther(response, pageUrl(context, result));
  }

  /** Failures a form answers with a banner; anything else is an error page. */
  function formFailure(error: unknown): { code: string; fields?: string[]; domain?: string } | undefined {
    if (error instanceof HostNotAllowedError) return { code: 'host-not-allowed', fields: ['imap.host', 'smtp.host'] };
    if (error instanceof InboxConnectionError) return { code: error.code };
    if (error instanceof ServerSettingsNeeded) return { code: 'server-settings-needed', domain: error.domain };
    if (error instanceof ValidationError) {
      const fields = [...new Set(error.errors.map((problem) => problem.field))];
      // An invalid address leaves the servers unknown: say what to fix first.
      return { code: 'invalid-input', fields: fields.includes('email') ? fields.filter((field) => field !== 'imap' && field !== 'smtp') : fields };
    }
    if (error instanceof ServiceUnavailableError) {
      logger.warn({ reason: error.message }, 'share link: an action is not available');
      return { code: 'not-available' };
    }
    if (error instanceof NotFoundError) return { code: 'inbox-not-found' };
    return undefined;
  }

  async function linkedinStatusOf(identityId: string, at: number): Promise<LinkedinStatus> {
    if (!options?.linkedin) return 'unknown';
    return options.linkedin.getAccountStatus({ identityId, at }).then(
      (answer) => answer.status,
      (error: unknown) => {
        logger.warn({ err: error }, 'share link: the LinkedIn status could not be read');
        return 'unknown' as const;
      },
    );
  }

  /** The page (browsers) or the name and connection status (JSON); reads only, so a mail scanner's pre-fetch leaves the link usable. */
  router.get('/share/:token', async (request, response) => {
    const context = await access(request);
    const identity = await db.identity.findUniqueOrThrow({ where: { id: context.identityId }, include: { emailInboxes: { orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] } } });
    const linkedinStatus = await linkedinStatusOf(identity.id, context.now);
    response.vary('Accept');
    const base = `/share/${context.token}/identities/${identity.id}`;
    if (!wantsPage(request)) {
      response.json({
        identity: { id: identity.id, firstName: identity.firstName, lastName: identity.lastName },
        expiresAt: new Date(context.expiresAt).toISOString(),
        linkedin: { status: linkedinStatus, reconnect: `POST ${base}/linkedin/reconnect` },
        inboxes: identity.emailInboxes.map((inbox) => ({ id: inbox.id, address: inbox.email, provider: inbox.provider, status: inbox.status, reconnect: `POST ${base}/email-accounts/${inbox.id}/reconnect` })),
        actions: { connectImapInbox: `POST ${base}/email-accounts`, startGoogleOAuth: `POST ${base}/oauth/google/start`, startMicrosoftOAuth: `POST ${base}/oauth/microsoft/start` },
      });
      return;
    }
    const actions = options!.inboxActions;
    const result = resultOf(request.query);
    const flash = takeFormFlash(request, response, context.linkId, cookies);
    const microsoft = actions.microsoftApp();
    const banner =
      result &&
      resultBanner(result, {
        ...(result.inbox ? { inboxAddress: identity.emailInboxes.find((inbox) => inbox.id === result.inbox)?.email } : {}),
        ...(flash ? { invalidFields: flash.invalid, ...(flash.domain ? { domain: flash.domain } : {}) } : {}),
        ...(microsoft ? { microsoftClientId: microsoft.clientId, microsoftScopes: microsoft.scopes } : {}),
      });
    const view = sharePageView({
      identity,
      actionBase: base,
      expiresAt: context.expiresAt,
      linkedin: { status: linkedinStatus, canReconnect: options?.linkedin !== undefined },
      oauth: { google: actions.oauthAvailable('google'), microsoft: actions.oauthAvailable('microsoft') },
      csrfToken: csrfTokenFor(csrfSecretFor(request, response, cookies), context.linkId),
      banner,
      flash,
    });
    sendPage(response, 200, 'share', view);
  });

  /** A sign-in page of the LinkedIn automation service where the owner reconnects LinkedIn; it returns to the share page. */
  router.post('/share/:token/identities/:identityId/linkedin/reconnect', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    const reconnect = async (): Promise<ShareActionResult> => {
      if (!options?.linkedin) throw unavailable('LinkedIn reconnection', 'no LinkedIn gateway is configured for the API');
      const returnUrl = `${options.publicBaseUrl}/share/${context.token}?${resultQueryString({ status: 'returned', code: 'ok', provider: 'linkedin' })}#linkedin`;
      const session = await options.linkedin.startReconnect({ identityId: context.identityId, at: context.now, idempotencyKey: `share/${context.linkId}/reconnect/${context.now}`, returnUrl }).catch((error: unknown) => {
        // The gateway's text may name internal hosts; the token must not reach the log either.
        throw unavailable('LinkedIn reconnection', String((error as Error)?.message ?? error).split(context.token).join('…'));
      });
      await db.auditEntry.create({
        data: { workspaceId: context.workspaceId, entityType: 'identity', entityId: context.identityId, action: 'identity.share-link.linkedin-reconnect', after: { linkId: context.linkId } },
      });
      const origin = new URL(session.reconnectUrl).origin;
      const allowed = linkedinSignInOrigins(options).includes(origin);
      if (!allowed && isForm(request)) throw unavailable('LinkedIn reconnection', `the gateway's sign-in page ${origin} is not among the share page's sign-in origins`);
      return { status: 200, body: { reconnectUrl: session.reconnectUrl, expiresAt: new Date(session.expiresAt).toISOString() }, redirectTo: session.reconnectUrl };
    };
    if (isForm(request)) await answerForm(request, response, context, 'linkedin', reconnect);
    else response.json((await reconnect()).body);
  });

  // Inbox actions: the API's own inbox connection, acting on the link's identity only.
  /** Only reached after access() succeeded, which needs the options. */
  const inboxActions = (): ShareInboxActions => options!.inboxActions;
  const json = (response: Response, result: ShareActionResult) => response.status(result.status).json(result.body);

  router.post('/share/:token/identities/:identityId/email-accounts', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    if (!isForm(request)) return json(response, await inboxActions().connectImapInbox(context, request.body));
    await answerForm(request, response, context, 'imap', () => inboxActions().connectImapInbox(context, connectInputFromForm(connectFormSchema.parse(request.body ?? {}))), true);
  });
  router.post('/share/:token/identities/:identityId/email-accounts/:accountId/reconnect', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    const accountId = String(request.params.accountId);
    if (!isForm(request)) return json(response, await inboxActions().reconnectInbox(context, accountId, request.body));
    const form = (request.body ?? {}) as { password?: unknown };
    await answerForm(request, response, context, 'imap', () => inboxActions().reconnectInbox(context, accountId, { password: typeof form.password === 'string' ? form.password : '' }));
  });
  router.post('/share/:token/identities/:identityId/oauth/:provider/start', async (request, response) => {
    const context = await access(request, String(request.params.identityId));
    const provider = String(request.params.provider);
    if (provider !== 'google' && provider !== 'microsoft') throw new NotFoundError(`No OAuth provider ${provider}: google or microsoft`);
    const start = async () => {
      if (!inboxActions().oauthAvailable(provider)) throw unavailable(`${provider === 'google' ? 'Google' : 'Microsoft'} sign-in`, `${provider} OAuth is not configured (client id, secret, OAUTH_STATE_SECRET)`);
      return inboxActions().startOAuth(context, provider, request.body);
    };
    if (isForm(request)) await answerForm(request, response, context, provider, start);
    else json(response, await start());
  });

  // Nothing else is reachable under /share (and no API key is asked for there).
  router.use('/share', (request) => {
    throw new NotFoundError(`No route ${request.method} ${redactSharePath(request.originalUrl)}`);
  });

  /**
   * Every /share failure: a page for a browser, else problem+json (through the one mapping in
   * api/problem.ts) whose `instance` names the path without the token. Unexpected errors are logged
   * here, with the path redacted, and answered 500 without details.
   */
  const failed: ErrorRequestHandler = (error: unknown, request, response, next) => {
    const path = redactSharePath(request.originalUrl);
    let known: unknown = error;
    const fromBodyParser = typeof (error as { type?: unknown })?.type === 'string' && typeof (error as { status?: unknown }).status === 'number';
    if (!(error instanceof PacerError) && !fromBodyParser) {
      logger.error({ err: error, method: request.method, path }, 'unhandled error on a share link');
      known = new InternalError('An unexpected error occurred; it has been logged.');
    }
    known = forLinkHolder(known);
    if (wantsPage(request)) {
      const pacerError = known instanceof PacerError ? known : undefined;
      const status = pacerError?.status ?? (error as { status: number }).status;
      if (known instanceof TooManyRequestsError) response.setHeader('Retry-After', String(known.retryAfterSeconds));
      sendPage(response, status, 'message', pacerError ? refusalPage(pacerError) : { title: 'This request could not be handled', paragraphs: ['Go back to the link you received and try again.'] });
      return;
    }
    request.originalUrl = path;
    next(known);
  };
  router.use('/share', failed);

  return router;
}
