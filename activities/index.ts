import type { Database } from '../db/client';
import type { LinkedinGateway } from '../integrations/linkedin';
import type { Keyring } from '../lib/secrets';
import { createCampaignStepActivities } from './campaign-steps';
import { createIdentitySettingsActivities } from './identity-settings';

export interface ActivityDependencies {
  db: Database;
  linkedin: LinkedinGateway;
  /** Decrypts inbox credentials inside activities only: secrets never pass through Temporal. */
  keyring: Keyring;
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createIdentitySettingsActivities(deps.db),
    ...createCampaignStepActivities(deps),
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
