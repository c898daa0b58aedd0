import { Router } from 'express';
import { z } from 'zod';
import { createWorkspaceSchema, createApiKeySchema, updateWorkspaceSchema } from './admin';
import { addLeadsSchema, createCampaignSchema } from './campaign-schemas';
import { hostedAuthNotificationSchema, unipileWebhookSchema } from '../integrations/linkedin/notifications';
import { connectLinkedinSchema } from './linkedin-accounts';
import { listInvitationsSchema, sendInvitationSchema, withdrawInvitationsSchema } from './linkedin-invitations';
import { connectImapInboxSchema, inboxRateOverrideSchema, inboxRateSchema } from './email-inboxes';
import { paginationSchema } from './pagination';
import { reconnectImapInboxSchema } from './share-inbox-actions';
import { startWarmupSchema } from './warmup';
import { createWebhookEndpointSchema, listWebhookDeliveriesSchema } from './webhook-endpoints';
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

type Security = 'apiKey' | 'operator' | 'webhookSecret' | 'none';

interface Operation {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express syntax (`:id`); converted to OpenAPI (`{id}`). */
  path: string;
  summary: string;
  tag: string;
  security: Security;
  body?: z.ZodType;
  /** The body may be left out altogether (every field has a default). */
  bodyOptional?: boolean;
  query?: z.ZodObject;
  /** Success status and its description; error statuses are added from the path and body. */
  success: [number, string];
  ifMatch?: boolean;
  /** Content type of the success body (JSON unless said). */
  produces?: string;
}

