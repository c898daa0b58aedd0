/**
 * Campaign steps and the actions they perform (SPEC §5). One name per concept:
 * - a campaign **step** has a `kind` as the API spells it (`linkedin-connection-request`, …);
 * - the **action kind** (`connectionRequest`, `message`, `scrape`, `like`, `email`) is what a step
 *   spends: each action kind has its own daily budget, its own pacing and its own activity. A lead's
 *   `nextActionKind` column and every budget, status and metric use it.
 */

/** What an identity does. Each kind has its own daily budget; none shares one with another. */
export const ACTION_KINDS = ['connectionRequest', 'message', 'scrape', 'like', 'email'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

/** The action kinds performed on LinkedIn (through the gateway), as opposed to email. */
export const LINKEDIN_ACTION_KINDS = ['connectionRequest', 'message', 'scrape', 'like'] as const satisfies readonly ActionKind[];
export type LinkedinActionKind = (typeof LINKEDIN_ACTION_KINDS)[number];

export function isLinkedinActionKind(kind: ActionKind): kind is LinkedinActionKind {
  return kind !== 'email';
}

/** A campaign step as stored (validated by the API's zod schema when written). */
export type CampaignStep =
  | { kind: 'linkedin-connection-request'; delayMinutes: number; note?: string }
  | { kind: 'linkedin-message'; delayMinutes: number; text: string }
  | { kind: 'linkedin-profile-scrape'; delayMinutes: number }
  | { kind: 'linkedin-like'; delayMinutes: number }
  | { kind: 'email'; delayMinutes: number; subject: string; body: string };

export type StepKind = CampaignStep['kind'];

export const STEP_KINDS = ['linkedin-connection-request', 'linkedin-message', 'linkedin-profile-scrape', 'linkedin-like', 'email'] as const satisfies readonly StepKind[];

const ACTION_KIND_OF_STEP: Record<StepKind, ActionKind> = {
  'linkedin-connection-request': 'connectionRequest',
  'linkedin-message': 'message',
  'linkedin-profile-scrape': 'scrape',
  'linkedin-like': 'like',
  email: 'email',
};

/** The action kind a step spends. */
export function actionKindOf(step: Pick<CampaignStep, 'kind'>): ActionKind {
  return ACTION_KIND_OF_STEP[step.kind];
}

/** A stored campaign's steps (a JSON column, validated when written). */
export function campaignSteps(campaign: { steps: unknown }): CampaignStep[] {
  return campaign.steps as CampaignStep[];
}

/** Where a lead goes after its current step: the next step, due after its delay from `at`, or done. */
export function advancedLead(steps: readonly CampaignStep[], stepIndex: number, at: number): {
  stepIndex: number;
  nextActionKind: ActionKind | null;
  dueAt: Date | null;
  state: 'waiting' | 'done';
} {
  const next = steps[stepIndex + 1];
  return {
    stepIndex: stepIndex + 1,
    nextActionKind: next ? actionKindOf(next) : null,
    dueAt: next ? new Date(at + next.delayMinutes * 60_000) : null,
    state: next ? 'waiting' : 'done',
  };
}
