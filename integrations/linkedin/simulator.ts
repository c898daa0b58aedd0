/**
 * ============================================================================================
 *  LINKEDIN SIMULATOR — for development and tests only. It never talks to LinkedIn.
 * ============================================================================================
 *
 * An in-memory adapter of the LinkedIn gateway that behaves like LinkedIn (SPEC §6):
 * - an invitation is accepted after a per-person delay, or never (default: 40% never accept, the
 *   others after 1 to 10 days, deterministic from the profile URL);
 * - a new invitation to a person whose invitation was withdrawn less than 21 days ago is refused
 *   with the date the block lifts ({@link ReinviteBlockedError});
 * - at most `pendingCap` invitations may be pending at once ({@link PendingInvitationCapError});
 * - an accepted invitation is never withdrawn;
 * - an idempotency key never acts twice: a retried call gets the first answer back.
 *
 * Time is the caller's `at`, never the clock: acceptance is evaluated lazily whenever an invitation
 * is looked at, so Temporal's time-skipping drives the simulator exactly like real time.
 * State lives in this process only and is lost on restart. It reports `adapter: 'simulator'`,
 * its ids start with `sim-`, and its picture URLs use the reserved `.invalid` domain.
 */
import {
  type AccountInput,
  type LinkedinAccountStatus,
  type StartReconnectInput,
  type GetInvitationInput,
  type Invitation,
  type InvitationStatus,
  LinkedinAlreadyConnectedError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  type LinkedinProfile,
  PendingInvitationCapError,
  type ProfileActionInput,
  REINVITE_BLOCK_MS,
  ReinviteBlockedError,
  type SendConnectionRequestInput,
  type SendMessageInput,
  type WithdrawInvitationInput,
  profileSlug,
} from './gateway';
import { canonicalProfileUrl, checkAt, checkId, checkIdempotencyKey, checkMessageText, checkNote, invalidRequest } from './validation';

export const SIMULATOR_LABEL = 'LinkedIn SIMULATOR (in-memory, development and tests only: no real LinkedIn action is taken)';

const DAY_MS = 24 * 60 * 60 * 1000;
/** LinkedIn-like: accounts are restricted around a few hundred pending invitations. */
export const DEFAULT_PENDING_CAP = 500;
/** Where the simulator's reconnect sessions point: a reserved name, since it has no sign-in page. */
export const SIMULATOR_SIGN_IN_ORIGIN = 'https://linkedin-simulator.invalid';

export type SimulatedOperation =
  | 'sendConnectionRequest'
  | 'getInvitation'
  | 'withdrawInvitation'
  | 'sendMessage'
  | 'scrapeProfile'
  | 'likeLatestPost'
  | 'getAccountStatus'
  | 'startReconnect';

export interface SimulatedCall {
  operation: SimulatedOperation;
  identityId: string;
  /** Canonical, for operations aimed at a person. */
  profileUrl?: string;
  invitationId?: string;
  at: number;
}

