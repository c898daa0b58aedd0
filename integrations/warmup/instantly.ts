/**
 * Instantly's public API v2 as a warm-up provider (SPEC §6): Instantly warms an address inside its
 * network of mailboxes, which needs the mailbox itself to be connected at Instantly first (its own
 * OAuth or app-password flow, in Instantly's app): Pacer never hands Instantly a password or a token.
 * An address Instantly does not know is refused at start with `mailbox-not-connected`.
 *
 * Endpoints (OpenAPI https://api.instantly.ai/openapi/api_v2.json; pages under
 * https://developer.instantly.ai/api-reference/):
 * - `GET /api/v2/accounts/{email}` → the account: `warmup_status` (1 active, 0 paused, negative: halted
 *   by Instantly), `timestamp_warmup_start`, `stat_warmup_score`; 404 for an address it does not know
 *   (account/get-account)
 * - `POST /api/v2/accounts/warmup/enable` and `/disable` with `{"emails": [...]}` → a background job
 *   (account/enable-warmup-for-accounts, account/disable-warmup-for-accounts)
 * - `GET /api/v2/background-jobs/{id}` → `status`: pending | in-progress | success | failed
 *   (background-job/get-background-job). Polled inside the activity, bounded (`jobDeadlineMs`); a job
 *   still running then is `unavailable` (retryable: enabling or disabling again is harmless)
 * - `POST /api/v2/accounts/warmup-analytics` with `{"emails": [...]}` → `aggregate_data[email]`:
 *   `sent`, `landed_inbox`, `landed_spam`, `received`, `health_score` (account/get-warmup-analytics)
 * Authentication: `Authorization: Bearer <API key>` (INSTANTLY_API_KEY, scopes accounts:read,
 * accounts:update, background-jobs:read).
 *
 * Errors: 401/403 `provider-unauthorized`; 404 `not-found` (`mailbox-not-connected` at start);
 * 400/422 `invalid-request`; 429 `rate-limited`; 5xx, no answer, a timeout or an unreadable body
 * `unavailable`; any other status `request-rejected`. The key never appears in an error.
 */
import { z } from 'zod';
import { type StartWarmupInput, type WarmupProvider, WarmupProviderError, type WarmupProviderStatus, type WarmupRef } from './provider';

export interface InstantlyOptions {
  apiKey: string;
  /** https://api.instantly.ai (tests: a local server). */
  baseUrl?: string;
  /** Per request. Default 10 s. */
  timeoutMs?: number;
  /** How long a background job is waited for. Default 40 s (inside the activity's 1-minute timeout). */
  jobDeadlineMs?: number;
  /** Between two polls of a background job. Default 2 s. */
  jobPollIntervalMs?: number;
  fetch?: typeof globalThis.fetch;
}

export const INSTANTLY_API_URL = 'https://api.instantly.ai';

const account = z.looseObject({
  email: z.string(),
  warmup_status: z.number(),
  timestamp_warmup_start: z.string().nullish(),
  stat_warmup_score: z.number().nullish(),
  status_message: z.unknown().optional(),
});
const job = z.looseObject({ id: z.string(), status: z.enum(['pending', 'in-progress', 'success', 'failed']) });
const analytics = z.looseObject({
  aggregate_data: z
    .record(z.string(), z.looseObject({ sent: z.number().nullish(), landed_inbox: z.number().nullish(), landed_spam: z.number().nullish(), health_score: z.number().nullish() }))
    .nullish(),
});

/** Instantly's warmup_status: 1 is an active warm-up; 0 paused; negative values are warm-ups Instantly halted. */
const WARMING = 1;

