/**
 * HTTP adapter of the LinkedIn gateway: implements the contract in `CONTRACT.md` against the
 * external automation service. Every documented answer maps to one error class of `gateway.ts`;
 * anything else is either a non-retryable {@link LinkedinGatewayError} (an undocumented 4xx) or a
 * retryable {@link LinkedinUnavailableError} (network failure, timeout, 5xx, unreadable body).
 *
 * The bearer token is never logged and never appears in an error message: any text that comes back
 * from the service is scrubbed of it before it is quoted.
 */
import { z } from 'zod';
import {
  type AccountInput,
  type StartReconnectInput,
  type GetInvitationInput,
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  LinkedinRateLimitedError,
  LinkedinUnavailableError,
  PendingInvitationCapError,
  type ProfileActionInput,
  ReinviteBlockedError,
  type SendConnectionRequestInput,
  type SendMessageInput,
  type WithdrawInvitationInput,
  normaliseProfileUrl,
} from './gateway';
import { canonicalProfileUrl, checkAt, checkId, checkIdempotencyKey, checkMessageText, checkNote } from './validation';

export interface HttpLinkedinGatewayOptions {
  /** e.g. `https://linkedin-gateway.example.com`; a path prefix is kept (`https://host/gateway` → `https://host/gateway/v1/…`). */
  baseUrl: string;
  token: string;
  /** Per request, covering the whole answer (headers and body). Default 15 s. */
  timeoutMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

const PROBLEM_PREFIX = 'urn:linkedin-gateway:';
/** Every problem `type` the contract documents (CONTRACT.md §Errors). */
export const PROBLEM_TYPES = [
  'reinvite-blocked',
  'pending-cap',
  'already-connected',
  'not-connected',
  'rate-limited',
  'account-disconnected',
  'unauthorized',
  'not-found',
  'invalid-request',
  'idempotency-key-reused',
  'unavailable',
].map((name) => `${PROBLEM_PREFIX}${name}`);

// ---------------------------------------------------------------------------------------------------
// Response bodies (CONTRACT.md)
// ---------------------------------------------------------------------------------------------------

const nonEmpty = z.string().min(1);
const isoInstant = z.iso.datetime({ offset: true });

export const contractSchemas = {
  invitationCreated: z.object({ invitationId: nonEmpty, status: z.literal('pending') }),
  invitation: z
    .object({
      invitationId: nonEmpty,
      status: z.enum(['pending', 'accepted', 'withdrawn']),
      acceptedAt: isoInstant.nullable(),
    })
    .refine((body) => (body.status === 'accepted') === (body.acceptedAt !== null), {
      message: 'acceptedAt must be set exactly when status is accepted',
      path: ['acceptedAt'],
    }),
  withdrawal: z.object({ invitationId: nonEmpty, status: z.enum(['withdrawn', 'accepted']) }),
  message: z.object({ messageId: nonEmpty }),
  profile: z.object({
    profileUrl: z.string().refine(isProfileUrl, 'must be a LinkedIn profile URL'),
    firstName: z.string(),
    lastName: z.string(),
    headline: z.string().nullable(),
    pictureUrl: z.url({ protocol: /^https?$/ }).nullable(),
  }),
  like: z.object({ liked: z.boolean() }),
  account: z.object({ status: z.enum(['connected', 'disconnected']) }),
  reconnectSession: z.object({ reconnectUrl: z.url({ protocol: /^https?$/ }), expiresAt: isoInstant }),
  problem: z.looseObject({
    type: z.string().optional(),
    title: z.string().optional(),
    status: z.number().optional(),
    detail: z.string().optional(),
  }),
  reinviteBlocked: z.looseObject({ blockedUntil: isoInstant }),
  pendingCap: z.looseObject({ cap: z.number().int().positive() }),
};

function isProfileUrl(url: string): boolean {
  try {
    normaliseProfileUrl(url);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------
// Adapter
// ---------------------------------------------------------------------------------------------------

export function createHttpLinkedinGateway(options: HttpLinkedinGatewayOptions): LinkedinGateway {
  const { token } = options;
  if (!token) throw new Error('The LinkedIn gateway token is empty');
  let base: URL;
  try {
    base = new URL(options.baseUrl);
  } catch {
    throw new Error('The LinkedIn gateway base URL is not a URL');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error('The LinkedIn gateway base URL must be http(s)');
  if (base.username || base.password) throw new Error('The LinkedIn gateway base URL must not carry credentials: pass the token separately');
  const root = `${base.origin}${base.pathname.replace(/\/+$/, '')}`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error('The LinkedIn gateway timeout must be a positive whole number of milliseconds');
  const fetchImpl = options.fetch ?? globalThis.fetch;

  /** Removes the token from any text quoted back from the service. */
  const scrub = (text: string): string => text.split(token).join('[redacted]');

  async function call<T>(request: {
    method: 'GET' | 'POST';
    path: string;
    at: number;
    idempotencyKey?: string;
    body?: Record<string, unknown>;
    schema: z.ZodType<T>;
  }): Promise<T> {
    const where = `${request.method} ${request.path}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json, application/problem+json',
      'X-Pacer-Requested-At': new Date(checkAt(request.at)).toISOString(),
    };
    if (request.method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = request.idempotencyKey ?? '';
    }

    let response: Response;
    let text: string;
    try {
      response = await fetchImpl(root + request.path, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      // Duck-typed: fetch's errors may come from another realm (jest's vm context), where instanceof Error fails.
      const name = asErrorLike(error)?.name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const reason = timedOut ? `no answer within ${timeoutMs} ms` : describeNetworkError(error, scrub);
      throw new LinkedinUnavailableError(`LinkedIn gateway unreachable on ${where}: ${reason}`, { cause: scrubbedCause(error, scrub) });
    }

    if (response.status >= 200 && response.status < 300) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new LinkedinUnavailableError(
          `LinkedIn gateway sent a malformed answer to ${where}: the body is not JSON (${scrub(snippet(text))})`,
          { status: response.status },
        );
      }
      const parsed = request.schema.safeParse(json);
      if (!parsed.success) {
        throw new LinkedinUnavailableError(
          `LinkedIn gateway sent a malformed answer to ${where}: ${scrub(describeIssues(parsed.error))}`,
          { status: response.status },
        );
      }
      return parsed.data;
    }
    throw errorFor(response, text, where, scrub);
  }

  const identityPath = (identityId: string) => `/v1/identities/${encodeURIComponent(checkId('identityId', identityId))}`;

  return {
    adapter: 'http',

    async sendConnectionRequest(input: SendConnectionRequestInput) {
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkNote(input.note);
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/invitations`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: input.note === undefined ? { profileUrl } : { profileUrl, note: input.note },
        schema: contractSchemas.invitationCreated,
      });
      return { invitationId: body.invitationId, status: body.status };
    },

    async getInvitation(input: GetInvitationInput) {
      const body = await call({
        method: 'GET',
        path: `${identityPath(input.identityId)}/invitations/${encodeURIComponent(checkId('invitationId', input.invitationId))}`,
        at: input.at,
        schema: contractSchemas.invitation,
      });
      return {
        invitationId: body.invitationId,
        status: body.status,
        acceptedAt: body.acceptedAt === null ? null : Date.parse(body.acceptedAt),
      };
    },

    async withdrawInvitation(input: WithdrawInvitationInput) {
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/invitations/${encodeURIComponent(checkId('invitationId', input.invitationId))}/withdraw`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: {},
        schema: contractSchemas.withdrawal,
      });
      return { invitationId: body.invitationId, status: body.status };
    },

    async sendMessage(input: SendMessageInput) {
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkMessageText(input.text);
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/messages`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: { profileUrl, text: input.text },
        schema: contractSchemas.message,
      });
      return { messageId: body.messageId };
    },

