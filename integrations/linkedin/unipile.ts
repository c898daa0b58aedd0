/**
 * Unipile adapter of the LinkedIn gateway (`LINKEDIN_GATEWAY=unipile`): Unipile's public API v1, the
 * API most LinkedIn automation products are built on. Written from Unipile's own documentation and
 * its node SDK's types (read through the search tools):
 * - API usage (DSN base URL, `X-API-KEY`, cursor pages): https://developer.unipile.com/reference-link/api-usage
 * - Hosted sign-in (`POST /api/v1/hosted/accounts/link`, `type`, `api_url`, `expiresOn`, `name`,
 *   `notify_url`, `success_redirect_url`, `reconnect_account`; the notification
 *   `{status, account_id, name}`): https://developer.unipile.com/docs/hosted-auth and
 *   https://developer.unipile.com/reference/hostedcontroller_requestlink
 * - Account status (`GET /api/v1/accounts/{id}` `sources[].status`: OK, CONNECTING, CREDENTIALS,
 *   PERMISSIONS, ERROR, STOPPED; the `AccountStatus` webhook): https://developer.unipile.com/docs/account-lifecycle
 * - Invitations (profile → `provider_id` → `POST /api/v1/users/invite`, note ≤ 300):
 *   https://developer.unipile.com/docs/invite-users; the pending list
 *   (`GET /api/v1/users/invite/sent`, and every error `type` per HTTP status):
 *   https://developer.unipile.com/reference/userscontroller_listalluserinvitationssent
 * - Acceptance (`new_relation`, up to 8 h late; `GET /api/v1/users/relations`):
 *   https://developer.unipile.com/docs/detecting-accepted-invitations
 * - Messages to an attendee (`GET /api/v1/chat_attendees/{id}/messages`):
 *   https://developer.unipile.com/reference/chatattendeescontroller_listmessagesbyattendee
 * - Posts and reactions (react with the post's `social_id`): https://developer.unipile.com/docs/posts-and-comments
 * - Response shapes: unipile-node-sdk 1.8.0 (npm; github.com/unipile/unipile-node-sdk) `src/users/*.types.ts`
 *   (UserProfile, AccountOwnerProfile, UserInvitationSent, InvitationList, InvitationCanceled,
 *   UserRelationsList, PostList, ReactionAdded), `src/messaging/chats/chat-start.types.ts` (ChatStarted,
 *   multipart `account_id`, `attendees_ids`, `text`), `src/hosted/hosted-auth-link.types.ts`,
 *   `src/accounts/ressource.types.ts` (AccountSourceServiceStatus).
 *
 * Unipile knows accounts, not identities: the account acting for an identity comes from Pacer's records
 * ({@link LinkedinAccountDirectory}); an identity without one fails with {@link LinkedinAuthError}
 * (`not-connected`) before any request.
 *
 * Unipile has no idempotency keys, so nothing here is sent twice by reading LinkedIn's state first:
 * - an invitation: the person's profile says whether one is already pending (it is then found in the
 *   pending list and returned) or whether they are already a connection;
 * - a message: the recent messages to the person are read, and the same text sent in the last 24 h is
 *   taken as this one;
 * - a withdrawal: only a pending invitation is withdrawn; an accepted one is reported, never withdrawn;
 * - a like: LinkedIn keeps one reaction per person and post, so liking again changes nothing.
 * A call that failed after the request may have arrived is therefore safe to retry: every transport
 * failure is a retryable {@link LinkedinUnavailableError}.
 *
 * Errors (`{status, type: "errors/<slug>", title, detail}`) are classified once, in
 * {@link classifyUnipileError}; {@link UNIPILE_ERROR_KINDS} lists every slug it knows. The API key is
 * never logged and is scrubbed from anything quoted back.
 */
import { z } from 'zod';
import { type ObservedConnection, NO_ACCOUNT_REASON } from '../../domain/linkedin-connection';
import { REINVITE_BLOCK_MS } from '../../domain/pacing';
import {
  type AccountInput,
  type GetInvitationInput,
  type HostedAuthInput,
  type Invitation,
  type LinkedinAccountDirectory,
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  type LinkedinProfile,
  LinkedinRateLimitedError,
  LinkedinRecipientRefusedError,
  LinkedinUnavailableError,
  type ListPageInput,
  type OwnProfileInput,
  type ProfileActionInput,
  ReinviteBlockedError,
  type SendConnectionRequestInput,
  type SendMessageInput,
  type WithdrawInvitationInput,
  profileSlug,
  profileUrlOfPublicIdentifier,
  tryNormaliseProfileUrl,
} from './gateway';
import { describeIssues, parseJson, parseRetryAfter, scrubberOf, sendHttp, snippet } from './http-transport';
import { canonicalProfileUrl, checkAt, checkHostedAuth, checkId, checkIdempotencyKey, checkMessageText, checkNote, invalidRequest } from './validation';