export interface LinkedinSimulatorOptions {
  /** Delay between sending and acceptance for a (canonical) profile URL; null = never accepts. Default {@link defaultAcceptanceDelayMs}. */
  acceptanceDelayMs?: (profileUrl: string) => number | null;
  /** Pending invitations allowed per identity. Default 500. */
  pendingCap?: number;
  /** Re-invite block after a withdrawal. Default 21 days. */
  reinviteBlockMs?: number;
  /** When true, a message to someone who has not accepted an invitation from the identity is refused ({@link LinkedinNotConnectedError}). Default false, since the simulator cannot know connections made outside Pacer. */
  messagesRequireConnection?: boolean;
  /** Whether a (canonical) profile exists; actions on a missing one throw {@link LinkedinNotFoundError}. Default: every profile exists. */
  profileExists?: (profileUrl: string) => boolean;
  /** Fault injection for tests: return an error to throw it before the call does anything (e.g. a rate limit, a disconnected account). */
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

export interface LinkedinSimulator extends LinkedinGateway {
  readonly adapter: 'simulator';
  readonly label: string;
  /** What the simulator did for this identity. With `at`, pending invitations are first brought up to that time. */
  sent(identityId: string, at?: number): SimulatorRecord;
  /** Test control: the person accepts now (no-op unless the invitation is pending). */
  acceptInvitation(input: GetInvitationInput): Invitation;
  /** Test control: the identity's LinkedIn session is lost (or found again). Every identity starts connected. */
  setAccountStatus(identityId: string, status: LinkedinAccountStatus): void;
}

interface IdentityState {
  invitations: Map<string, SimulatedInvitation>;
  /** Canonical profile URL → invitation ids, oldest first. */
  byPerson: Map<string, string[]>;
  idempotency: Map<string, { fingerprint: string; result: unknown }>;
  record: Omit<SimulatorRecord, 'invitations'>;
}

export function createLinkedinSimulator(options: LinkedinSimulatorOptions = {}): LinkedinSimulator {
  const acceptanceDelayMs = options.acceptanceDelayMs ?? defaultAcceptanceDelayMs;
  const pendingCap = options.pendingCap ?? DEFAULT_PENDING_CAP;
  const reinviteBlockMs = options.reinviteBlockMs ?? REINVITE_BLOCK_MS;
  const profileExists = options.profileExists ?? (() => true);
  if (!Number.isInteger(pendingCap) || pendingCap < 1) throw new RangeError('pendingCap must be a positive integer');
  if (!Number.isFinite(reinviteBlockMs) || reinviteBlockMs < 0) throw new RangeError('reinviteBlockMs must be a non-negative number');

  const identities = new Map<string, IdentityState>();
  const accountStatus = new Map<string, LinkedinAccountStatus>();
  let sequence = 0;
  const nextId = (kind: string) => `sim-${kind}-${++sequence}`;

  function stateOf(identityId: string): IdentityState {
    let state = identities.get(identityId);
    if (!state) {
      state = {
        invitations: new Map(),
        byPerson: new Map(),
        idempotency: new Map(),
        record: { withdrawals: [], messages: [], scrapes: [], likes: [] },
      };
      identities.set(identityId, state);
    }
    return state;
  }

  /** Brings a pending invitation up to `at`: it becomes accepted once its acceptance time has come. */
  function refresh(invitation: SimulatedInvitation, at: number): SimulatedInvitation {
    if (invitation.status === 'pending' && invitation.acceptsAt !== null && at >= invitation.acceptsAt) {
      invitation.status = 'accepted';
      invitation.acceptedAt = invitation.acceptsAt;
    }
    return invitation;
  }

  function invitationsTo(state: IdentityState, profileUrl: string, at: number): SimulatedInvitation[] {
    return (state.byPerson.get(profileUrl) ?? []).map((id) => refresh(state.invitations.get(id)!, at));
  }

  function findInvitation(state: IdentityState, invitationId: string, at: number): SimulatedInvitation {
    const invitation = state.invitations.get(invitationId);
    if (!invitation) throw new LinkedinNotFoundError(`LinkedIn simulator: no invitation ${invitationId} for this identity`);
    return refresh(invitation, at);
  }

  function injectFault(call: SimulatedCall): void {
    const error = options.fault?.(call);
    if (error) throw error;
  }

  /** Runs `act` once per idempotency key; a retry with the same key and request replays the first answer. */
  function once<T>(state: IdentityState, key: string, fingerprint: unknown[], act: () => T): T {
    const print = JSON.stringify(fingerprint);
    const previous = state.idempotency.get(key);
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
    state.idempotency.set(key, { fingerprint: print, result: structuredClone(result) });
    return result;
  }

  function requireProfile(profileUrl: string): void {
    if (!profileExists(profileUrl)) throw new LinkedinNotFoundError(`LinkedIn simulator: no LinkedIn profile at ${profileUrl}`);
  }

  const simulator: LinkedinSimulator = {
    adapter: 'simulator',
    label: SIMULATOR_LABEL,

    sendConnectionRequest(input: SendConnectionRequestInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const key = checkIdempotencyKey(input.idempotencyKey);
        const profileUrl = canonicalProfileUrl(input.profileUrl);
        checkNote(input.note);
        injectFault({ operation: 'sendConnectionRequest', identityId, profileUrl, at });
        const state = stateOf(identityId);
        return once(state, key, ['sendConnectionRequest', profileUrl, input.note ?? null], () => {
          requireProfile(profileUrl);
          const previous = invitationsTo(state, profileUrl, at);
          const pending = previous.find((invitation) => invitation.status === 'pending');
          if (pending) return { invitationId: pending.invitationId, status: 'pending' as const };
          if (previous.some((invitation) => invitation.status === 'accepted')) throw new LinkedinAlreadyConnectedError({ profileUrl });
          const lastWithdrawal = Math.max(-Infinity, ...previous.map((invitation) => invitation.withdrawnAt ?? -Infinity));
          if (at < lastWithdrawal + reinviteBlockMs) throw new ReinviteBlockedError(lastWithdrawal + reinviteBlockMs, { profileUrl });
          let pendingCount = 0;
          for (const invitation of state.invitations.values()) if (refresh(invitation, at).status === 'pending') pendingCount++;
          if (pendingCount >= pendingCap) throw new PendingInvitationCapError(pendingCap);

          const delay = acceptanceDelayMs(profileUrl);
          if (delay !== null && (!Number.isFinite(delay) || delay < 0)) {
            throw new RangeError(`acceptanceDelayMs gave ${delay} for ${profileUrl}: expected a non-negative number or null`);
          }
          const invitation: SimulatedInvitation = {
            invitationId: nextId('invitation'),
            profileUrl,
            note: input.note ?? null,
            sentAt: at,
            status: 'pending',
            acceptsAt: delay === null ? null : at + delay,
            acceptedAt: null,
            withdrawnAt: null,
          };
          state.invitations.set(invitation.invitationId, invitation);
          state.byPerson.set(profileUrl, [...(state.byPerson.get(profileUrl) ?? []), invitation.invitationId]);
          return { invitationId: invitation.invitationId, status: 'pending' as const };
        });
      });
    },

