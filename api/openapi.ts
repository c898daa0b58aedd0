/**
 * The API reference: /openapi.json (OpenAPI 3.1, generated from the zod schemas the routes validate
 * with, plus the documented answers in api/openapi-schemas.ts) and /docs, that document rendered by
 * Swagger UI, which the API serves itself from the swagger-ui-dist npm package (no CDN: the page
 * works offline). A test checks that OPERATIONS and the Express routes are the same list, and that
 * real answers match their documented schemas.
 */
import { Router } from 'express';
import { z } from 'zod';
import { createApiKeySchema, createWorkspaceSchema, updateWorkspaceSchema } from './admin';
import { createCampaignSchema } from './campaign-schemas';
import { connectImapInboxSchema, inboxRateOverrideSchema, inboxRateSchema } from './email-inboxes';
import { authorizeSchema } from './email-oauth';
import { listInvitationsSchema, sendInvitationSchema, withdrawInvitationsSchema } from './linkedin-invitations';
import * as examples from './openapi-examples';
import * as docs from './openapi-schemas';
import { paginationSchema } from './pagination';
import { sendPage } from './pages';
import {
  createIdentityFromLinkedinSchema,
  createIdentitySchema,
  likingsOptOutSchema,
  linkedinRateLimitsSchema,
  signatureSchema,
  updateIdentitySchema,
  withdrawalsSchema,
  workingHoursSchema,
} from './schemas';
import { reconnectImapInboxSchema } from './share-inbox-actions';
import { startWarmupSchema } from './warmup';

type Security = 'apiKey' | 'operator' | 'none';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax (`:id`); converted to OpenAPI (`{id}`). */
  path: string;
  summary: string;
  /** More than the summary: rules, defaults, what each error means (Markdown). */
  description?: string;
  tag: string;
  security: Security;
  /** A named request schema (api/openapi-schemas registers its name and field descriptions). */
  body?: z.ZodType;
  /** The body may be left out altogether (every field has a default). */
  bodyOptional?: boolean;
  requestExample?: unknown;
  /** The share page's forms post this instead of JSON, and get a 303 back. */
  form?: { schema: z.ZodType; example: unknown };
  query?: z.ZodObject;
  /** Success status and its description; error statuses are added from the path and body. */
  success: [number, string];
  /** A second success status answered with the same schema (e.g. 200 for a reconnection), and its example. */
  alsoSuccess?: [number, string, unknown];
  /** The success body's named schema (none for 204 and pages). */
  response?: z.ZodType;
  example?: unknown;
  ifMatch?: boolean;
  /** The success answer is a page (text/html) instead of JSON. */
  page?: boolean;
}

const SHARE_PUBLIC = 'Public: the token in the path is the credential. ';
const FORM_ANSWER = 'Sent as a form (`application/x-www-form-urlencoded`, the share page does), the answer is a 303: ';