export interface UnipileGatewayOptions {
  /** UNIPILE_DSN, e.g. `api8.unipile.com:13851` (https is assumed) or a full `https://…` URL. */
  dsn: string;
  /** UNIPILE_API_KEY (an access token from Unipile's dashboard). */
  apiKey: string;
  accounts: LinkedinAccountDirectory;
  /** Per request, covering the whole answer. Default 30 s (LinkedIn actions through Unipile can be slow). */
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
}

export const DEFAULT_UNIPILE_TIMEOUT_MS = 30_000;
/** Where Unipile's hosted sign-in pages live (the share page's forms may be redirected there). */
export const UNIPILE_SIGN_IN_ORIGIN = 'https://account.unipile.com';
/** A message with the same text to the same person this recently is taken as already sent. */
export const RECENT_MESSAGE_WINDOW_MS = 24 * 3600 * 1000;
/** Page size asked for in lists (Unipile allows up to 250 for invitations). */
const PAGE_SIZE = 100;
/** Pages read when looking for one pending invitation (LinkedIn caps pending invitations well below this). */
const MAX_INVITATION_PAGES = 20;
const DAY_MS = 86_400_000;

/** The base URL of a DSN: `https://host:port` (an explicit http:// is kept, for local replays). */
export function unipileBaseUrl(dsn: string): string {
  const trimmed = dsn.trim().replace(/\/+$/, '');
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `https://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new Error('UNIPILE_DSN is not a host:port or URL (expected e.g. api8.unipile.com:13851, from the Unipile dashboard)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`UNIPILE_DSN must be an http(s) address, not ${url.protocol}`);
  if (url.username || url.password) throw new Error('UNIPILE_DSN must not carry credentials: put the key in UNIPILE_API_KEY');
  if (url.pathname !== '/' || url.search || url.hash) throw new Error('UNIPILE_DSN is the host and port only (e.g. api8.unipile.com:13851), without a path');
  return url.origin;
}

// ---------------------------------------------------------------------------------------------------
// Unipile's answers (documented shapes; unknown members are ignored)
// ---------------------------------------------------------------------------------------------------

const nonEmpty = z.string().min(1);
const optionalText = z.string().nullable().optional();

export const unipileSchemas = {
  profile: z.looseObject({
    object: z.literal('UserProfile'),
    provider_id: nonEmpty,
    public_identifier: optionalText,
    public_profile_url: optionalText,
    first_name: optionalText,
    last_name: optionalText,
    headline: optionalText,
    profile_picture_url: optionalText,
    is_relationship: z.boolean().optional(),
    network_distance: optionalText,
    invitation: z.looseObject({ type: z.string(), status: z.string() }).nullable().optional(),
  }),
  ownProfile: z.looseObject({
    object: z.literal('AccountOwnerProfile'),
    provider_id: nonEmpty,
    first_name: z.string(),
    last_name: z.string(),
    profile_picture_url: optionalText,
    public_profile_url: optionalText,
    public_identifier: optionalText,
    headline: optionalText,
    occupation: optionalText,
    email: optionalText,
    sales_navigator: z.union([z.looseObject({ owner_seat_id: z.string() }), z.looseObject({ error: z.string() }), z.null()]).optional(),
  }),
  invitationSent: z.looseObject({ object: z.literal('UserInvitationSent'), invitation_id: nonEmpty }),
  invitationList: z.looseObject({
    object: z.literal('InvitationList'),
    items: z.array(
      z.looseObject({
        object: z.literal('InvitationSent'),
        id: nonEmpty,
        invited_user_id: optionalText,
        invited_user_public_id: optionalText,
        parsed_datetime: optionalText,
      }),
    ),
    cursor: optionalText,
  }),
  invitationCanceled: z.looseObject({ object: z.literal('InvitationCanceled') }),
  relations: z.looseObject({
    object: z.literal('UserRelationsList'),
    items: z.array(
      z.looseObject({
        object: z.literal('UserRelation'),
        member_id: nonEmpty,
        first_name: z.string(),
        last_name: z.string(),
        public_identifier: optionalText,
        public_profile_url: optionalText,
        created_at: z.number().nullable().optional(),
      }),
    ),
    cursor: optionalText,
  }),
  messages: z.looseObject({
    object: z.literal('MessageList'),
    items: z.array(
      z.looseObject({
        id: nonEmpty,
        text: optionalText,
        // An integer 0/1 over REST, a boolean on webhooks: accept both.
        is_sender: z.union([z.number(), z.boolean()]),
        timestamp: z.string(),
      }),
    ),
    cursor: optionalText,
  }),
  chatStarted: z
    .looseObject({ object: z.literal('ChatStarted'), chat_id: optionalText, message_id: optionalText })
    .refine((chat) => Boolean(chat.message_id ?? chat.chat_id), { message: 'neither message_id nor chat_id is set' }),
  posts: z.looseObject({
    object: z.literal('PostList'),
    items: z.array(z.looseObject({ object: z.literal('Post'), id: nonEmpty, social_id: nonEmpty })),
    cursor: optionalText,
  }),
  reactionAdded: z.looseObject({ object: z.literal('ReactionAdded') }),
  account: z.looseObject({
    object: z.literal('Account'),
    id: nonEmpty,
    type: z.string(),
    sources: z.array(z.looseObject({ id: z.string(), status: z.string() })),
  }),
  // Unipile's docs spell the object both ways (HostedAuthURL in the 1.x SDK, HostedAuthUrl in 1.8).
  hostedAuthLink: z.looseObject({ object: z.enum(['HostedAuthURL', 'HostedAuthUrl']), url: z.url({ protocol: /^https?$/ }) }),
  problem: z.looseObject({ type: z.string().optional(), title: z.string().optional(), detail: z.string().optional(), status: z.number().optional() }),
};

// ---------------------------------------------------------------------------------------------------
// Account status
// ---------------------------------------------------------------------------------------------------

/** Unipile's account states (REST `sources[].status` and the `AccountStatus` webhook's `message`), worst last. */
const STATUS_SEVERITY: Record<string, number> = { OK: 0, CREATION_SUCCESS: 0, RECONNECTED: 0, SYNC_SUCCESS: 0, CONNECTING: 1, STOPPED: 2, ERROR: 3, PERMISSIONS: 4, CREDENTIALS: 5, DELETED: 6 };

/** What a Unipile account state means for the identity (docs: account-lifecycle). */
export function unipileConnection(status: string): ObservedConnection {
  switch (status) {
    case 'OK':
    case 'CREATION_SUCCESS':
    case 'RECONNECTED':
    case 'SYNC_SUCCESS':
    case 'CONNECTING': // temporary: Unipile is (re)establishing the session; actions meanwhile fail as unavailable and are retried
      return { status: 'connected', reason: null };
    case 'CREDENTIALS':
      return { status: 'needs-reconnect', reason: 'Unipile reports CREDENTIALS: the LinkedIn session expired or was ended (password change, sign-out, LinkedIn restriction); sign in again' };
    case 'PERMISSIONS':
      return { status: 'needs-reconnect', reason: 'Unipile reports PERMISSIONS: the LinkedIn account no longer grants what Pacer needs; sign in again' };
    case 'ERROR':
      return { status: 'needs-reconnect', reason: 'Unipile reports ERROR: it stopped syncing the account after an unexpected error; sign in again' };
    case 'STOPPED':
      return { status: 'needs-reconnect', reason: 'Unipile reports STOPPED: syncing of the account is paused; sign in again' };
    case 'DELETED':
      return { status: 'not-connected', reason: 'The account was deleted from Unipile' };
    default:
      return { status: 'needs-reconnect', reason: `Unipile reports an unknown account state ${JSON.stringify(status.slice(0, 40))}` };
  }
}

/** The worst state among an account's sources (an account with no source yet is still connecting). */
export function worstUnipileStatus(statuses: readonly string[]): string {
  if (statuses.length === 0) return 'CONNECTING';
  return statuses.reduce((worst, status) => ((STATUS_SEVERITY[status] ?? 3.5) > (STATUS_SEVERITY[worst] ?? 3.5) ? status : worst));
}

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

export type UnipileErrorKind =
  | 'account-disconnected'
  | 'gateway-unauthorized'
  | 'reinvite-blocked'
  | 'reinvite-blocked-24h'
  | 'already-connected'
  | 'not-connected'
  | 'rate-limited'
  | 'recipient-refused'
  | 'not-found'
  | 'invalid-request'
  | 'unavailable'
  | 'request-rejected';

/** Every `errors/<slug>` the adapter classifies (the slugs Unipile documents per status), and how. */
export const UNIPILE_ERROR_KINDS: Record<string, UnipileErrorKind> = {
  // 401 / 403: the LinkedIn session is unusable; the identity's owner must sign in again.
  disconnected_account: 'account-disconnected',
  invalid_credentials: 'account-disconnected',
  checkpoint_error: 'account-disconnected',
  account_restricted: 'account-disconnected',
  expired_credentials: 'account-disconnected',
  wrong_account: 'account-disconnected',
  multiple_sessions: 'account-disconnected',
  session_mismatch: 'account-disconnected',
  action_required: 'account-disconnected',
  unknown_authentication_context: 'account-disconnected',
  // 401: Pacer's own API key.
  missing_credentials: 'gateway-unauthorized',
  insufficient_privileges: 'gateway-unauthorized',
  // 422: LinkedIn's refusals.
  already_invited_recently: 'reinvite-blocked',
  cannot_resend_yet: 'reinvite-blocked',
  cannot_resend_within_24hrs: 'reinvite-blocked-24h',
  already_connected: 'already-connected',
  no_connection_with_recipient: 'not-connected',
  limit_exceeded: 'rate-limited',
  invalid_recipient: 'recipient-refused',
  user_unreachable: 'recipient-refused',
  blocked_recipient: 'recipient-refused',
  cannot_invite_attendee: 'recipient-refused',
  not_allowed_inmail: 'recipient-refused',
  // 429
  too_many_requests: 'rate-limited',
  // 404
  resource_not_found: 'not-found',
  invalid_resource_identifier: 'not-found',
  // 400
  invalid_parameters: 'invalid-request',
  malformed_request: 'invalid-request',
  content_too_large: 'invalid-request',
  invalid_url: 'invalid-request',
  too_many_characters: 'invalid-request',
  unescaped_characters: 'invalid-request',
  missing_parameters: 'invalid-request',
  invalid_message: 'invalid-request',
  // 403 features the account lacks (Sales Navigator…), other 422 refusals, 501: retrying does not help.
  invalid_account: 'request-rejected',
  unprocessable_entity: 'request-rejected',
  action_already_performed: 'request-rejected',
  invalid_post: 'request-rejected',
  insufficient_credits: 'request-rejected',
  cant_send_message: 'request-rejected',
  insufficient_permissions: 'request-rejected',
  feature_not_subscribed: 'request-rejected',
  subscription_required: 'request-rejected',
  resource_access_restricted: 'request-rejected',
  account_mismatch: 'request-rejected',
  feature_not_implemented: 'request-rejected',
  // 500, 503, 504: transient.
  unexpected_error: 'unavailable',
  provider_error: 'unavailable',
  authentication_intent_error: 'unavailable',
  no_client_session: 'unavailable',
  no_channel: 'unavailable',
  no_handler: 'unavailable',
  network_down: 'unavailable',
  service_unavailable: 'unavailable',
  request_timeout: 'unavailable',
};

export interface UnipileErrorAnswer {
  status: number;
  /** The problem's `type` (`errors/<slug>`), if any. */
  type: string | undefined;
  /** Already scrubbed of the API key. */
  detail: string;
  retryAfterMs: number | null;
  /** `METHOD /path`. */
  where: string;
  /** The caller's now, to date a re-invite block Unipile gives no date for. */
  at: number;
  location?: string | null;
}

/** The one classification of Unipile's error answers into the gateway's typed errors. */
export function classifyUnipileError(answer: UnipileErrorAnswer): LinkedinGatewayError {
  const { status, detail, retryAfterMs, where, at } = answer;
  const slug = answer.type?.startsWith('errors/') ? answer.type.slice('errors/'.length) : undefined;
  const kind = slug === undefined ? undefined : UNIPILE_ERROR_KINDS[slug];
  const quoted = slug === undefined ? detail : `${slug}: ${detail}`;
  const rejected = () => new LinkedinGatewayError(`Unipile refused ${where} (HTTP ${status}): ${quoted}`, { code: 'request-rejected', retryable: false, status });
  switch (kind) {
    case 'account-disconnected':
      return new LinkedinAuthError({ detail: quoted, status, connection: 'needs-reconnect' });
    case 'gateway-unauthorized':
      return gatewayUnauthorized(where, status, quoted);
    case 'reinvite-blocked':
      return new ReinviteBlockedError(at + REINVITE_BLOCK_MS, { status, basis: 'provider-limit', detail: quoted });
    case 'reinvite-blocked-24h':
      return new ReinviteBlockedError(at + DAY_MS, { status, basis: 'provider-limit', detail: quoted });
    case 'already-connected':
      return new LinkedinAlreadyConnectedError({ status });
    case 'not-connected':
      return new LinkedinNotConnectedError({ status });
    case 'rate-limited':
      return new LinkedinRateLimitedError(retryAfterMs, { detail: quoted, status });
    case 'recipient-refused':
      return new LinkedinRecipientRefusedError(quoted, { status });
    case 'not-found':
      return new LinkedinNotFoundError(`Unipile: not found on ${where}: ${quoted}`, { status });
    case 'invalid-request':
      return new LinkedinGatewayError(`Unipile refused ${where} as invalid: ${quoted}`, { code: 'invalid-request', retryable: false, status });
    case 'unavailable':
      return new LinkedinUnavailableError(`Unipile failed on ${where} (HTTP ${status}): ${quoted}`, { status, retryAfterMs });
    case 'request-rejected':
      return rejected();
    case undefined:
      break;
  }
  // Answers without a known slug: by status.
  if (status === 429) return new LinkedinRateLimitedError(retryAfterMs, { detail: quoted, status });
  if (status >= 500) return new LinkedinUnavailableError(`Unipile failed on ${where} (HTTP ${status}): ${quoted}`, { status, retryAfterMs });
  if (status === 401 && slug === undefined) return gatewayUnauthorized(where, status, quoted);
  if (status >= 300 && status < 400) {
    return new LinkedinGatewayError(`Unipile redirected ${where} (HTTP ${status}${answer.location ? ` to ${answer.location}` : ''}): check UNIPILE_DSN`, {
      code: 'request-rejected',
      retryable: false,
      status,
    });
  }
  return rejected();
}

function gatewayUnauthorized(where: string, status: number, detail: string): LinkedinGatewayError {
  return new LinkedinGatewayError(`Unipile rejected Pacer's API key on ${where} (HTTP ${status}): check UNIPILE_API_KEY (${detail})`, {
    code: 'gateway-unauthorized',
    retryable: false,
    status,
  });
}