function checkAddress(address: string): string {
  if (typeof address !== 'string' || !/^[^\s@/?#]+@[^\s@/?#]+$/.test(address)) {
    throw new WarmupProviderError('address must be an email address', { code: 'invalid-request', retryable: false });
  }
  return address;
}

export function createInstantlyWarmupProvider(options: InstantlyOptions): WarmupProvider {
  const { apiKey } = options;
  if (!apiKey) throw new Error('INSTANTLY_API_KEY is empty');
  const root = (options.baseUrl ?? INSTANTLY_API_URL).replace(/\/+$/, '');
  const timeoutMs = options.timeoutMs ?? 10_000;
  const jobDeadlineMs = options.jobDeadlineMs ?? 40_000;
  const pollMs = options.jobPollIntervalMs ?? 2_000;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const scrub = (text: string) => text.split(apiKey).join('[redacted]');

  async function call<T>(method: 'GET' | 'POST', path: string, schema: z.ZodType<T>, body?: object): Promise<T> {
    const where = `${method} ${path.replace(/\/accounts\/[^/]+$/, '/accounts/{email}').replace(/\/background-jobs\/[^/]+$/, '/background-jobs/{id}')}`;
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(root + path, {
        method,
        headers: { authorization: `Bearer ${apiKey}`, accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const reason = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : scrub(String((error as Error)?.message ?? error));
      throw new WarmupProviderError(`Instantly unreachable on ${where}: ${reason}`, { code: 'unavailable', retryable: true });
    }
    const status = response.status;
    let json: unknown;
    try {
      json = text === '' ? {} : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (status >= 200 && status < 300) {
      const parsed = schema.safeParse(json);
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
        throw new WarmupProviderError(`Instantly sent a malformed answer to ${where}: ${scrub(issues)}`, { code: 'unavailable', retryable: true, status });
      }
      return parsed.data;
    }
    const message = (json as { message?: unknown } | undefined)?.message;
    const detail = scrub(typeof message === 'string' ? message : text.trim().slice(0, 200) || 'empty body');
    const fail = (code: WarmupProviderError['code'], retryable: boolean, what: string) => new WarmupProviderError(`Instantly ${what} on ${where} (HTTP ${status}): ${detail}`, { code, retryable, status });
    if (status === 401 || status === 403) throw fail('provider-unauthorized', false, "rejected Pacer's API key (check INSTANTLY_API_KEY and its scopes)");
    if (status === 404) throw fail('not-found', false, 'knows no such account');
    if (status === 429) throw fail('rate-limited', true, 'is rate limiting');
    if (status >= 500) throw fail('unavailable', true, 'failed');
    if (status === 400 || status === 422) throw fail('invalid-request', false, 'refused the request as invalid');
    throw fail('request-rejected', false, 'refused the request');
  }

  const accountOf = (address: string) => call('GET', `/api/v2/accounts/${encodeURIComponent(checkAddress(address))}`, account);

  /** Waits for a background job to succeed; a failed job is refused, one still running at the deadline is retryable. */
  async function finished(started: z.infer<typeof job>, what: string): Promise<void> {
    const deadline = Date.now() + jobDeadlineMs;
    let current = started;
    while (current.status === 'pending' || current.status === 'in-progress') {
      if (Date.now() + pollMs > deadline) {
        throw new WarmupProviderError(`Instantly's ${what} job ${current.id} is still ${current.status} after ${jobDeadlineMs} ms`, { code: 'unavailable', retryable: true });
      }
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      current = await call('GET', `/api/v2/background-jobs/${encodeURIComponent(started.id)}`, job);
    }
    if (current.status === 'failed') throw new WarmupProviderError(`Instantly's ${what} job ${current.id} failed`, { code: 'request-rejected', retryable: false });
  }

  async function statusOf(address: string, at: number): Promise<WarmupProviderStatus> {
    const state = await accountOf(address);
    const figures = await call('POST', '/api/v2/accounts/warmup-analytics', analytics, { emails: [address] });
    const totals = figures.aggregate_data?.[address] ?? figures.aggregate_data?.[address.toLowerCase()];
    const inbox = totals?.landed_inbox ?? 0;
    const spam = totals?.landed_spam ?? 0;
    const started = state.timestamp_warmup_start ? Date.parse(state.timestamp_warmup_start) : Number.NaN;
    const reputation = totals?.health_score ?? state.stat_warmup_score ?? null;
    return {
      state: state.warmup_status === WARMING ? 'warming' : 'stopped',
      startedAt: Number.isFinite(started) ? started : at,
      emailsSent: Math.max(0, Math.round(totals?.sent ?? 0)),
      inboxPlacementRate: inbox + spam > 0 ? inbox / (inbox + spam) : null,
      reputation: reputation === null ? null : Math.min(100, Math.max(0, reputation)),
    };
  }

  return {
    adapter: 'instantly',

    async start(input: StartWarmupInput) {
      let state: z.infer<typeof account>;
      try {
        state = await accountOf(input.address);
      } catch (error) {
        if (error instanceof WarmupProviderError && error.code === 'not-found') {
          throw new WarmupProviderError(
            `${input.address} is not connected at Instantly: add the mailbox in Instantly (Email accounts, with its own sign-in) and start the warm-up again`,
            { code: 'mailbox-not-connected', retryable: false, status: 404 },
          );
        }
        throw error;
      }
      // Already warming: nothing restarts (start is idempotent).
      if (state.warmup_status !== WARMING) await finished(await call('POST', '/api/v2/accounts/warmup/enable', job, { emails: [input.address] }), 'warm-up enable');
      return statusOf(input.address, input.at);
    },

    status: (input: WarmupRef) => statusOf(input.address, input.at),

    async stop(input: WarmupRef) {
      const state = await accountOf(input.address);
      if (state.warmup_status === WARMING) await finished(await call('POST', '/api/v2/accounts/warmup/disable', job, { emails: [input.address] }), 'warm-up disable');
      return statusOf(input.address, input.at);
    },
  };
}
