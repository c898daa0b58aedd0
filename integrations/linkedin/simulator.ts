/**
 * ============================================================================================
 *  LINKEDIN SIMULATOR — for development and tests only. It never talks to LinkedIn.
 * ============================================================================================
 *
 * An adapter of the LinkedIn gateway that behaves like LinkedIn seen through Unipile (SPEC §6), so
 * that what passes here means something for the real adapter:
 * - an invitation is accepted after a per-person delay, or never (default: 40% never accept, the
 *   others after 1 to 10 days, deterministic from the profile URL);
 * - a new invitation to a person whose invitation was withdrawn less than 21 days ago is refused
 *   with the date the block lifts ({@link ReinviteBlockedError});
 * - at most `pendingCap` invitations may be pending at once ({@link PendingInvitationCapError});
 * - an accepted invitation is never withdrawn; a message goes only to a first-degree connection
 *   ({@link LinkedinNotConnectedError});
 * - more than `burst.maxActions` actions within `burst.windowMs` are refused with a Retry-After
 *   ({@link LinkedinRateLimitedError});
 * - an account that needs reconnecting (or none at all) fails every call with {@link LinkedinAuthError};
 *   a completed hosted sign-in flips it back;
 * - an idempotency key never acts twice: a retried call gets the first answer back.
 *
 * State lives in PostgreSQL through an injected {@link LinkedinSimulatorStore} (db/linkedin-simulator-store.ts),
 * so the API and every worker share one simulated LinkedIn. Each identity's state is one record, changed
 * under a row lock, so concurrent workers never act twice.
 *
 * Time is the caller's `at`, never the clock: acceptance is evaluated lazily whenever an invitation
 * is looked at, so Temporal's time-skipping drives the simulator exactly like real time.
 * It reports `adapter: 'simulator'`, its ids start with `sim-`, and its URLs use the reserved `.invalid` domain.
 */
import { randomUUID } from 'node:crypto';
import { type LinkedinConnectionStatus, NO_ACCOUNT_REASON } from '../../domain/linkedin-connection';
import {
  type AccountInput,
  type GetInvitationInput,
  type HostedAuthInput,
  type Invitation,
  type InvitationStatus,
  type LinkedinAccountDirectory,
  type LinkedinAccountState,
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  type LinkedinOwnProfile,
  type LinkedinProfile,
  LinkedinRateLimitedError,
  type LinkedinRelation,
  type ListPageInput,
  type OwnProfileInput,
  type Page,
  PendingInvitationCapError,
  type ProfileActionInput,
  REINVITE_BLOCK_MS,
  ReinviteBlockedError,
  type SendConnectionRequestInput,
  type SendMessageInput,
  type SentInvitationSummary,
  type WithdrawInvitationInput,
  profileSlug,
} from './gateway';
import { canonicalProfileUrl, checkAt, checkHostedAuth, checkId, checkIdempotencyKey, checkMessageText, checkNote, invalidRequest } from './validation';

export const SIMULATOR_LABEL = 'LinkedIn SIMULATOR (state in PostgreSQL, development and tests only: no real LinkedIn action is taken)';

const DAY_MS = 24 * 60 * 60 * 1000;
/** LinkedIn-like: accounts are restricted around a few hundred pending invitations. */
export const DEFAULT_PENDING_CAP = 500;
/** LinkedIn-like: a burst of actions in a minute is throttled. Paced campaigns stay far below it. */
export const DEFAULT_BURST = { maxActions: 30, windowMs: 60_000 } as const;
/** Items per page of the simulator's lists. */
export const SIMULATOR_PAGE_SIZE = 100;

/**
 * Where the simulator keeps its state: JSON records by key, each changed atomically under a lock.
 * `update` reads the record (null when absent), lets `change` compute the next record and a result,
 * stores the record and returns the result; if `change` throws, nothing is stored.
 */
export interface LinkedinSimulatorStore {
  update<T>(key: string, change: (current: unknown) => { next: unknown; result: T }): Promise<T>;
  read(key: string): Promise<unknown>;
}

