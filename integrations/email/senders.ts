/**
 * One sending interface, three implementations (SPEC §3): SMTP (nodemailer), the Gmail API
 * (`users.messages.send` with the raw RFC 822 message built by nodemailer's MailComposer) and
 * Microsoft Graph (`POST /me/sendMail` with an access token msal-node gets from the refresh token).
 *
 * `open()` does everything that can fail before a message is handed over (connect and log in;
 * refresh the access token), so the caller records its intent to send only once it holds a
 * session. Failures are {@link EmailSendError}s with one contract for every provider: `code`
 * (auth-failed when the password or token no longer works and the inbox must be reconnected),
 * `retryable`, and `delivery`, decided by the stage: a request that failed before it could reach
 * the provider (connection refused, name not found, TLS refused) or that the provider answered
 * with a 4xx is `not-delivered`; a request that may have reached it (a reset or timeout after it
 * was sent, a 5xx) is `unknown` and is never repeated.
 *
 * Documentation: Gmail `users.messages.send`
 * (https://developers.google.com/gmail/api/reference/rest/v1/users.messages/send), Google's token
 * endpoint (https://developers.google.com/identity/protocols/oauth2/web-server#offline), Graph
 * `user: sendMail` with a MIME body (https://learn.microsoft.com/graph/api/user-sendmail), and its
 * errors (https://learn.microsoft.com/graph/errors).
 *
 * Base URLs and token endpoints are configuration (lib/config) so tests point them at a local
 * server replaying the providers' documented exchanges.
 */
import type { GoogleClientConfig, MicrosoftClientConfig } from '../../lib/config';
import { googleAccessToken, microsoftAccessToken } from './oauth-tokens';
import { MailboxApiError } from './provider-api';
import { EmailSendError, openSmtpSession, rfc822, type EmailSession, type SmtpConnection } from './smtp-sender';

export type { EmailSession, SentEmail } from './smtp-sender';

export interface EmailSender {
  readonly provider: 'imap-smtp' | 'google' | 'microsoft';
  /** Connects and authenticates; rejects with an EmailSendError whose delivery is `not-delivered`. */
  open(): Promise<EmailSession>;
}

/** Graph scopes for sending (the connect flow asks for the full set, SPEC §3). */
export const GRAPH_SEND_SCOPES = ['https://graph.microsoft.com/Mail.Send'];

/** HTTP requests to the providers give up after this long. */
const HTTP_TIMEOUT_MS = 30_000;

export function smtpSender(connection: SmtpConnection, options: { timeoutMs?: number } = {}): EmailSender {
  return { provider: 'imap-smtp', open: () => openSmtpSession(connection, options) };
}

/**
 * Node (undici) error codes of a request that failed before any byte of it was sent: no
 * connection, no address, or a TLS handshake the client refused.
 */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function causeCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth += 1) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A request that never got an answer: not delivered when it failed before it could be sent, else unknown. */
function networkFailure(provider: string, error: unknown): EmailSendError {
  const code = causeCode(error);
  const sent = code === undefined || !NOT_SENT_CODES.has(code);
  const detail = error instanceof Error ? error.message : String(error);
  return new EmailSendError(`${provider} request failed (connection-failed, retryable${sent ? ', may have arrived' : ''}): ${code ?? detail}`, {
    code: 'connection-failed',
    retryable: true,
    delivery: sent ? 'unknown' : 'not-delivered',
    ...(code === undefined ? {} : { providerCode: code }),
  });
}

/**
 * An HTTP answer that is not a success. 4xx: the provider refused, nothing was delivered —
 * 400/401 invalid_grant and 401/403 mean the token no longer works (reconnect), 429 and a 403 rate
 * limit are retryable, the rest is a refusal. 5xx: the provider failed while handling the request,
 * which may have been delivered.
 */
