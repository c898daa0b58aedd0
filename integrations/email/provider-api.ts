/**
 * Calling the Gmail API, Microsoft Graph and the providers' token endpoints, with every failure
 * classified once into a {@link MailboxApiError}:
 *
 * | what happened | code | retryable |
 * | Pacer's own OAuth client refused: `invalid_client`, `unauthorized_client`, AADSTS7000215/7000222 | configuration | no |
 * | token refused: `invalid_grant`, `interaction_required`, `consent_required`, AADSTS70008/700082/50173/65001 | needs-reconnect | no |
 * | HTTP 401, or 403 that is not a rate limit (a scope or the mailbox's access is missing) | needs-reconnect | no |
 * | HTTP 429, or 403 `rateLimitExceeded` / `userRateLimitExceeded` | rate-limited | yes |
 * | HTTP 5xx, no answer, a timeout, a reset, an unreadable body | unavailable | yes |
 * | any other 4xx | rejected | no |
 *
 * A cancellation (the caller's AbortSignal) is not a failure of the provider: its reason is thrown
 * as it is. Access tokens and refresh tokens never appear in an error message.
 *
 * Google: https://developers.google.com/identity/protocols/oauth2/web-server#offline (refresh),
 * https://developers.google.com/workspace/gmail/api/guides/handle-errors (401/403/429/5xx).
 * Microsoft: https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow#refresh-the-access-token,
 * https://learn.microsoft.com/graph/errors (status codes and `error.code`),
 * https://learn.microsoft.com/entra/identity-platform/reference-error-codes (AADSTS numbers).
 */

export type MailboxApiErrorCode = 'needs-reconnect' | 'rate-limited' | 'unavailable' | 'rejected' | 'configuration';
export type MailboxApiProvider = 'Gmail API' | 'Microsoft Graph' | 'Google token endpoint' | 'Microsoft token endpoint';

export class MailboxApiError extends Error {
  override name = 'MailboxApiError';
  readonly code: MailboxApiErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, options: { code: MailboxApiErrorCode; status?: number | undefined }) {
    super(message);
    this.code = options.code;
    this.retryable = options.code === 'rate-limited' || options.code === 'unavailable';
    this.status = options.status;
  }
}

/** Per request, for the whole answer. */
export const DEFAULT_PROVIDER_TIMEOUT_MS = 30_000;

/** OAuth error codes meaning the grant no longer works: the owner must connect the inbox again. */
export const RECONNECT_OAUTH_ERRORS = new Set(['invalid_grant', 'interaction_required', 'consent_required']);
/** OAuth error codes meaning Pacer's own client (id, secret, grant type) is refused: a deployment problem, not the inbox's. */
export const CONFIGURATION_OAUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client']);
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded', 'RATE_LIMIT_EXCEEDED']);

/** An error from an HTTP answer (see the module table). `reason` is the provider's error code, when it gave one. */
export function classifyHttpFailure(provider: MailboxApiProvider, where: string, status: number, reason: string | undefined, detail: string): MailboxApiError {
  const rateLimited = status === 429 || (status === 403 && reason !== undefined && RATE_LIMIT_REASONS.has(reason));
  const code: MailboxApiErrorCode = rateLimited
    ? 'rate-limited'
    : reason !== undefined && CONFIGURATION_OAUTH_ERRORS.has(reason)
      ? 'configuration'
      : status === 401 || status === 403 || (reason !== undefined && RECONNECT_OAUTH_ERRORS.has(reason))
        ? 'needs-reconnect'
        : status >= 500
          ? 'unavailable'
          : 'rejected';
  const what =
    code === 'needs-reconnect'
      ? 'refused the mailbox access (reconnect the inbox)'
      : code === 'configuration'
        ? "refused Pacer's OAuth client (check GOOGLE_CLIENT_* / MICROSOFT_CLIENT_*)"
        : code === 'rate-limited'
          ? 'is rate limiting'
          : code === 'unavailable'
            ? 'failed'
            : 'refused the request';
  return new MailboxApiError(`${provider} ${what} on ${where} (HTTP ${status}${reason ? ` ${reason}` : ''}): ${detail.slice(0, 300)}`, { code, status });
}

export function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error(typeof reason === 'string' ? reason : 'cancelled');
}

/** Throws the caller's cancellation when it happened; otherwise a network failure becomes `unavailable`. */
function networkFailure(provider: MailboxApiProvider, where: string, error: unknown, signal: AbortSignal | undefined, timeoutMs: number): unknown {
  if (signal?.aborted) return abortReason(signal);
  const name = (error as { name?: unknown } | null)?.name;
  // fetch says only "fetch failed"; the socket's own code (ECONNREFUSED, ENOTFOUND, ECONNRESET) is in its cause.
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  const reason =
    name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : typeof cause === 'string' ? cause : error instanceof Error ? error.message : String(error);
  return new MailboxApiError(`${provider} unreachable on ${where}: ${reason}`, { code: 'unavailable' });
}

export interface JsonRequest {
  method?: 'GET' | 'POST';
  url: string;
  /** Shown in errors instead of the URL (which may carry tokens: delta links, page tokens). */
  where: string;
  accessToken?: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
  timeoutMs?: number;
}

/** The provider's error code and text from a Google or Graph error body. */
function errorOf(body: unknown): { reason: string | undefined; detail: string | undefined } {
  const data = body as {
    error?: string | { code?: string | number; status?: string; message?: string; errors?: { reason?: string }[] };
    error_description?: string;
  } | null;
  if (typeof data?.error === 'string') return { reason: data.error, detail: data.error_description };
  const error = data?.error;
  const reason = error?.errors?.[0]?.reason ?? (typeof error?.code === 'string' ? error.code : error?.status);
  return { reason, detail: error?.message };
}

/** One JSON call: `{status, body}` for a 2xx (and for the statuses in `expected`), a classified error otherwise. */
export async function requestJson(provider: MailboxApiProvider, request: JsonRequest, expected: readonly number[] = []): Promise<{ status: number; body: unknown }> {
  const timeoutMs = request.timeoutMs ?? DEFAULT_PROVIDER_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    if (request.signal?.aborted) throw abortReason(request.signal);
    response = await fetch(request.url, {
      method: request.method ?? 'GET',
      headers: {
        accept: 'application/json',
        ...(request.accessToken ? { authorization: `Bearer ${request.accessToken}` } : {}),
        ...request.headers,
      },
      ...(request.body === undefined ? {} : { body: request.body }),
      redirect: 'manual',
      signal,
    });
    text = await response.text();
  } catch (error) {
    throw networkFailure(provider, request.where, error, request.signal, timeoutMs);
  }
  let body: unknown;
  try {
    body = text === '' ? {} : JSON.parse(text);
  } catch {
    if (response.status >= 200 && response.status < 300) {
      throw new MailboxApiError(`${provider} sent an answer that is not JSON on ${request.where} (HTTP ${response.status})`, { code: 'unavailable', status: response.status });
    }
    body = {};
  }
  if ((response.status >= 200 && response.status < 300) || expected.includes(response.status)) return { status: response.status, body };
  const { reason, detail } = errorOf(body);
  throw classifyHttpFailure(provider, request.where, response.status, reason, detail ?? response.statusText);
}

