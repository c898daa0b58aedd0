/**
 * HTTP adapter of the warm-up provider gateway: implements `CONTRACT.md`. Documented error answers
 * map to {@link WarmupProviderError} codes; network failures, timeouts, 5xx and unreadable bodies are
 * retryable `unavailable`. The token is never logged nor quoted in an error.
 */
import { z } from 'zod';
import { type StartWarmupInput, type WarmupProvider, WarmupProviderError, type WarmupProviderStatus, type WarmupRef } from './provider';

export interface HttpWarmupProviderOptions {
  /** e.g. `https://warmup.example.com`; a path prefix is kept. */
  baseUrl: string;
  token: string;
  /** Per request, for the whole answer. Default 15 s. */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_WARMUP_TIMEOUT_MS = 15_000;
const PROBLEM_PREFIX = 'urn:warmup-provider:';

const isoInstant = z.iso.datetime({ offset: true });

export const warmupContractSchemas = {
  warmup: z.object({
    inboxId: z.string().min(1),
    state: z.enum(['warming', 'stopped']),
    startedAt: isoInstant,
    emailsSent: z.number().int().min(0),
    inboxPlacementRate: z.number().min(0).max(1).nullable(),
    reputation: z.number().min(0).max(100).nullable(),
  }),
  problem: z.looseObject({ type: z.string().optional(), title: z.string().optional(), detail: z.string().optional() }),
};

function checkInboxId(inboxId: string): string {
  if (typeof inboxId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(inboxId)) {
    throw new WarmupProviderError(`inboxId must be 1-64 letters, digits, "-" or "_"`, { code: 'invalid-request', retryable: false });
  }
  return inboxId;
}

function checkAddress(address: string): string {
  if (typeof address !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(address)) {
    throw new WarmupProviderError('address must be an email address', { code: 'invalid-request', retryable: false });
  }
  return address;
}

export function createHttpWarmupProvider(options: HttpWarmupProviderOptions): WarmupProvider {
  const { token } = options;
  if (!token) throw new Error('The warm-up provider token is empty');
  const base = new URL(options.baseUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('The warm-up provider base URL must be http(s)');
  if (base.username || base.password) throw new Error('The warm-up provider base URL must not carry credentials');
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_WARMUP_TIMEOUT_MS;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const scrub = (text: string) => text.split(token).join('[redacted]');

  async function call(method: 'PUT' | 'GET' | 'DELETE', inboxId: string, at: number, body?: object): Promise<WarmupProviderStatus> {
    const path = `/v1/warmups/${encodeURIComponent(checkInboxId(inboxId))}`;
    const where = `${method} ${path}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json, application/problem+json',
      'X-Pacer-Requested-At': new Date(at).toISOString(),
    };
    if (body) headers['Content-Type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(root + path, {
        method,
        headers,
        body: body ? JSON.stringify(body) : undefined,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      const name = (error as { name?: unknown } | null)?.name;
      const reason = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${timeoutMs} ms` : scrub(String((error as Error)?.message ?? error));
      throw new WarmupProviderError(`Warm-up provider unreachable on ${where}: ${reason}`, { code: 'unavailable', retryable: true });
    }
    const status = response.status;
    if (status >= 200 && status < 300) {
      let parsed;
      try {
        parsed = warmupContractSchemas.warmup.safeParse(JSON.parse(text));
      } catch {
        throw new WarmupProviderError(`Warm-up provider sent a malformed answer to ${where}: the body is not JSON`, { code: 'unavailable', retryable: true, status });
      }
      if (!parsed.success) {
        const issues = parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`).join('; ');
        throw new WarmupProviderError(`Warm-up provider sent a malformed answer to ${where}: ${scrub(issues)}`, { code: 'unavailable', retryable: true, status });
      }
      const { state, startedAt, emailsSent, inboxPlacementRate, reputation } = parsed.data;
      return { state, startedAt: Date.parse(startedAt), emailsSent, inboxPlacementRate, reputation };
    }
    let problem: z.infer<typeof warmupContractSchemas.problem> | undefined;
    try {
      const parsedProblem = warmupContractSchemas.problem.safeParse(JSON.parse(text));
      problem = parsedProblem.success ? parsedProblem.data : undefined;
    } catch {
      problem = undefined;
    }
    const type = problem?.type?.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : undefined;
    const detail = scrub(problem?.detail ?? problem?.title ?? (text.trim().slice(0, 200) || 'empty body'));
    const fail = (code: WarmupProviderError['code'], retryable: boolean, message: string) =>
      new WarmupProviderError(`Warm-up provider ${message} on ${where} (HTTP ${status}): ${detail}`, { code, retryable, status });
    if (type === 'not-found' && status === 404) throw fail('not-found', false, 'knows no warm-up');
    if (type === 'invalid-request') throw fail('invalid-request', false, 'refused the request as invalid');
    if (status === 429 || type === 'rate-limited') throw fail('rate-limited', true, 'is rate limiting');
    if (status >= 500 || type === 'unavailable') throw fail('unavailable', true, 'failed');
    if (status === 401 || status === 403 || type === 'unauthorized') {
      throw fail('provider-unauthorized', false, 'rejected Pacer\'s credentials (check WARMUP_PROVIDER_TOKEN)');
    }
    throw fail('request-rejected', false, 'refused the request');
  }

  return {
    adapter: 'http',
    start: (input: StartWarmupInput) => call('PUT', input.inboxId, input.at, { address: checkAddress(input.address) }),
    status: (input: WarmupRef) => call('GET', input.inboxId, input.at),
    stop: (input: WarmupRef) => call('DELETE', input.inboxId, input.at),
  };
}
