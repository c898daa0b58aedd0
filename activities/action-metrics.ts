/**
 * Counts what each action activity did, in one place rather than at every return and throw: an
 * action performed, resolved without one (skipped), or failed by the failure type the workflow
 * decides on (lib/metrics.ts; docs/operations.md lists the metrics).
 */
import { ApplicationFailure } from '@temporalio/activity';
import { FAILURE_TYPES } from '../domain/dispatch';
import { recordActionDeferred, recordActionPerformed, recordReplySync, type ActionResult, type PerformedKind } from '../lib/metrics';

function failureResult(error: unknown): ActionResult | 'window-deadline' {
  if (!(error instanceof ApplicationFailure)) return 'failed-transient';
  switch (error.type) {
    case FAILURE_TYPES.windowClosed:
      return 'window-deadline';
    case FAILURE_TYPES.configuration:
    case FAILURE_TYPES.linkedinAccountDisconnected:
      return 'failed-permanent';
    default:
      return 'failed-transient';
  }
}

/** Wraps an action activity so each run is counted under `kind`: `performed` tells an action from a skip. */
export function countedAction<Input, Output>(
  action: (input: Input) => Promise<Output>,
  kindOf: (input: Input) => PerformedKind,
  performed: (output: Output) => boolean,
): (input: Input) => Promise<Output> {
  return async (input) => {
    const kind = kindOf(input);
    try {
      const output = await action(input);
      recordActionPerformed(kind, performed(output) ? 'succeeded' : 'skipped');
      return output;
    } catch (error) {
      const result = failureResult(error);
      // The deadline passing is a deferral (nothing was tried), not a failure.
      if (result === 'window-deadline') recordActionDeferred(kind, result);
      else recordActionPerformed(kind, result);
      throw error;
    }
  };
}

/** Wraps the reply-sync activity so each run counts as succeeded or failed. */
export function countedReplySync<Input, Output>(sync: (input: Input, signal?: AbortSignal) => Promise<Output>): (input: Input, signal?: AbortSignal) => Promise<Output> {
  return async (input, signal) => {
    try {
      const output = await sync(input, signal);
      recordReplySync('succeeded');
      return output;
    } catch (error) {
      recordReplySync('failed');
      throw error;
    }
  };
}