/** Every route the API serves. A test checks that this list and the Express routes are the same. */
export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'System', security: 'none', success: [200, 'The API is up'], response: docs.Health, example: examples.responses.health },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'System', security: 'none', success: [200, 'OpenAPI 3.1'], response: docs.OpenApiDocument, example: examples.responses.openapi },
  { method: 'get', path: '/docs', summary: 'This document as a page (Swagger UI, served by the API itself)', tag: 'System', security: 'none', page: true, success: [200, 'HTML'] },
  { method: 'get', path: '/workspace', summary: "The caller's workspace", tag: 'Workspace', security: 'apiKey', success: [200, 'The workspace'], response: docs.Workspace, example: examples.responses.workspace },
  {
    method: 'post',
    path: '/identities',
    summary: 'Create an identity by hand',
    description: 'Stores the identity and starts its workflow `identity/<id>`. If Temporal cannot be reached nothing is stored (503).',
    tag: 'Identities',
    security: 'apiKey',
    body: createIdentitySchema,
    requestExample: examples.requests.createIdentity,
    success: [201, 'Created; its workflow runs. `Location` and `ETag` are set'],
    response: docs.Identity,
    example: examples.identity,
  },
  {
    method: 'post',
    path: '/identities/from-linkedin',
    summary: 'Create an identity from a LinkedIn profile',
    tag: 'Identities',
    security: 'apiKey',
    body: createIdentityFromLinkedinSchema,
    requestExample: examples.requests.createIdentityFromLinkedin,
    success: [201, 'Created; contact details filled from the profile'],
    response: docs.Identity,
    example: examples.identity,
  },
  { method: 'get', path: '/identities', summary: "List the workspace's identities", tag: 'Identities', security: 'apiKey', query: paginationSchema, success: [200, 'A page of identities and the next cursor'], response: docs.IdentityPage, example: examples.responses.identityPage },
  { method: 'get', path: '/identities/:id', summary: 'An identity with its live workflow status', tag: 'Identities', security: 'apiKey', success: [200, 'The identity; ETag is its version'], response: docs.IdentityWithStatus, example: examples.responses.identityWithStatus },
  { method: 'patch', path: '/identities/:id', summary: 'Edit contact details', tag: 'Identities', security: 'apiKey', body: updateIdentitySchema, requestExample: examples.requests.updateIdentity, ifMatch: true, success: [200, 'The updated identity'], response: docs.Identity, example: examples.identity },
  { method: 'delete', path: '/identities/:id', summary: 'Delete an identity (stops its workflow and warm-ups, keeps history)', tag: 'Identities', security: 'apiKey', ifMatch: true, success: [204, 'Deleted'] },
  {
    method: 'put',
    path: '/identities/:id/working-hours',
    summary: 'Replace working hours',
    description: 'Stored (version + 1) and signalled to the workflow, which re-plans at once. DST is handled in local wall-clock time.',
    tag: 'Identity settings',
    security: 'apiKey',
    body: workingHoursSchema,
    requestExample: examples.requests.workingHours,
    ifMatch: true,
    success: [200, 'Stored; the workflow re-plans at once'],
    response: docs.Identity,
    example: examples.identity,
  },
  {
    method: 'put',
    path: '/identities/:id/linkedin/rate-limits',
    summary: 'Replace LinkedIn daily limits',
    description: 'Above recommended: accepted with `warnings`. Above the hard ceiling: 422. `raisedUntil` makes a raise temporary.',
    tag: 'Identity settings',
    security: 'apiKey',
    body: linkedinRateLimitsSchema,
    requestExample: examples.requests.rateLimits,
    ifMatch: true,
    success: [200, 'Stored, with warnings for values above recommended and the total scraping capacity'],
    response: docs.IdentityWithLimits,
    example: examples.responses.identityWithLimits,
  },
  { method: 'put', path: '/identities/:id/linkedin/withdrawals', summary: 'Replace automatic withdrawal settings', tag: 'Identity settings', security: 'apiKey', body: withdrawalsSchema, requestExample: examples.requests.withdrawals, ifMatch: true, success: [200, 'Stored'], response: docs.Identity, example: examples.identity },
  { method: 'put', path: '/identities/:id/likings-opt-out', summary: 'Opt out of automatic likes', tag: 'Identity settings', security: 'apiKey', body: likingsOptOutSchema, requestExample: examples.requests.likingsOptOut, ifMatch: true, success: [200, 'Stored'], response: docs.Identity, example: examples.identity },
  { method: 'put', path: '/identities/:id/signature', summary: 'Replace the email signature (sanitised)', tag: 'Identity settings', security: 'apiKey', body: signatureSchema, requestExample: examples.requests.signature, ifMatch: true, success: [200, 'Stored; the returned HTML is the sanitised one'], response: docs.Identity, example: examples.identity },
  {
    method: 'post',
    path: '/identities/:id/linkedin/invitations',
    summary: 'Invite a person (sent inside working hours, within the daily budget)',
    description: '409 `reinvite-blocked` with `blockedUntil` inside the 21-day re-invite block; 409 `conflict` with `invitationId` when one is already queued or pending.',
    tag: 'LinkedIn invitations',
    security: 'apiKey',
    body: sendInvitationSchema,
    requestExample: examples.requests.sendInvitation,
    success: [202, 'Queued'],
    response: docs.Invitation,
    example: examples.responses.invitationQueued,
  },
  { method: 'get', path: '/identities/:id/linkedin/invitations', summary: 'List invitations, optionally by status', tag: 'LinkedIn invitations', security: 'apiKey', query: listInvitationsSchema, success: [200, 'A page of invitations'], response: docs.InvitationPage, example: examples.responses.invitationPage },
  {
    method: 'post',
    path: '/identities/:id/linkedin/invitations/withdraw',
    summary: 'Withdraw pending invitations in bulk (each id answered on its own)',
    tag: 'LinkedIn invitations',
    security: 'apiKey',
    body: withdrawInvitationsSchema,
    requestExample: examples.requests.withdrawInvitations,
    success: [200, 'Per-id outcomes'],
    response: docs.WithdrawResult,
    example: examples.responses.withdrawResult,
  },
  { method: 'get', path: '/identities/:id/linkedin/withdrawals', summary: 'Withdrawal history: who, when, auto or manual', tag: 'LinkedIn invitations', security: 'apiKey', query: paginationSchema, success: [200, 'A page of withdrawals'], response: docs.WithdrawalPage, example: examples.responses.withdrawalPage },
  { method: 'get', path: '/identities/:id/status', summary: 'Live status from the workflow', tag: 'Identity settings', security: 'apiKey', success: [200, "Window, today's budgets, likes, withdrawals, paused campaigns"], response: docs.IdentityStatusWithPausedCampaigns, example: examples.responses.status },
  {
    method: 'post',
    path: '/campaigns',
    summary: 'Create a campaign (draft) for an identity',
    description:
      'Each step has a `kind`: `linkedin-connection-request` (`note?`), `linkedin-message` (`text`), `linkedin-profile-scrape`, `linkedin-like` or `email` (`subject`, `body`), and `delayMinutes` after the previous one. Templates use `{{firstName}}`, `{{lastName}}`, `{{company}}`, `{{email}}` and the lead\'s own variables. Email steps need an inbox on the identity.',
    tag: 'Campaigns',
    security: 'apiKey',
    body: createCampaignSchema,
    requestExample: examples.requests.createCampaign,
    success: [201, 'Created as a draft'],
    response: docs.Campaign,
    example: examples.responses.campaign,
  },
  { method: 'get', path: '/campaigns', summary: "List the workspace's campaigns", tag: 'Campaigns', security: 'apiKey', query: paginationSchema, success: [200, 'A page of campaigns'], response: docs.CampaignPage, example: examples.responses.campaignPage },
  { method: 'get', path: '/campaigns/:id', summary: 'A campaign with lead counts per state', tag: 'Campaigns', security: 'apiKey', success: [200, 'The campaign'], response: docs.CampaignWithCounts, example: examples.responses.campaignWithCounts },
  { method: 'post', path: '/campaigns/:id/start', summary: 'Start a draft campaign (idempotent; 409 from another state)', tag: 'Campaigns', security: 'apiKey', success: [200, 'Active'], response: docs.Campaign, example: examples.responses.campaignActive },
  { method: 'post', path: '/campaigns/:id/pause', summary: 'Pause an active campaign', tag: 'Campaigns', security: 'apiKey', success: [200, 'Paused'], response: docs.Campaign, example: { ...examples.responses.campaignActive, status: 'paused', version: 3 } },
  { method: 'post', path: '/campaigns/:id/resume', summary: 'Resume a paused campaign', tag: 'Campaigns', security: 'apiKey', success: [200, 'Active'], response: docs.Campaign, example: { ...examples.responses.campaignActive, version: 4 } },
  {
    method: 'post',
    path: '/campaigns/:id/leads',
    summary: 'Add leads in bulk (bad rows reported one by one, good rows kept)',
    description: 'Rows are de-duplicated by normalised LinkedIn URL and by e-mail, within the batch and against the campaign.',
    tag: 'Campaigns',
    security: 'apiKey',
    body: docs.addLeadsBody,
    requestExample: examples.requests.addLeads,
    success: [200, 'Created count, duplicates and rejected rows by index'],
    response: docs.AddLeadsResult,
    example: examples.responses.addLeads,
  },
  { method: 'get', path: '/campaigns/:id/leads', summary: 'Leads with their step, next action time, waiting reason and error', tag: 'Campaigns', security: 'apiKey', query: paginationSchema, success: [200, 'A page of leads'], response: docs.LeadPage, example: examples.responses.leadPage },
  {
    method: 'post',
    path: '/identities/:id/email-accounts/imap',
    summary: 'Connect (or reconnect) an IMAP/SMTP inbox after validating both servers',
    description:
      'Both servers are tried before anything is saved. A failure is 422 with a stable `code` (`auth-failed`, `app-password-required`, `basic-auth-disabled`, `too-many-attempts`, `imap-disabled`, `timeout`, `cannot-connect`, `smtp-failed-imap-ok`, `host-not-allowed`), `failedStep` and `guidance`.',
    tag: 'Email',
    security: 'apiKey',
    body: connectImapInboxSchema,
    requestExample: examples.requests.connectImapInbox,
    success: [201, 'Connected'],
    alsoSuccess: [200, 'The same address was reconnected (`reconnected: true`); its leads resume', { ...examples.responses.inboxConnected, reconnected: true, leadsResumed: 2 }],
    response: docs.EmailInboxConnected,
    example: examples.responses.inboxConnected,
  },
  {
    method: 'post',
    path: '/identities/:id/email-accounts/google/authorize',
    summary: 'Start connecting a Google inbox (offline access, consent, Gmail send + read)',
    description: 'Send the browser to `authorizationUrl`. After consent it returns to `/oauth/google/callback`, which ends at `returnUrl` (if given) with the result. 503 naming the settings when Google is not configured.',
    tag: 'Email',
    security: 'apiKey',
    body: authorizeSchema,
    bodyOptional: true,
    requestExample: examples.requests.authorize,
    success: [200, 'The sign-in URL; its signed state works once'],
    response: docs.AuthorizationUrl,
    example: examples.responses.authorization,
  },
  {
    method: 'post',
    path: '/identities/:id/email-accounts/microsoft/authorize',
    summary: 'Start connecting a Microsoft 365 inbox (authorization-code flow)',
    description: 'Scopes: `SMTP.Send Mail.Send Mail.ReadWrite Mail.ReadBasic Mail.Read User.Read offline_access`. Otherwise as Google.',
    tag: 'Email',
    security: 'apiKey',
    body: authorizeSchema,
    bodyOptional: true,
    requestExample: examples.requests.authorize,
    success: [200, 'The sign-in URL'],
    response: docs.AuthorizationUrl,
    example: { ...examples.responses.authorization, authorizationUrl: 'https://login.microsoftonline.com/common/oauth2/v2.0/authorize?client_id=11111111-2222-3333-4444-555555555555&response_type=code&state=eyJuIjoi.c2lnbmF0dXJl' },
  },
  { method: 'get', path: '/oauth/google/callback', summary: 'Google sends the browser back here: stores the inbox, then ends on the return target or a result page', tag: 'Email', security: 'none', page: true, success: [201, 'Result page: connected (200 when reconnected)'] },
  { method: 'get', path: '/oauth/microsoft/callback', summary: 'Microsoft sends the browser back here: stores the inbox, then ends on the return target or a result page', tag: 'Email', security: 'none', page: true, success: [201, 'Result page: connected (200 when reconnected)'] },
  { method: 'get', path: '/identities/:id/email-accounts', summary: "The identity's inboxes (never a secret)", tag: 'Email', security: 'apiKey', success: [200, 'Inboxes with status and rates'], response: docs.EmailInboxList, example: examples.responses.inboxList },
  { method: 'put', path: '/identities/:id/email-accounts/:accountId/rate', summary: 'Set an inbox rate (30/5 recommended, 80/10 maximum)', tag: 'Email', security: 'apiKey', body: inboxRateSchema, requestExample: examples.requests.inboxRate, success: [200, 'Stored, with warnings above recommended'], response: docs.EmailInboxWithRateWarnings, example: examples.responses.inboxRate },
  {
    method: 'put',
    path: '/admin/email-accounts/:accountId/rate-override',
    summary: 'Operator override of an inbox rate (may exceed the maximum) with a reason, until an expiry',
    tag: 'Operator',
    security: 'operator',
    body: inboxRateOverrideSchema,
    requestExample: examples.requests.inboxRateOverride,
    success: [200, 'Stored; the own rate applies again at the expiry'],
    response: docs.EmailInbox,
    example: examples.responses.inboxOverride,
  },
  {
    method: 'delete',
    path: '/identities/:id/email-accounts/:accountId',
    summary: 'Disconnect an email inbox',
    description: '409 while leads are mid-sequence on it, unless `?force=true`; those leads then stop with an error naming the address, and resume when it is reconnected.',
    tag: 'Email',
    security: 'apiKey',
    query: z.strictObject({ force: z.enum(['true', 'false']).default('false') }),
    success: [200, 'Disconnected, with the number of leads stopped'],
    response: docs.EmailInboxDisconnected,
    example: examples.responses.inboxDisconnected,
  },
  {
    method: 'post',
    path: '/identities/:id/email-accounts/:accountId/warmup',
    summary: "Start a two-week warm-up of an inbox (pauses the identity's active campaigns unless pauseCampaigns is false); idempotent",
    tag: 'Email',
    security: 'apiKey',
    body: startWarmupSchema,
    bodyOptional: true,
    requestExample: examples.requests.startWarmup,
    success: [201, 'Started'],
    alsoSuccess: [200, 'A warm-up already runs: that one (its original pauseCampaigns stands)', { ...examples.responses.warmup, daysLeft: 9 }],
    response: docs.Warmup,
    example: examples.responses.warmup,
  },
  { method: 'get', path: '/identities/:id/email-accounts/:accountId/warmup', summary: 'Warm-up state, start, end, days left and provider status', tag: 'Email', security: 'apiKey', success: [200, 'The warm-up'], response: docs.Warmup, example: examples.responses.warmup },
  { method: 'delete', path: '/identities/:id/email-accounts/:accountId/warmup', summary: 'Stop a warm-up early (provider stopped, campaigns it paused resumed)', tag: 'Email', security: 'apiKey', success: [200, 'The stopped (or already finished) warm-up'], response: docs.Warmup, example: { ...examples.responses.warmup, state: 'stopped', daysLeft: 0 } },
  { method: 'post', path: '/identities/:id/share-links', summary: 'Create a 24-hour share link that lets the owner reconnect LinkedIn and inboxes (the URL is shown this once)', tag: 'Share links', security: 'apiKey', success: [201, 'The link'], response: docs.ShareLinkCreated, example: examples.responses.shareLinkCreated },
  { method: 'get', path: '/identities/:id/share-links', summary: "The identity's share links (never their URLs)", tag: 'Share links', security: 'apiKey', success: [200, 'Links with their state'], response: docs.ShareLinkList, example: examples.responses.shareLinkList },
  { method: 'delete', path: '/identities/:id/share-links/:linkId', summary: 'Revoke a share link at once', tag: 'Share links', security: 'apiKey', success: [204, 'Revoked (idempotent)'] },
  {
    method: 'get',
    path: '/share/:token',
    summary: 'The share page (browsers) or what the link shows (JSON)',
    description: `${SHARE_PUBLIC}\`Accept: text/html\` gets the page a person uses (see docs/share-links.md); anything else gets JSON. Reads only: a mail scanner's pre-fetch consumes nothing.`,
    tag: 'Share links',
    security: 'none',
    success: [200, 'The identity, LinkedIn and inbox status, available actions'],
    response: docs.ShareView,
    example: examples.responses.shareView,
  },
  {
    method: 'post',
    path: '/share/:token/identities/:identityId/linkedin/reconnect',
    summary: 'Open a LinkedIn reconnect session (403 for another identity)',
    description: `${SHARE_PUBLIC}${FORM_ANSWER}to the LinkedIn service's sign-in page, which sends the owner back to the share page.`,
    tag: 'Share links',
    security: 'none',
    form: { schema: docs.csrfForm, example: examples.requests.shareForm },
    success: [200, 'reconnectUrl and its expiry'],
    response: docs.ReconnectSession,
    example: examples.responses.reconnectSession,
  },
  {
    method: 'post',
    path: '/share/:token/identities/:identityId/email-accounts',
    summary: 'Connect an IMAP/SMTP inbox (validated like the API route; the same address again reconnects it, 200)',
    description: `${SHARE_PUBLIC}${FORM_ANSWER}back to the share page with \`status\` and \`code\`; empty server fields take the well-known provider's servers.`,
    tag: 'Share links',
    security: 'none',
    body: connectImapInboxSchema,
    requestExample: examples.requests.connectImapInbox,
    form: { schema: docs.connectInboxForm, example: examples.requests.shareConnectForm },
    success: [201, 'Connected'],
    alsoSuccess: [200, 'The same address was reconnected', { ...examples.responses.inboxConnected, reconnected: true, leadsResumed: 0 }],
    response: docs.EmailInboxConnected,
    example: examples.responses.inboxConnected,
  },
  {
    method: 'post',
    path: '/share/:token/identities/:identityId/email-accounts/:accountId/reconnect',
    summary: 'Reconnect an inbox: a new password for IMAP/SMTP (servers default to the stored ones), or the provider sign-in for Google / Microsoft',
    description: `${SHARE_PUBLIC}${FORM_ANSWER}back to the share page, or on to the provider's sign-in page.`,
    tag: 'Share links',
    security: 'none',
    body: reconnectImapInboxSchema,
    requestExample: examples.requests.reconnectImapInbox,
    form: { schema: docs.passwordForm, example: examples.requests.sharePasswordForm },
    success: [200, 'Reconnected (or, for Google / Microsoft, the sign-in URL)'],
    response: docs.EmailInboxConnected,
    example: { ...examples.responses.inboxConnected, reconnected: true, leadsResumed: 2 },
  },
  {
    method: 'post',
    path: '/share/:token/identities/:identityId/oauth/:provider/start',
    summary: "Start Google or Microsoft sign-in for the link's identity; it returns to the share page",
    description: `${SHARE_PUBLIC}\`provider\` is \`google\` or \`microsoft\`. ${FORM_ANSWER}to the provider's sign-in page. 503 when the provider is not available.`,
    tag: 'Share links',
    security: 'none',
    form: { schema: docs.csrfForm, example: examples.requests.shareForm },
    success: [200, 'The authorization URL'],
    response: docs.AuthorizationUrl,
    example: examples.responses.authorization,
  },
  { method: 'post', path: '/admin/workspaces', summary: 'Create a workspace', tag: 'Operator', security: 'operator', body: createWorkspaceSchema, requestExample: examples.requests.createWorkspace, success: [201, 'Created'], response: docs.Workspace, example: examples.responses.workspace },
  { method: 'get', path: '/admin/workspaces', summary: 'List workspaces', tag: 'Operator', security: 'operator', query: paginationSchema, success: [200, 'A page of workspaces'], response: docs.WorkspacePage, example: examples.responses.workspacePage },
  { method: 'patch', path: '/admin/workspaces/:id', summary: 'Change a workspace (name, scraping pool)', tag: 'Operator', security: 'operator', body: updateWorkspaceSchema, requestExample: examples.requests.updateWorkspace, success: [200, 'Updated'], response: docs.Workspace, example: { ...examples.responses.workspace, linkedinScrapingPoolPerDay: 300 } },
  { method: 'post', path: '/admin/workspaces/:id/api-keys', summary: 'Create an API key (shown once)', tag: 'Operator', security: 'operator', body: createApiKeySchema, requestExample: examples.requests.createApiKey, success: [201, 'The key, shown this once'], response: docs.ApiKeyCreated, example: examples.responses.apiKeyCreated },
  { method: 'get', path: '/admin/workspaces/:id/api-keys', summary: "List a workspace's API keys (never the keys)", tag: 'Operator', security: 'operator', success: [200, 'Keys: name, created, last used, revoked'], response: docs.ApiKeyList, example: examples.responses.apiKeyList },
  { method: 'delete', path: '/admin/workspaces/:id/api-keys/:keyId', summary: 'Revoke an API key', tag: 'Operator', security: 'operator', success: [204, 'Revoked (idempotent)'] },
];

