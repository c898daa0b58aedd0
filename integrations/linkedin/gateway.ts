/**
 * The LinkedIn gateway: the only way Pacer acts on LinkedIn (SPEC §6).
 *
 * LinkedIn has no public API for invitations or messages, so Pacer talks to an external automation
 * service through this interface. Three adapters implement it:
 * - `unipile.ts`: Unipile's public API v1 (hosted sign-in, invitations, relations, chats, reactions);
 * - `http-gateway.ts`: Pacer's own documented HTTP contract (`CONTRACT.md`), for a service of your own;
 * - `simulator.ts`: a SIMULATOR that behaves like LinkedIn, for development and tests (state in PostgreSQL).
 *
 * Every call carries `at`, the caller's notion of now (epoch ms). Activities pass the workflow's
 * time, so the simulator stays consistent under Temporal time-skipping; the real adapters only use it
 * for tracing and for "recent" windows. Every action that changes something on LinkedIn carries an
 * `idempotencyKey`: the same key never acts twice. Unipile has no idempotency keys, so its adapter
 * gets the same guarantee by reading LinkedIn's state before it acts.
 */

import type { LinkedinConnectionStatus } from '../../domain/linkedin-connection';

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
  /** The invited person. Services without a look-up by invitation id (Unipile) read the person's profile instead. */
  profileUrl: string;
  at: number;
}

