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
  type GetInvitationInput,
  type HostedAuthInput,
  type LinkedinAccountDirectory,
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  LinkedinRateLimitedError,
  LinkedinRecipientRefusedError,
  LinkedinUnavailableError,
  type ListPageInput,
  type OwnProfileInput,
  PendingInvitationCapError,
  type ProfileActionInput,
  ReinviteBlockedError,
  type SendConnectionRequestInput,
  type SendMessageInput,
  type WithdrawInvitationInput,
  normaliseProfileUrl,
  tryNormaliseProfileUrl,
} from './gateway';
import { describeIssues, parseJson, parseRetryAfter, scrubberOf, sendHttp, snippet } from './http-transport';
import { canonicalProfileUrl, checkAt, checkHostedAuth, checkId, checkIdempotencyKey, checkMessageText, checkNote } from './validation';

export { parseRetryAfter } from './http-transport';

export interface HttpLinkedinGatewayOptions {
  /** e.g. `https://linkedin-gateway.example.com`; a path prefix is kept (`https://host/gateway` → `https://host/gateway/v1/…`). */
  baseUrl: string;
  token: string;
  /** Per request, covering the whole answer (headers and body). Default 15 s. */
  timeoutMs?: number;
  /** Defaults to the global fetch. */
  fetch?: typeof globalThis.fetch;
  /** When given, identity-scoped requests name the account Pacer connected for the identity (`X-Pacer-Account-Id`). */
  accounts?: Pick<LinkedinAccountDirectory, 'accountOf'>;
}

export const DEFAULT_TIMEOUT_MS = 15_000;

