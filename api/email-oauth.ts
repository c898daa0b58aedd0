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
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { EmailInbox } from '@prisma/client';
import { Router } from 'express';
import { google } from 'googleapis';
import { z } from 'zod';
import { inboxRefreshTokenAssociatedData } from '../lib/secrets';
import type { Database } from '../db/client';
import { adminConsentUrl, classifyOAuthError } from '../domain/oauth-errors';
import { MicrosoftSignInError, redeemMicrosoftCode } from '../integrations/email/oauth-connect';
import { microsoftClient } from '../integrations/email/oauth-tokens';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../integrations/email/senders';
import { BadRequestError, InboxConnectionError, ServiceUnavailableError } from '../lib/errors';
import { encryptSecret, type Keyring } from '../lib/secrets';
import { callerOf } from './auth';
import { claimAddress, inboxView, type InboxConnections } from './email-inboxes';
import { ADMIN_CONSENT_PATH } from './email-admin-consent';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { parseInput } from './problem';

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
}

type Provider = 'google' | 'microsoft';

interface StatePayload {
  n: string;
  w: string;
  i: string;
  p: Provider;
  e: number;
}

function sign(secret: string, payload: string): string {
  return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function encodeState(secret: string, payload: StatePayload): string {
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `${body}.${sign(secret, body)}`;
}

/** The payload when the signature is right and it has not expired; undefined otherwise (one answer for every reason). */
export function decodeState(secret: string, state: string, now: number): StatePayload | undefined {
  const [body = '', signature = '', ...rest] = state.split('.');
  if (rest.length > 0) return undefined;
  const expected = Buffer.from(sign(secret, body));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
  try {
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
    return payload.e > now ? payload : undefined;
  } catch {
    return undefined;
  }
}

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
): { authorize: Router; callbacks: Router; startAuthorization: (provider: Provider, identity: { id: string; workspaceId: string }) => Promise<{ authorizationUrl: string; expiresAt: string }> } {
  const authorize = Router();
  const callbacks = Router();
  const redirectUri = (provider: Provider) => `${(settings?.redirectBaseUrl ?? '').replace(/\/$/, '')}/oauth/${provider}/callback`;
  const adminConsentRedirectUri = () => `${(settings?.redirectBaseUrl ?? '').replace(/\/$/, '')}${ADMIN_CONSENT_PATH}`;

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

  async function issueState(provider: Provider, workspaceId: string, identityId: string, secret: string) {
    const expiresAt = new Date(Date.now() + STATE_TTL_MS);
    const nonce = await db.oAuthState.create({ data: { workspaceId, identityId, provider, expiresAt } });
    return { state: encodeState(secret, { n: nonce.id, w: workspaceId, i: identityId, p: provider, e: expiresAt.getTime() }), expiresAt };
  }

  /** The provider's sign-in URL for this identity, with a fresh single-use state (API route and share links). */
  async function startAuthorization(provider: Provider, identity: { id: string; workspaceId: string }): Promise<{ authorizationUrl: string; expiresAt: string }> {
    const { secret, settings: ready } = configured(provider);
    const { state, expiresAt } = await issueState(provider, identity.workspaceId, identity.id, secret);
    if (provider === 'google') {
      const client = ready.google!;
      const oauth = new google.auth.OAuth2({ clientId: client.clientId, clientSecret: client.clientSecret, redirectUri: redirectUri('google') });
      const authorizationUrl = oauth.generateAuthUrl({ access_type: 'offline', prompt: 'consent', scope: GOOGLE_SCOPES, state, include_granted_scopes: true });
      return { authorizationUrl, expiresAt: expiresAt.toISOString() };
    }
    const authorizationUrl = await microsoftClient(ready.microsoft!).getAuthCodeUrl({ scopes: MICROSOFT_SCOPES, redirectUri: redirectUri('microsoft'), state, prompt: 'select_account' });
    return { authorizationUrl, expiresAt: expiresAt.toISOString() };
  }

  for (const provider of ['google', 'microsoft'] as const) {
    authorize.post(`/identities/:id/email-accounts/${provider}/authorize`, async (request, response) => {
      const identity = await identities.findOwned(callerOf(request), request.params.id);
      response.json(await startAuthorization(provider, identity));
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

  function oauthError(input: { error?: string; description?: string }, provider?: Provider): InboxConnectionError {
    const failure = classifyOAuthError(input);
    const reason = /AADSTS\d+/.exec(input.description ?? '')?.[0] ?? input.error ?? 'error';
    const error = new InboxConnectionError({ ...failure, side: 'oauth' }, `The provider answered ${reason}`);
    if (provider === 'microsoft' && failure.code === 'admin-approval-required' && settings?.microsoft) {
      // The link the administrator opens to grant tenant-wide consent (docs/email.md, "Microsoft Entra").
      error.extensions.adminConsentUrl = adminConsentUrl({
        loginBaseUrl: settings.microsoft.loginBaseUrl,
        clientId: settings.microsoft.clientId,
        scopes: MICROSOFT_SCOPES,
        redirectUri: adminConsentRedirectUri(),
      });
    }
    return error;
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
      passwordEnvelope: null,
      refreshTokenEnvelope: encryptSecret(keyring, refreshToken, inboxRefreshTokenAssociatedData(id)),
      statusReason: null,
    };
    const inbox: EmailInbox = await db.$transaction(async (tx) => {
      await claimAddress(tx, { workspaceId: identity.workspaceId, identityId: identity.id, email });
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
    response.status(stored.status).json(stored.body);
  });

  callbacks.get('/oauth/microsoft/callback', async (request, response) => {
    const { secret, settings: ready } = configured('microsoft');
    const query = parseInput(callbackQuery, request.query);
    const payload = await consumeState('microsoft', query.state, secret);
    if (query.error || !query.code) throw oauthError({ error: query.error ?? 'missing_code', ...(query.error_description ? { description: query.error_description } : {}) }, 'microsoft');
    let address: string;
    let refreshToken: string;
    try {
      ({ address, refreshToken } = await redeemMicrosoftCode(ready.microsoft!, { code: query.code, scopes: MICROSOFT_SCOPES, redirectUri: redirectUri('microsoft') }));
    } catch (error) {
      if (!(error instanceof MicrosoftSignInError)) throw error;
      throw oauthError({ ...(error.error ? { error: error.error } : {}), ...(error.description ? { description: error.description } : {}) }, 'microsoft');
    }
    if (!z.email().safeParse(address).success) throw oauthError({ error: 'no_email_address' });
    const stored = await store('microsoft', payload, address, refreshToken, ready.keyring);
    response.status(stored.status).json(stored.body);
  });

  return { authorize, callbacks, startAuthorization };
}
