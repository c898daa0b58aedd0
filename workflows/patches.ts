/**
 * Patch ids of the identity workflow (docs/workflow-versioning.md). A patch guards a change to the
 * commands a workflow issues, so histories recorded before it still replay.
 */

/** v3: plan, then perform (one activity per action); before it, one local activity did everything (workflows/identity-v2.ts). */
export const PLAN_PERFORM_PATCH = 'plan-perform-dispatch';
/** The daily relation sync (its own local activity, `syncLinkedinRelations`): runs recorded before it never read relations. */
export const RELATION_SYNC_PATCH = 'daily-relation-sync';