function answeredFailure(provider: string, status: number, providerCode: string | undefined, detail: string): EmailSendError {
  const rateLimited = status === 429 || providerCode === 'rateLimitExceeded' || providerCode === 'userRateLimitExceeded';
  // Pacer's own OAuth client is refused: a deployment problem, not the inbox's.
  const misconfigured = providerCode === 'invalid_client' || providerCode === 'unauthorized_client';
  const authFailed = !rateLimited && !misconfigured && (providerCode === 'invalid_grant' || providerCode === 'interaction_required' || status === 401 || status === 403);
  const refused = status >= 400 && status < 500;
  const code = misconfigured ? 'configuration' : authFailed ? 'auth-failed' : refused ? 'rejected' : 'connection-failed';
  const retryable = rateLimited || !refused;
  return new EmailSendError(`${provider} failed (${code}${retryable ? ', retryable' : ''}${refused ? '' : ', may have arrived'}): ${status}${providerCode ? ` ${providerCode}` : ''}: ${detail}`, {
    code,
    retryable,
    delivery: refused ? 'not-delivered' : 'unknown',
    responseCode: status,
    ...(providerCode ? { providerCode } : {}),
  });
}

async function post(provider: string, url: string, init: { headers: Record<string, string>; body: string }): Promise<Response> {
  try {
    return await fetch(url, { method: 'POST', ...init, signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  } catch (error) {
    throw networkFailure(provider, error);
  }
}

interface GoogleError {
  error?: string | { message?: string; status?: string; errors?: { reason?: string }[] };
  error_description?: string;
}

async function googleFailure(provider: string, response: Response): Promise<EmailSendError> {
  const data = (await response.json().catch(() => ({}))) as GoogleError;
  const providerCode = typeof data.error === 'string' ? data.error : (data.error?.errors?.[0]?.reason ?? data.error?.status);
  const detail = data.error_description ?? (typeof data.error === 'object' ? data.error.message : undefined) ?? response.statusText;
  return answeredFailure(provider, response.status, providerCode, detail ?? 'no detail');
}

/**
 * An access token could not be had: nothing was handed over. The token endpoints' failures are
 * classified once (oauth-tokens.ts); here they only take the send contract's words.
 */
function tokenFailure(error: unknown): never {
  if (!(error instanceof MailboxApiError)) throw error;
  const code = error.code === 'needs-reconnect' ? 'auth-failed' : error.code === 'configuration' ? 'configuration' : error.code === 'rejected' ? 'rejected' : 'connection-failed';
  throw new EmailSendError(error.message, {
    code,
    retryable: error.retryable,
    delivery: 'not-delivered',
    ...(error.status === undefined ? {} : { responseCode: error.status }),
  });
}

export function gmailSender(config: GoogleClientConfig, refreshToken: string): EmailSender {
  const root = config.gmailRootUrl.replace(/\/?$/, '/');
  return {
    provider: 'google',
    async open() {
      const accessToken = await googleAccessToken(config, refreshToken).catch(tokenFailure);
      return {
        async send(email, options = {}) {
          const raw = (await rfc822(email)).toString('base64url');
          await options.beforeHandOver?.();
          const response = await post('Gmail API', `${root}gmail/v1/users/me/messages/send`, {
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' },
            body: JSON.stringify({ raw }),
          });
          if (!response.ok) throw await googleFailure('Gmail API', response);
          const data = (await response.json().catch(() => ({}))) as { id?: string };
          return { messageId: email.messageId, ...(data.id ? { providerMessageId: data.id } : {}) };
        },
        close: () => undefined,
      };
    },
  };
}

export function graphSender(config: MicrosoftClientConfig, refreshToken: string): EmailSender {
  const graph = config.graphBaseUrl.replace(/\/$/, '');
  return {
    provider: 'microsoft',
    async open() {
      const accessToken = await microsoftAccessToken(config, refreshToken, GRAPH_SEND_SCOPES).catch(tokenFailure);
      return {
        async send(email, options = {}) {
          // Graph accepts a MIME message as base64 text/plain; the Message-ID inside it is kept.
          const raw = (await rfc822(email)).toString('base64');
          await options.beforeHandOver?.();
          const response = await post('Microsoft Graph', `${graph}/v1.0/me/sendMail`, {
            headers: { authorization: `Bearer ${accessToken}`, 'content-type': 'text/plain' },
            body: raw,
          });
          if (response.status === 202) return { messageId: email.messageId };
          const body = (await response.json().catch(() => ({}))) as { error?: { code?: string; message?: string } };
          throw answeredFailure('Microsoft Graph', response.status, body.error?.code, body.error?.message ?? response.statusText);
        },
        close: () => undefined,
      };
    },
  };
}