    async scrapeProfile(input: ProfileActionInput) {
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/profile-scrapes`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: { profileUrl },
        schema: contractSchemas.profile,
      });
      return { ...body, profileUrl: normaliseProfileUrl(body.profileUrl) };
    },

    async likeLatestPost(input: ProfileActionInput) {
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/likes`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: { profileUrl },
        schema: contractSchemas.like,
      });
      return { liked: body.liked };
    },

    async getAccountStatus(input: AccountInput) {
      const body = await call({ method: 'GET', path: `${identityPath(input.identityId)}/account`, at: input.at, schema: contractSchemas.account });
      return { status: body.status };
    },

    async startReconnect(input: StartReconnectInput) {
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/account/reconnect-sessions`,
        at: input.at,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: input.returnUrl === undefined ? {} : { returnUrl: input.returnUrl },
        schema: contractSchemas.reconnectSession,
      });
      return { reconnectUrl: body.reconnectUrl, expiresAt: Date.parse(body.expiresAt) };
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Mapping of error answers
// ---------------------------------------------------------------------------------------------------

function errorFor(response: Response, text: string, where: string, scrub: (text: string) => string): LinkedinGatewayError {
  const status = response.status;
  const problem = parseProblem(text);
  const type = problem?.type?.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : undefined;
  const detail = scrub(problem?.detail ?? problem?.title ?? snippet(text));
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const malformedProblem = (issues: z.ZodError) =>
    new LinkedinUnavailableError(
      `LinkedIn gateway sent a malformed ${type} problem to ${where} (HTTP ${status}): ${scrub(describeIssues(issues))}`,
      { status },
    );

  switch (type) {
    case 'reinvite-blocked': {
      const parsed = contractSchemas.reinviteBlocked.safeParse(problem);
      if (!parsed.success) return malformedProblem(parsed.error);
      return new ReinviteBlockedError(Date.parse(parsed.data.blockedUntil), { status });
    }
    case 'pending-cap': {
      const parsed = contractSchemas.pendingCap.safeParse(problem);
      if (!parsed.success) return malformedProblem(parsed.error);
      return new PendingInvitationCapError(parsed.data.cap, { status });
    }
    case 'already-connected':
      return new LinkedinAlreadyConnectedError({ status });
    case 'not-connected':
      return new LinkedinNotConnectedError({ status });
    case 'rate-limited':
      return new LinkedinRateLimitedError(retryAfterMs, { detail, status });
    case 'account-disconnected':
      return new LinkedinAuthError({ detail, status });
    case 'not-found':
      return new LinkedinNotFoundError(`LinkedIn gateway: not found on ${where}: ${detail}`, { status });
    case 'invalid-request':
      return new LinkedinGatewayError(`LinkedIn gateway refused ${where} as invalid: ${detail}`, {
        code: 'invalid-request',
        retryable: false,
        status,
      });
    case 'idempotency-key-reused':
      return new LinkedinGatewayError(`LinkedIn gateway refused ${where}: ${detail}`, {
        code: 'idempotency-key-reused',
        retryable: false,
        status,
      });
    case 'unavailable':
      return new LinkedinUnavailableError(`LinkedIn gateway failed on ${where} (HTTP ${status}): ${detail}`, { status, retryAfterMs });
    case 'unauthorized':
      return gatewayUnauthorized(where, status, detail);
    default:
      break;
  }

  if (status === 429) return new LinkedinRateLimitedError(retryAfterMs, { detail, status });
  if (status >= 500) {
    return new LinkedinUnavailableError(`LinkedIn gateway failed on ${where} (HTTP ${status}): ${detail}`, { status, retryAfterMs });
  }
  if (status === 401 || status === 403) return gatewayUnauthorized(where, status, detail);
  if (status >= 300 && status < 400) {
    const location = response.headers.get('location');
    return new LinkedinGatewayError(
      `LinkedIn gateway redirected ${where} (HTTP ${status}${location ? ` to ${scrub(location)}` : ''}): check LINKEDIN_GATEWAY_URL`,
      { code: 'request-rejected', retryable: false, status },
    );
  }
  return new LinkedinGatewayError(`LinkedIn gateway refused ${where} (HTTP ${status}): ${detail}`, {
    code: 'request-rejected',
    retryable: false,
    status,
  });
}

function gatewayUnauthorized(where: string, status: number, detail: string): LinkedinGatewayError {
  return new LinkedinGatewayError(
    `LinkedIn gateway rejected Pacer's credentials on ${where} (HTTP ${status}): check LINKEDIN_GATEWAY_TOKEN (${detail})`,
    { code: 'gateway-unauthorized', retryable: false, status },
  );
}

