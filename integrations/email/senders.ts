/**
 * One sending interface, three implementations (SPEC §3): SMTP (nodemailer), the Gmail API
 * (`users.messages.send` with the raw RFC 822 message built by nodemailer's MailComposer) and
 * Microsoft Graph (`POST /me/sendMail` with an access token msal-node gets from the refresh token).
 *
 * Every implementation sends the message with the deterministic Message-ID it is given, so a retry
 * after a crash is detectable, and reports failures as an SmtpSendError (its `code`/`retryable`
 * contract is the same for every provider): auth-failed when the token or password no longer works
 * (the inbox must be reconnected), rejected for a refusal, connection-failed otherwise. A failure
 * carries `responseCode` only when the provider certainly did not accept the message (a 4xx).
 *
 * Base URLs and token endpoints are configuration (lib/config) so tests point them at a local
 * server replaying the providers' documented exchanges.
 */
import { ConfidentialClientApplication } from '@azure/msal-node';
import { google } from 'googleapis';
import MailComposer from 'nodemailer/lib/mail-composer';
import { messageOptions, sendSmtpEmail, SmtpSendError, type OutgoingEmail, type SmtpConnection } from './smtp-sender';

export interface SentEmail {
  /** The Message-ID header it was sent with. */
  messageId: string;
  /** The provider's own id (Gmail message id), when it gives one. */
  providerMessageId?: string;
}

export interface EmailSender {
  readonly provider: 'imap-smtp' | 'google' | 'microsoft';
  send(email: OutgoingEmail): Promise<SentEmail>;
}

export interface GoogleClientConfig {
  clientId: string;
  clientSecret: string;
  /** https://oauth2.googleapis.com/token */
  tokenUrl: string;
  /** https://gmail.googleapis.com/ */
  gmailRootUrl: string;
  /** https://oauth2.googleapis.com/revoke (the default when unset). */
  revokeUrl?: string;
}

export interface MicrosoftClientConfig {
  clientId: string;
  clientSecret: string;
  /** https://login.microsoftonline.com (the `common` tenant is used). */
  loginBaseUrl: string;
  /** https://graph.microsoft.com */
  graphBaseUrl: string;
}

/** Graph scopes for sending (the connect flow asks for the full set, SPEC §3). */
export const GRAPH_SEND_SCOPES = ['https://graph.microsoft.com/Mail.Send'];

export function smtpSender(connection: SmtpConnection, options: { timeoutMs?: number } = {}): EmailSender {
  return {
    provider: 'imap-smtp',
    async send(email) {
      const sent = await sendSmtpEmail(connection, email, options);
      return { messageId: sent.messageId };
    },
  };
}

/** The message as RFC 822 text, with our Message-ID (never one the library makes up). */
export async function rfc822(email: OutgoingEmail): Promise<Buffer> {
  const composer = new MailComposer(messageOptions(email));
  return composer.compile().build();
}

/** An HTTP failure as the common error: 400/401 invalid_grant and 401/403 → auth-failed (reconnect), other 4xx rejected, 5xx/network uncertain. */
function httpFailure(provider: string, status: number | undefined, providerCode: string | undefined, detail: string): SmtpSendError {
  const authFailed = providerCode === 'invalid_grant' || providerCode === 'interaction_required' || status === 401 || (status === 403 && providerCode !== 'rateLimitExceeded');
  const throttled = status === 429;
  const definite = status !== undefined && status >= 400 && status < 500;
  const code = authFailed ? 'auth-failed' : throttled ? 'rejected' : definite ? 'rejected' : 'connection-failed';
  const retryable = throttled || !definite;
  return new SmtpSendError(`${provider} send failed (${code}${retryable ? ', retryable' : ''}): ${status ?? 'no answer'}${providerCode ? ` ${providerCode}` : ''}: ${detail}`, {
    code,
    retryable,
    ...(definite ? { responseCode: status } : {}),
    ...(providerCode ? { nodemailerCode: providerCode } : {}),
  });
}

interface GaxiosLike {
  status?: number;
  response?: { status?: number; data?: { error?: string | { message?: string; status?: string; errors?: { reason?: string }[] }; error_description?: string } };
  message?: string;
}

export function gmailSender(config: GoogleClientConfig, refreshToken: string): EmailSender {
  const auth = new google.auth.OAuth2({
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    endpoints: { oauth2TokenUrl: config.tokenUrl },
    // Node's own fetch: gaxios otherwise imports node-fetch (an ES module) on first use.
    transporterOptions: { fetchImplementation: fetch },
  });
  auth.setCredentials({ refresh_token: refreshToken });
  const gmail = google.gmail({ version: 'v1', auth, rootUrl: config.gmailRootUrl });
  return {
    provider: 'google',
    async send(email) {
      const raw = (await rfc822(email)).toString('base64url');
      try {
        const response = await gmail.users.messages.send({ userId: 'me', requestBody: { raw } });
        return { messageId: email.messageId, ...(response.data.id ? { providerMessageId: response.data.id } : {}) };
      } catch (error) {
        const { response, message } = error as GaxiosLike;
        const data = response?.data;
        const providerCode =
          typeof data?.error === 'string' ? data.error : (data?.error?.errors?.[0]?.reason ?? data?.error?.status);
        const detail = data?.error_description ?? (typeof data?.error === 'object' ? data.error.message : undefined) ?? message ?? 'unknown error';
        throw httpFailure('Gmail API', response?.status, providerCode, detail);
      }
    },
  };
}

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

export function graphSender(config: MicrosoftClientConfig, refreshToken: string): EmailSender {
  const client = microsoftClient(config);
  const graph = config.graphBaseUrl.replace(/\/$/, '');
  return {
    provider: 'microsoft',
    async send(email) {
      let accessToken: string;
      try {
        const result = await client.acquireTokenByRefreshToken({ refreshToken, scopes: GRAPH_SEND_SCOPES });
        if (!result) throw new Error('no token');
        accessToken = result.accessToken;
      } catch (error) {
        const { errorCode, errorMessage, message } = error as { errorCode?: string; errorMessage?: string; message?: string };
        const text = errorMessage ?? message ?? '';
        const number = entraErrorNumber(text);
        const reconnect = errorCode === 'invalid_grant' || (number !== undefined && ENTRA_RECONNECT.has(number));
        throw httpFailure('Microsoft token', reconnect ? 400 : undefined, reconnect ? 'invalid_grant' : errorCode, number ? `AADSTS${number}` : text.split('\n')[0] ?? '');
      }
      const raw = (await rfc822(email)).toString('base64');
      // Graph accepts a MIME message as base64 text/plain; the Message-ID inside it is kept.
      let response: Response;
      try {
        response = await fetch(`${graph}/v1.0/me/sendMail`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'text/plain' },
          body: raw,
        });
      } catch (error) {
        throw httpFailure('Microsoft Graph', undefined, undefined, error instanceof Error ? error.message : String(error));
      }
      if (response.status === 202) return { messageId: email.messageId };
      const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
      throw httpFailure('Microsoft Graph', response.status, body.error?.code, body.error?.message ?? response.statusText);
    },
  };
}
