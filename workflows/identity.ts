/**
 * IdentityWorkflow (`identity/<identityId>`): one durable entity per identity. It decides *when*
 * the identity acts; activities decide nothing about time.
 *
 * Each pass reads a **plan** (a read-only local activity: what is due, and the configuration as
 * PostgreSQL holds it), then **performs** what is ready, each action in its own local activity with
 * its own timeout and a single attempt: reply syncs first (a lead who replied gets nothing more),
 * then the day's relation sync (acceptances no webhook reported), then due withdrawals one invitation
 * at a time, then one step of each kind that has budget left and whose spaced slot has come. While
 * the LinkedIn account cannot act (as the plan reads it), every LinkedIn action waits. No action
 * starts after the window's end minus the slot margin. A failure holds back only its own kind (or
 * withdrawals) and is planned again later with fresh inputs; the identity's other actions go on.
 * Before each sleep the run shows operators what waits and why (identity-operator-view). Then the workflow sleeps until the next slot, due
 * step, withdrawal, fall-back of raised limits, or window, waking at once on any signal.
 *
 * Decisions live in the plain state module (./identity-state, unit-tested); this loop only waits.
 * At each new window it continues-as-new carrying only small plain state, so an idle identity costs
 * two workflow tasks per working day. Runs recorded before plan → perform take ./identity-v2.
 *
 * Window math runs here, not in an activity: Temporal matches a timer command by its sequence, not
 * its duration, so a time-zone database update between the original run and a replay cannot cause
 * non-determinism; it only moves future timers, which is what the identity wants.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  isCancellation,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { PacerActivities } from '../activities';
import { sameAttention, type AttentionFlag } from '../domain/operator-attention';
import { isLinkedinActionKind } from '../domain/steps';
import {
  ATTENTION_SEARCH_ATTRIBUTE,
  campaignsChanged,
  identityConfigChanged,
  identityDeleted,
  identityStatus,
  workspaceScrapingPoolChanged,
  type IdentityWorkflowInput,
} from './identity-contract';
import {
  applyChange,
  applyConfigSignal,
  applyScrapingPool,
  beginPass,
  budgetSnapshot,
  continuation,
  describeStatus,
  endPass,
  initialState,
  markDeleted,
  nextStep,
  recordPlan,
  recordPlanFailure,
  recordRaisedLimitsExpired,
  recordRelationSync,
  recordReplySync,
  recordStepFailure,
  recordStepOutcome,
  recordWithdrawal,
  type ActionFailure,
  type IdentityState,
  type PlannedAction,
} from './identity-state';
import { attentionOf, currentDetails } from './identity-operator-view';
import { legacyIdentityWorkflow } from './identity-v2';
import { PLAN_PERFORM_PATCH, RELATION_SYNC_PATCH } from './patches';

const { expireRaisedLinkedinLimits } = proxyActivities<PacerActivities>({ startToCloseTimeout: '1 minute' });

/** Read-only, so a failed read may be repeated at once. */
const { planDispatch } = proxyLocalActivities<PacerActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumAttempts: 3 },
});

/** Each action gets one attempt, bounded by the time left before the deadline: the workflow decides what comes after a failure. */
function actionActivities(limitMs: number, deadline: number) {
  return proxyLocalActivities<PacerActivities>({
    startToCloseTimeout: Math.max(1_000, Math.min(limitMs, deadline - Date.now())),
    retry: { maximumAttempts: 1 },
  });
}

/** Reading an inbox is not an action on the identity's behalf; it only has to end. */
const { syncInboxReplies } = proxyLocalActivities<PacerActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

function failureOf(error: unknown): ActionFailure {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { retryAfterMs?: number | null; accountStatusSince?: number | null };
    return { type: cause.type ?? null, message: cause.message, retryAfterMs: details.retryAfterMs ?? null, accountStatusSince: details.accountStatusSince ?? null };
  }
  return { type: null, message: cause instanceof Error ? cause.message : String(cause), retryAfterMs: null };
}

async function perform(state: IdentityState, action: PlannedAction, deadline: number): Promise<void> {
  const { identityId } = state;
  const at = Date.now();
  switch (action.type) {
    case 'reply-sync':
      try {
        await syncInboxReplies({ inboxId: action.inboxId });
      } catch (error) {
        if (isCancellation(error)) throw error;
        // The inbox shows the failure (the activity records it); the steps are not held up by it.
        log.warn('reply sync failed', { inboxId: action.inboxId, error: failureOf(error).message });
      }
      recordReplySync(state, action.inboxId, Date.now());
      return;
    case 'relation-sync':
      try {
        recordRelationSync(state, await actionActivities(120_000, deadline).syncLinkedinRelations({ identityId, at, deadline }), Date.now());
      } catch (error) {
        if (isCancellation(error)) throw error;
        recordRelationSync(state, failureOf(error), Date.now());
      }
      return;
    case 'withdrawal':
      try {
        const outcome = await actionActivities(30_000, deadline).withdrawInvitation({ identityId, invitationId: action.invitationId, reason: action.reason, at, deadline });
        recordWithdrawal(state, action.invitationId, outcome, Date.now());
      } catch (error) {
        if (isCancellation(error)) throw error;
        recordWithdrawal(state, action.invitationId, failureOf(error), Date.now());
      }
      return;
    case 'step':
      try {
        const outcome = isLinkedinActionKind(action.kind)
          ? await actionActivities(60_000, deadline).performLinkedinStep({ identityId, kind: action.kind, at, deadline, likesOptedOut: state.config.likingsOptOut })
          : await actionActivities(120_000, deadline).sendDueEmail({ identityId, at, deadline });
        recordStepOutcome(state, outcome, Date.now(), Math.random);
      } catch (error) {
        if (isCancellation(error)) throw error;
        recordStepFailure(state, action.kind, failureOf(error), Date.now());
      }
  }
}