// ---------------------------------------------------------------------------------------------------
// Adapter
// ---------------------------------------------------------------------------------------------------

type UnipileProfile = z.infer<typeof unipileSchemas.profile>;

/** LinkedIn reports first-degree connections as FIRST_DEGREE on profiles (DISTANCE_1 elsewhere). */
function isConnection(profile: UnipileProfile): boolean {
  return profile.is_relationship === true || profile.network_distance === 'FIRST_DEGREE' || profile.network_distance === 'DISTANCE_1';
}

/** The profile says outright that the person is not a first-degree connection (otherwise Unipile decides). */
function isKnownNotConnected(profile: UnipileProfile): boolean {
  return !isConnection(profile) && (profile.is_relationship === false || typeof profile.network_distance === 'string');
}

/** An invitation from the account to the person that LinkedIn still shows (an ignored one stays pending for the sender). */
function hasPendingInvitation(profile: UnipileProfile): boolean {
  return profile.invitation?.type === 'SENT' && (profile.invitation.status === 'PENDING' || profile.invitation.status === 'IGNORED');
}

function pictureUrl(url: string | null | undefined): string | null {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? url : null;
  } catch {
    return null;
  }
}

export function createUnipileLinkedinGateway(options: UnipileGatewayOptions): LinkedinGateway {
  const apiKey = options.apiKey?.trim();
  if (!apiKey) throw new Error('UNIPILE_API_KEY is empty');
  const base = unipileBaseUrl(options.dsn);
  const timeoutMs = options.timeoutMs ?? DEFAULT_UNIPILE_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error('The Unipile timeout must be a positive whole number of milliseconds');
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const { accounts } = options;
  const scrub = scrubberOf(apiKey);

  async function call<T>(request: {
    method: 'GET' | 'POST' | 'DELETE';
    /** Under /api/v1, segments already encoded. */
    path: string;
    query?: Record<string, string | undefined>;
    json?: Record<string, unknown>;
    form?: FormData;
    schema: z.ZodType<T>;
    at: number;
  }): Promise<T> {
    const path = `/api/v1${request.path}`;
    const where = `${request.method} ${path}`;
    const query = new URLSearchParams(Object.entries(request.query ?? {}).filter((entry): entry is [string, string] => entry[1] !== undefined));
    const headers: Record<string, string> = { 'X-API-KEY': apiKey, Accept: 'application/json' };
    if (request.json) headers['Content-Type'] = 'application/json';
    const { response, text } = await sendHttp({
      url: `${base}${path}${query.size > 0 ? `?${query.toString()}` : ''}`,
      init: { method: request.method, headers, body: request.json ? JSON.stringify(request.json) : request.form },
      where,
      timeoutMs,
      fetch: fetchImpl,
      scrub,
    });
    if (response.status >= 200 && response.status < 300) {
      const json = parseJson(text);
      if (json === undefined) {
        throw new LinkedinUnavailableError(`Unipile sent a malformed answer to ${where}: the body is not JSON (${scrub(snippet(text))})`, { status: response.status });
      }
      const parsed = request.schema.safeParse(json);
      if (!parsed.success) {
        throw new LinkedinUnavailableError(`Unipile sent a malformed answer to ${where}: ${scrub(describeIssues(parsed.error))}`, { status: response.status });
      }
      return parsed.data;
    }
    const problem = unipileSchemas.problem.safeParse(parseJson(text));
    const body = problem.success ? problem.data : undefined;
    throw classifyUnipileError({
      status: response.status,
      type: body?.type,
      detail: scrub(body?.detail ?? body?.title ?? snippet(text)),
      retryAfterMs: parseRetryAfter(response.headers.get('retry-after')),
      where,
      at: request.at,
      location: response.headers.has('location') ? scrub(response.headers.get('location') ?? '') : null,
    });
  }

  /** The account acting for the identity, or a not-connected refusal before any request. */
  async function accountFor(identityId: string): Promise<{ accountId: string; salesNavigator: boolean }> {
    const account = await accounts.accountOf(checkId('identityId', identityId));
    if (!account) throw new LinkedinAuthError({ connection: 'not-connected', detail: NO_ACCOUNT_REASON });
    return account;
  }

  function readProfile(accountId: string, profileUrl: string, at: number, salesNavigator = false): Promise<UnipileProfile> {
    return call({
      method: 'GET',
      path: `/users/${encodeURIComponent(profileSlug(profileUrl))}`,
      query: { account_id: accountId, ...(salesNavigator ? { linkedin_api: 'sales_navigator' } : {}) },
      schema: unipileSchemas.profile,
      at,
    });
  }

  /** The pending invitation to this person in the account's sent list, if LinkedIn lists it. */
  async function findPendingInvitation(accountId: string, person: { providerId: string; profileUrl: string }, at: number): Promise<string | null> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_INVITATION_PAGES; page++) {
      const list = await call({
        method: 'GET',
        path: '/users/invite/sent',
        query: { account_id: accountId, limit: String(PAGE_SIZE), cursor },
        schema: unipileSchemas.invitationList,
        at,
      });
      const found = list.items.find(
        (item) => item.invited_user_id === person.providerId || profileUrlOfPublicIdentifier(item.invited_user_public_id) === person.profileUrl,
      );
      if (found) return found.id;
      if (!list.cursor) return null;
      cursor = list.cursor;
    }
    return null;
  }

  /** When the account connected with this member, if the newest relations say so. */
  async function connectedAt(accountId: string, providerId: string, at: number): Promise<number | null> {
    const relations = await call({ method: 'GET', path: '/users/relations', query: { account_id: accountId, limit: String(PAGE_SIZE) }, schema: unipileSchemas.relations, at });
    return relations.items.find((relation) => relation.member_id === providerId)?.created_at ?? null;
  }

  /** The invitation's state as LinkedIn shows it on the person's profile (LinkedIn keeps one invitation per pair). */
  async function invitationState(input: GetInvitationInput): Promise<Invitation & { providerId: string; accountId: string }> {
    const at = checkAt(input.at);
    const invitationId = checkId('invitationId', input.invitationId);
    const profileUrl = canonicalProfileUrl(input.profileUrl);
    const { accountId } = await accountFor(input.identityId);
    const profile = await readProfile(accountId, profileUrl, at).catch((error: unknown) => {
      // The person's profile is gone (account closed): so is the invitation.
      if (error instanceof LinkedinNotFoundError) return null;
      throw error;
    });
    if (profile === null) return { invitationId, providerId: '', accountId, status: 'withdrawn', acceptedAt: null };
    const base = { invitationId, providerId: profile.provider_id, accountId };
    if (isConnection(profile)) return { ...base, status: 'accepted', acceptedAt: (await connectedAt(accountId, profile.provider_id, at)) ?? at };
    if (hasPendingInvitation(profile)) return { ...base, status: 'pending', acceptedAt: null };
    // Gone without a connection: withdrawn (by Pacer or by hand), declined or expired.
    return { ...base, status: 'withdrawn', acceptedAt: null };
  }

  return {
    adapter: 'unipile',

    async sendConnectionRequest(input: SendConnectionRequestInput) {
      const at = checkAt(input.at);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkNote(input.note);
      checkIdempotencyKey(input.idempotencyKey);
      const { accountId } = await accountFor(input.identityId);
      const profile = await readProfile(accountId, profileUrl, at);
      if (isConnection(profile)) throw new LinkedinAlreadyConnectedError({ profileUrl });
      if (hasPendingInvitation(profile)) {
        const pending = await findPendingInvitation(accountId, { providerId: profile.provider_id, profileUrl }, at);
        if (pending !== null) return { invitationId: pending, status: 'pending' as const };
        throw new LinkedinUnavailableError(`Unipile shows a pending invitation to ${profileUrl} that its sent list does not (yet) contain; nothing was sent`);
      }
      try {
        const sent = await call({
          method: 'POST',
          path: '/users/invite',
          json: { account_id: accountId, provider_id: profile.provider_id, ...(input.note === undefined ? {} : { message: input.note }) },
          schema: unipileSchemas.invitationSent,
          at,
        });
        return { invitationId: sent.invitation_id, status: 'pending' as const };
      } catch (error) {
        if (!(error instanceof ReinviteBlockedError) || error.basis !== 'provider-limit') throw error;
        // Unipile gives no date: use Pacer's own withdrawal when it has one, else LinkedIn's limit counted from now.
        const withdrawnAt = await accounts.lastWithdrawalAt(input.identityId, profileUrl);
        if (withdrawnAt !== null && withdrawnAt + REINVITE_BLOCK_MS > at) {
          throw new ReinviteBlockedError(withdrawnAt + REINVITE_BLOCK_MS, { profileUrl, status: error.status, basis: 'withdrawal' });
        }
        throw error;
      }
    },

    async getInvitation(input: GetInvitationInput) {
      const { invitationId, status, acceptedAt } = await invitationState(input);
      return { invitationId, status, acceptedAt };
    },

    async withdrawInvitation(input: WithdrawInvitationInput) {
      checkIdempotencyKey(input.idempotencyKey);
      const state = await invitationState(input);
      // Only a pending invitation is withdrawn; an accepted one never is, a gone one needs nothing.
      if (state.status === 'accepted') return { invitationId: state.invitationId, status: 'accepted' as const };
      if (state.status === 'withdrawn') return { invitationId: state.invitationId, status: 'withdrawn' as const };
      try {
        await call({
          method: 'DELETE',
          path: `/users/invite/sent/${encodeURIComponent(state.invitationId)}`,
          query: { account_id: state.accountId },
          schema: unipileSchemas.invitationCanceled,
          at: input.at,
        });
      } catch (error) {
        if (!(error instanceof LinkedinNotFoundError)) throw error;
        // Gone meanwhile: accepted just now, or withdrawn by a retry whose answer was lost.
        const again = await invitationState(input);
        return { invitationId: again.invitationId, status: again.status === 'accepted' ? ('accepted' as const) : ('withdrawn' as const) };
      }
      return { invitationId: state.invitationId, status: 'withdrawn' as const };
    },

    async sendMessage(input: SendMessageInput) {
      const at = checkAt(input.at);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkMessageText(input.text);
      checkIdempotencyKey(input.idempotencyKey);
      const { accountId } = await accountFor(input.identityId);
      const profile = await readProfile(accountId, profileUrl, at);
      if (isKnownNotConnected(profile)) throw new LinkedinNotConnectedError({ profileUrl });
      // Check before acting: the same text to this person recently is this very message, sent by an attempt whose answer was lost.
      const recent = await call({
        method: 'GET',
        path: `/chat_attendees/${encodeURIComponent(profile.provider_id)}/messages`,
        query: { account_id: accountId, limit: '20' },
        schema: unipileSchemas.messages,
        at,
      }).catch((error: unknown) => {
        if (error instanceof LinkedinNotFoundError) return { items: [] }; // never chatted
        throw error;
      });
      const already = recent.items.find(
        (message) => Boolean(message.is_sender) && message.text === input.text && Date.parse(message.timestamp) >= at - RECENT_MESSAGE_WINDOW_MS,
      );
      if (already) return { messageId: already.id };
      const form = new FormData();
      form.append('account_id', accountId);
      form.append('attendees_ids', profile.provider_id);
      form.append('text', input.text);
      const started = await call({ method: 'POST', path: '/chats', form, schema: unipileSchemas.chatStarted, at });
      return { messageId: (started.message_id ?? started.chat_id)! };
    },

    async scrapeProfile(input: ProfileActionInput): Promise<LinkedinProfile> {
      const at = checkAt(input.at);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkIdempotencyKey(input.idempotencyKey);
      const { accountId, salesNavigator } = await accountFor(input.identityId);
      const profile = await readProfile(accountId, profileUrl, at, salesNavigator);
      return {
        profileUrl: tryNormaliseProfileUrl(profile.public_profile_url) ?? profileUrlOfPublicIdentifier(profile.public_identifier) ?? profileUrl,
        firstName: profile.first_name ?? '',
        lastName: profile.last_name ?? '',
        headline: profile.headline || null,
        pictureUrl: pictureUrl(profile.profile_picture_url),
      };
    },

    async likeLatestPost(input: ProfileActionInput) {
      const at = checkAt(input.at);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkIdempotencyKey(input.idempotencyKey);
      const { accountId } = await accountFor(input.identityId);
      const profile = await readProfile(accountId, profileUrl, at);
      const posts = await call({
        method: 'GET',
        path: `/users/${encodeURIComponent(profile.provider_id)}/posts`,
        query: { account_id: accountId, limit: '1' },
        schema: unipileSchemas.posts,
        at,
      });
      const latest = posts.items[0];
      if (!latest) return { liked: false };
      try {
        await call({ method: 'POST', path: '/posts/reaction', json: { account_id: accountId, post_id: latest.social_id, reaction_type: 'like' }, schema: unipileSchemas.reactionAdded, at });
      } catch (error) {
        // The post already carries this account's reaction: liked, nothing more to do.
        if (error instanceof LinkedinGatewayError && error.code === 'request-rejected' && error.message.includes('action_already_performed')) return { liked: true };
        throw error;
      }
      return { liked: true };
    },

    async getAccountStatus(input: AccountInput) {
      const at = checkAt(input.at);
      const account = await accounts.accountOf(checkId('identityId', input.identityId));
      if (!account) return { status: 'not-connected' as const, reason: NO_ACCOUNT_REASON, accountId: null };
      try {
        const found = await call({ method: 'GET', path: `/accounts/${encodeURIComponent(account.accountId)}`, schema: unipileSchemas.account, at });
        const observed = unipileConnection(worstUnipileStatus(found.sources.map((source) => source.status)));
        return { ...observed, accountId: account.accountId };
      } catch (error) {
        if (!(error instanceof LinkedinNotFoundError)) throw error;
        return { status: 'not-connected' as const, reason: 'The account no longer exists on Unipile: connect LinkedIn again', accountId: account.accountId };
      }
    },

    async startHostedAuth(input: HostedAuthInput) {
      checkHostedAuth(input);
      const shared = {
        api_url: base,
        expiresOn: new Date(input.expiresAt).toISOString(),
        name: input.name,
        notify_url: input.notifyUrl,
        ...(input.successRedirectUrl === null ? {} : { success_redirect_url: input.successRedirectUrl }),
        ...(input.failureRedirectUrl === null ? {} : { failure_redirect_url: input.failureRedirectUrl }),
      };
      let json: Record<string, unknown>;
      if (input.type === 'reconnect') {
        const account = await accounts.accountOf(input.identityId!);
        if (!account) throw invalidRequest('the identity has no connected account to reconnect: open a `create` sign-in instead');
        json = { type: 'reconnect', reconnect_account: account.accountId, ...shared };
      } else {
        json = { type: 'create', providers: ['LINKEDIN'], ...shared };
      }
      const link = await call({ method: 'POST', path: '/hosted/accounts/link', json, schema: unipileSchemas.hostedAuthLink, at: input.at });
      return { url: link.url, expiresAt: input.expiresAt };
    },

    async getOwnProfile(input: OwnProfileInput) {
      const at = checkAt(input.at);
      const me = await call({ method: 'GET', path: '/users/me', query: { account_id: checkId('accountId', input.accountId) }, schema: unipileSchemas.ownProfile, at });
      const profileUrl = tryNormaliseProfileUrl(me.public_profile_url) ?? profileUrlOfPublicIdentifier(me.public_identifier);
      if (profileUrl === null) throw new LinkedinUnavailableError('Unipile sent a malformed answer to GET /api/v1/users/me: no readable public_profile_url or public_identifier');
      return {
        profileUrl,
        firstName: me.first_name,
        lastName: me.last_name,
        headline: me.occupation || me.headline || null,
        pictureUrl: pictureUrl(me.profile_picture_url),
        providerId: me.provider_id,
        email: me.email || null,
        salesNavigator: typeof me.sales_navigator === 'object' && me.sales_navigator !== null && 'owner_seat_id' in me.sales_navigator,
      };
    },

    async listRelations(input: ListPageInput) {
      const at = checkAt(input.at);
      const { accountId } = await accountFor(input.identityId);
      const page = await call({
        method: 'GET',
        path: '/users/relations',
        query: { account_id: accountId, limit: String(PAGE_SIZE), cursor: input.cursor === null ? undefined : checkId('cursor', input.cursor) },
        schema: unipileSchemas.relations,
        at,
      });
      return {
        items: page.items.map((relation) => ({
          profileUrl: tryNormaliseProfileUrl(relation.public_profile_url) ?? profileUrlOfPublicIdentifier(relation.public_identifier),
          providerId: relation.member_id,
          firstName: relation.first_name,
          lastName: relation.last_name,
          connectedAt: relation.created_at ?? null,
        })),
        nextCursor: page.cursor || null,
      };
    },

    async listSentInvitations(input: ListPageInput) {
      const at = checkAt(input.at);
      const { accountId } = await accountFor(input.identityId);
      const page = await call({
        method: 'GET',
        path: '/users/invite/sent',
        query: { account_id: accountId, limit: String(PAGE_SIZE), cursor: input.cursor === null ? undefined : checkId('cursor', input.cursor) },
        schema: unipileSchemas.invitationList,
        at,
      });
      return {
        items: page.items.map((item) => {
          const sentAt = item.parsed_datetime ? Date.parse(item.parsed_datetime) : Number.NaN;
          return {
            invitationId: item.id,
            profileUrl: profileUrlOfPublicIdentifier(item.invited_user_public_id),
            providerId: item.invited_user_id || null,
            sentAt: Number.isNaN(sentAt) ? null : sentAt,
          };
        }),
        nextCursor: page.cursor || null,
      };
    },
  };
}