export interface WithdrawInvitationInput {
  identityId: string;
  invitationId: string;
  /** The invited person (see {@link GetInvitationInput.profileUrl}). */
  profileUrl: string;
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

/** The connected account's own profile (`users/me`): what an identity created from it is filled with. */
export interface LinkedinOwnProfile extends LinkedinProfile {
  /** LinkedIn's member id of the account (`ACoAA…`). */
  providerId: string;
  /** The account's sign-in email, when the service reports it. */
  email: string | null;
  /** Whether the account holds a working Sales Navigator seat. */
  salesNavigator: boolean;
}

export interface AccountInput {
  identityId: string;
  at: number;
}

/** The identity's LinkedIn account as the service sees it now. */
export interface LinkedinAccountState {
  status: LinkedinConnectionStatus;
  /** Why it is not connected (the service's words, never a secret); null when connected. */
  reason: string | null;
  /** The service's account id, when one is connected for the identity. */
  accountId: string | null;
}

/**
 * A hosted sign-in: a page of the automation service where a person signs in to LinkedIn; the service
 * then POSTs `{status: "CREATION_SUCCESS" | "RECONNECTED", account_id, name}` to `notifyUrl`.
 */
export interface HostedAuthInput {
  /** `create` connects a new account; `reconnect` signs the identity's account in again. */
  type: 'create' | 'reconnect';
  /** The identity being connected; null when an account is connected to create an identity from it. Required for `reconnect`. */
  identityId: string | null;
  /** Opaque to the service and sent back in the notification (Pacer's hosted sign-in id). */
  name: string;
  notifyUrl: string;
  /** Where the person's browser goes after signing in (or failing to). */
  successRedirectUrl: string | null;
  failureRedirectUrl: string | null;
  /** When the page stops working (epoch ms). */
  expiresAt: number;
  at: number;
}

export interface HostedAuthLink {
  url: string;
  expiresAt: number;
}

export interface OwnProfileInput {
  /** The service's account id (the hosted sign-in's result). */
  accountId: string;
  at: number;
}

export interface ListPageInput {
  identityId: string;
  /** The previous page's `nextCursor`; null for the first page. */
  cursor: string | null;
  at: number;
}

export interface Page<T> {
  items: T[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** A first-degree connection of the identity. */
export interface LinkedinRelation {
  /** Canonical; null when the service gives no readable profile URL. */
  profileUrl: string | null;
  providerId: string;
  firstName: string;
  lastName: string;
  /** When the connection was made (epoch ms), when known. */
  connectedAt: number | null;
}

/** An invitation from the identity that is still pending on LinkedIn. */
export interface SentInvitationSummary {
  invitationId: string;
  /** Canonical; null when the service gives no readable profile URL. */
  profileUrl: string | null;
  providerId: string | null;
  sentAt: number | null;
}

export type LinkedinAdapterName = 'unipile' | 'http' | 'simulator';

export interface LinkedinGateway {
  /** Which adapter acts; the simulator must say so in logs and status. */
  readonly adapter: LinkedinAdapterName;
  /**
   * Whether an identity needs an account connected through hosted sign-in to act (its stored status
   * `not-connected` then means "cannot act"). Unipile: yes, it knows accounts, not identities. The
   * HTTP contract: no, the service maps identities to sessions itself. The simulator: only with
   * implicit accounts off. `needs-reconnect` means "cannot act" with every adapter.
   */
  readonly needsConnectedAccount: boolean;
  /**
   * Invites a person. A pending invitation from this identity to the same person is returned as is
   * (no second invitation). Throws {@link ReinviteBlockedError}, {@link PendingInvitationCapError},
   * {@link LinkedinAlreadyConnectedError}.
   */
  sendConnectionRequest(input: SendConnectionRequestInput): Promise<{ invitationId: string; status: 'pending' }>;
  getInvitation(input: GetInvitationInput): Promise<Invitation>;
  /** Accepted invitations are never withdrawn: answers status 'accepted' and does nothing. Withdrawing twice is harmless. */
  withdrawInvitation(input: WithdrawInvitationInput): Promise<{ invitationId: string; status: 'withdrawn' | 'accepted' }>;
  /** Only to a first-degree connection ({@link LinkedinNotConnectedError} otherwise). */
  sendMessage(input: SendMessageInput): Promise<{ messageId: string }>;
  scrapeProfile(input: ProfileActionInput): Promise<LinkedinProfile>;
  /** `liked: false` when the person has no post to like. */
  likeLatestPost(input: ProfileActionInput): Promise<{ liked: boolean }>;
  /** Whether the service holds a working LinkedIn session for the identity. */
  getAccountStatus(input: AccountInput): Promise<LinkedinAccountState>;
  /** Opens a hosted sign-in (connect or reconnect). Nothing changes until the person signs in. */
  startHostedAuth(input: HostedAuthInput): Promise<HostedAuthLink>;
  /** The account's own profile: contact details for an identity created from it. */
  getOwnProfile(input: OwnProfileInput): Promise<LinkedinOwnProfile>;
  /** One page of the identity's first-degree connections, newest first (acceptance tracking). */
  listRelations(input: ListPageInput): Promise<Page<LinkedinRelation>>;
  /** One page of the identity's invitations still pending on LinkedIn. */
  listSentInvitations(input: ListPageInput): Promise<Page<SentInvitationSummary>>;
}

/**
 * What the adapters read from Pacer's own records (implemented over PostgreSQL in db/). Unipile knows
 * accounts, not identities: this says which account acts for an identity.
 */
export interface LinkedinAccountDirectory {
  /** The account connected to the identity through hosted sign-in, and whether the identity uses Sales Navigator; null when none. */
  accountOf(identityId: string): Promise<{ accountId: string; salesNavigator: boolean } | null>;
  /** When Pacer last withdrew an invitation from this identity to this (canonical) person, if ever. */
  lastWithdrawalAt(identityId: string, profileUrl: string): Promise<number | null>;
}

/** LinkedIn's limit on an invitation note. */
export const CONNECTION_NOTE_MAX_LENGTH = 300;
/** LinkedIn's limit on a message. */
export const MESSAGE_MAX_LENGTH = 8000;
/** SPEC §2: the re-invite block (one definition, in the pure pacing rules). */
export { REINVITE_BLOCK_MS } from '../../domain/pacing';
export type { LinkedinConnectionStatus } from '../../domain/linkedin-connection';

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
  /** LinkedIn refuses this person for good (unreachable, blocked, cannot be invited). */
  | 'recipient-refused'
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

/**
 * SPEC §2: LinkedIn refuses a new invitation to this person until `blockedUntil`. `basis` says where
 * the date comes from: `withdrawal` — Pacer withdrew an invitation to this person less than 21 days
 * ago (exact); `provider-limit` — the service refused without a date (Unipile's
 * `already_invited_recently` / `cannot_resend_yet`) and Pacer has no withdrawal of its own to date it,
 * so `blockedUntil` is LinkedIn's documented block counted from now, an upper bound. Waiting helps,
 * retrying now does not.
 */
export class ReinviteBlockedError extends LinkedinGatewayError {
  readonly basis: 'withdrawal' | 'provider-limit';

  constructor(
    readonly blockedUntil: number,
    options: { profileUrl?: string; status?: number; basis?: 'withdrawal' | 'provider-limit'; detail?: string } = {},
  ) {
    const basis = options.basis ?? 'withdrawal';
    super(
      `LinkedIn refuses a new invitation${options.profileUrl ? ` to ${options.profileUrl}` : ''} until ` +
        `${new Date(blockedUntil).toISOString()}: ` +
        (basis === 'withdrawal'
          ? 'an invitation to this person was withdrawn less than 3 weeks ago'
          : `LinkedIn says this person was invited too recently${options.detail ? ` (${options.detail})` : ''}; the date is its 3-week limit counted from now`),
      { code: 'reinvite-blocked', retryable: false, status: options.status },
    );
    this.name = 'ReinviteBlockedError';
    this.basis = basis;
  }

  override get details(): Record<string, unknown> {
    return { ...super.details, blockedUntil: new Date(this.blockedUntil).toISOString(), basis: this.basis };
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

/**
 * The identity's LinkedIn account cannot act: its session is gone (`needs-reconnect`: the owner must
 * sign in again, e.g. through a share link) or no account is connected at all (`not-connected`).
 */
export class LinkedinAuthError extends LinkedinGatewayError {
  readonly connection: 'needs-reconnect' | 'not-connected';

  constructor(options: { detail?: string; status?: number; connection?: 'needs-reconnect' | 'not-connected' } = {}) {
    const connection = options.connection ?? 'needs-reconnect';
    super(
      (connection === 'needs-reconnect'
        ? `The identity's LinkedIn account is disconnected: reconnect LinkedIn`
        : `No LinkedIn account is connected to the identity: connect one`) + (options.detail ? ` (${options.detail})` : ''),
      { code: 'account-disconnected', retryable: false, status: options.status },
    );
    this.name = 'LinkedinAuthError';
    this.connection = connection;
  }

  override get details(): Record<string, unknown> {
    return { ...super.details, connection: this.connection };
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

/**
 * LinkedIn refuses this person for good (unreachable or closed profile, blocked, invitations not
 * allowed…): the step cannot succeed for this lead, whatever the timing.
 */
export class LinkedinRecipientRefusedError extends LinkedinGatewayError {
  constructor(detail: string, options: { profileUrl?: string; status?: number } = {}) {
    super(`LinkedIn refuses ${options.profileUrl ?? 'this person'}: ${detail}`, { code: 'recipient-refused', retryable: false, status: options.status });
    this.name = 'LinkedinRecipientRefusedError';
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

/** {@link normaliseProfileUrl}, or null for anything that is not a member profile URL. */
export function tryNormaliseProfileUrl(url: string | null | undefined): string | null {
  if (typeof url !== 'string' || url.trim() === '') return null;
  try {
    return normaliseProfileUrl(url);
  } catch {
    return null;
  }
}

/** The canonical profile URL of a LinkedIn public identifier (the `/in/<slug>` part), or null when it is not one. */
export function profileUrlOfPublicIdentifier(publicIdentifier: string | null | undefined): string | null {
  if (typeof publicIdentifier !== 'string' || /[/?#\s]/.test(publicIdentifier.trim()) || publicIdentifier.trim() === '') return null;
  // Raw (jérôme) and percent-encoded (j%C3%A9r%C3%B4me) identifiers both normalise to one spelling.
  return tryNormaliseProfileUrl(`https://www.linkedin.com/in/${publicIdentifier.trim()}`);
}
