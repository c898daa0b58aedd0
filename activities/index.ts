import type { Database } from '../db/client';
import type { LinkedinGateway } from '../integrations/linkedin';
import type { WarmupProvider } from '../integrations/warmup';
import type { Keyring } from '../lib/secrets';
import { createCampaignStepActivities } from './campaign-steps';
import { createIdentitySettingsActivities } from './identity-settings';
import { createWarmupActivities } from './warmup';

export interface ActivityDependencies {
  db: Database;
  linkedin: LinkedinGateway;
  /** Decrypts inbox credentials inside activities only: secrets never pass through Temporal. */
  keyring: Keyring;
  /** The warm-up provider (HTTP adapter or labelled simulator). */
  warmup: WarmupProvider;
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createIdentitySettingsActivities(deps.db),
    ...createCampaignStepActivities(deps),
    ...createWarmupActivities(deps),
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
