/**
 * Connecting Google and Microsoft 365 inboxes with OAuth 2.0 (SPEC §3).
 *
 * `POST /identities/:id/email-accounts/{google,microsoft}/authorize` answers the provider's
 * authorization URL. Its `state` is `<payload>.<HMAC-SHA256>` (OAUTH_STATE_SECRET) where the payload
 * binds a nonce to the workspace, the identity and the provider, with a 10-minute expiry; the nonce
 * is an OAuthState row that the callback marks used, so a state works once.
 *
 * `GET /oauth/{google,microsoft}/callback` (the browser comes back from the provider, so no API key)
 * checks and consumes the state, exchanges the code, and stores the inbox with its refresh token
 * encrypted (AES-256-GCM, bound to the row). The same address again is a reconnection and resumes
 * its leads. Provider errors are mapped by domain/oauth-errors (AADSTS numbers, Google codes).
 *
 * How a callback ends (what the browser sees): a 303 redirect with `status` (`connected`,
 * `reconnected`, `failed`), `code` (`ok` or the failure code), `provider` and, on success, `inbox`
 * query parameters, to the share page when the flow started from a share link, or to the `returnUrl`
 * the API caller gave to `…/authorize` (only origins listed in OAUTH_RETURN_URL_ORIGINS). Without
 * either, a small result page. The return target travels inside the signed state, encrypted
 * (AES-256-GCM under a key derived from OAUTH_STATE_SECRET), so the provider never sees a share
 * link's token. No code, state or token appears in an answer body or a log line.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EmailInbox } from '@prisma/client';
import { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { google } from 'googleapis';
import { z } from 'zod';
import { inboxRefreshTokenAssociatedData } from '../activities/campaign-steps';
import type { Database } from '../db/client';
import { classifyOAuthError } from '../domain/oauth-errors';
import { microsoftClient, type GoogleClientConfig, type MicrosoftClientConfig } from '../integrations/email/senders';
import { BadRequestError, InboxConnectionError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { encryptSecret, type Keyring } from '../lib/secrets';
import { callerOf } from './auth';
import { inboxView, type InboxConnections } from './email-inboxes';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { seeOther, sendPage } from './pages';
import { parseInput } from './problem';
import { resultBanner, resultQueryString, type ShareResult } from './share-page';

export const GOOGLE_SCOPES = ['https://www.googleapis.com/auth/gmail.send', 'https://www.googleapis.com/auth/gmail.readonly'];
/** Exactly the SPEC's permissions, space-separated in the request. */
export const MICROSOFT_SCOPES = ['SMTP.Send', 'Mail.Send', 'Mail.ReadWrite', 'Mail.ReadBasic', 'Mail.Read', 'User.Read', 'offline_access'];
const STATE_TTL_MS = 10 * 60_000;

export interface OAuthSettings {
  keyring: Keyring;
  /** HMAC key of the `state`; unset disables both flows (503). */
  stateSecret: string | undefined;
  /** Where the provider sends the browser back: `<base>/oauth/<provider>/callback`. */
  redirectBaseUrl: string;
  google: GoogleClientConfig | undefined;
  microsoft: MicrosoftClientConfig | undefined;
  /** Google's consent page (GOOGLE_OAUTH_AUTHORIZE_URL); Google's own when unset. */
  googleAuthorizeUrl?: string;
  /** Origins a caller's `returnUrl` may point to (OAUTH_RETURN_URL_ORIGINS); none when unset. */
  returnOrigins?: string[];
}

type Provider = 'google' | 'microsoft';

/** Where the browser goes once the provider sent it back: the share page of a link, or the caller's URL. */
export type OAuthReturnTarget = { kind: 'share'; token: string } | { kind: 'url'; url: string };

