/**
 * The LinkedIn gateway: the only way Pacer acts on LinkedIn (SPEC §6).
 *
 * LinkedIn has no public API for invitations or messages, so Pacer talks to an external automation
 * service through this interface. Two adapters implement it:
 * - `http-gateway.ts`: the documented HTTP contract (`CONTRACT.md`), used in production;
 * - `simulator.ts`: an in-memory SIMULATOR that behaves like LinkedIn, for development and tests.
 *
 * Every call carries `at`, the caller's notion of now (epoch ms). Activities pass the workflow's
 * time, so the simulator stays consistent under Temporal time-skipping; the HTTP adapter only sends it
 * for tracing. Every action that changes something on LinkedIn carries an `idempotencyKey`: the same
 * key never acts twice.
 */

export type InvitationStatus = 'pending' | 'accepted' | 'withdrawn';

export interface SendConnectionRequestInput {
  identityId: string;
  profileUrl: string;
  /** At most {@link CONNECTION_NOTE_MAX_LENGTH} characters. */
  note?: string;
  idempotencyKey: string;
  at: number;
}

export interface GetInvitationInput {
  identityId: string;
  invitationId: string;
  at: number;
}

export interface WithdrawInvitationInput {
  identityId: string;
  invitationId: string;
  idempotencyKey: string;
  at: number;
}

export interface SendMessageInput {
  identityId: string;
  profileUrl: string;
  /** 1 to {@link MESSAGE_MAX_LENGTH} characters. */
  text: string;
  idempotencyKey: string;
  at: number;
}

export interface ProfileActionInput {
  identityId: string;
  profileUrl: string;
  idempotencyKey: string;
  at: number;
}

export interface Invitation {
  invitationId: string;
  status: InvitationStatus;
  /** Epoch ms of the acceptance; null unless `status` is 'accepted'. */
  acceptedAt: number | null;
}

export interface LinkedinProfile {
  /** Canonical form (see {@link normaliseProfileUrl}). */
  profileUrl: string;
  firstName: string;
  lastName: string;
  headline: string | null;
  pictureUrl: string | null;
}

export interface LinkedinGateway {
  /** 'http' or 'simulator' — the simulator must say so in logs and status. */
  readonly adapter: 'http' | 'simulator';
  /**
   * Invites a person. A pending invitation from this identity to the same person is returned as is
   * (no second invitation). Throws {@link ReinviteBlockedError}, {@link PendingInvitationCapError},
   * {@link LinkedinAlreadyConnectedError}.
   */
  sendConnectionRequest(input: SendConnectionRequestInput): Promise<{ invitationId: string; status: 'pending' }>;
  getInvitation(input: GetInvitationInput): Promise<Invitation>;
  /** Accepted invitations are never withdrawn: answers status 'accepted' and does nothing. Withdrawing twice is harmless. */
  withdrawInvitation(input: WithdrawInvitationInput): Promise<{ invitationId: string; status: 'withdrawn' | 'accepted' }>;
  sendMessage(input: SendMessageInput): Promise<{ messageId: string }>;
  scrapeProfile(input: ProfileActionInput): Promise<LinkedinProfile>;
  /** `liked: false` when the person has no post to like. */
  likeLatestPost(input: ProfileActionInput): Promise<{ liked: boolean }>;
  /** Whether the service holds a working LinkedIn session for the identity (shown on share links). */
  getAccountStatus(input: AccountInput): Promise<{ status: LinkedinAccountStatus }>;
  /**
   * Opens a reconnect session: a page of the automation service where the identity's owner signs in
   * to LinkedIn again (SPEC §4, share links). Nothing changes until they do.
   */
  startReconnect(input: StartReconnectInput): Promise<{ reconnectUrl: string; expiresAt: number }>;
}

export type LinkedinAccountStatus = 'connected' | 'disconnected';

export interface AccountInput {
  identityId: string;
  at: number;
}

export interface StartReconnectInput extends AccountInput {
  /** Per request; a retry with the same key answers the same session. */
  idempotencyKey: string;
  /** Where the service sends the browser once the owner has signed in (or given up): the share page. */
  returnUrl?: string;
}

/** LinkedIn's limit on an invitation note. */
export const CONNECTION_NOTE_MAX_LENGTH = 300;
/** LinkedIn's limit on a message. */
export const MESSAGE_MAX_LENGTH = 8000;
/** SPEC §2: the re-invite block (one definition, in the pure pacing rules). */
export { REINVITE_BLOCK_MS } from '../../domain/pacing';

// ---------------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------------

