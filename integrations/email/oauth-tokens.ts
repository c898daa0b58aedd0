/**
 * Access tokens from stored refresh tokens, for sending and for reply sync alike: Google's token
 * endpoint (`grant_type=refresh_token`) and Microsoft Entra through msal-node. Every refusal is
 * classified once, as a {@link MailboxApiError} (provider-api.ts): `needs-reconnect` when the grant
 * no longer works (the owner connects the inbox again), `configuration` when Pacer's own client is
 * refused (a deployment problem: no inbox is marked), `unavailable` when the endpoint cannot be
 * reached. Senders translate these into their send contract (senders.ts).
 *
 * Google: https://developers.google.com/identity/protocols/oauth2/web-server#offline and its error
 * codes (https://www.rfc-editor.org/rfc/rfc6749#section-5.2). Microsoft:
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token,
 * AADSTS numbers at https://learn.microsoft.com/entra/identity-platform/reference-error-codes.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { abortReason, CONFIGURATION_OAUTH_ERRORS, MailboxApiError, RECONNECT_OAUTH_ERRORS, requestJson } from './provider-api';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../../lib/config';

/** msal-node for the `common` tenant; outside the public cloud (tests), the login metadata is given instead of discovered. */
export function microsoftClient(config: MicrosoftClientConfig): ConfidentialClientApplication {
  const base = config.loginBaseUrl.replace(/\/$/, '');
  const isPublicCloud = base === 'https://login.microsoftonline.com';
  const metadata = isPublicCloud
    ? {}
    : {
        authorityMetadata: JSON.stringify({
          token_endpoint: `${base}/common/oauth2/v2.0/token`,
          authorization_endpoint: `${base}/common/oauth2/v2.0/authorize`,
          end_session_endpoint: `${base}/common/oauth2/v2.0/logout`,
          issuer: `${base}/{tenantid}/v2.0`,
          jwks_uri: `${base}/common/discovery/v2.0/keys`,
          response_types_supported: ['code'],
        }),
        cloudDiscoveryMetadata: JSON.stringify({
          tenant_discovery_endpoint: 'https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration',
          'api-version': '1.1',
          metadata: [{ preferred_network: 'login.microsoftonline.com', preferred_cache: 'login.windows.net', aliases: ['login.microsoftonline.com', 'login.windows.net'] }],
        }),
      };
  return new ConfidentialClientApplication({
    auth: { clientId: config.clientId, clientSecret: config.clientSecret, authority: 'https://login.microsoftonline.com/common', ...metadata },
  });
}

/** The AADSTS number of an Entra error ("AADSTS70008: The provided authorization code or refresh token has expired…"). */
export function entraErrorNumber(text: string): number | undefined {
  const match = /AADSTS(\d+)/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** Refresh tokens that no longer work: expired (70008), revoked/invalid grant (700082, 50173), consent withdrawn (65001). */
const ENTRA_RECONNECT = new Set([70008, 700082, 50173, 65001]);
/** Pacer's client secret is wrong (7000215) or expired (7000222). */
const ENTRA_CONFIGURATION = new Set([7000215, 7000222]);

/** A fresh Gmail access token from the refresh token (POST to the token endpoint, grant_type=refresh_token). */
export async function googleAccessToken(config: GoogleClientConfig, refreshToken: string, signal?: AbortSignal): Promise<string> {
  const { body } = await requestJson('Google token endpoint', {
    method: 'POST',
    url: config.tokenUrl,
    where: 'POST token (refresh_token)',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: config.clientId, client_secret: config.clientSecret, refresh_token: refreshToken }).toString(),
    signal,
  });
  const token = (body as { access_token?: unknown }).access_token;
  if (typeof token !== 'string' || token === '') {
    throw new MailboxApiError('Google token endpoint answered without an access_token', { code: 'unavailable' });
  }
  return token;
}

/** Graph scope reply sync reads the inbox with (granted at connection: Mail.Read). */
export const GRAPH_READ_SCOPES = ['https://graph.microsoft.com/Mail.Read'];

/** A Graph access token from the refresh token, through msal-node; Entra's refusals are classified by their AADSTS number. */
export async function microsoftAccessToken(config: MicrosoftClientConfig, refreshToken: string, scopes: string[], signal?: AbortSignal): Promise<string> {
  if (signal?.aborted) throw abortReason(signal);
  const acquire = microsoftClient(config).acquireTokenByRefreshToken({ refreshToken, scopes });
  // msal-node takes no AbortSignal: a cancellation stops waiting for it.
  const cancelled = new Promise<never>((_, reject) => signal?.addEventListener('abort', () => reject(abortReason(signal)), { once: true }));
  try {
    const result = await Promise.race([acquire, cancelled]);
    if (!result?.accessToken) throw new MailboxApiError('Microsoft token endpoint answered without an access token', { code: 'unavailable' });
    return result.accessToken;
  } catch (error) {
    if (error instanceof MailboxApiError || signal?.aborted) throw error;
    const { errorCode, errorMessage, message } = error as { errorCode?: string; errorMessage?: string; message?: string };
    const text = errorMessage ?? message ?? '';
    const number = entraErrorNumber(text);
    const misconfigured = (errorCode !== undefined && CONFIGURATION_OAUTH_ERRORS.has(errorCode)) || (number !== undefined && ENTRA_CONFIGURATION.has(number));
    const reconnect = !misconfigured && ((errorCode !== undefined && RECONNECT_OAUTH_ERRORS.has(errorCode)) || (number !== undefined && ENTRA_RECONNECT.has(number)));
    const network = errorCode === 'network_error' || errorCode === 'endpoints_resolution_error' || /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|ECONNRESET/.test(text);
    const reason = number !== undefined ? `AADSTS${number}` : (errorCode ?? 'error');
    if (misconfigured) throw new MailboxApiError(`Microsoft token endpoint refused Pacer's OAuth client (${reason}): check MICROSOFT_CLIENT_ID / MICROSOFT_CLIENT_SECRET`, { code: 'configuration' });
    if (reconnect) throw new MailboxApiError(`Microsoft token endpoint refused the refresh token (${reason}): reconnect the inbox`, { code: 'needs-reconnect' });
    if (network) throw new MailboxApiError(`Microsoft token endpoint unreachable (${reason})`, { code: 'unavailable' });
    throw new MailboxApiError(`Microsoft token endpoint refused the request (${reason})`, { code: 'rejected' });
  }
}