export type SimulatedOperation =
  | 'sendConnectionRequest'
  | 'getInvitation'
  | 'withdrawInvitation'
  | 'sendMessage'
  | 'scrapeProfile'
  | 'likeLatestPost'
  | 'getAccountStatus'
  | 'startHostedAuth'
  | 'getOwnProfile'
  | 'listRelations'
  | 'listSentInvitations';

export interface SimulatedCall {
  operation: SimulatedOperation;
  identityId: string | null;
  /** Canonical, for operations aimed at a person. */
  profileUrl?: string;
  invitationId?: string;
  at: number;
}

export interface LinkedinSimulatorOptions {
  store: LinkedinSimulatorStore;
  /** Pacer's records of which account an identity connected; without them every identity acts through an implicit account. */
  accounts?: Pick<LinkedinAccountDirectory, 'accountOf'>;
  /**
   * Whether an identity without a connected account (in `accounts`) acts through an implicit account
   * that is connected until told otherwise. Default true (development; tests that are not about
   * connecting). False behaves like Unipile: no account, no action.
   */
  implicitAccounts?: boolean;
  /** Delay between sending and acceptance for a (canonical) profile URL; null = never accepts. Default {@link defaultAcceptanceDelayMs}. */
  acceptanceDelayMs?: (profileUrl: string) => number | null;
  /** Pending invitations allowed per identity. Default 500. */
  pendingCap?: number;
  /** Re-invite block after a withdrawal. Default 21 days. */
  reinviteBlockMs?: number;
  /** A message to someone who is not a connection (no accepted invitation, no {@link LinkedinSimulator.addConnection}) is refused. Default true, like LinkedIn. */
  messagesRequireConnection?: boolean;
  /** Actions (invitations, messages, scrapes, likes) allowed per identity within a window; null turns throttling off. Default {@link DEFAULT_BURST}. */
  burst?: { maxActions: number; windowMs: number } | null;
  /** Whether a (canonical) profile exists; actions on a missing one throw {@link LinkedinNotFoundError}. Default: every profile exists. */
  profileExists?: (profileUrl: string) => boolean;
  /** Fault injection for tests: return an error to throw it before the call does anything (e.g. a rate limit). */
  fault?: (call: SimulatedCall) => LinkedinGatewayError | null | undefined;
}

export interface SimulatedInvitation {
  invitationId: string;
  profileUrl: string;
  note: string | null;
  sentAt: number;
  status: InvitationStatus;
  /** When it will be accepted, if it is still pending by then; null = never. */
  acceptsAt: number | null;
  acceptedAt: number | null;
  withdrawnAt: number | null;
}

/** What the simulator did for one identity, in order. */
export interface SimulatorRecord {
  invitations: SimulatedInvitation[];
  withdrawals: { invitationId: string; profileUrl: string; at: number }[];
  messages: { messageId: string; profileUrl: string; text: string; at: number }[];
  scrapes: { profileUrl: string; at: number }[];
  likes: { profileUrl: string; at: number }[];
}

/** What a completed hosted sign-in sends to its notification URL (Unipile's shape). */
export interface SimulatedHostedAuthNotification {
  notifyUrl: string;
  body: { status: 'CREATION_SUCCESS' | 'RECONNECTED'; account_id: string; name: string };
}

export interface LinkedinSimulator extends LinkedinGateway {
  readonly adapter: 'simulator';
  readonly label: string;
  /** What the simulator did for this identity. With `at`, pending invitations are first brought up to that time. */
  sent(identityId: string, at?: number): Promise<SimulatorRecord>;
  /** Test control: the person accepts now (no-op unless the invitation is pending). */
  acceptInvitation(input: { identityId: string; invitationId: string; at: number }): Promise<Invitation>;
  /** Test control: the person is a connection from `at` on (made outside Pacer). */
  addConnection(identityId: string, profileUrl: string, at: number): Promise<void>;
  /** Test control: the identity's account loses its session (or is found again) at `at`. */
  setAccountStatus(identityId: string, state: { status: LinkedinConnectionStatus; reason?: string | null }, at: number): Promise<void>;
  /**
   * Test control: the person signs in on a hosted sign-in page (`url` from {@link startHostedAuth}).
   * The account becomes connected, and the notification the service would POST is returned, for the
   * test to deliver. Completing the same page twice answers the same account.
   */
  completeHostedAuth(url: string, options: { at: number; profile?: Partial<LinkedinOwnProfile> }): Promise<SimulatedHostedAuthNotification>;
}

