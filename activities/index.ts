import type { Database } from '../db/client';
import type { LinkedinGateway } from '../integrations/linkedin';
import { createCampaignStepActivities } from './campaign-steps';
import { createIdentitySettingsActivities } from './identity-settings';

export interface ActivityDependencies {
  db: Database;
  linkedin: LinkedinGateway;
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createIdentitySettingsActivities(deps.db),
    ...createCampaignStepActivities(deps.db, deps.linkedin),
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