const PROBLEM_PREFIX = 'urn:linkedin-gateway:';
/** Every problem `type` the contract documents (CONTRACT.md §Errors). */
export const PROBLEM_TYPES = [
  'reinvite-blocked',
  'pending-cap',
  'already-connected',
  'not-connected',
  'recipient-refused',
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
  /** `disconnected` is version 1's word for `needs-reconnect`; services may still send it. */
  account: z.object({
    status: z.enum(['connected', 'needs-reconnect', 'not-connected', 'disconnected']),
    reason: z.string().nullable().optional(),
    accountId: nonEmpty.nullable().optional(),
  }),
  hostedAuthSession: z.object({ url: z.url({ protocol: /^https?$/ }), expiresAt: isoInstant }),
  ownProfile: z.object({
    profileUrl: z.string().refine(isProfileUrl, 'must be a LinkedIn profile URL'),
    firstName: z.string(),
    lastName: z.string(),
    headline: z.string().nullable(),
    pictureUrl: z.url({ protocol: /^https?$/ }).nullable(),
    providerId: nonEmpty,
    email: z.string().nullable(),
    salesNavigator: z.boolean(),
  }),
  relations: z.object({
    items: z.array(
      z.object({
        profileUrl: z.string().nullable(),
        providerId: nonEmpty,
        firstName: z.string(),
        lastName: z.string(),
        connectedAt: isoInstant.nullable(),
      }),
    ),
    nextCursor: nonEmpty.nullable(),
  }),
  sentInvitations: z.object({
    items: z.array(z.object({ invitationId: nonEmpty, profileUrl: z.string().nullable(), providerId: nonEmpty.nullable(), sentAt: isoInstant.nullable() })),
    nextCursor: nonEmpty.nullable(),
  }),
  problem: z.looseObject({
    type: z.string().optional(),
    title: z.string().optional(),
    status: z.number().optional(),
    detail: z.string().optional(),
  }),
  reinviteBlocked: z.looseObject({ blockedUntil: isoInstant, basis: z.enum(['withdrawal', 'provider-limit']).optional() }),
  accountDisconnected: z.looseObject({ connection: z.enum(['needs-reconnect', 'not-connected']).optional() }),
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
  const scrub = scrubberOf(token);

  async function call<T>(request: {
    method: 'GET' | 'POST';
    path: string;
    at: number;
    /** The identity the request acts for, to name its connected account. */
    identityId?: string;
    idempotencyKey?: string;
    body?: Record<string, unknown>;
    schema: z.ZodType<T>;
  }): Promise<T> {
    const where = `${request.method} ${request.path.split('?')[0]}`;
    const headers: Record<string, string> = {
      Authorization: `Bearer ${token}`,
      Accept: 'application/json, application/problem+json',
      'X-Pacer-Requested-At': new Date(checkAt(request.at)).toISOString(),
    };
    if (request.method === 'POST') {
      headers['Content-Type'] = 'application/json';
      headers['Idempotency-Key'] = request.idempotencyKey ?? '';
    }
    if (request.identityId !== undefined && options.accounts) {
      const account = await options.accounts.accountOf(request.identityId);
      if (account) headers['X-Pacer-Account-Id'] = account.accountId;
    }

    const { response, text } = await sendHttp({
      url: root + request.path,
      init: { method: request.method, headers, body: request.body === undefined ? undefined : JSON.stringify(request.body) },
      where,
      timeoutMs,
      fetch: fetchImpl,
      scrub,
    });

    if (response.status >= 200 && response.status < 300) {
      const json = parseJson(text);
      if (json === undefined) {
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
  const invitationPath = (identityId: string, invitationId: string) =>
    `${identityPath(identityId)}/invitations/${encodeURIComponent(checkId('invitationId', invitationId))}`;
  const cursorQuery = (cursor: string | null) => (cursor === null ? '' : `?cursor=${encodeURIComponent(checkId('cursor', cursor))}`);
  const instant = (iso: string | null) => (iso === null ? null : Date.parse(iso));

  return {
    adapter: 'http',
    needsConnectedAccount: false,

    async sendConnectionRequest(input: SendConnectionRequestInput) {
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkNote(input.note);
      const body = await call({
        method: 'POST',
        path: `${identityPath(input.identityId)}/invitations`,
        at: input.at,
        identityId: input.identityId,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: input.note === undefined ? { profileUrl } : { profileUrl, note: input.note },
        schema: contractSchemas.invitationCreated,
      });
      return { invitationId: body.invitationId, status: body.status };
    },

    async getInvitation(input: GetInvitationInput) {
      canonicalProfileUrl(input.profileUrl);
      const body = await call({
        method: 'GET',
        path: invitationPath(input.identityId, input.invitationId),
        at: input.at,
        identityId: input.identityId,
        schema: contractSchemas.invitation,
      });
      return { invitationId: body.invitationId, status: body.status, acceptedAt: instant(body.acceptedAt) };
    },

    async withdrawInvitation(input: WithdrawInvitationInput) {
      canonicalProfileUrl(input.profileUrl);
      const body = await call({
        method: 'POST',
        path: `${invitationPath(input.identityId, input.invitationId)}/withdraw`,
        at: input.at,
        identityId: input.identityId,
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
        identityId: input.identityId,
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
        identityId: input.identityId,
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
        identityId: input.identityId,
        idempotencyKey: checkIdempotencyKey(input.idempotencyKey),
        body: { profileUrl },
        schema: contractSchemas.like,
      });
      return { liked: body.liked };
    },

    async getAccountStatus(input: AccountInput) {
      const body = await call({ method: 'GET', path: `${identityPath(input.identityId)}/account`, at: input.at, identityId: input.identityId, schema: contractSchemas.account });
      const status = body.status === 'disconnected' ? 'needs-reconnect' : body.status;
      return { status, reason: status === 'connected' ? null : (body.reason ?? null), accountId: body.accountId ?? null };
    },

    async startHostedAuth(input: HostedAuthInput) {
      checkHostedAuth(input);
      const body = await call({
        method: 'POST',
        path: '/v1/hosted-auth-sessions',
        at: input.at,
        ...(input.identityId === null ? {} : { identityId: input.identityId }),
        idempotencyKey: checkIdempotencyKey(`hosted-auth/${input.name}`),
        body: {
          type: input.type,
          identityId: input.identityId,
          name: input.name,
          notifyUrl: input.notifyUrl,
          successRedirectUrl: input.successRedirectUrl,
          failureRedirectUrl: input.failureRedirectUrl,
          expiresAt: new Date(input.expiresAt).toISOString(),
        },
        schema: contractSchemas.hostedAuthSession,
      });
      return { url: body.url, expiresAt: Date.parse(body.expiresAt) };
    },

    async getOwnProfile(input: OwnProfileInput) {
      const body = await call({
        method: 'GET',
        path: `/v1/accounts/${encodeURIComponent(checkId('accountId', input.accountId))}/profile`,
        at: input.at,
        schema: contractSchemas.ownProfile,
      });
      return { ...body, profileUrl: normaliseProfileUrl(body.profileUrl) };
    },

    async listRelations(input: ListPageInput) {
      const body = await call({
        method: 'GET',
        path: `${identityPath(input.identityId)}/relations${cursorQuery(input.cursor)}`,
        at: input.at,
        identityId: input.identityId,
        schema: contractSchemas.relations,
      });
      return {
        items: body.items.map((relation) => ({ ...relation, profileUrl: tryNormaliseProfileUrl(relation.profileUrl), connectedAt: instant(relation.connectedAt) })),
        nextCursor: body.nextCursor,
      };
    },

    async listSentInvitations(input: ListPageInput) {
      const body = await call({
        method: 'GET',
        path: `${identityPath(input.identityId)}/invitations${input.cursor === null ? '?status=pending' : `${cursorQuery(input.cursor)}&status=pending`}`,
        at: input.at,
        identityId: input.identityId,
        schema: contractSchemas.sentInvitations,
      });
      return {
        items: body.items.map((invitation) => ({ ...invitation, profileUrl: tryNormaliseProfileUrl(invitation.profileUrl), sentAt: instant(invitation.sentAt) })),
        nextCursor: body.nextCursor,
      };
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
      return new ReinviteBlockedError(Date.parse(parsed.data.blockedUntil), { status, basis: parsed.data.basis, detail });
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
    case 'account-disconnected': {
      const parsed = contractSchemas.accountDisconnected.safeParse(problem);
      if (!parsed.success) return malformedProblem(parsed.error);
      return new LinkedinAuthError({ detail, status, connection: parsed.data.connection });
    }
    case 'recipient-refused':
      return new LinkedinRecipientRefusedError(detail, { status });
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
  const parsed = contractSchemas.problem.safeParse(parseJson(text));
  return parsed.success ? parsed.data : undefined;
}