const COMPONENT_PREFIX = '#/components/schemas/';

function problem(description: string, produces = 'application/problem+json') {
  return { description, content: { [produces]: produces === 'text/html' ? { schema: { type: 'string' } } : { schema: { $ref: `${COMPONENT_PREFIX}Problem` } } } };
}

/** The named schemas of one direction, as OpenAPI components. */
function componentsOf(registry: z.core.$ZodRegistry<docs.DocMeta>, io: 'input' | 'output'): Record<string, Record<string, unknown>> {
  const { schemas } = z.toJSONSchema(registry, { io, metadata: registry, unrepresentable: 'any', uri: (id) => `${COMPONENT_PREFIX}${id}` });
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => {
      const { $schema, $id, id, ...rest } = schema as Record<string, unknown>;
      return [name, rest];
    }),
  );
}

function refTo(registry: z.core.$ZodRegistry<docs.DocMeta>, schema: z.ZodType, what: string): { $ref: string } {
  const id = registry.get(schema)?.id;
  if (!id) throw new Error(`OpenAPI: ${what} has no name in api/openapi-schemas.ts`);
  return { $ref: `${COMPONENT_PREFIX}${id}` };
}

function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

const PATH_PARAMETERS: Record<string, string> = {
  id: 'The id (UUID) of the resource the path names',
  accountId: 'The inbox id',
  linkId: 'The share link id',
  keyId: 'The API key id',
  identityId: "The link's identity (another identity answers 403)",
  token: 'The share link token (43 characters), from the URL the link holder received',
  provider: '`google` or `microsoft`',
};

