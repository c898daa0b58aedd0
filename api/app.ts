import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Database } from '../db/client';
import type { Logger } from '../lib/logger';
import { adminRoutes } from './admin';
import { authenticate } from './auth';
import { campaignRoutes } from './campaigns';
import { emailInboxAdminRoutes, emailInboxRoutes, inboxConnector, InboxConnections, type EmailConnectionSettings } from './email-inboxes';
import { emailOAuthRoutes, type OAuthSettings } from './email-oauth';
import { identityRoutes } from './identities';
import { IdentityService } from './identity-service';
import { identitySettingsRoutes } from './identity-settings';
import type { IdentityWorkflows } from './identity-workflows';
import { linkedinInvitationRoutes } from './linkedin-invitations';
import { openApiRoutes } from './openapi';
import { pageAssets, pageSecurity } from './pages';
import { shareInboxActions } from './share-inbox-actions';
import { publicShareRoutes, shareHeaders, shareLinkRoutes, shareSignInOrigins, type ShareLinkOptions } from './share-links';
import { WarmupWorkflows, warmupRoutes } from './warmup';
import { notFoundHandler, problemHandler, requireJsonBody } from './problem';
import { workspaceRoutes } from './workspace';

export interface ApiDependencies {
  db: Database;
  identityWorkflows: IdentityWorkflows;
  logger: Logger;
  bodyLimit: string;
  /** Enables /admin when set. */
  operatorApiKey?: string;
  /** The clock rules such as the re-invite block are checked against; tests pass the time-skipping server's. */
  now?: () => Promise<number>;
  /** Share links (PUBLIC_BASE_URL, clock, LinkedIn gateway, inbox actions); their routes answer 503 without it. */
  shareLinks?: ShareLinkOptions;
  /** Connecting inboxes (keyring, timeouts, SSRF allowlist); without it, connecting answers 503. */
  email?: EmailConnectionSettings;
  /** Google / Microsoft 365 OAuth flows; without it (or its client ids), their endpoints answer 503. */
  oauth?: OAuthSettings;
  /** Express `trust proxy` (TRUST_PROXY): whose X-Forwarded-For gives the client address. */
  trustProxy?: false | number | string[];
}

export function createApp(deps: ApiDependencies): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.use(helmet(pageSecurity({ formActionOrigins: shareSignInOrigins(deps.shareLinks, deps.oauth), https: deps.shareLinks?.publicBaseUrl.startsWith('https://') ?? false })));
  app.get('/healthz', (_request, response) => {
    response.json({ status: 'ok' });
  });
  app.use(openApiRoutes());
  app.use(pageAssets());
  const identities = new IdentityService(deps.db, deps.identityWorkflows);
  const connections = new InboxConnections(deps.db, deps.identityWorkflows);
  const warmups = new WarmupWorkflows(deps.identityWorkflows.client, deps.identityWorkflows.taskQueue);
  const connector = inboxConnector(deps.db, connections, deps.identityWorkflows, deps.email);
  const oauth = emailOAuthRoutes(deps.db, identities, connections, deps.identityWorkflows, deps.oauth, deps.logger);
  const shareLinks = deps.shareLinks && { inboxActions: shareInboxActions(deps.db, connector, oauth), ...deps.shareLinks };
  // Public, before the API key check and the JSON-only body rule: the token in the path is the only
  // credential, and the share page's forms post application/x-www-form-urlencoded.
  app.use('/share', shareHeaders);
  app.use(publicShareRoutes(deps.db, deps.logger, shareLinks));
  app.use(requireJsonBody);
  app.use(express.json({ limit: deps.bodyLimit, strict: true }));
  app.use(adminRoutes(deps.db, deps.operatorApiKey, deps.identityWorkflows));
  app.use(emailInboxAdminRoutes(deps.db, deps.operatorApiKey, deps.identityWorkflows));
  // The browser comes back from Google / Microsoft without an API key: the signed, single-use state authenticates it.
  app.use(oauth.callbacks);
  app.use(authenticate(deps.db));
  app.use(workspaceRoutes(deps.db));
  app.use(identityRoutes(deps.db, identities, deps.identityWorkflows, warmups));
  app.use(identitySettingsRoutes(deps.db, identities, deps.identityWorkflows));
  app.use(campaignRoutes(deps.db, deps.identityWorkflows));
  app.use(linkedinInvitationRoutes(deps.db, identities, deps.identityWorkflows, deps.now ?? (() => Promise.resolve(Date.now()))));
  app.use(emailInboxRoutes(deps.db, identities, connections, deps.identityWorkflows, connector));
  app.use(oauth.authorize);
  app.use(shareLinkRoutes(deps.db, identities, shareLinks));
  app.use(warmupRoutes(deps.db, identities, warmups));
  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger));
  return app;
}
