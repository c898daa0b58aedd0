/**
 * What every action activity shares: its clock, its deadline, and the one mapping from a
 * classified provider error to the ApplicationFailure the workflow decides on.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE_TYPES } from '../domain/dispatch';

/**
 * The action's clock: the workflow's instant when it scheduled the action plus the real time the
 * activity has run. Actions are local activities performed at once and never retried, so this is
 * when things really happen (and it follows the test server's skipped time in tests).
 */
export interface ActionClock {
  now(): number;
}

export function actionClock(at: number): ActionClock {
  const started = performance.now();
  return { now: () => at + Math.round(performance.now() - started) };
}

/**
 * Throws the non-retryable WindowClosed failure once the deadline has passed: nothing is done after
 * it. (The workflow schedules actions at least MIN_ACTION_TIME_MS before it; the margin after the
 * deadline, SLOT_MARGIN_MS, is what an action already started may use.)
 */
export function assertBeforeDeadline(clock: ActionClock, deadline: number, what: string): void {
  if (clock.now() >= deadline) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.windowClosed,
      nonRetryable: true,
      message: `${what} not started: the working-hours window closes at ${new Date(deadline).toISOString()} (slot margin included)`,
    });
  }
}

/** A transient failure: the workflow holds the kind back (at least `retryAfterMs`) and plans again. */
export function unavailable(message: string, retryAfterMs: number | null = null): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.actionUnavailable, message: message.slice(0, 1000), details: [{ retryAfterMs }] });
}

/** The deployment cannot perform this action as configured; holding back, not retrying, is all the identity can do. */
export function misconfigured(message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.configuration, nonRetryable: true, message: message.slice(0, 1000) });
}

/**
 * The identity's LinkedIn account cannot act (already recorded on the identity, whose status holds
 * since `accountStatusSince`): every LinkedIn kind waits until something changes.
 */
export function linkedinAccountDisconnected(error: Error, accountStatusSince: number | null): ApplicationFailure {
  return ApplicationFailure.create({ type: FAILURE_TYPES.linkedinAccountDisconnected, nonRetryable: true, message: error.message.slice(0, 1000), details: [{ accountStatusSince }] });
}