function queryParameter(name: string, schema: z.ZodType) {
  const { $schema, description, ...json } = z.toJSONSchema(schema, { io: 'input', metadata: docs.requestDocs, unrepresentable: 'any' }) as Record<string, unknown>;
  return { name, in: 'query', required: false, ...(typeof description === 'string' ? { description } : {}), schema: json };
}

const OAUTH_CALLBACK_QUERY = [
  { name: 'state', in: 'query', required: true, description: 'The signed, single-use state of the sign-in', schema: { type: 'string' } },
  { name: 'code', in: 'query', required: false, description: 'The authorization code (never shown or logged)', schema: { type: 'string' } },
  { name: 'error', in: 'query', required: false, description: "The provider's error code (`access_denied`, `admin_policy_enforced`…)", schema: { type: 'string' } },
  { name: 'error_description', in: 'query', required: false, description: 'Its text (Entra puts its AADSTS number there)', schema: { type: 'string' } },
];

function operationObject(operation: Operation) {
  const isShare = operation.path.startsWith('/share');
  const isCallback = operation.path.startsWith('/oauth/');
  const pathParameters = [...operation.path.matchAll(/:(\w+)/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    description: PATH_PARAMETERS[name!] ?? name,
    schema: name === 'provider' ? { type: 'string', enum: ['google', 'microsoft'] } : { type: 'string' },
  }));
  const queryParameters = isCallback ? OAUTH_CALLBACK_QUERY : Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => queryParameter(name, schema as z.ZodType));
  const headerParameters = operation.ifMatch
    ? [{ name: 'If-Match', in: 'header', required: false, description: 'The ETag of the identity: refuse with 409 if it changed meanwhile', schema: { type: 'string' } }]
    : [];
  const [status, description] = operation.success;
  const responses: Record<string, unknown> = {};
  if (status === 204) responses[status] = { description };
  else if (operation.page) responses[status] = { description, content: { 'text/html': { schema: { type: 'string' } } } };
  else {
    const content: Record<string, unknown> = { 'application/json': { schema: refTo(docs.responseDocs, operation.response!, `the answer of ${operation.method} ${operation.path}`), example: operation.example } };
    if (isShare && operation.method === 'get') content['text/html'] = { schema: { type: 'string', description: 'The share page, for `Accept: text/html`' } };
    responses[status] = { description, content };
    if (operation.alsoSuccess) {
      const [alsoStatus, alsoDescription, alsoExample] = operation.alsoSuccess;
      responses[alsoStatus] = { description: alsoDescription, content: { 'application/json': { schema: refTo(docs.responseDocs, operation.response!, operation.path), example: alsoExample } } };
    }
  }
  if (operation.form) {
    responses['303'] = { description: 'A form post: on to a sign-in page, or back to the share page with `?status=…&code=…#result`', headers: { Location: { schema: { type: 'string' } } } };
  }
  if (isCallback) {
    responses['303'] = {
      description: 'To the share page (a sign-in started from a link) or the caller\'s `returnUrl`, with `status` (`connected`, `reconnected`, `failed`), `code` (`ok` or the failure code), `provider` and `inbox`',
      headers: { Location: { schema: { type: 'string' } } },
    };
    responses['200'] = { description: 'Result page: reconnected', content: { 'text/html': { schema: { type: 'string' } } } };
    responses['400'] = problem('Result page: the state is invalid, expired or already used', 'text/html');
    responses['422'] = problem('Result page: the provider refused (consent required, admin approval required, Conditional Access…), with the guidance', 'text/html');
    responses['503'] = problem('Result page: the provider is not configured', 'text/html');
  }
  if (operation.security !== 'none') responses['401'] = problem('Missing, unknown or revoked key');
  if (isShare) {
    responses['401'] = problem('Unknown, expired or revoked link (a page for browsers)');
    responses['429'] = problem('Too many wrong links from this client, or too many requests with this link; `Retry-After` says when to retry');
    if (operation.path.includes(':identityId')) responses['403'] = problem('The link is for another identity');
  }
  if (operation.path.includes(':') && !isCallback) responses['404'] = problem(isShare ? 'Not found under this link' : 'Unknown id, or one of another workspace');
  if (operation.body || operation.query || operation.form) responses['422'] = problem('Invalid input; `errors` names each field');
  if (operation.body || operation.form) {
    responses['400'] = problem('Malformed JSON');
    responses['413'] = problem('Body too large');
    responses['415'] = problem(operation.form ? 'Body is neither JSON nor a form' : 'Body is not application/json');
  }
  if (!isCallback && (operation.ifMatch || operation.method === 'post')) responses['409'] = problem('Conflict');
  if (operation.path.startsWith('/identities') || operation.path.startsWith('/campaigns') || operation.security === 'operator' || isShare) {
    responses['503'] = problem('A dependency is unreachable or not configured (nothing changed), or operator routes disabled');
  }
  const requestContent: Record<string, unknown> = {};
  if (operation.body) requestContent['application/json'] = { schema: refTo(docs.requestDocs, operation.body, `the body of ${operation.method} ${operation.path}`), example: operation.requestExample };
  if (operation.form) requestContent['application/x-www-form-urlencoded'] = { schema: refTo(docs.requestDocs, operation.form.schema, 'a form'), example: operation.form.example };
  return {
    summary: operation.summary,
    ...(operation.description ? { description: operation.description } : {}),
    tags: [operation.tag],
    operationId: `${operation.method}${operation.path.replace(/[/:-]+(\w)/g, (_match, letter: string) => letter.toUpperCase())}`,
    security: operation.security === 'none' ? [] : [{ [operation.security]: [] }],
    parameters: [...pathParameters, ...queryParameters, ...headerParameters],
    // A body the JSON caller may leave out: every field defaulted, or a form-only route (a button).
    ...(Object.keys(requestContent).length > 0 ? { requestBody: { required: operation.body !== undefined && !operation.bodyOptional, content: requestContent } } : {}),
    responses,
  };
}

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details. Some problems add members: `code`, `failedStep` and `guidance` (inbox connection), `blockedUntil` (re-invite block), `invitationId` (conflict).',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string', description: '`urn:pacer:problem:<code>`' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string', description: 'The path (a share link token shows as `…`)' },
    errors: {
      type: 'array',
      description: 'Validation: one entry per offending field',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
  example: examples.problem,
};