/** Every route the API serves. A test checks that this list and the Express routes are the same. */
export const OPERATIONS: Operation[] = [
  { method: 'get', path: '/healthz', summary: 'Liveness', tag: 'System', security: 'none', success: [200, 'The API is up'] },
  { method: 'get', path: '/readyz', summary: 'Readiness: PostgreSQL and Temporal answer and every migration is applied; 503 naming what is down', tag: 'System', security: 'none', success: [200, 'Ready, with each check'] },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics (Bearer METRICS_TOKEN when set)', tag: 'System', security: 'none', produces: 'text/plain', success: [200, 'Prometheus text format'] },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'System', security: 'none', success: [200, 'OpenAPI 3.1'] },
  { method: 'get', path: '/docs', summary: 'This document as a page', tag: 'System', security: 'none', produces: 'text/html', success: [200, 'HTML'] },
  { method: 'get', path: '/workspace', summary: "The caller's workspace", tag: 'Workspace', security: 'apiKey', success: [200, 'The workspace'] },
  { method: 'post', path: '/identities', summary: 'Create an identity by hand', tag: 'Identities', security: 'apiKey', body: createIdentitySchema, success: [201, 'Created; its workflow runs'] },
  { method: 'post', path: '/identities/from-linkedin', summary: "Create an identity from a LinkedIn account connected through this workspace's hosted sign-in (linkedinAccountId); contact details come from the account's own profile", tag: 'Identities', security: 'apiKey', body: createIdentityFromLinkedinSchema, success: [201, 'Created, connected; contact details filled from the profile'] },
  { method: 'get', path: '/identities', summary: "List the workspace's identities", tag: 'Identities', security: 'apiKey', query: paginationSchema, success: [200, 'A page of identities and the next cursor'] },
  { method: 'get', path: '/identities/:id', summary: 'An identity with its live workflow status', tag: 'Identities', security: 'apiKey', success: [200, 'The identity; ETag is its version'] },
  { method: 'patch', path: '/identities/:id', summary: 'Edit contact details', tag: 'Identities', security: 'apiKey', body: updateIdentitySchema, ifMatch: true, success: [200, 'The updated identity'] },
  { method: 'delete', path: '/identities/:id', summary: 'Delete an identity (stops its workflow, keeps history)', tag: 'Identities', security: 'apiKey', ifMatch: true, success: [204, 'Deleted'] },
  { method: 'put', path: '/identities/:id/working-hours', summary: 'Replace working hours', tag: 'Identity settings', security: 'apiKey', body: workingHoursSchema, ifMatch: true, success: [200, 'Stored; the workflow re-plans at once'] },
  { method: 'put', path: '/identities/:id/linkedin/rate-limits', summary: 'Replace LinkedIn daily limits', tag: 'Identity settings', security: 'apiKey', body: linkedinRateLimitsSchema, ifMatch: true, success: [200, 'Stored, with warnings for values above recommended and the total scraping capacity'] },
  { method: 'put', path: '/identities/:id/linkedin/withdrawals', summary: 'Replace automatic withdrawal settings', tag: 'Identity settings', security: 'apiKey', body: withdrawalsSchema, ifMatch: true, success: [200, 'Stored'] },
  { method: 'put', path: '/identities/:id/likings-opt-out', summary: 'Opt out of automatic likes', tag: 'Identity settings', security: 'apiKey', body: likingsOptOutSchema, ifMatch: true, success: [200, 'Stored'] },
  { method: 'put', path: '/identities/:id/signature', summary: 'Replace the email signature (sanitised)', tag: 'Identity settings', security: 'apiKey', body: signatureSchema, ifMatch: true, success: [200, 'Stored; the returned HTML is the sanitised one'] },
  { method: 'post', path: '/identities/:id/linkedin/invitations', summary: 'Invite a person (sent inside working hours, within the daily budget); 409 inside the 21-day re-invite block', tag: 'LinkedIn invitations', security: 'apiKey', body: sendInvitationSchema, success: [202, 'Queued'] },
  { method: 'get', path: '/identities/:id/linkedin/invitations', summary: 'List invitations, optionally by status', tag: 'LinkedIn invitations', security: 'apiKey', query: listInvitationsSchema, success: [200, 'A page of invitations'] },
  { method: 'post', path: '/identities/:id/linkedin/invitations/withdraw', summary: 'Withdraw pending invitations in bulk (each id answered on its own)', tag: 'LinkedIn invitations', security: 'apiKey', body: withdrawInvitationsSchema, success: [200, 'Per-id outcomes'] },
  { method: 'get', path: '/identities/:id/linkedin/withdrawals', summary: 'Withdrawal history: who, when, auto or manual', tag: 'LinkedIn invitations', security: 'apiKey', query: paginationSchema, success: [200, 'A page of withdrawals'] },
  { method: 'post', path: '/identities/:id/linkedin/connect', summary: "Open a hosted LinkedIn sign-in for the identity: reconnect its account, or connect one (the service notifies Pacer when done)", tag: 'LinkedIn accounts', security: 'apiKey', body: connectLinkedinSchema, bodyOptional: true, success: [201, '{ id, type, url, expiresAt }: send the person to url'] },
  { method: 'post', path: '/linkedin/hosted-auth-links', summary: 'Open a hosted LinkedIn sign-in to connect an account and then create an identity from it', tag: 'LinkedIn accounts', security: 'apiKey', body: connectLinkedinSchema, bodyOptional: true, success: [201, '{ id, type, url, expiresAt }'] },
  { method: 'get', path: '/linkedin/hosted-auth-links/:id', summary: 'A hosted sign-in: pending, expired, or completed with its accountId', tag: 'LinkedIn accounts', security: 'apiKey', success: [200, 'The sign-in'] },
  { method: 'post', path: '/webhooks/linkedin/hosted-auth/:token', summary: "Called by the LinkedIn service when a hosted sign-in completes ({status, account_id, name}); the URL's token authenticates it; a repeat changes nothing", tag: 'LinkedIn accounts', security: 'none', body: hostedAuthNotificationSchema, success: [200, 'Recorded (changed: false for a repeat)'] },
  { method: 'post', path: '/webhooks/unipile', summary: "Unipile's webhooks: new_relation (the invitation is accepted) and AccountStatus (the identity's LinkedIn status); other events are ignored; a repeat changes nothing", tag: 'LinkedIn accounts', security: 'webhookSecret', body: unipileWebhookSchema, success: [200, 'handled, and what changed'] },
  { method: 'get', path: '/identities/:id/status', summary: 'Live status from the workflow', tag: 'Identity settings', security: 'apiKey', success: [200, "Window, today's budgets, likes, withdrawals"] },
  { method: 'post', path: '/campaigns', summary: 'Create a campaign (draft) for an identity', tag: 'Campaigns', security: 'apiKey', body: createCampaignSchema, success: [201, 'Created as a draft'] },
  { method: 'get', path: '/campaigns', summary: "List the workspace's campaigns", tag: 'Campaigns', security: 'apiKey', query: paginationSchema, success: [200, 'A page of campaigns'] },
  { method: 'get', path: '/campaigns/:id', summary: 'A campaign with lead counts per state', tag: 'Campaigns', security: 'apiKey', success: [200, 'The campaign'] },
  { method: 'post', path: '/campaigns/:id/start', summary: 'Start a draft campaign', tag: 'Campaigns', security: 'apiKey', success: [200, 'Active'] },
  { method: 'post', path: '/campaigns/:id/pause', summary: 'Pause an active campaign', tag: 'Campaigns', security: 'apiKey', success: [200, 'Paused'] },
  { method: 'post', path: '/campaigns/:id/resume', summary: 'Resume a paused campaign', tag: 'Campaigns', security: 'apiKey', success: [200, 'Active'] },
  { method: 'post', path: '/campaigns/:id/leads', summary: 'Add leads in bulk (bad rows reported one by one, good rows kept)', tag: 'Campaigns', security: 'apiKey', body: addLeadsSchema, success: [200, 'Created count, duplicates and rejected rows by index'] },
  { method: 'get', path: '/campaigns/:id/leads', summary: "Leads with their step, next action time, waiting reason and error", tag: 'Campaigns', security: 'apiKey', query: paginationSchema, success: [200, 'A page of leads'] },
  { method: 'post', path: '/identities/:id/email-accounts/imap', summary: 'Connect (or reconnect) an IMAP/SMTP inbox after validating both servers: security inferred from the port, hosts from the Gmail/Outlook/Office 365/Yahoo/iCloud/Zoho presets when omitted, security "none" refused unless EMAIL_ALLOW_PLAINTEXT=true; 422 with a `code` and `guidance` when one fails; 409 `address-in-use` naming the identity that holds the address', tag: 'Email', security: 'apiKey', body: connectImapInboxSchema, success: [201, 'Connected (200 when the same address was reconnected; its leads resume)'] },
  { method: 'post', path: '/identities/:id/email-accounts/google/authorize', summary: 'Start connecting a Google inbox (offline access, consent, Gmail send + read); 503 naming the env vars when not configured', tag: 'Email', security: 'apiKey', success: [200, '{ authorizationUrl, expiresAt }; the signed state works once'] },
  { method: 'post', path: '/identities/:id/email-accounts/microsoft/authorize', summary: 'Start connecting a Microsoft 365 inbox (authorization-code flow, SMTP.Send Mail.Send Mail.ReadWrite Mail.ReadBasic Mail.Read User.Read offline_access)', tag: 'Email', security: 'apiKey', success: [200, '{ authorizationUrl, expiresAt }'] },
  { method: 'get', path: '/oauth/google/callback', summary: 'Google redirects here: stores the inbox (refresh token encrypted); provider errors answer 422 with a code and guidance', tag: 'Email', security: 'none', success: [201, 'Connected (200 when reconnected)'] },
  { method: 'get', path: '/oauth/microsoft/callback', summary: 'Microsoft redirects here; the address is the mailbox\'s (Graph /me). Entra errors (AADSTS65001, 90094/90095 or the approval screen without a code, 90093, 53003, 700082/70008/50173) answer 422 with a code and guidance; admin-approval-required carries adminConsentUrl', tag: 'Email', security: 'none', success: [201, 'Connected (200 when reconnected)'] },
  { method: 'get', path: '/oauth/microsoft/admin-consent', summary: 'Entra sends an administrator back here after the admin consent page (adminConsentUrl): granted, or 422 with a code and guidance', tag: 'Email', security: 'none', success: [200, '{ adminConsent: "granted", tenant }'] },
  { method: 'get', path: '/identities/:id/email-accounts', summary: "The identity's inboxes (never a secret), with reply sync status (sync.status, lastSyncAt, lastError)", tag: 'Email', security: 'apiKey', success: [200, 'Inboxes with status and rates'] },
  { method: 'put', path: '/identities/:id/email-accounts/:accountId/rate', summary: 'Set an inbox rate (30/5 recommended, 80/10 maximum)', tag: 'Email', security: 'apiKey', body: inboxRateSchema, success: [200, 'Stored, with warnings above recommended'] },
  { method: 'put', path: '/admin/email-accounts/:accountId/rate-override', summary: 'Operator override of an inbox rate (may exceed the maximum) with a reason, until an expiry', tag: 'Operator', security: 'operator', body: inboxRateOverrideSchema, success: [200, 'Stored; the own rate applies again at the expiry'] },
  { method: 'delete', path: '/identities/:id/email-accounts/:accountId', summary: 'Disconnect an email inbox: its password and refresh-token envelopes are erased, a Google token revoked, its warm-up stopped (409 with leads mid-sequence unless ?force=true; they then stop with an error naming the address)', tag: 'Email', security: 'apiKey', success: [200, 'Disconnected, with the number of leads stopped, what happened to the credentials and the warm-up'] },
  { method: 'post', path: '/identities/:id/email-accounts/:accountId/warmup', summary: 'Start a two-week warm-up of an inbox (pauses the identity\'s active campaigns unless pauseCampaigns is false; without the pause, campaign email keeps going from it within its rate); idempotent. 422 warmup-mailbox-not-connected when Instantly does not know the mailbox', tag: 'Email', security: 'apiKey', body: startWarmupSchema, bodyOptional: true, success: [201, 'Started (200: the one already running)'] },
  { method: 'get', path: '/identities/:id/email-accounts/:accountId/warmup', summary: 'Warm-up state, start, end, days left and provider status', tag: 'Email', security: 'apiKey', success: [200, 'The warm-up'] },
  { method: 'delete', path: '/identities/:id/email-accounts/:accountId/warmup', summary: 'Stop a warm-up early (provider stopped, campaigns it paused resumed)', tag: 'Email', security: 'apiKey', success: [200, 'The stopped (or already finished) warm-up'] },
  { method: 'post', path: '/identities/:id/share-links', summary: 'Create a 24-hour share link that lets the owner reconnect LinkedIn and inboxes (the URL is shown this once)', tag: 'Share links', security: 'apiKey', success: [201, 'The link: id, url, expiresAt'] },
  { method: 'get', path: '/identities/:id/share-links', summary: "The identity's share links (never their URLs)", tag: 'Share links', security: 'apiKey', success: [200, 'Links with their state'] },
  { method: 'delete', path: '/identities/:id/share-links/:linkId', summary: 'Revoke a share link at once', tag: 'Share links', security: 'apiKey', success: [204, 'Revoked (idempotent)'] },
  { method: 'get', path: '/share/:token', summary: "Public (the token is the credential): the identity's name and connection status; consumes nothing", tag: 'Share links', security: 'none', success: [200, 'Identity, LinkedIn and inbox status, available actions'] },
  { method: 'post', path: '/share/:token/identities/:identityId/linkedin/reconnect', summary: 'Public: open a LinkedIn reconnect session (403 for another identity)', tag: 'Share links', security: 'none', success: [200, 'reconnectUrl and its expiry'] },
  { method: 'post', path: '/share/:token/identities/:identityId/email-accounts', summary: 'Public: connect an IMAP/SMTP inbox (validated like the API route; the same address again reconnects it, 200)', tag: 'Share links', security: 'none', body: connectImapInboxSchema, success: [201, 'Connected'] },
  { method: 'post', path: '/share/:token/identities/:identityId/email-accounts/:accountId/reconnect', summary: 'Public: reconnect an inbox: a new password for IMAP/SMTP (servers default to the stored ones), or the provider sign-in URL for Google / Microsoft', tag: 'Share links', security: 'none', body: reconnectImapInboxSchema, success: [200, 'Reconnected, or the authorization URL'] },
  { method: 'post', path: '/share/:token/identities/:identityId/oauth/:provider/start', summary: 'Public: start Google or Microsoft OAuth for the link\'s identity (503 naming the env vars when not configured)', tag: 'Share links', security: 'none', success: [200, 'The authorization URL'] },
  // Event webhooks out (docs/webhooks.md).
  { method: 'post', path: '/webhook-endpoints', summary: 'Register an event webhook endpoint (URL checked by the SSRF guard; https in production); answers its signing secret whsec_… this once. 503 without PACER_ENCRYPTION_KEYS', tag: 'Webhooks', security: 'apiKey', body: createWebhookEndpointSchema, success: [201, 'The endpoint and its secret'] },
  { method: 'get', path: '/webhook-endpoints', summary: "The workspace's webhook endpoints (never their secrets)", tag: 'Webhooks', security: 'apiKey', success: [200, 'Endpoints with their state'] },
  { method: 'delete', path: '/webhook-endpoints/:id', summary: 'Disable an endpoint: no new event, pending deliveries cancelled; its log stays', tag: 'Webhooks', security: 'apiKey', success: [204, 'Disabled (idempotent)'] },
  { method: 'get', path: '/webhook-endpoints/:id/deliveries', summary: "The endpoint's delivery log, newest first: event, state, attempts, last answer, next attempt", tag: 'Webhooks', security: 'apiKey', query: listWebhookDeliveriesSchema, success: [200, 'A page of deliveries and the next cursor'] },
  { method: 'get', path: '/webhook-endpoints/:id/deliveries/:deliveryId', summary: 'One delivery with each attempt (time, status or error, duration)', tag: 'Webhooks', security: 'apiKey', success: [200, 'The delivery and its attempts'] },
  { method: 'post', path: '/admin/workspaces', summary: 'Create a workspace', tag: 'Operator', security: 'operator', body: createWorkspaceSchema, success: [201, 'Created'] },
  { method: 'get', path: '/admin/workspaces', summary: 'List workspaces', tag: 'Operator', security: 'operator', query: paginationSchema, success: [200, 'A page of workspaces'] },
  { method: 'patch', path: '/admin/workspaces/:id', summary: 'Change a workspace (name, scraping pool)', tag: 'Operator', security: 'operator', body: updateWorkspaceSchema, success: [200, 'Updated'] },
  { method: 'post', path: '/admin/workspaces/:id/api-keys', summary: 'Create an API key (shown once)', tag: 'Operator', security: 'operator', body: createApiKeySchema, success: [201, 'The key, shown this once'] },
  { method: 'get', path: '/admin/workspaces/:id/api-keys', summary: "List a workspace's API keys (never the keys)", tag: 'Operator', security: 'operator', success: [200, 'Keys: name, created, last used, revoked'] },
  { method: 'delete', path: '/admin/workspaces/:id/api-keys/:keyId', summary: 'Revoke an API key', tag: 'Operator', security: 'operator', success: [204, 'Revoked (idempotent)'] },
];