function parseProblem(text: string): z.infer<typeof contractSchemas.problem> | undefined {
  try {
    const parsed = contractSchemas.problem.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** `Retry-After` as delay-seconds (the contract) or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

// ---------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return 'empty body';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`)
    .join('; ');
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
}

function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

/** "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9" rather than undici's bare "fetch failed". */
function describeNetworkError(error: unknown, scrub: (text: string) => string): string {
  const outer = asErrorLike(error);
  const cause = asErrorLike(outer?.cause);
  const code = typeof cause?.code === 'string' ? cause.code : typeof outer?.code === 'string' ? outer.code : undefined;
  const message =
    typeof cause?.message === 'string' && cause.message !== ''
      ? cause.message
      : typeof outer?.message === 'string'
        ? outer.message
        : String(error);
  return scrub(code && !message.includes(code) ? `${code} ${message}` : message);
}

/** The original error, unless its text would leak the token. */
function scrubbedCause(error: unknown, scrub: (text: string) => string): unknown {
  const outer = asErrorLike(error);
  if (!outer) return undefined;
  const texts = [outer.message, outer.stack, asErrorLike(outer.cause)?.message].map((text) => (typeof text === 'string' ? text : ''));
  return texts.every((text) => scrub(text) === text) ? error : undefined;
}