const DESCRIPTION = `Configure sales-outreach identities (a LinkedIn account and email inboxes); durable Temporal workflows pace what they do inside working hours.

**Authentication.** Send a workspace API key as \`Authorization: Bearer <key>\` (the *apiKey* scheme; use "Authorize" above to try routes here). Keys are created by an operator (\`POST /admin/workspaces/{id}/api-keys\`, shown once) or listed in \`API_KEYS\`; \`npm start\` prints a development key. Another workspace's ids answer 404. Operator routes take \`OPERATOR_API_KEY\` the same way (the *operator* scheme). Share-link routes take no key: the token in the path is the credential.

**Errors** are RFC 9457 \`application/problem+json\` (see *Problem*): 422 names every offending field in \`errors\`, 400 is malformed JSON, 415 a body that is not JSON, 413 one too large, 503 a dependency that did not answer (nothing changed).

**Lists** are keyset-paginated: \`limit\` (1–100, default 50) and \`cursor\` (the previous page's \`nextCursor\`).

**Concurrency.** An identity's \`version\` is its ETag; send \`If-Match: "<version>"\` to refuse a change (409) when someone else changed it meanwhile.`;

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    (paths[openApiPath(operation.path)] ??= {})[operation.method] = operationObject(operation);
  }
  const requests = componentsOf(docs.requestDocs, 'input');
  const answers = componentsOf(docs.responseDocs, 'output');
  const clash = Object.keys(requests).filter((name) => name in answers);
  if (clash.length > 0) throw new Error(`OpenAPI: ${clash.join(', ')} named both as a request and an answer`);
  return {
    openapi: '3.1.0',
    info: { title: 'Pacer API', version: '0.1.0', description: DESCRIPTION },
    tags: [
      { name: 'Identities', description: 'Identities and their contact details' },
      { name: 'Identity settings', description: 'Working hours, LinkedIn limits, withdrawals, likes, signature, live status' },
      { name: 'LinkedIn invitations', description: 'Direct invitations, bulk withdrawal, withdrawal history (21-day re-invite block)' },
      { name: 'Campaigns', description: 'Sequences of steps, leads and their progress' },
      { name: 'Email', description: 'Inboxes (IMAP/SMTP, Google, Microsoft 365), rates, warm-up' },
      { name: 'Share links', description: '24-hour links through which an identity owner reconnects accounts (a page for people, JSON for callers)' },
      { name: 'Workspace', description: "The caller's workspace" },
      { name: 'Operator', description: 'Support staff: workspaces, API keys, rate overrides (OPERATOR_API_KEY)' },
      { name: 'System', description: 'Health and this reference' },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A workspace API key: `Authorization: Bearer <key>`' },
        operator: { type: 'http', scheme: 'bearer', description: 'The operator key (OPERATOR_API_KEY): `Authorization: Bearer <key>`' },
      },
      schemas: { Problem: problemSchema, ...requests, ...answers },
    },
    paths,
  };
}

/** The document, and /docs: Swagger UI (api/pages/docs.eta + assets) rendering it. */
export function openApiRoutes(): Router {
  const router = Router();
  const document = openApiDocument();
  router.get('/openapi.json', (_request, response) => {
    response.json(document);
  });
  router.get('/docs', (_request, response) => {
    sendPage(response, 200, 'docs', { title: `${document.info.title} reference` });
  });
  return router;
}
