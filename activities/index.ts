import type { Database } from '../db/client';
import type { LinkedinGateway } from '../integrations/linkedin';
import type { WarmupProvider } from '../integrations/warmup';
import type { Keyring } from '../lib/secrets';
import { countedAction, countedReplySync } from './action-metrics';
import { createDispatchPlanActivities } from './dispatch-plan';
import { createEmailStepActivities, type EmailStepDependencies } from './email-steps';
import { createIdentitySettingsActivities } from './identity-settings';
import { createInvitationActivities } from './linkedin-invitations';
import { createRelationSyncActivities } from './linkedin-relations';
import { createLinkedinStepActivities } from './linkedin-steps';
import { createReplySyncActivities } from './reply-sync';
import { createWarmupActivities } from './warmup';
import { createWebhookActivities, type WebhookDeliverySettings } from './webhooks';

export interface ActivityDependencies {
  db: Database;
  linkedin: LinkedinGateway;
  /** Decrypts inbox credentials inside activities only: secrets never pass through Temporal. */
  keyring: Keyring;
  /** The warm-up provider (HTTP adapter or labelled simulator). */
  warmup: WarmupProvider;
  /** OAuth clients for Google / Microsoft 365 inboxes; unset when not configured. */
  emailProviders?: EmailStepDependencies['emailProviders'];
  /** SSRF allowlist and timeout for user-supplied IMAP/SMTP hosts, checked at every connection; private hosts are refused when unset. */
  mailHosts?: EmailStepDependencies['mailHosts'];
  /** Event webhooks: the starter of delivery workflows and the endpoints' SSRF allowlist; without it events are recorded only, and private endpoint hosts are refused. */
  webhooks?: WebhookDeliverySettings;
}

/** Every activity the worker registers, built from injected dependencies (real servers in tests). */
export function createActivities(deps: ActivityDependencies) {
  const linkedinSteps = createLinkedinStepActivities(deps);
  const emailSteps = createEmailStepActivities(deps);
  const invitations = createInvitationActivities(deps);
  const replySync = createReplySyncActivities(deps);
  return {
    ...createDispatchPlanActivities(deps),
    ...linkedinSteps,
    performLinkedinStep: countedAction(linkedinSteps.performLinkedinStep.bind(linkedinSteps), (input) => input.kind, (outcome) => outcome.performed),
    ...emailSteps,
    sendDueEmail: countedAction(emailSteps.sendDueEmail.bind(emailSteps), () => 'email', (outcome) => outcome.performed),
    ...invitations,
    withdrawInvitation: countedAction(invitations.withdrawInvitation.bind(invitations), () => 'withdrawal', (outcome) => outcome === 'withdrawn'),
    ...replySync,
    syncInboxReplies: countedReplySync(replySync.syncInboxReplies.bind(replySync)),
    ...createRelationSyncActivities(deps),
    ...createIdentitySettingsActivities(deps.db),
    ...createWarmupActivities(deps),
    ...createWebhookActivities(deps),
  };
}

export type PacerActivities = ReturnType<typeof createActivities>;