interface StatePayload {
  n: string;
  w: string;
  i: string;
  p: Provider;
  e: number;
  /** The return target, sealed (see sealReturnTarget). */
  r?: string;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function encodeState(secret: string, payload: StatePayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The payload when the signature is right, expired or not. */
function verifiedPayload(secret: string, state: string): StatePayload | undefined {
  const [body = '', signature = '', ...rest] = state.split('.');
  if (rest.length > 0) return undefined;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    return undefined;
  }
}

/** The payload when the signature is right and it has not expired; undefined otherwise (one answer for every reason). */
export function decodeState(secret: string, state: string, now: number): StatePayload | undefined {
  const payload = verifiedPayload(secret, state);
  return payload && payload.e > now ? payload : undefined;
}

function returnKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'pacer-oauth-state', 'return-target', 32));
}

/** AES-256-GCM under a key derived from the state secret: the provider sees the state, not a share token. */
function sealReturnTarget(secret: string, target: OAuthReturnTarget): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', returnKey(secret), iv);
  const sealed = Buffer.concat([cipher.update(JSON.stringify(target), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
}

function openReturnTarget(secret: string, sealed: string): OAuthReturnTarget | undefined {
  try {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', returnKey(secret), bytes.subarray(0, 12));
    decipher.setAuthTag(bytes.subarray(12, 28));
    const target = JSON.parse(Buffer.concat([decipher.update(bytes.subarray(28)), decipher.final()]).toString('utf8')) as OAuthReturnTarget;
    return target.kind === 'share' || target.kind === 'url' ? target : undefined;
  } catch {
    return undefined;
  }
}

/** Where a callback's browser goes: read from a state whose signature holds (even once expired or used). */
function returnTargetOf(secret: string, state: string): OAuthReturnTarget | undefined {
  const payload = verifiedPayload(secret, state);
  return payload?.r === undefined ? undefined : openReturnTarget(secret, payload.r);
}

/** `{returnUrl?}`: where the browser goes after the provider's sign-in (an allowed origin only). */
export const authorizeSchema = z.strictObject({
  returnUrl: z.url({ protocol: /^https?$/ }).max(2048).optional(),
});

const callbackQuery = z.object({
  state: z.string().min(1).max(2000),
  code: z.string().min(1).max(4000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

/** Providers' host settings stored beside OAuth inboxes (their IMAP serves reply sync with XOAUTH2). */
const HOSTS: Record<Provider, { smtpHost: string; imapHost: string }> = {
  google: { smtpHost: 'smtp.gmail.com', imapHost: 'imap.gmail.com' },
  microsoft: { smtpHost: 'smtp.office365.com', imapHost: 'outlook.office365.com' },
};

export function emailOAuthRoutes(
  db: Database,
  identities: IdentityService,
  connections: InboxConnections,
  workflows: IdentityWorkflows,
  settings: OAuthSettings | undefined,
  logger: Logger,
): EmailOAuth {
  const authorize = Router();
  const callbacks = Router();
  const redirectUri = (provider: Provider) => `${(settings?.redirectBaseUrl ?? '').replace(/\/$/, '')}/oauth/${provider}/callback`;

  function configured(provider: Provider): { secret: string; settings: OAuthSettings } {
    const prefix = provider === 'google' ? 'GOOGLE' : 'MICROSOFT';
    const client = provider === 'google' ? settings?.google : settings?.microsoft;
    if (!settings?.stateSecret || !client) {
      throw new ServiceUnavailableError(
        `${provider === 'google' ? 'Google' : 'Microsoft 365'} inboxes are not configured: set ${prefix}_CLIENT_ID, ${prefix}_CLIENT_SECRET and OAUTH_STATE_SECRET`,
      );
    }
    return { secret: settings.stateSecret, settings };
  }

  async function issueState(provider: Provider, workspaceId: string, identityId: string, secret: string, returnTo: OAuthReturnTarget | undefined) {
    const expiresAt = new Date(Date.now() + STATE_TTL_MS);
    const nonce = await db.oAuthState.create({ data: { workspaceId, identityId, provider, expiresAt } });
    const payload: StatePayload = { n: nonce.id, w: workspaceId, i: identityId, p: provider, e: expiresAt.getTime(), ...(returnTo ? { r: sealReturnTarget(secret, returnTo) } : {}) };
    return { state: encodeState(secret, payload), expiresAt };
  }

  /** The provider's sign-in URL for this identity, with a fresh single-use state (API route and share links). */
  async function startAuthorization(
    provider: Provider,
    identity: { id: string; workspaceId: string },
    returnTo?: OAuthReturnTarget,
  ): Promise<{ authorizationUrl: string; expiresAt: string }> {
    const { secret, settings: ready } = configured(provider);
    const { state, expiresAt } = await issueState(provider, identity.workspaceId, identity.id, secret, returnTo);
    if (provider === 'google') {
      const client = ready.google!;
      const oauth = new google.auth.OAuth2({
        clientId: client.clientId,
        clientSecret: client.clientSecret,
        redirectUri: redirectUri('google'),
        ...(ready.googleAuthorizeUrl ? { endpoints: { oauth2AuthBaseUrl: ready.googleAuthorizeUrl } } : {}),
      });
      const authorizationUrl = oauth.generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: GOOGLE_SCOPES, state, include_granted_scopes: true });
      return { authorizationUrl, expiresAt: expiresAt.toISOString() };
    }
    const authorizationUrl = await microsoftClient(ready.microsoft!).getAuthCodeUrl({ scopes: MICROSOFT_SCOPES, redirectUri: redirectUri('microsoft'), state, prompt: 'select_account' });
    return { authorizationUrl, expiresAt: expiresAt.toISOString() };
  }

  for (const provider of ['google', 'microsoft'] as const) {
    authorize.post(`/identities/:id/email-accounts/${provider}/authorize`, async (request, response) => {
      const identity = await identities.findOwned(callerOf(request), request.params.id);
      const { returnUrl } = parseInput(authorizeSchema, request.body ?? {});
      if (returnUrl !== undefined && !(settings?.returnOrigins ?? []).includes(new URL(returnUrl).origin)) {
        throw new ValidationError([{ field: 'returnUrl', message: `origin ${new URL(returnUrl).origin} is not allowed: an operator lists the allowed origins in OAUTH_RETURN_URL_ORIGINS` }]);
      }
      response.json(await startAuthorization(provider, identity, returnUrl === undefined ? undefined : { kind: 'url', url: returnUrl }));
    });
  }

  /** Checks the signature, the expiry and the binding, and uses the nonce up (single use). */
  async function consumeState(provider: Provider, state: string, secret: string): Promise<StatePayload> {
    const payload = decodeState(secret, state, Date.now());
    const invalid = new BadRequestError('The OAuth state is invalid, expired or already used: start the connection again');
    if (!payload || payload.p !== provider) throw invalid;
    const used = await db.oAuthState.updateMany({
      where: { id: payload.n, workspaceId: payload.w, identityId: payload.i, provider, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (used.count !== 1) throw invalid;
    return payload;
  }

  function oauthError(input: { error?: string; description?: string }): InboxConnectionError {
    const failure = classifyOAuthError(input);
    const reason = /AADSTS\d+/.exec(input.description ?? '')?.[0] ?? input.error ?? 'error';
    return new InboxConnectionError({ ...failure, side: 'oauth' }, `The provider answered ${reason}`);
  }

  async function store(provider: Provider, payload: StatePayload, address: string, refreshToken: string, keyring: Keyring) {
    const identity = await db.identity.findFirst({ where: { id: payload.i, workspaceId: payload.w, deletedAt: null } });
    if (!identity) throw new BadRequestError('The identity of this OAuth state no longer exists');
    const email = address.toLowerCase();
    const existing = await db.emailInbox.findUnique({ where: { identityId_email: { identityId: identity.id, email } } });
    const id = existing?.id ?? randomUUID();
    const fields = {
      provider,
      username: email,
      smtpHost: HOSTS[provider].smtpHost,
      smtpPort: 587,
      smtpSecurity: 'starttls',
      imapHost: HOSTS[provider].imapHost,
      imapPort: 993,
      imapSecurity: 'tls',
      passwordEnvelope: '',
      refreshTokenEnvelope: encryptSecret(keyring, refreshToken, inboxRefreshTokenAssociatedData(id)),
      statusReason: null,
    };
    const inbox: EmailInbox = await db.$transaction(async (tx) => {
      const saved = existing
        ? await tx.emailInbox.update({ where: { id }, data: fields })
        : await tx.emailInbox.create({ data: { id, workspaceId: identity.workspaceId, identityId: identity.id, email, ...fields } });
      await tx.auditEntry.create({
        data: { workspaceId: identity.workspaceId, entityType: 'email-inbox', entityId: id, action: existing ? 'email-inbox.reconnected' : 'email-inbox.connected', after: { email, provider } },
      });
      return saved;
    });
    if (existing) {
      const resumed = await connections.reconnected(inbox);
      return { status: 200, body: { ...inboxView({ ...inbox, status: 'connected' }), reconnected: true, leadsResumed: resumed } };
    }
    await workflows.campaignsChanged(identity.id);
    return { status: 201, body: inboxView(inbox) };
  }

  callbacks.get('/oauth/google/callback', async (request, response) => {
    const { secret, settings: ready } = configured('google');
    const client = ready.google!;
    const query = parseInput(callbackQuery, request.query);
    const payload = await consumeState('google', query.state, secret);
    if (query.error || !query.code) throw oauthError({ error: query.error ?? 'missing_code', ...(query.error_description ? { description: query.error_description } : {}) });
    const oauth = new google.auth.OAuth2({
      clientId: client.clientId,
      clientSecret: client.clientSecret,
      redirectUri: redirectUri('google'),
      endpoints: { oauth2TokenUrl: client.tokenUrl },
      transporterOptions: { fetchImplementation: fetch },
    });
    let refreshToken: string;
    let address: string;
    try {
      const { tokens } = await oauth.getToken(query.code);
      if (!tokens.refresh_token) throw Object.assign(new Error('no refresh token'), { response: { data: { error: 'invalid_grant' } } });
      refreshToken = tokens.refresh_token;
      oauth.setCredentials(tokens);
      const profile = await google.gmail({ version: 'v1', auth: oauth, rootUrl: client.gmailRootUrl }).users.getProfile({ userId: 'me' });
      address = profile.data.emailAddress ?? '';
    } catch (error) {
      const data = (error as { response?: { data?: { error?: unknown; error_description?: unknown } } }).response?.data;
      throw oauthError({
        ...(typeof data?.error === 'string' ? { error: data.error } : {}),
        ...(typeof data?.error_description === 'string' ? { description: data.error_description } : {}),
      });
    }
    if (!z.email().safeParse(address).success) throw oauthError({ error: 'no_email_address' });
    const stored = await store('google', payload, address, refreshToken, ready.keyring);
    finish(request, response, 'google', { status: stored.status === 201 ? 'connected' : 'reconnected', code: 'ok', provider: 'google', inbox: stored.body.id }, stored.status, stored.body.email);
  });

  callbacks.get('/oauth/microsoft/callback', async (request, response) => {
    const { secret, settings: ready } = configured('microsoft');
    const query = parseInput(callbackQuery, request.query);
    const payload = await consumeState('microsoft', query.state, secret);
    if (query.error || !query.code) throw oauthError({ error: query.error ?? 'missing_code', ...(query.error_description ? { description: query.error_description } : {}) });
    const client = microsoftClient(ready.microsoft!);
    let refreshToken: string | undefined;
    let address: string;
    try {
      const result = await client.acquireTokenByCode({ code: query.code, scopes: MICROSOFT_SCOPES, redirectUri: redirectUri('microsoft') });
      address = result.account?.username ?? '';
      // msal-node keeps refresh tokens in its cache rather than returning them.
      const cache = JSON.parse(client.getTokenCache().serialize()) as { RefreshToken?: Record<string, { secret?: string }> };
      refreshToken = Object.values(cache.RefreshToken ?? {})[0]?.secret;
    } catch (error) {
      const { errorCode, errorMessage } = error as { errorCode?: string; errorMessage?: string };
      throw oauthError({ ...(errorCode ? { error: errorCode } : {}), ...(errorMessage ? { description: errorMessage } : {}) });
    }
    if (!refreshToken || !z.email().safeParse(address).success) throw oauthError({ error: 'invalid_grant' });
    const stored = await store('microsoft', payload, address, refreshToken, ready.keyring);
    finish(request, response, 'microsoft', { status: stored.status === 201 ? 'connected' : 'reconnected', code: 'ok', provider: 'microsoft', inbox: stored.body.id }, stored.status, stored.body.email);
  });

  /**
   * The end of every callback: to the return target the state carries (share page or the caller's
   * URL) with the result in the query, or else a result page with the matching HTTP status.
   */
  function finish(request: Request, response: Response, provider: Provider, result: ShareResult, httpStatus: number, address?: string): void {
    const state = typeof request.query.state === 'string' ? request.query.state : '';
    const target = settings?.stateSecret ? returnTargetOf(settings.stateSecret, state) : undefined;
    if (target?.kind === 'share') {
      seeOther(response, `/share/${target.token}?${resultQueryString(result)}#result`);
      return;
    }
    if (target?.kind === 'url') {
      const url = new URL(target.url);
      for (const [name, value] of new URLSearchParams(resultQueryString(result))) url.searchParams.set(name, value);
      seeOther(response, url.toString());
      return;
    }
    const banner = resultBanner(result, { ...(address ? { inboxAddress: address } : {}), ...adminConsentContext() });
    const closing = result.status === 'failed' ? [] : ['You can close this page.'];
    response.setHeader('Cache-Control', 'no-store');
    sendPage(response, httpStatus, 'message', { title: banner.title, paragraphs: [...banner.paragraphs, ...closing], steps: banner.steps });
  }

  function adminConsentContext() {
    return settings?.microsoft ? { microsoftClientId: settings.microsoft.clientId, microsoftScopes: MICROSOFT_SCOPES } : {};
  }

  /** Failures end like successes: a redirect with `status=failed` and the code, or a result page. */
  const failed: ErrorRequestHandler = (error: unknown, request, response, _next) => {
    const provider: Provider = request.originalUrl.startsWith('/oauth/microsoft') ? 'microsoft' : 'google';
    let code: string;
    let httpStatus: number;
    if (error instanceof InboxConnectionError) [code, httpStatus] = [error.code, 422];
    else if (error instanceof BadRequestError || error instanceof ValidationError) [code, httpStatus] = ['state-invalid', 400];
    else if (error instanceof ServiceUnavailableError) {
      logger.warn({ provider, reason: error.message }, 'OAuth callback reached while the provider is not configured');
      [code, httpStatus] = ['not-available', 503];
    } else {
      // The error may quote the request (the code in a token request body): log its kind and a scrubbed message only.
      const secrets = [request.query.code, request.query.state].filter((value): value is string => typeof value === 'string' && value !== '');
      const message = secrets.reduce((text, secret) => text.split(secret).join('…'), String((error as Error)?.message ?? error));
      logger.error({ provider, error: { name: (error as Error)?.name, message } }, 'OAuth callback failed');
      [code, httpStatus] = ['internal-error', 500];
    }
    finish(request, response, provider, { status: 'failed', code, provider }, httpStatus);
  };
  callbacks.use('/oauth', failed);

  return {
    authorize,
    callbacks,
    startAuthorization,
    available: (provider) => Boolean(settings?.stateSecret && (provider === 'google' ? settings.google : settings.microsoft)),
    microsoftApp: () => (settings?.microsoft ? { clientId: settings.microsoft.clientId, scopes: MICROSOFT_SCOPES } : undefined),
  };
}

/** The OAuth flows: the API-key route, the callbacks, and what share links use to start them. */
export interface EmailOAuth {
  authorize: Router;
  callbacks: Router;
  startAuthorization(provider: Provider, identity: { id: string; workspaceId: string }, returnTo?: OAuthReturnTarget): Promise<{ authorizationUrl: string; expiresAt: string }>;
  /** Whether sign-in with this provider can start (its client and OAUTH_STATE_SECRET are configured). */
  available(provider: Provider): boolean;
  /** Microsoft's application id and permissions, for the message to an administrator who must approve it. */
  microsoftApp(): { clientId: string; scopes: string[] } | undefined;
}
