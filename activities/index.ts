import type { Database } from '../db/client';
import { createIdentitySettingsActivities } from './identity-settings';

export interface ActivityDependencies {
  db: Database;
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  return {
    ...createIdentitySettingsActivities(deps.db),
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
