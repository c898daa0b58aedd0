/**
 * The provider side of connecting and disconnecting Google and Microsoft 365 inboxes.
 *
 * Microsoft (msal-node, authorization-code flow):
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#redeem-a-code-for-an-access-token
 * - the code is redeemed for tokens; msal-node keeps the refresh token in its cache, from which it is
 *   read, and the account is then removed from the cache (signed out of this msal instance): the
 *   only copy left is the encrypted one Pacer stores;
 * - the inbox's address is the mailbox's, read from Graph `/me` (`mail`, else `userPrincipalName`),
 *   not the sign-in name, which differs in many tenants.
 *
 * Revoking (when an inbox is disconnected or its identity deleted):
 * - Google: `POST https://oauth2.googleapis.com/revoke` with the refresh token
 *   https://developers.google.com/identity/protocols/oauth2/web-server#tokenrevoke. It revokes the
 *   grant: every token of that Google account for Pacer's client stops working.
 * - Microsoft Entra ID has no endpoint for an app to revoke one refresh token. Graph's
 *   `revokeSignInSessions` (https://learn.microsoft.com/graph/api/user-revokesigninsessions) signs the
 *   user out of every application and needs permissions Pacer does not hold, so Pacer does not call
 *   it: the token is erased, and it expires after 90 days without use. docs/email.md says how the user
 *   or an administrator removes Pacer's access at once.
 */
import { graphMailboxAddress } from './graph-client';
import { DEFAULT_PROVIDER_TIMEOUT_MS } from './provider-api';
import { microsoftClient } from './oauth-tokens';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../../lib/config';

/** What Entra or Graph answered when a connection failed: the OAuth `error` and its description (with the AADSTS number). */
export class MicrosoftSignInError extends Error {
  override name = 'MicrosoftSignInError';
  constructor(
    readonly error: string | undefined,
    readonly description: string | undefined,
  ) {
    super(`Microsoft sign-in failed: ${error ?? 'error'}${description ? ` (${description.split('\n')[0]?.slice(0, 200)})` : ''}`);
  }
}

/** Redeems an authorization code; answers the mailbox address and the refresh token. */
export async function redeemMicrosoftCode(
  config: MicrosoftClientConfig,
  input: { code: string; redirectUri: string; scopes: string[] },
): Promise<{ address: string; refreshToken: string }> {
  const client = microsoftClient(config);
  let accessToken: string;
  try {
    const result = await client.acquireTokenByCode({ code: input.code, scopes: input.scopes, redirectUri: input.redirectUri });
    accessToken = result.accessToken;
  } catch (error) {
    const { errorCode, errorMessage, message } = error as { errorCode?: string; errorMessage?: string; message?: string };
    throw new MicrosoftSignInError(errorCode, errorMessage ?? message);
  }
  const cache = client.getTokenCache();
  const serialized = JSON.parse(cache.serialize()) as { RefreshToken?: Record<string, { secret?: string }> };
  const refreshToken = Object.values(serialized.RefreshToken ?? {})[0]?.secret;
  for (const account of await cache.getAllAccounts()) await cache.removeAccount(account);
  if (!refreshToken) throw new MicrosoftSignInError('invalid_grant', 'no refresh token was issued (offline_access missing?)');
  let address: string;
  try {
    address = await graphMailboxAddress({ graphBaseUrl: config.graphBaseUrl, accessToken });
  } catch (error) {
    throw new MicrosoftSignInError('graph_me_failed', error instanceof Error ? error.message : String(error));
  }
  return { address, refreshToken };
}

export type RevocationOutcome =
  | { revoked: true }
  | { revoked: false; reason: 'not-supported' | 'failed' | 'shared-grant'; detail: string };

const GOOGLE_REVOKE_URL = 'https://oauth2.googleapis.com/revoke';

/**
 * Revokes a Google refresh token. Google answers 200, or 400 `invalid_token` when the token was
 * already revoked or expired (nothing left to revoke: counted as revoked). Anything else, or no
 * answer, is a failed revocation (the caller erases its copy anyway and says so).
 */
export async function revokeGoogleRefreshToken(config: GoogleClientConfig, refreshToken: string): Promise<RevocationOutcome> {
  let response: Response;
  let text: string;
  try {
    response = await fetch(config.revokeUrl ?? GOOGLE_REVOKE_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: refreshToken }).toString(),
      redirect: 'manual',
      signal: AbortSignal.timeout(DEFAULT_PROVIDER_TIMEOUT_MS),
    });
    text = await response.text();
  } catch (error) {
    return { revoked: false, reason: 'failed', detail: `Google's revocation endpoint did not answer (${error instanceof Error ? error.message : String(error)})` };
  }
  if (response.status === 200) return { revoked: true };
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: string }).error;
  } catch {
    code = undefined;
  }
  if (response.status === 400 && code === 'invalid_token') return { revoked: true };
  return { revoked: false, reason: 'failed', detail: `Google's revocation endpoint answered HTTP ${response.status}${code ? ` ${code}` : ''}` };
}

/** Entra ID cannot revoke one refresh token for an app (see the module comment). */
export const MICROSOFT_REVOCATION: RevocationOutcome = {
  revoked: false,
  reason: 'not-supported',
  detail:
    'Microsoft Entra ID lets no app revoke a single refresh token; Pacer erased its copy (it expires after 90 days unused). To cut access at once, remove Pacer from the account\'s apps (myapps.microsoft.com) or ask an administrator to revoke the user\'s sessions or Pacer\'s consent.',
};
