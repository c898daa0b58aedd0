-- Plan, then perform (issue 12). A lead's next step is filed under its action kind (domain/steps):
-- one name for one concept. Renamed, not recreated, so existing leads keep their kind.
ALTER TABLE "Lead" RENAME COLUMN "nextStepKind" TO "nextActionKind";
ALTER INDEX "Lead_identityId_state_nextStepKind_dueAt_idx" RENAME TO "Lead_identityId_state_nextActionKind_dueAt_idx";

-- A step that failed without sending waits its own back-off (activities/lead-steps.ts).
ALTER TABLE "Lead" ADD COLUMN "failedAttempts" INTEGER NOT NULL DEFAULT 0;