/** Upserts `PacerAttention` only when the flags change (an empty list removes it), so a quiet identity adds no events. */
function showAttention(flags: AttentionFlag[]): void {
  const shown = workflowInfo().typedSearchAttributes.get(ATTENTION_SEARCH_ATTRIBUTE) ?? [];
  if (!sameAttention(shown, flags)) upsertSearchAttributes([{ key: ATTENTION_SEARCH_ATTRIBUTE, value: flags.length > 0 ? flags : null }]);
}

export async function identityWorkflow(input: IdentityWorkflowInput): Promise<void> {
  if (!patched(PLAN_PERFORM_PATCH)) return legacyIdentityWorkflow(input);

  // Checked once per run: a run recorded before the relation sync keeps not running it (a new run, after continue-as-new, does).
  const state = initialState(input, { relationSync: patched(RELATION_SYNC_PATCH) });
  /** Counts signals, so a plan read while one arrived is read again (the signal may be newer than it). */
  let signals = 0;
  /** The scope of the work in progress; deleting the identity cancels it. */
  let work: CancellationScope | null = null;

  setHandler(identityConfigChanged, (config) => {
    signals += 1;
    if (applyConfigSignal(state, config) === 'stale') {
      log.info('configuration signal dropped: the workflow already has this version or a newer one', { version: config.version, current: state.config.version });
    }
  });
  setHandler(campaignsChanged, () => {
    signals += 1;
    applyChange(state);
  });
  setHandler(workspaceScrapingPoolChanged, (pool) => {
    signals += 1;
    applyScrapingPool(state, pool);
  });
  setHandler(identityDeleted, () => {
    markDeleted(state);
    work?.cancel();
  });
  setHandler(identityStatus, () => describeStatus(state, Date.now()));

  /** Runs `body` so that deleting the identity interrupts it; false when it was interrupted. */
  async function interruptible(body: () => Promise<void>): Promise<boolean> {
    work = new CancellationScope();
    try {
      await work.run(body);
      return true;
    } catch (error) {
      if (isCancellation(error) && state.deleted) return false;
      throw error;
    } finally {
      work = null;
    }
  }

  for (;;) {
    const now = Date.now();
    beginPass(state, now, Math.random);
    const step = nextStep(state, now);
    switch (step.type) {
      case 'end':
        return;
      case 'plan': {
        const before = signals;
        const read = await interruptible(async () => {
          try {
            const planned = await planDispatch({ identityId: state.identityId, at: now, budget: budgetSnapshot(state, now) });
            // A signal that arrived meanwhile may be newer than what was read: read again.
            if (signals === before) recordPlan(state, planned, Date.now(), Math.random);
          } catch (error) {
            if (isCancellation(error)) throw error;
            log.warn('plan failed', { error: failureOf(error).message });
            recordPlanFailure(state, Date.now());
          }
        });
        if (!read) return;
        break;
      }
      case 'act': {
        const done = await interruptible(async () => {
          for (const action of step.actions) {
            if (state.deleted) return;
            await perform(state, action, step.deadline);
          }
        });
        if (!done) return;
        endPass(state);
        break;
      }
      case 'expire-raised-limits':
        await expireRaisedLinkedinLimits({ identityId: state.identityId, raisedUntil: step.raisedUntil });
        recordRaisedLimitsExpired(state, step.raisedUntil);
        break;
      case 'sleep': {
        const attention = attentionOf(state);
        showAttention(attention);
        setCurrentDetails(currentDetails(describeStatus(state, now), step, attention));
        // Any signal wakes it: a new configuration changes when to wake, a change of campaigns what is due.
        const signalsBefore = signals;
        const interrupted = await condition(() => state.deleted || signals !== signalsBefore, step.until - Date.now(), { summary: `sleep until ${step.reason}` });
        endPass(state);
        if (state.deleted) return;
        if ((!interrupted && step.then === 'continue-as-new') || workflowInfo().continueAsNewSuggested) {
          // A new window opened (or many signals grew the history): start over with a small history.
          await condition(allHandlersFinished);
          await continueAsNew<typeof identityWorkflow>(continuation(state));
        }
      }
    }
  }
}