export type LinkedinGatewayErrorCode =
  | 'reinvite-blocked'
  | 'pending-cap'
  | 'rate-limited'
  | 'account-disconnected'
  | 'unavailable'
  | 'not-found'
  | 'already-connected'
  | 'not-connected'
  /** The request itself is wrong (bad profile URL, note too long…): retrying the same request cannot help. */
  | 'invalid-request'
  /** The idempotency key was already used for a different request. */
  | 'idempotency-key-reused'
  /** The automation service rejected Pacer's own token: a deployment problem, not the identity's. */
  | 'gateway-unauthorized'
  /** Any other refusal by the service (an undocumented 4xx, a redirect). */
  | 'request-rejected';

interface ErrorOptions {
  code: LinkedinGatewayErrorCode;
  retryable: boolean;
  /** HTTP status when the error came from the automation service. */
  status?: number;
  cause?: unknown;
}

/**
 * Base of every gateway failure. `code` is stable (activities and the API switch on it); `retryable`
 * says whether the same call may succeed later without anything else changing, so an activity can
 * throw `ApplicationFailure.nonRetryable` when it is false. `name` is the class name, which Temporal
 * uses as the failure type.
 */
export class LinkedinGatewayError extends Error {
  readonly code: LinkedinGatewayErrorCode;
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: ErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LinkedinGatewayError';
    this.code = options.code;
    this.retryable = options.retryable;
    this.status = options.status;
  }

  /** JSON-safe facts for `ApplicationFailure` details and logs. */
  get details(): Record<string, unknown> {
    return { code: this.code, retryable: this.retryable, ...(this.status === undefined ? {} : { status: this.status }) };
  }
}

/** SPEC §2: an invitation to this person was withdrawn less than 21 days ago. Waiting until `blockedUntil` helps, retrying does not. */
export class ReinviteBlockedError extends LinkedinGatewayError {
  constructor(
    readonly blockedUntil: number,
    options: { profileUrl?: string; status?: number } = {},
  ) {
    super(
      `LinkedIn refuses a new invitation${options.profileUrl ? ` to ${options.profileUrl}` : ''} until ` +
        `${new Date(blockedUntil).toISOString()}: an invitation to this person was withdrawn less than 3 weeks ago`,
      { code: 'reinvite-blocked', retryable: false, status: options.status },
    );
    this.name = 'ReinviteBlockedError';
  }

  override get details(): Record<string, unknown> {
    return { ...super.details, blockedUntil: new Date(this.blockedUntil).toISOString() };
  }
}

/** The identity has as many pending invitations as LinkedIn allows; nothing helps until some are withdrawn or accepted. */
export class PendingInvitationCapError extends LinkedinGatewayError {
  constructor(
    readonly cap: number,
    options: { status?: number } = {},
  ) {
    super(`LinkedIn's limit of ${cap} pending invitations is reached: withdraw old invitations before sending new ones`, {
      code: 'pending-cap',
      retryable: false,
      status: options.status,
    });
    this.name = 'PendingInvitationCapError';
  }

  override get details(): Record<string, unknown> {
    return { ...super.details, cap: this.cap };
  }
}

/** LinkedIn or the automation service is throttling this identity. `retryAfterMs` is null when no delay was given. */
export class LinkedinRateLimitedError extends LinkedinGatewayError {
  constructor(
    readonly retryAfterMs: number | null,
    options: { detail?: string; status?: number } = {},
  ) {
    super(
      `LinkedIn rate limit hit${retryAfterMs === null ? '' : `; retry in ${Math.ceil(retryAfterMs / 1000)} s`}` +
        (options.detail ? ` (${options.detail})` : ''),
      { code: 'rate-limited', retryable: true, status: options.status },
    );
    this.name = 'LinkedinRateLimitedError';
  }

  override get details(): Record<string, unknown> {
    return { ...super.details, retryAfterMs: this.retryAfterMs };
  }
}

/** The identity's LinkedIn session is gone: the identity must reconnect LinkedIn (e.g. through a share link). */
export class LinkedinAuthError extends LinkedinGatewayError {
  constructor(options: { detail?: string; status?: number } = {}) {
    super(
      `The identity's LinkedIn account is disconnected: reconnect LinkedIn` + (options.detail ? ` (${options.detail})` : ''),
      { code: 'account-disconnected', retryable: false, status: options.status },
    );
    this.name = 'LinkedinAuthError';
  }
}

/** The automation service could not be reached, timed out, failed, or answered something unreadable. Nothing is known to have happened; retry with the same idempotency key. */
export class LinkedinUnavailableError extends LinkedinGatewayError {
  constructor(
    message: string,
    options: { retryAfterMs?: number | null; status?: number; cause?: unknown } = {},
  ) {
    super(message, { code: 'unavailable', retryable: true, status: options.status, cause: options.cause });
    this.name = 'LinkedinUnavailableError';
    this.retryAfterMs = options.retryAfterMs ?? null;
  }