    getInvitation(input: GetInvitationInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const invitationId = checkId('invitationId', input.invitationId);
        injectFault({ operation: 'getInvitation', identityId, invitationId, at });
        const invitation = findInvitation(stateOf(identityId), invitationId, at);
        return { invitationId, status: invitation.status, acceptedAt: invitation.acceptedAt };
      });
    },

    withdrawInvitation(input: WithdrawInvitationInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const invitationId = checkId('invitationId', input.invitationId);
        const key = checkIdempotencyKey(input.idempotencyKey);
        injectFault({ operation: 'withdrawInvitation', identityId, invitationId, at });
        const state = stateOf(identityId);
        return once(state, key, ['withdrawInvitation', invitationId], () => {
          const invitation = findInvitation(state, invitationId, at);
          if (invitation.status === 'pending') {
            invitation.status = 'withdrawn';
            invitation.withdrawnAt = at;
            state.record.withdrawals.push({ invitationId, profileUrl: invitation.profileUrl, at });
          }
          // An accepted invitation is never withdrawn; a withdrawn one stays as it was.
          return { invitationId, status: invitation.status === 'accepted' ? ('accepted' as const) : ('withdrawn' as const) };
        });
      });
    },

    sendMessage(input: SendMessageInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const key = checkIdempotencyKey(input.idempotencyKey);
        const profileUrl = canonicalProfileUrl(input.profileUrl);
        checkMessageText(input.text);
        injectFault({ operation: 'sendMessage', identityId, profileUrl, at });
        const state = stateOf(identityId);
        return once(state, key, ['sendMessage', profileUrl, input.text], () => {
          requireProfile(profileUrl);
          if (options.messagesRequireConnection) {
            const connected = invitationsTo(state, profileUrl, at).some((invitation) => invitation.status === 'accepted');
            if (!connected) throw new LinkedinNotConnectedError({ profileUrl });
          }
          const messageId = nextId('message');
          state.record.messages.push({ messageId, profileUrl, text: input.text, at });
          return { messageId };
        });
      });
    },

    scrapeProfile(input: ProfileActionInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const key = checkIdempotencyKey(input.idempotencyKey);
        const profileUrl = canonicalProfileUrl(input.profileUrl);
        injectFault({ operation: 'scrapeProfile', identityId, profileUrl, at });
        const state = stateOf(identityId);
        return once(state, key, ['scrapeProfile', profileUrl], () => {
          requireProfile(profileUrl);
          state.record.scrapes.push({ profileUrl, at });
          return simulatedProfile(profileUrl);
        });
      });
    },

    likeLatestPost(input: ProfileActionInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const key = checkIdempotencyKey(input.idempotencyKey);
        const profileUrl = canonicalProfileUrl(input.profileUrl);
        injectFault({ operation: 'likeLatestPost', identityId, profileUrl, at });
        const state = stateOf(identityId);
        return once(state, key, ['likeLatestPost', profileUrl], () => {
          requireProfile(profileUrl);
          if (!hasRecentPost(profileUrl)) return { liked: false };
          // The latest post stays liked: liking it again does nothing more.
          if (!state.record.likes.some((like) => like.profileUrl === profileUrl)) state.record.likes.push({ profileUrl, at });
          return { liked: true };
        });
      });
    },

    getAccountStatus(input: AccountInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        injectFault({ operation: 'getAccountStatus', identityId, at: checkAt(input.at) });
        return { status: accountStatus.get(identityId) ?? ('connected' as const) };
      });
    },

    startReconnect(input: StartReconnectInput) {
      return settle(() => {
        const identityId = checkId('identityId', input.identityId);
        const at = checkAt(input.at);
        const key = checkIdempotencyKey(input.idempotencyKey);
        injectFault({ operation: 'startReconnect', identityId, at });
        return once(stateOf(identityId), key, ['startReconnect'], () => ({
          // The reserved .invalid domain: the simulator has no sign-in page.
          reconnectUrl: `${SIMULATOR_SIGN_IN_ORIGIN}/reconnect/${encodeURIComponent(identityId)}/${nextId('reconnect')}${input.returnUrl === undefined ? '' : `?returnUrl=${encodeURIComponent(input.returnUrl)}`}`,
          expiresAt: at + 3600 * 1000,
        }));
      });
    },

    setAccountStatus(identityId: string, status: LinkedinAccountStatus) {
      accountStatus.set(identityId, status);
    },

    sent(identityId: string, at?: number): SimulatorRecord {
      const state = identities.get(identityId);
      if (!state) return { invitations: [], withdrawals: [], messages: [], scrapes: [], likes: [] };
      const invitations = [...state.invitations.values()].map((invitation) =>
        at === undefined ? invitation : refresh(invitation, checkAt(at)),
      );
      return structuredClone({ invitations, ...state.record });
    },

    acceptInvitation(input: GetInvitationInput): Invitation {
      const at = checkAt(input.at);
      const invitation = findInvitation(stateOf(input.identityId), input.invitationId, at);
      if (invitation.status === 'pending') {
        invitation.status = 'accepted';
        invitation.acceptedAt = at;
      }
      return { invitationId: invitation.invitationId, status: invitation.status, acceptedAt: invitation.acceptedAt };
    },
  };
  return simulator;
}

/** Runs synchronous simulator work as a promise, so a refusal is a rejection like the HTTP adapter's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : invalidRequest(String(error)));
  }
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
function hasRecentPost(profileUrl: string): boolean {
  return hashString(`${profileUrl}#posts`) % 100 < 70;
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
