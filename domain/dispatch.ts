/**
 * The identity's dispatch (plan, then perform): the rules and shapes shared by the identity
 * workflow, which decides when, and the activities, which perform one action each. Pure.
 *
 * - A **plan** reads what is due, with fresh inputs; it never changes anything.
 * - Each **action** (a withdrawal, a reply sync, one step of a kind) is its own activity. It acts
 *   only before the **deadline** (the window's end minus the slot margin), and never retries by
 *   itself: a transient failure is answered with a typed failure, the workflow holds that kind back
 *   for a while and plans again, with fresh inputs, later.
 * - Permanent failures give the lead, invitation or inbox a state and a reason; the identity moves on.
 */
import type { ActionKind } from './steps';

/** Slots end this long before the window closes, and nothing is performed after that instant. */
export const SLOT_MARGIN_MS = 2 * 60_000;

/** An action is not started when less than this is left before the deadline. */
export const MIN_ACTION_TIME_MS = 5_000;

/**
 * Slots are planned at least this long before the deadline: room for the action to start (its plan,
 * a reply sync, a timer that fires a little late, a slow database) before the deadline that every
 * activity checks.
 */
export const SLOT_ROOM_MS = 60_000;

/** An inbox with leads mid-sequence is read for replies at most this often, before the next action goes out. */
export const REPLY_SYNC_INTERVAL_MS = 5 * 60_000;

/** Withdrawals one pass performs; the workflow comes straight back while more are due. */
export const WITHDRAWALS_PER_PASS = 10;

/** The instant after which no action may be performed in a window ending at `windowEnd`. */
export function actionDeadline(windowEnd: number): number {
  return windowEnd - SLOT_MARGIN_MS;
}

/** Back-off after `failures` consecutive failures of one kind: 1, 2, 4 … minutes, at most an hour. */
export function holdDelayMs(failures: number, retryAfterMs: number | null = null): number {
  const exponential = 60_000 * 2 ** Math.min(Math.max(failures - 1, 0), 6);
  return Math.max(Math.min(exponential, 3_600_000), retryAfterMs ?? 0);
}

/** After `failures` plans in a row could not be read (PostgreSQL unreachable): 10, 20, 40 … seconds, at most 10 minutes. */
export function planRetryDelayMs(failures: number): number {
  return Math.min(10_000 * 2 ** Math.min(Math.max(failures - 1, 0), 8), 600_000);
}

/** After a failed attempt on one lead (its own back-off): 2, 4, 8 … minutes, at most 6 hours. */
export function leadRetryDelayMs(failedAttempts: number): number {
  return Math.min(120_000 * 2 ** Math.min(Math.max(failedAttempts - 1, 0), 10), 6 * 3_600_000);
}

/**
 * ApplicationFailure types the action activities throw (the workflow decides on them). Anything
 * else (a timeout, an unexpected error) is treated like `ActionUnavailable`.
 */
export const FAILURE_TYPES = {
  /** The deadline passed before the action could start: nothing was done. */
  windowClosed: 'WindowClosed',
  /** The identity's LinkedIn account needs reconnecting: every LinkedIn kind waits until something changes. */
  linkedinAccountDisconnected: 'LinkedinAccountDisconnected',
  /** A dependency failed transiently (a provider, the network, PostgreSQL): hold the kind back and plan again later. */
  actionUnavailable: 'ActionUnavailable',
  /** The deployment is misconfigured for this action (a refused service token, a missing key): hold back longer. */
  configuration: 'ConfigurationFailure',
} as const;

/** What the plan activity reads for the workflow: fresh, read-only, plain JSON. */
export interface DispatchPlan {
  /** The identity is gone (deleted, or soft-deleted): the workflow ends. */
  deleted: boolean;
  /** Per kind, when the earliest waiting step is due (a lead's step, or an invitation asked for through the API). */
  nextDueAt: Partial<Record<ActionKind, number>>;
  /** Sum of the daily rates of the identity's connected inboxes. */
  emailDailyCapacity: number;
  /** Withdrawals due now, manual ones first (at most WITHDRAWALS_PER_PASS). */
  dueWithdrawals: { invitationId: string; reason: 'auto' | 'manual' }[];
  /** When the oldest invitation still pending was sent, and whether a manual withdrawal waits. */
  withdrawalOutlook: { oldestPendingSentAt: number | null; manualWithdrawalRequested: boolean };
  /** Connected inboxes carrying leads mid-sequence: their replies are read before the next action. */
  replyInboxIds: string[];
  /** What needs a person (domain/operator-attention): the workflow shows it as its `PacerAttention` search attribute. */
  attention: PlannedAttention;
}

/** The recorded facts behind the attention flags; the workflow adds its own (actions failing again and again). */
export interface PlannedAttention {
  linkedinNeedsReconnect: boolean;
  inboxesNeedingReconnect: number;
  inboxesFailingSync: number;
}

/** The workflow's budgets for today as it holds them, sent with each plan so the worker exports them (metrics). */
export interface BudgetSnapshot {
  kinds: { kind: ActionKind; used: number; left: number }[];
  /** The end of the identity's local day, when these budgets reset. */
  validUntil: number;
}

/** What one step activity did. */
export type StepOutcome =
  | { performed: true; kind: ActionKind; leadId?: string; invitationId?: string; performedAt: number }
  /** Nothing was performed (no budget spent): due work resolved otherwise, or nothing could go before `retryAt`. */
  | { performed: false; kind: ActionKind; retryAt: number | null; reason: string };

/** What one withdrawal activity did with the invitation. */
export type WithdrawalOutcome = 'withdrawn' | 'accepted' | 'gone' | 'not-pending';