interface IdentityState {
  sequence: number;
  invitations: SimulatedInvitation[];
  idempotency: Record<string, { fingerprint: string; result: unknown }>;
  record: Omit<SimulatorRecord, 'invitations'>;
  /** People connected outside Pacer's invitations. */
  connections: { profileUrl: string; at: number }[];
  /** Instants of recent throttled actions. */
  recentActions: number[];
}

interface AccountRecord {
  accountId: string;
  status: LinkedinConnectionStatus;
  reason: string | null;
  since: number;
  profile: LinkedinOwnProfile | null;
}

interface HostedAuthSession {
  id: string;
  type: 'create' | 'reconnect';
  identityId: string | null;
  /** For a reconnect: the account signing in again. */
  accountId: string | null;
  name: string;
  notifyUrl: string;
  expiresAt: number;
  /** The account the sign-in ended with, once completed. */
  completedAccountId: string | null;
}

/** Where the simulator's hosted sign-in pages point: a reserved name, since it has no sign-in page (tests complete it with completeHostedAuth). */
export const SIMULATOR_SIGN_IN_ORIGIN = 'https://linkedin-simulator.invalid';
const HOSTED_AUTH_PREFIX = `${SIMULATOR_SIGN_IN_ORIGIN}/hosted-auth/`;
const IMPLICIT_ACCOUNT_PREFIX = 'sim-implicit-';

const emptyIdentityState = (): IdentityState => ({
  sequence: 0,
  invitations: [],
  idempotency: {},
  record: { withdrawals: [], messages: [], scrapes: [], likes: [] },
  connections: [],
  recentActions: [],
});

