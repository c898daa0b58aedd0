import type { Database } from '../db/client';
import type { LinkedinGateway } from '../integrations/linkedin';
import type { WarmupProvider } from '../integrations/warmup';
import type { Keyring } from '../lib/secrets';
import { createCampaignStepActivities, type CampaignStepDependencies } from './campaign-steps';
import { createIdentitySettingsActivities } from './identity-settings';
import { createWarmupActivities } from './warmup';
import { createReplySyncActivities, type ReplySyncDependencies } from './reply-sync';

export interface ActivityDependencies {
  db: Database;
  linkedin: LinkedinGateway;
  /** Decrypts inbox credentials inside activities only: secrets never pass through Temporal. */
  keyring: Keyring;
  /** The warm-up provider (HTTP adapter or labelled simulator). */
  warmup: WarmupProvider;
  /** OAuth clients for Google / Microsoft 365 inboxes; unset when not configured. */
  emailProviders?: CampaignStepDependencies['emailProviders'];
  /** SSRF allowlist and timeout for user-supplied IMAP/SMTP hosts, checked at every connection; private hosts are refused when unset. */
  mailHosts?: ReplySyncDependencies['mailHosts'];
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  const replySync = createReplySyncActivities(deps);
  return {
    ...createIdentitySettingsActivities(deps.db),
    ...createCampaignStepActivities({ ...deps, syncReplies: (input) => replySync.syncInboxReplies(input) }),
    ...createWarmupActivities(deps),
    ...replySync,
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
