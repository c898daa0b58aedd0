/**
 * Whether an identity's LinkedIn account is usable (SPEC §6: "the identity shows whether its
 * LinkedIn account is connected"): pure rules shared by the API (webhooks, hosted sign-in) and the
 * dispatch (LinkedIn actions wait while the account cannot act).
 *
 * - `connected`: the automation service holds a working LinkedIn session for the identity.
 * - `needs-reconnect`: it had one and lost it (expired session, checkpoint, restriction…); the
 *   identity's owner must sign in again (hosted sign-in, also from a share link).
 * - `not-connected`: no account was ever connected through Pacer, or it was removed.
 *
 * Notifications repeat and arrive late, so applying one is idempotent: the same status and reason
 * again change nothing, and `since` only moves when the status itself changes (a new reason for the
 * same status keeps `since`).
 */

export const LINKEDIN_CONNECTION_STATUSES = ['connected', 'needs-reconnect', 'not-connected'] as const;
export type LinkedinConnectionStatus = (typeof LINKEDIN_CONNECTION_STATUSES)[number];

export interface LinkedinConnection {
  status: LinkedinConnectionStatus;
  /** Epoch ms since which the status holds. */
  since: number;
  /** Why it is not connected (never a secret); null when connected. */
  reason: string | null;
}

/** What a notification or a status read says about the account. */
export interface ObservedConnection {
  status: LinkedinConnectionStatus;
  reason: string | null;
}

/** The longest reason stored; providers' details can be long. */
export const CONNECTION_REASON_MAX_LENGTH = 500;

/** The connection after observing `observed` at `at`, and whether anything stored changed. */
export function observeConnection(current: LinkedinConnection, observed: ObservedConnection, at: number): { connection: LinkedinConnection; changed: boolean } {
  const reason = observed.status === 'connected' ? null : clipReason(observed.reason);
  if (observed.status === current.status && reason === current.reason) return { connection: current, changed: false };
  return {
    connection: { status: observed.status, since: observed.status === current.status ? current.since : at, reason },
    changed: true,
  };
}

function clipReason(reason: string | null): string | null {
  if (reason === null) return null;
  const flat = reason.replace(/\s+/g, ' ').trim();
  if (flat === '') return null;
  return flat.length > CONNECTION_REASON_MAX_LENGTH ? `${flat.slice(0, CONNECTION_REASON_MAX_LENGTH - 1)}…` : flat;
}

/** The reason an identity without any connected account shows. */
export const NO_ACCOUNT_REASON = 'No LinkedIn account is connected to this identity yet: connect one through hosted sign-in';

/**
 * Whether LinkedIn actions may be tried with the account in this state: `connected`, or
 * `not-connected` through an adapter that acts without an account connected through Pacer (the HTTP
 * contract; the simulator's implicit accounts). `needs-reconnect` never can.
 */
export function connectionCanAct(status: LinkedinConnectionStatus, needsConnectedAccount: boolean): boolean {
  return status === 'connected' || (status === 'not-connected' && !needsConnectedAccount);
}

/** Why LinkedIn actions wait for the account, as leads and the status show it. */
export function connectionWaitingReason(connection: Pick<LinkedinConnection, 'status' | 'reason'>): string {
  if (connection.status === 'needs-reconnect') {
    return `waiting for the LinkedIn account to be reconnected${connection.reason ? ` (${connection.reason})` : ''}: sign in again through hosted sign-in or the share link`;
  }
  return `waiting for a LinkedIn account to be connected${connection.reason ? ` (${connection.reason})` : ''}: connect one through hosted sign-in`;
}