export function createLinkedinSimulator(options: LinkedinSimulatorOptions): LinkedinSimulator {
  const { store } = options;
  const acceptanceDelayMs = options.acceptanceDelayMs ?? defaultAcceptanceDelayMs;
  const pendingCap = options.pendingCap ?? DEFAULT_PENDING_CAP;
  const reinviteBlockMs = options.reinviteBlockMs ?? REINVITE_BLOCK_MS;
  const profileExists = options.profileExists ?? (() => true);
  const messagesRequireConnection = options.messagesRequireConnection ?? true;
  const implicitAccounts = options.implicitAccounts ?? true;
  const burst = options.burst === undefined ? DEFAULT_BURST : options.burst;
  if (!store) throw new Error('The LinkedIn simulator needs a store (its state lives in PostgreSQL: db/linkedin-simulator-store.ts)');
  if (!Number.isInteger(pendingCap) || pendingCap < 1) throw new RangeError('pendingCap must be a positive integer');
  if (!Number.isFinite(reinviteBlockMs) || reinviteBlockMs < 0) throw new RangeError('reinviteBlockMs must be a non-negative number');
  if (burst !== null && !(Number.isInteger(burst.maxActions) && burst.maxActions > 0 && Number.isFinite(burst.windowMs) && burst.windowMs > 0)) {
    throw new RangeError('burst needs a positive whole maxActions and a positive windowMs');
  }

  const identityKey = (identityId: string) => `identity/${identityId}`;
  const accountKey = (accountId: string) => `account/${accountId}`;
  const sessionKey = (sessionId: string) => `hosted-auth/${sessionId}`;

  function updateIdentity<T>(identityId: string, change: (state: IdentityState) => T): Promise<T> {
    return store.update(identityKey(identityId), (current) => {
      const state = current === null || current === undefined ? emptyIdentityState() : (current as IdentityState);
      const result = change(state);
      return { next: state, result };
    });
  }

  /** Brings a pending invitation up to `at`: it becomes accepted once its acceptance time has come. */
  function refresh(invitation: SimulatedInvitation, at: number): SimulatedInvitation {
    if (invitation.status === 'pending' && invitation.acceptsAt !== null && at >= invitation.acceptsAt) {
      invitation.status = 'accepted';
      invitation.acceptedAt = invitation.acceptsAt;
    }
    return invitation;
  }

  function findInvitation(state: IdentityState, invitationId: string, at: number): SimulatedInvitation {
    const invitation = state.invitations.find((candidate) => candidate.invitationId === invitationId);
    if (!invitation) throw new LinkedinNotFoundError(`LinkedIn simulator: no invitation ${invitationId} for this identity`);
    return refresh(invitation, at);
  }

  function isConnection(state: IdentityState, profileUrl: string, at: number): boolean {
    return (
      state.connections.some((connection) => connection.profileUrl === profileUrl && connection.at <= at) ||
      state.invitations.some((invitation) => invitation.profileUrl === profileUrl && refresh(invitation, at).status === 'accepted')
    );
  }

  function injectFault(call: SimulatedCall): void {
    const error = options.fault?.(call);
    if (error) throw error;
  }

  /** Runs `act` once per idempotency key; a retry with the same key and request replays the first answer. */
  function once<T>(state: IdentityState, key: string, fingerprint: unknown[], act: () => T): T {
    const print = JSON.stringify(fingerprint);
    const previous = state.idempotency[key];
    if (previous) {
      if (previous.fingerprint !== print) {
        throw new LinkedinGatewayError(`LinkedIn simulator: idempotency key ${key} was already used for a different request`, {
          code: 'idempotency-key-reused',
          retryable: false,
        });
      }
      return structuredClone(previous.result) as T;
    }
    // Only successes are remembered: a refusal leaves the key free, so the same call can succeed once the cause is gone.
    const result = act();
    state.idempotency[key] = { fingerprint: print, result: structuredClone(result) };
    return result;
  }

  /** A throttled action at `at`: refused with a Retry-After when the window is full, else counted. */
  function throttle(state: IdentityState, at: number): void {
    if (burst === null) return;
    state.recentActions = state.recentActions.filter((instant) => instant > at - burst.windowMs && instant <= at);
    if (state.recentActions.length >= burst.maxActions) {
      const oldest = Math.min(...state.recentActions);
      throw new LinkedinRateLimitedError(oldest + burst.windowMs - at, { detail: `simulated burst limit: ${burst.maxActions} actions per ${burst.windowMs / 1000} s` });
    }
    state.recentActions.push(at);
  }

  function requireProfile(profileUrl: string): void {
    if (!profileExists(profileUrl)) throw new LinkedinNotFoundError(`LinkedIn simulator: no LinkedIn profile at ${profileUrl}`);
  }

  function nextId(state: IdentityState, kind: string): string {
    state.sequence += 1;
    return `sim-${kind}-${state.sequence}`;
  }

  /** The account acting for the identity: the one Pacer connected, else (when allowed) an implicit one. */
  async function accountIdOf(identityId: string): Promise<{ accountId: string; implicit: boolean } | null> {
    const known = await options.accounts?.accountOf(identityId);
    if (known) return { accountId: known.accountId, implicit: false };
    return implicitAccounts ? { accountId: `${IMPLICIT_ACCOUNT_PREFIX}${identityId}`, implicit: true } : null;
  }

  async function accountState(accountId: string, implicit: boolean): Promise<AccountRecord | null> {
    const stored = (await store.read(accountKey(accountId))) as AccountRecord | null;
    if (stored) return stored;
    // An implicit account is connected until told otherwise; a named one the simulator never saw does not exist.
    return implicit ? { accountId, status: 'connected', reason: null, since: 0, profile: null } : null;
  }

  /** Refuses every call of an identity whose account cannot act. */
  async function requireConnected(identityId: string): Promise<void> {
    const account = await accountIdOf(identityId);
    if (!account) throw new LinkedinAuthError({ connection: 'not-connected', detail: NO_ACCOUNT_REASON });
    const state = await accountState(account.accountId, account.implicit);
    if (!state) throw new LinkedinAuthError({ connection: 'not-connected', detail: `the simulator has no account ${account.accountId}` });
    if (state.status !== 'connected') throw new LinkedinAuthError({ connection: state.status, detail: state.reason ?? undefined });
  }

  async function setAccount(accountId: string, change: (current: AccountRecord | null) => AccountRecord): Promise<AccountRecord> {
    return store.update(accountKey(accountId), (current) => {
      const next = change((current as AccountRecord | null) ?? null);
      return { next, result: next };
    });
  }

  function page<T>(items: T[], cursor: string | null): Page<T> {
    const offset = cursor === null ? 0 : Number(cursor);
    if (!Number.isInteger(offset) || offset < 0) throw invalidRequest(`the cursor ${JSON.stringify(cursor)} is not one of the simulator's`);
    const end = offset + SIMULATOR_PAGE_SIZE;
    return { items: items.slice(offset, end), nextCursor: end < items.length ? String(end) : null };
  }

  const simulator: LinkedinSimulator = {
    adapter: 'simulator',
    label: SIMULATOR_LABEL,

    async sendConnectionRequest(input: SendConnectionRequestInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const key = checkIdempotencyKey(input.idempotencyKey);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkNote(input.note);
      injectFault({ operation: 'sendConnectionRequest', identityId, profileUrl, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) =>
        once(state, key, ['sendConnectionRequest', profileUrl, input.note ?? null], () => {
          requireProfile(profileUrl);
          const previous = state.invitations.filter((invitation) => invitation.profileUrl === profileUrl).map((invitation) => refresh(invitation, at));
          const pending = previous.find((invitation) => invitation.status === 'pending');
          if (pending) return { invitationId: pending.invitationId, status: 'pending' as const };
          if (isConnection(state, profileUrl, at)) throw new LinkedinAlreadyConnectedError({ profileUrl });
          const lastWithdrawal = Math.max(-Infinity, ...previous.map((invitation) => invitation.withdrawnAt ?? -Infinity));
          if (at < lastWithdrawal + reinviteBlockMs) throw new ReinviteBlockedError(lastWithdrawal + reinviteBlockMs, { profileUrl });
          const pendingCount = state.invitations.filter((invitation) => refresh(invitation, at).status === 'pending').length;
          if (pendingCount >= pendingCap) throw new PendingInvitationCapError(pendingCap);
          const delay = acceptanceDelayMs(profileUrl);
          if (delay !== null && (!Number.isFinite(delay) || delay < 0)) {
            throw new RangeError(`acceptanceDelayMs gave ${delay} for ${profileUrl}: expected a non-negative number or null`);
          }
          throttle(state, at);
          const invitation: SimulatedInvitation = {
            invitationId: nextId(state, 'invitation'),
            profileUrl,
            note: input.note ?? null,
            sentAt: at,
            status: 'pending',
            acceptsAt: delay === null ? null : at + delay,
            acceptedAt: null,
            withdrawnAt: null,
          };
          state.invitations.push(invitation);
          return { invitationId: invitation.invitationId, status: 'pending' as const };
        }),
      );
    },

    async getInvitation(input: GetInvitationInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const invitationId = checkId('invitationId', input.invitationId);
      canonicalProfileUrl(input.profileUrl);
      injectFault({ operation: 'getInvitation', identityId, invitationId, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) => {
        const invitation = findInvitation(state, invitationId, at);
        return { invitationId, status: invitation.status, acceptedAt: invitation.acceptedAt };
      });
    },

    async withdrawInvitation(input: WithdrawInvitationInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const invitationId = checkId('invitationId', input.invitationId);
      canonicalProfileUrl(input.profileUrl);
      const key = checkIdempotencyKey(input.idempotencyKey);
      injectFault({ operation: 'withdrawInvitation', identityId, invitationId, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) =>
        once(state, key, ['withdrawInvitation', invitationId], () => {
          const invitation = findInvitation(state, invitationId, at);
          if (invitation.status === 'pending') {
            invitation.status = 'withdrawn';
            invitation.withdrawnAt = at;
            state.record.withdrawals.push({ invitationId, profileUrl: invitation.profileUrl, at });
          }
          // An accepted invitation is never withdrawn; a withdrawn one stays as it was.
          return { invitationId, status: invitation.status === 'accepted' ? ('accepted' as const) : ('withdrawn' as const) };
        }),
      );
    },

    async sendMessage(input: SendMessageInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const key = checkIdempotencyKey(input.idempotencyKey);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      checkMessageText(input.text);
      injectFault({ operation: 'sendMessage', identityId, profileUrl, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) =>
        once(state, key, ['sendMessage', profileUrl, input.text], () => {
          requireProfile(profileUrl);
          if (messagesRequireConnection && !isConnection(state, profileUrl, at)) throw new LinkedinNotConnectedError({ profileUrl });
          throttle(state, at);
          const messageId = nextId(state, 'message');
          state.record.messages.push({ messageId, profileUrl, text: input.text, at });
          return { messageId };
        }),
      );
    },

    async scrapeProfile(input: ProfileActionInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const key = checkIdempotencyKey(input.idempotencyKey);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      injectFault({ operation: 'scrapeProfile', identityId, profileUrl, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) =>
        once(state, key, ['scrapeProfile', profileUrl], () => {
          requireProfile(profileUrl);
          throttle(state, at);
          state.record.scrapes.push({ profileUrl, at });
          return simulatedProfile(profileUrl);
        }),
      );
    },

    async likeLatestPost(input: ProfileActionInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      const key = checkIdempotencyKey(input.idempotencyKey);
      const profileUrl = canonicalProfileUrl(input.profileUrl);
      injectFault({ operation: 'likeLatestPost', identityId, profileUrl, at });
      await requireConnected(identityId);
      return updateIdentity(identityId, (state) =>
        once(state, key, ['likeLatestPost', profileUrl], () => {
          requireProfile(profileUrl);
          if (!hasRecentPost(profileUrl)) return { liked: false };
          throttle(state, at);
          // The latest post stays liked: liking it again does nothing more.
          if (!state.record.likes.some((like) => like.profileUrl === profileUrl)) state.record.likes.push({ profileUrl, at });
          return { liked: true };
        }),
      );
    },

    async getAccountStatus(input: AccountInput): Promise<LinkedinAccountState> {
      const identityId = checkId('identityId', input.identityId);
      injectFault({ operation: 'getAccountStatus', identityId, at: checkAt(input.at) });
      const account = await accountIdOf(identityId);
      if (!account) return { status: 'not-connected', reason: NO_ACCOUNT_REASON, accountId: null };
      const state = await accountState(account.accountId, account.implicit);
      if (!state) return { status: 'not-connected', reason: `the simulator has no account ${account.accountId}`, accountId: account.accountId };
      return { status: state.status, reason: state.reason, accountId: account.accountId };
    },

    async startHostedAuth(input: HostedAuthInput) {
      checkHostedAuth(input);
      injectFault({ operation: 'startHostedAuth', identityId: input.identityId, at: input.at });
      let accountId: string | null = null;
      if (input.type === 'reconnect') {
        const account = await accountIdOf(input.identityId!);
        if (!account) throw invalidRequest('the identity has no connected account to reconnect: open a `create` sign-in instead');
        accountId = account.accountId;
      }
      const session: HostedAuthSession = {
        id: randomUUID(),
        type: input.type,
        identityId: input.identityId,
        accountId,
        name: input.name,
        notifyUrl: input.notifyUrl,
        expiresAt: input.expiresAt,
        completedAccountId: null,
      };
      await store.update(sessionKey(session.id), () => ({ next: session, result: null }));
      // The reserved .invalid domain: the simulator has no sign-in page (tests call completeHostedAuth).
      return { url: `${HOSTED_AUTH_PREFIX}${session.id}`, expiresAt: input.expiresAt };
    },

    async getOwnProfile(input: OwnProfileInput) {
      const accountId = checkId('accountId', input.accountId);
      injectFault({ operation: 'getOwnProfile', identityId: null, at: checkAt(input.at) });
      const state = await accountState(accountId, accountId.startsWith(IMPLICIT_ACCOUNT_PREFIX));
      if (!state) throw new LinkedinNotFoundError(`LinkedIn simulator: no account ${accountId}`);
      if (state.status !== 'connected') throw new LinkedinAuthError({ connection: state.status, detail: state.reason ?? undefined });
      return state.profile ?? simulatedOwnProfile(accountId);
    },

    async listRelations(input: ListPageInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      injectFault({ operation: 'listRelations', identityId, at });
      await requireConnected(identityId);
      const relations = await updateIdentity(identityId, (state): LinkedinRelation[] => {
        const accepted = state.invitations
          .map((invitation) => refresh(invitation, at))
          .filter((invitation) => invitation.status === 'accepted')
          .map((invitation) => ({ profileUrl: invitation.profileUrl, connectedAt: invitation.acceptedAt! }));
        const outside = state.connections.filter((connection) => connection.at <= at).map((connection) => ({ profileUrl: connection.profileUrl, connectedAt: connection.at }));
        return [...accepted, ...outside]
          .sort((a, b) => b.connectedAt - a.connectedAt)
          .map(({ profileUrl, connectedAt }) => {
            const profile = simulatedProfile(profileUrl);
            return { profileUrl, providerId: simulatedProviderId(profileUrl), firstName: profile.firstName, lastName: profile.lastName, connectedAt };
          });
      });
      return page(relations, input.cursor);
    },

    async listSentInvitations(input: ListPageInput) {
      const identityId = checkId('identityId', input.identityId);
      const at = checkAt(input.at);
      injectFault({ operation: 'listSentInvitations', identityId, at });
      await requireConnected(identityId);
      const pending = await updateIdentity(identityId, (state): SentInvitationSummary[] =>
        state.invitations
          .map((invitation) => refresh(invitation, at))
          .filter((invitation) => invitation.status === 'pending')
          .sort((a, b) => b.sentAt - a.sentAt)
          .map((invitation) => ({ invitationId: invitation.invitationId, profileUrl: invitation.profileUrl, providerId: simulatedProviderId(invitation.profileUrl), sentAt: invitation.sentAt })),
      );
      return page(pending, input.cursor);
    },

    async sent(identityId: string, at?: number): Promise<SimulatorRecord> {
      const stored = (await store.read(identityKey(identityId))) as IdentityState | null;
      const state = stored ?? emptyIdentityState();
      const invitations = state.invitations.map((invitation) => (at === undefined ? invitation : refresh(invitation, checkAt(at))));
      return structuredClone({ invitations, ...state.record });
    },

    acceptInvitation(input) {
      const at = checkAt(input.at);
      return updateIdentity(input.identityId, (state) => {
        const invitation = findInvitation(state, input.invitationId, at);
        if (invitation.status === 'pending') {
          invitation.status = 'accepted';
          invitation.acceptedAt = at;
        }
        return { invitationId: invitation.invitationId, status: invitation.status, acceptedAt: invitation.acceptedAt };
      });
    },

    async addConnection(identityId, profileUrl, at) {
      const canonical = canonicalProfileUrl(profileUrl);
      await updateIdentity(identityId, (state) => {
        if (!state.connections.some((connection) => connection.profileUrl === canonical)) state.connections.push({ profileUrl: canonical, at: checkAt(at) });
      });
    },

    async setAccountStatus(identityId, status, at) {
      const account = await accountIdOf(identityId);
      if (!account) throw new Error(`The identity ${identityId} has no account in the simulator (no connected account, implicit accounts off)`);
      await setAccount(account.accountId, (current) => ({
        accountId: account.accountId,
        status: status.status,
        reason: status.status === 'connected' ? null : (status.reason ?? null),
        since: current?.status === status.status ? current.since : checkAt(at),
        profile: current?.profile ?? null,
      }));
    },

    async completeHostedAuth(url, { at, profile }) {
      if (!url.startsWith(HOSTED_AUTH_PREFIX)) throw new Error(`Not a simulated hosted sign-in page: ${url}`);
      const id = url.slice(HOSTED_AUTH_PREFIX.length);
      const session = (await store.read(sessionKey(id))) as HostedAuthSession | null;
      if (!session) throw new Error(`No simulated hosted sign-in ${id}`);
      if (checkAt(at) >= session.expiresAt) throw new Error(`The simulated hosted sign-in ${id} expired at ${new Date(session.expiresAt).toISOString()}`);
      const accountId = session.completedAccountId ?? session.accountId ?? `sim-account-${randomUUID()}`;
      await setAccount(accountId, (current) => ({
        accountId,
        status: 'connected',
        reason: null,
        since: current?.status === 'connected' ? current.since : at,
        profile: current?.profile ?? { ...simulatedOwnProfile(accountId), ...profile },
      }));
      await store.update(sessionKey(id), () => ({ next: { ...session, completedAccountId: accountId }, result: null }));
      return {
        notifyUrl: session.notifyUrl,
        body: { status: session.type === 'reconnect' ? 'RECONNECTED' : 'CREATION_SUCCESS', account_id: accountId, name: session.name },
      };
    },
  };
  return simulator;
}