  readonly retryAfterMs: number | null;

  override get details(): Record<string, unknown> {
    return { ...super.details, retryAfterMs: this.retryAfterMs };
  }
}

/** The profile, invitation or identity does not exist on the gateway. */
export class LinkedinNotFoundError extends LinkedinGatewayError {
  constructor(message: string, options: { status?: number } = {}) {
    super(message, { code: 'not-found', retryable: false, status: options.status });
    this.name = 'LinkedinNotFoundError';
  }
}

/** The person is already a connection of the identity: there is nothing to invite (treat the step as done). */
export class LinkedinAlreadyConnectedError extends LinkedinGatewayError {
  constructor(options: { profileUrl?: string; status?: number } = {}) {
    super(`${options.profileUrl ?? 'This person'} is already a connection of the identity: no invitation sent`, {
      code: 'already-connected',
      retryable: false,
      status: options.status,
    });
    this.name = 'LinkedinAlreadyConnectedError';
  }
}

/** LinkedIn only lets an identity message its connections. */
export class LinkedinNotConnectedError extends LinkedinGatewayError {
  constructor(options: { profileUrl?: string; status?: number } = {}) {
    super(`${options.profileUrl ?? 'This person'} is not a connection of the identity: LinkedIn refuses the message`, {
      code: 'not-connected',
      retryable: false,
      status: options.status,
    });
    this.name = 'LinkedinNotConnectedError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Profile URLs
// ---------------------------------------------------------------------------------------------------

const CANONICAL_PREFIX = 'https://www.linkedin.com/in/';
/** `linkedin.com`, `www.linkedin.com`, `m.linkedin.com` and two-letter country hosts such as `fr.linkedin.com`. */
const PROFILE_HOST = /^(?:(?:www|m|[a-z]{2})\.)?linkedin\.com$/;
/** Letters (any script), combining marks, digits, `-`, `_` and `.`; at least one letter or digit. */
const SLUG = /^[\p{L}\p{M}\p{N}_.-]+$/u;
const SLUG_HAS_ALNUM = /[\p{L}\p{N}]/u;

/**
 * The one canonical spelling of a LinkedIn profile URL: `https://www.linkedin.com/in/<slug>`.
 *
 * Scheme (`http`, `https` or none), `www`/`m`/country sub-domains, letter case, trailing slashes,
 * query strings, fragments and percent-encoding (either hex case, or none) all resolve to one value.
 * The slug is percent-decoded, Unicode-normalised (NFC), lower-cased, then percent-encoded again
 * with `encodeURIComponent`, so `J%C3%A9r%C3%B4me`, `j%c3%a9r%c3%b4me` and `Jérôme` are one person.
 *
 * Throws a RangeError for anything that is not a LinkedIn member profile URL (companies, posts,
 * Sales Navigator `/sales/…` links, legacy `/pub/…` URLs, sub-pages such as `/in/x/details/…`,
 * other ports, embedded credentials).
 */
export function normaliseProfileUrl(url: string): string {
  const fail: (why: string) => never = (why) => {
    const shown = typeof url === 'string' && url.length > 200 ? `${url.slice(0, 200)}…` : url;
    throw new RangeError(`Not a LinkedIn profile URL (${why}): ${JSON.stringify(shown)}`);
  };
  if (typeof url !== 'string') fail('not a string');
  let text = url.trim();
  if (!/^[a-z][a-z0-9+.-]*:/i.test(text)) text = `https://${text.replace(/^\/\//, '')}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return fail('unparsable');
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') fail('scheme must be http or https');
  if (parsed.username !== '' || parsed.password !== '') fail('credentials are not allowed');
  if (parsed.port !== '') fail('a port is not allowed');
  if (!PROFILE_HOST.test(parsed.hostname)) fail('host is not linkedin.com');
  const encoded = /^\/in\/([^/]+)\/*$/i.exec(parsed.pathname)?.[1];
  if (encoded === undefined) return fail('path must be /in/<profile>');
  let slug: string;
  try {
    slug = decodeURIComponent(encoded);
  } catch {
    return fail('malformed percent-encoding');
  }
  slug = slug.normalize('NFC').toLowerCase().normalize('NFC');
  if (!SLUG.test(slug) || !SLUG_HAS_ALNUM.test(slug)) fail('the profile name holds characters LinkedIn does not use');
  return CANONICAL_PREFIX + encodeURIComponent(slug);
}

/** The decoded, lower-case slug of a profile URL (`jane-doe` for `https://www.linkedin.com/in/Jane-Doe/`). */
export function profileSlug(url: string): string {
  return decodeURIComponent(normaliseProfileUrl(url).slice(CANONICAL_PREFIX.length));
}