const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['field', 'message'], properties: { field: { type: 'string' }, message: { type: 'string' } } },
    },
  },
};

function problem(description: string) {
  return { description, content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
}

/** Request shapes as callers send them (before defaults and transforms). */
function jsonSchemaOf(schema: z.ZodType) {
  const { $schema, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  return rest;
}

function openApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}');
}

function operationObject(operation: Operation) {
  const pathParameters = [...operation.path.matchAll(/:(\w+)/g)].map(([, name]) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
  const queryParameters = Object.entries(operation.query?.shape ?? {}).map(([name, schema]) => ({
    name,
    in: 'query',
    required: false,
    schema: jsonSchemaOf(schema as z.ZodType),
  }));
  const headerParameters = operation.ifMatch
    ? [{ name: 'If-Match', in: 'header', required: false, description: 'The ETag of the identity: refuse with 409 if it changed meanwhile', schema: { type: 'string' } }]
    : [];
  const [status, description] = operation.success;
  const responses: Record<string, unknown> = {
    [status]:
      status === 204
        ? { description }
        : { description, content: { [operation.produces ?? 'application/json']: { schema: { type: operation.produces ? 'string' : 'object' } } } },
  };
  if (operation.security !== 'none') responses['401'] = problem('Missing, unknown or revoked key');
  if (operation.path.includes(':')) responses['404'] = problem('Unknown id, or one of another workspace');
  if (operation.body || operation.query) responses['422'] = problem('Invalid input; `errors` names each field');
  if (operation.body) {
    responses['400'] = problem('Malformed JSON');
    responses['413'] = problem('Body too large');
    responses['415'] = problem('Body is not application/json');
  }
  if (operation.ifMatch || operation.method === 'post') responses['409'] = problem('Conflict');
  if (operation.path.startsWith('/identities') || operation.path.startsWith('/campaigns') || operation.security === 'operator') responses['503'] = problem('Temporal unreachable (nothing changed), or operator routes disabled');
  if (operation.path.startsWith('/linkedin') || operation.path.startsWith('/webhooks')) responses['503'] = problem('No LinkedIn gateway or webhook secret configured, the LinkedIn service failed, or Temporal unreachable (deliver again)');
  return {
    summary: operation.summary,
    tags: [operation.tag],
    operationId: `${operation.method}${operation.path.replace(/[/:-](\w)/g, (_match, letter: string) => letter.toUpperCase())}`,
    security: operation.security === 'none' ? [] : [{ [operation.security]: [] }],
    parameters: [...pathParameters, ...queryParameters, ...headerParameters],
    ...(operation.body ? { requestBody: { required: !operation.bodyOptional, content: { 'application/json': { schema: jsonSchemaOf(operation.body) } } } } : {}),
    responses,
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const operation of OPERATIONS) {
    (paths[openApiPath(operation.path)] ??= {})[operation.method] = operationObject(operation);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Pacer API',
      version: '0.1.0',
      description: 'Configure sales-outreach identities; durable Temporal workflows pace them. Errors are RFC 9457 problem+json.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A workspace API key' },
        operator: { type: 'http', scheme: 'bearer', description: 'OPERATOR_API_KEY' },
        webhookSecret: { type: 'apiKey', in: 'header', name: 'X-Pacer-Webhook-Secret', description: 'UNIPILE_WEBHOOK_SECRET, set as a header when registering the webhook' },
      },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

/** A readable page rendered on the server from the same document: no script, no CDN. */
function docsPage(document: ReturnType<typeof openApiDocument>): string {
  const sections = OPERATIONS.map((operation) => {
    const body = operation.body ? `<details><summary>Request body</summary><pre>${escapeHtml(JSON.stringify(jsonSchemaOf(operation.body), null, 2))}</pre></details>` : '';
    return `<section><h3><code>${operation.method.toUpperCase()} ${escapeHtml(operation.path)}</code></h3><p>${escapeHtml(operation.summary)} <small>(${operation.tag}; ${operation.security === 'none' ? 'no key' : operation.security === 'webhookSecret' ? 'webhook secret header' : `${operation.security} key`})</small></p>${body}</section>`;
  }).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(document.info.title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f5f5f5;padding:.5rem;overflow:auto}section{border-top:1px solid #ddd}</style></head>
<body><h1>${escapeHtml(document.info.title)} ${escapeHtml(document.info.version)}</h1><p>${escapeHtml(document.info.description)} Machine-readable: <a href="/openapi.json">/openapi.json</a>.</p>
${sections}</body></html>`;
}

export function openApiRoutes(): Router {
  const router = Router();
  const document = openApiDocument();
  const page = docsPage(document);
  router.get('/openapi.json', (_request, response) => {
    response.json(document);
  });
  router.get('/docs', (_request, response) => {
    response.type('html').send(page);
  });
  return router;
}