// ---------------------------------------------------------------------------------------------------
// Deterministic "people"
// ---------------------------------------------------------------------------------------------------

/** FNV-1a, 32 bits: a stable, well-spread hash of a string. */
export function hashString(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Default acceptance: 40% of people never accept; the others accept 1 to 10 days after the invitation. Deterministic per person. */
export function defaultAcceptanceDelayMs(profileUrl: string): number | null {
  if (hashString(`${profileUrl}#accepts`) % 100 < 40) return null;
  return DAY_MS + (hashString(`${profileUrl}#delay`) % (9 * DAY_MS + 1));
}

/** 70% of people have a recent post to like. */
export function hasRecentPost(profileUrl: string): boolean {
  return hashString(`${profileUrl}#posts`) % 100 < 70;
}

/** A LinkedIn-looking member id, stable per person. */
function simulatedProviderId(profileUrl: string): string {
  return `ACoSIM${hashString(`${profileUrl}#member`).toString(16).padStart(8, '0')}`;
}

const HEADLINES = [
  'Head of Sales at Northwind Traders',
  'VP Marketing | B2B SaaS',
  'Founder & CEO at Contoso',
  'Account Executive at Fabrikam',
  'Software Engineer at Initech',
  'Talent Acquisition Partner',
  'Chief Revenue Officer',
  'Operations Manager at Globex',
];

/** A plausible profile derived from the slug: `jane-doe-4b2a91` → Jane Doe. */
export function simulatedProfile(profileUrl: string): LinkedinProfile {
  const slug = profileSlug(profileUrl);
  const words = slug.split(/[-_.]+/).filter((word) => word !== '');
  // LinkedIn appends digits or hex to taken names (jane-doe-4b2a91): they are not part of the name.
  while (words.length > 1 && /\d/.test(words[words.length - 1]!)) words.pop();
  const capitalise = (word: string) => {
    const [first = '', ...rest] = [...word];
    return first.toUpperCase() + rest.join('');
  };
  const hash = hashString(`${profileUrl}#profile`);
  return {
    profileUrl,
    firstName: capitalise(words[0] ?? slug),
    lastName: words.slice(1).map(capitalise).join(' '),
    headline: hash % 5 === 0 ? null : HEADLINES[hash % HEADLINES.length]!,
    pictureUrl: hash % 4 === 0 ? null : `https://media.linkedin-simulator.invalid/profile-pictures/${hash.toString(16)}.jpg`,
  };
}

/** The own profile of a simulated account (when its sign-in gave none). */
function simulatedOwnProfile(accountId: string): LinkedinOwnProfile {
  const hash = hashString(`${accountId}#owner`).toString(16);
  const profileUrl = `https://www.linkedin.com/in/sim-owner-${hash}`;
  return {
    profileUrl,
    firstName: 'Simulated',
    lastName: `Owner ${hash.slice(0, 4).toUpperCase()}`,
    headline: 'Account Executive (simulated account)',
    pictureUrl: null,
    providerId: simulatedProviderId(profileUrl),
    email: null,
    salesNavigator: false,
  };
}
