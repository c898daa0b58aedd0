/**
 * What /openapi.json and /docs say about bodies: the response schemas (documentation only: what the
 * views in the route files answer; test/api/openapi.api.test.ts checks real answers against them),
 * and descriptions of the request schemas, which the routes own and validate with.
 *
 * Request schemas are annotated here rather than where they are defined: their files stay about
 * validation, and every word of the reference lives in one place. Two zod registries hold the
 * annotations, one per direction, because a schema's input and output forms differ (defaults,
 * transforms); `id` makes a schema a named component (`#/components/schemas/<id>`).
 */
import { z } from 'zod';
import { createApiKeySchema, createWorkspaceSchema, updateWorkspaceSchema } from './admin';
import { campaignStepSchema, createCampaignSchema, leadRowSchema } from './campaign-schemas';
import { connectImapInboxSchema, inboxRateOverrideSchema, inboxRateSchema } from './email-inboxes';
import { authorizeSchema } from './email-oauth';
import { listInvitationsSchema, sendInvitationSchema, withdrawInvitationsSchema } from './linkedin-invitations';
import { paginationSchema } from './pagination';
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

export interface DocMeta {
  id?: string;
  description?: string;
  [key: string]: unknown;
}

export const requestDocs = z.registry<DocMeta>();
export const responseDocs = z.registry<DocMeta>();

function annotate(registry: typeof requestDocs, schema: z.ZodType, meta: DocMeta): void {
  registry.add(schema, { ...registry.get(schema), ...meta });
}

/** A request schema (owned by its route file) as a named component, with its description. */
function request<T extends z.ZodType>(schema: T, id: string, description: string): T {
  annotate(requestDocs, schema, { id, description });
  return schema;
}

/** Field descriptions, for both directions (a field may appear in requests and answers). */
function describeFields(fields: [z.ZodType, string][]): void {
  for (const [schema, description] of fields) {
    annotate(requestDocs, schema, { description });
    annotate(responseDocs, schema, { description });
  }
}

/** One schema's description, returned for use in place. */
function doc<T extends z.ZodType>(schema: T, description: string): T {
  describeFields([[schema, description]]);
  return schema;
}

/** A response schema, named. */
function response<T extends z.ZodType>(id: string, description: string, schema: T): T {
  annotate(responseDocs, schema, { id, description });
  return schema;
}

// ---------------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------------

const hours = workingHoursSchema.shape;
describeFields([
  [hours.timeZone, 'IANA time zone, e.g. "Europe/Paris"; stored in its canonical spelling.'],
  [hours.days, 'Days the identity works, MON…SUN, at least one, no repeats.'],
  [hours.start, 'Local start, "HH:mm".'],
  [hours.end, 'Local end, "HH:mm" after start; "24:00" allowed. Overnight windows are refused.'],
]);
request(workingHoursSchema, 'WorkingHours', 'When the identity may act (SPEC §1). Outside this window it performs no action of any kind. A window is half-open: at `end` sharp it is outside.');

const contact = createIdentitySchema.shape;
describeFields([
  [contact.firstName, 'First name (1–100 characters).'],
  [contact.lastName, 'Last name (1–100 characters).'],
  [contact.profilePictureUrl, 'Picture URL, http(s). Shown on the share page when https.'],
  [contact.jobTitle, 'Job title.'],
  [contact.linkedinUrl, 'LinkedIn profile URL.'],
  [contact.email, "The person's own email address (contact detail, not an inbox Pacer sends from)."],
  [contact.scheduleMeetingUrl, 'Booking link, http(s).'],
  [contact.phoneNumber, 'Digits, spaces and + ( ) . -'],
  [contact.salesNavigatorEnabled, 'The LinkedIn account has Sales Navigator: only then may it have scraping capacity of its own.'],
]);
request(createIdentitySchema, 'CreateIdentity', 'Contact details and working hours of a new identity; its workflow starts at once.');
const fromLinkedin = createIdentityFromLinkedinSchema.shape;
describeFields([
  [fromLinkedin.profile, 'The profile as the connected LinkedIn account reports it; job title from `jobTitle`, else `headline`.'],
  [fromLinkedin.profile.shape.profileUrl, 'https://www.linkedin.com/in/<slug>'],
]);
request(createIdentityFromLinkedinSchema, 'CreateIdentityFromLinkedin', 'A new identity whose contact details come from a LinkedIn profile (all editable afterwards).');
request(updateIdentitySchema, 'UpdateIdentity', 'Any contact detail to change (at least one); `null` clears an optional one.');

const limits = linkedinRateLimitsSchema.shape;
describeFields([
  [limits.dailyConnectionRequests, 'Connection requests per local day. Recommended 20, hard ceiling 100; above recommended is accepted with a warning.'],
  [limits.dailyMessages, 'Messages per local day. Recommended 100, hard ceiling 250.'],
  [limits.dailyScrapings, "The identity's own scraping capacity on top of the workspace pool (Sales Navigator only), up to 1,000."],
  [limits.raisedUntil, 'When values above recommended fall back to the recommended ones by themselves (ISO 8601 instant), or null to keep them.'],
]);
request(linkedinRateLimitsSchema, 'LinkedinRateLimits', 'LinkedIn daily limits (SPEC §2), replaced whole.');
describeFields([
  [withdrawalsSchema.shape.autoWithdraw, 'Withdraw invitations pending longer than the threshold, inside working hours.'],
  [withdrawalsSchema.shape.thresholdDays, 'Days of exactly 24 hours since the invitation was sent (1–180).'],
]);
request(withdrawalsSchema, 'WithdrawalSettings', 'Automatic withdrawal of old pending invitations.');
request(likingsOptOutSchema, 'LikingsOptOut', '`optOut: true`: the identity never likes posts automatically; like steps are skipped.');
describeFields([
  [signatureSchema.shape.mode, '`rich-text` (fewer tags allowed) or `html` (advanced HTML mode).'],
  [signatureSchema.shape.html, 'The signature as HTML (≤ 10,000 characters); sanitised before it is stored.'],
]);
request(signatureSchema, 'Signature', 'The email signature appended to outgoing emails.');

const stepDescriptions: Record<string, string> = {
  'linkedin-connection-request': 'Send a LinkedIn connection request, with an optional `note` (≤ 300 characters, template variables allowed).',
  'linkedin-message': 'Send a LinkedIn message (`text`); waits until the person accepted the invitation.',
  'linkedin-profile-scrape': "Read the person's LinkedIn profile (counts against the scraping budget).",
  'linkedin-like': "Like the person's latest post (skipped when the identity opted out of likes).",
  email: 'Send an email (`subject`, `body` with template variables; the signature is appended) from the chosen inbox.',
};
for (const option of campaignStepSchema.options) {
  const kind = option.shape.kind.value;
  annotate(requestDocs, option, { id: `CampaignStep.${kind}`, description: stepDescriptions[kind] });
  describeFields([[option.shape.kind, `\`${kind}\`: ${stepDescriptions[kind]}`]]);
}
const emailStep = campaignStepSchema.options[4].shape;
describeFields([
  [campaignStepSchema.options[0].shape.delayMinutes, 'Minutes to wait after the previous step (0 for the first step: as soon as the pacing allows).'],
  [campaignStepSchema.options[0].shape.note, 'Invitation note, ≤ 300 characters. Variables: {{firstName}}, {{lastName}}, {{company}}, {{email}} and the lead\'s own.'],
  [campaignStepSchema.options[1].shape.text, 'Message text (≤ 8,000 characters), with template variables.'],
  [emailStep.subject, 'Subject template.'],
  [emailStep.body, 'Body template (HTML or text); the identity signature is appended.'],
]);
request(
  campaignStepSchema,
  'CampaignStep',
  'One step of a sequence. `kind` says which: `linkedin-connection-request`, `linkedin-message`, `linkedin-profile-scrape`, `linkedin-like` or `email`; each kind has its own fields.',
);
describeFields([
  [createCampaignSchema.shape.identityId, 'The identity that runs the campaign.'],
  [createCampaignSchema.shape.name, 'A name for people (1–200 characters).'],
  [createCampaignSchema.shape.emailInbox, '`SHUFFLE` spreads leads over the identity\'s connected inboxes (a lead keeps its inbox for the whole sequence), or one inbox id.'],
  [createCampaignSchema.shape.steps, 'The sequence, 1–20 steps; each lead goes through it on its own.'],
]);
request(createCampaignSchema, 'CreateCampaign', 'A campaign, created as a draft.');

const lead = leadRowSchema.shape;
describeFields([
  [lead.firstName, 'Template variable {{firstName}}.'],
  [lead.lastName, 'Template variable {{lastName}}.'],
  [lead.company, 'Template variable {{company}}.'],
  [lead.linkedinUrl, 'Required when the campaign has LinkedIn steps; duplicates are found by the normalised URL.'],
  [lead.email, 'Required when the campaign has email steps; duplicates are found case-insensitively.'],
  [lead.variables, 'More template variables: name → value ({{name}}).'],
]);
request(leadRowSchema, 'LeadRow', 'One lead. Rows are checked one by one: a bad row is reported by its index, good rows are kept.');
/** The envelope validates rows one by one (z.unknown() there); this is what each row must be. */
export const addLeadsBody = request(z.strictObject({ leads: z.array(leadRowSchema).min(1).max(1000) }), 'AddLeads', 'Up to 1,000 leads.');

const imap = connectImapInboxSchema.shape;
describeFields([
  [imap.email, 'The mailbox address (lower-cased); the same address again reconnects it.'],
  [imap.password, 'The password or app password; checked against both servers, stored encrypted, never returned.'],
  [imap.username, 'Login name when it differs from the address.'],
  [imap.displayName, 'Sender name.'],
  [imap.imap, 'Incoming server (IMAP); 993 with TLS is recommended, 143 with STARTTLS.'],
  [imap.smtp, 'Outgoing server (SMTP); 587 with STARTTLS is recommended, 465 with TLS.'],
  [imap.imap.shape.host, 'Host name or IP address (private addresses are refused unless the operator allows them).'],
  [imap.imap.shape.security, '`tls` (implicit TLS), `starttls`, or `none` (plain text: private networks only).'],
]);
request(connectImapInboxSchema, 'ConnectImapInbox', 'An IMAP/SMTP inbox; both servers are checked before anything is saved.');
request(reconnectImapInboxSchema, 'ReconnectImapInbox', 'New credentials for an inbox already connected; the servers default to the stored ones.');
describeFields([
  [inboxRateSchema.shape.dailyRate, 'Emails per local day: up to 80 (30 recommended).'],
  [inboxRateSchema.shape.hourlyRate, 'Emails per clock hour: up to 10 (5 recommended).'],
]);
request(inboxRateSchema, 'InboxRate', "The inbox's own rate; both caps hold at every moment.");
request(inboxRateOverrideSchema, 'InboxRateOverride', 'An operator override (may exceed the maximum) with a reason, until `expiresAt`; then the own rate applies again.');
describeFields([[startWarmupSchema.shape.pauseCampaigns, "Pause the identity's active campaigns for the two weeks (recommended; default true)."]]);
request(startWarmupSchema, 'StartWarmup', 'Options of a two-week warm-up.');
describeFields([
  [sendInvitationSchema.shape.profileUrl, "The person's LinkedIn profile URL (any common form; normalised)."],
  [sendInvitationSchema.shape.note, 'Invitation note, ≤ 300 characters.'],
]);
request(sendInvitationSchema, 'SendInvitation', 'One direct invitation; sent inside working hours within the connection-request budget.');
describeFields([[withdrawInvitationsSchema.shape.invitationIds, 'Invitation ids (1–100); each is answered on its own.']]);
request(withdrawInvitationsSchema, 'WithdrawInvitations', 'A bulk manual withdrawal.');
describeFields([[authorizeSchema.shape.returnUrl, 'Where the browser goes after the sign-in, with `status`, `code`, `provider` and `inbox` query parameters. Its origin must be listed in OAUTH_RETURN_URL_ORIGINS; without it, the callback shows a small result page.']]);
request(authorizeSchema, 'AuthorizeInbox', 'Optional: where the browser lands after the provider sign-in.');
describeFields([
  [paginationSchema.shape.limit, 'Items per page, 1–100 (default 50).'],
  [paginationSchema.shape.cursor, '`nextCursor` of the previous page.'],
  [listInvitationsSchema.shape.status, 'Only invitations with this status.'],
]);
request(createWorkspaceSchema, 'CreateWorkspace', 'A workspace (a customer account).');
request(updateWorkspaceSchema, 'UpdateWorkspace', 'Name and/or the LinkedIn scraping pool per day.');
request(createApiKeySchema, 'CreateApiKey', 'A name for the key.');

/** The share page's connect form (application/x-www-form-urlencoded): the same fields, flattened. */
export const connectInboxForm = request(
  z.object({
    csrf: doc(z.string(), 'The token in the page\'s form (bound to this browser and this link).'),
    email: doc(z.string(), 'The mailbox address.'),
    password: doc(z.string(), 'Password or app password.'),
    imapHost: doc(z.string().optional(), 'Empty: the well-known provider\'s server for the address\'s domain.'),
    imapPort: doc(z.string().optional(), 'Empty: the usual port for the chosen security.'),
    imapSecurity: z.enum(['tls', 'starttls', 'none']).optional(),
    smtpHost: z.string().optional(),
    smtpPort: z.string().optional(),
    smtpSecurity: z.enum(['tls', 'starttls', 'none']).optional(),
    username: doc(z.string().optional(), 'Login name when it differs from the address.'),
  }),
  'ShareConnectForm',
  'The share page\'s form. Answered with 303 to the page (`?status=connected|reconnected|failed&code=…#result`).',
);
export const csrfForm = request(z.object({ csrf: z.string() }), 'ShareForm', 'A share page button: only its CSRF token. Answered with 303 to the sign-in page, or back to the share page with the result.');
export const passwordForm = request(z.object({ csrf: z.string(), password: z.string() }), 'SharePasswordForm', 'The share page\'s reconnect form: the new password only.');

// ---------------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------------

const uuid = z.uuid();
const instantIso = z.iso.datetime({ offset: true });
const nullable = <T extends z.ZodType>(schema: T) => schema.nullable();
const count = z.number().int().min(0);

export const Instant = response('Instant', 'An instant in UTC and in the identity\'s own time zone.', z.object({ utc: instantIso, local: doc(z.string(), 'ISO 8601 with the local offset.') }));
const security = z.enum(['tls', 'starttls', 'none']);

export const Identity = response(
  'Identity',
  'An identity: contact details, working hours, LinkedIn settings, likes, signature. `version` is also the ETag.',
  z.object({
    id: uuid,
    firstName: z.string(),
    lastName: z.string(),
    profilePictureUrl: nullable(z.string()),
    jobTitle: nullable(z.string()),
    linkedinUrl: nullable(z.string()),
    email: nullable(z.string()),
    scheduleMeetingUrl: nullable(z.string()),
    phoneNumber: nullable(z.string()),
    workingHours: z.object({ timeZone: z.string(), days: z.array(z.enum(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'])), start: z.string(), end: z.string() }),
    linkedin: z.object({
      salesNavigatorEnabled: z.boolean(),
      rateLimits: z.object({ dailyConnectionRequests: count, dailyMessages: count, dailyScrapings: count, raisedUntil: nullable(instantIso) }),
      withdrawals: z.object({ autoWithdraw: z.boolean(), thresholdDays: z.number().int() }),
    }),
    likingsOptOut: z.boolean(),
    signature: z.object({ mode: z.enum(['rich-text', 'html']), html: doc(z.string(), 'The sanitised HTML.') }),
    version: z.number().int(),
    createdAt: instantIso,
    updatedAt: instantIso,
  }),
);

const budget = z.object({
  limit: count,
  used: count,
  left: count,
  nextSlotAt: doc(nullable(Instant), 'When the next action of this kind may go out (spread across the day), or null.'),
});
export const IdentityStatus = response(
  'IdentityStatus',
  "The identity workflow's live state: window, today's budgets per kind, likes, automatic withdrawal, when raised limits fall back.",
  z.object({
    activity: z.enum(['in-window', 'waiting-for-window']),
    inWindow: z.boolean(),
    waitingFor: doc(nullable(z.string()), 'Why it waits, in words.'),
    currentWindowEnd: nullable(Instant),
    nextWindowStart: Instant,
    budgetsToday: z.object({ connectionRequests: budget, messages: budget, scrapings: doc(budget.extend({}), 'Includes the workspace pool.'), likes: budget.extend({ enabled: z.boolean() }) }),
    raisedLimitsFallBackAt: nullable(Instant),
    autoWithdraw: z.object({ enabled: z.boolean(), afterDays: z.number().int() }),
    nextWithdrawalDueAt: nullable(Instant),
    configVersion: doc(z.number().int(), 'The identity version the workflow acts on.'),
  }),
);
export const IdentityWithStatus = response(
  'IdentityWithStatus',
  'The identity and its live status (null, with a warning, when Temporal cannot be read).',
  Identity.extend({ status: nullable(IdentityStatus), warnings: z.array(z.string()).optional() }),
);
export const IdentityStatusWithPausedCampaigns = response(
  'IdentityStatusWithPausedCampaigns',
  'The live status and the paused campaigns with why each is paused (by hand, or by a warm-up).',
  IdentityStatus.extend({ pausedCampaigns: z.array(z.object({ id: uuid, name: z.string(), reason: z.string() })) }),
);
const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: doc(nullable(z.string()), 'Pass as `cursor` for the next page; null on the last.') });
export const IdentityPage = response('IdentityPage', 'A page of identities, oldest first.', page(Identity));
const fieldMessage = z.object({ field: z.string(), message: z.string() });
export const IdentityWithLimits = response(
  'IdentityWithLinkedinLimits',
  'The identity, the total daily scraping capacity (workspace pool + own), and a warning per value above recommended.',
  Identity.extend({ totalDailyScrapingCapacity: count, warnings: z.array(fieldMessage) }),
);

export const Workspace = response('Workspace', 'A workspace and its shared LinkedIn scraping pool per day.', z.object({ id: uuid, slug: z.string(), name: z.string(), linkedinScrapingPoolPerDay: count, createdAt: instantIso }));
export const WorkspacePage = response('WorkspacePage', 'A page of workspaces.', page(Workspace));
export const ApiKey = response('ApiKey', 'An API key, never the key itself or its hash.', z.object({ id: uuid, name: z.string(), createdAt: instantIso, lastUsedAt: nullable(instantIso), revokedAt: nullable(instantIso) }));
export const ApiKeyCreated = response('ApiKeyCreated', 'A new key: `key` is shown this once.', ApiKey.extend({ key: doc(z.string(), 'Send as `Authorization: Bearer <key>`.') }));
export const ApiKeyList = response('ApiKeyList', "The workspace's keys.", z.object({ items: z.array(ApiKey) }));

export const Campaign = response(
  'Campaign',
  'A campaign: its identity, status, inbox choice and steps.',
  z.object({
    id: uuid,
    identityId: uuid,
    name: z.string(),
    status: z.enum(['draft', 'active', 'paused']),
    emailInbox: z.union([z.literal('SHUFFLE'), uuid]),
    steps: z.array(campaignStepSchema),
    version: z.number().int(),
    createdAt: instantIso,
    updatedAt: instantIso,
  }),
);
export const CampaignWithCounts = response(
  'CampaignWithLeadCounts',
  'The campaign and how many leads are in each state (states with none are left out).',
  Campaign.extend({ leads: z.object({ waiting: count.optional(), done: count.optional(), error: count.optional() }) }),
);
export const CampaignPage = response('CampaignPage', 'A page of campaigns.', page(Campaign));
const stepKind = z.enum(['linkedin-connection-request', 'linkedin-message', 'linkedin-profile-scrape', 'linkedin-like', 'email']);
export const Lead = response(
  'Lead',
  "A lead's progress: its state, next step, when it should happen and why it waits, or its error.",
  z.object({
    id: uuid,
    firstName: nullable(z.string()),
    lastName: nullable(z.string()),
    company: nullable(z.string()),
    linkedinUrl: nullable(z.string()),
    email: nullable(z.string()),
    state: z.enum(['waiting', 'done', 'error']),
    step: doc(nullable(z.object({ index: count, kind: stepKind })), 'The next step, or null once done.'),
    stepsDone: count,
    nextActionAt: nullable(instantIso),
    waitingReason: doc(nullable(z.string()), 'Step delay, outside working hours, daily budget spent, queued, campaign paused, re-invite blocked, inbox needs reconnecting…'),
    error: nullable(z.string()),
    createdAt: instantIso,
  }),
);
export const LeadPage = response('LeadPage', 'A page of leads.', page(Lead));
export const AddLeadsResult = response(
  'AddLeadsResult',
  'How many rows were created; the duplicates and the rejected rows, by their index in the request.',
  z.object({
    created: count,
    duplicates: z.array(z.object({ index: count, reason: z.string() })),
    rejected: z.array(z.object({ index: count, errors: z.array(fieldMessage) })),
  }),
);

export const Invitation = response(
  'Invitation',
  'A LinkedIn invitation, from a campaign or asked for directly.',
  z.object({
    id: uuid,
    profileUrl: z.string(),
    status: z.enum(['queued', 'pending', 'accepted', 'withdrawn', 'expired', 'failed']),
    source: z.enum(['campaign', 'api']),
    leadId: nullable(uuid),
    note: nullable(z.string()),
    requestedAt: nullable(instantIso),
    sentAt: nullable(instantIso),
    acceptedAt: nullable(instantIso),
    withdrawalRequestedAt: nullable(instantIso),
    withdrawnAt: nullable(instantIso),
    withdrawalReason: nullable(z.enum(['auto', 'manual'])),
    reinviteBlockedUntil: doc(nullable(instantIso), 'When the 21-day re-invite block lifts, for a withdrawn invitation.'),
    error: nullable(z.string()),
  }),
);
export const InvitationPage = response('InvitationPage', 'A page of invitations.', page(Invitation));
export const WithdrawResult = response(
  'WithdrawInvitationsResult',
  'Each id answered on its own; the scheduled ones are withdrawn inside working hours.',
  z.object({
    results: z.array(z.object({ id: z.string(), outcome: z.enum(['scheduled', 'already-scheduled', 'not-pending', 'not-found']), status: z.string().optional() })),
    scheduled: count,
  }),
);
export const WithdrawalPage = response(
  'WithdrawalPage',
  'The withdrawal history: who, when, auto or manual, and when the re-invite block lifts.',
  page(z.object({ invitationId: uuid, profileUrl: z.string(), sentAt: nullable(instantIso), withdrawnAt: nullable(instantIso), reason: nullable(z.enum(['auto', 'manual'])), reinviteBlockedUntil: nullable(instantIso) })),
);

const rate = z.object({ dailyRate: count, hourlyRate: count });
export const EmailInbox = response(
  'EmailInbox',
  'An inbox: provider, status, servers and rates. Never a password, token or envelope.',
  z.object({
    id: uuid,
    identityId: uuid,
    email: z.string(),
    displayName: nullable(z.string()),
    provider: z.enum(['imap-smtp', 'google', 'microsoft']),
    status: z.enum(['connected', 'disconnected', 'needs-reconnect']),
    statusReason: doc(nullable(z.string()), "Why it needs reconnecting (the server's answer)."),
    username: z.string(),
    imap: nullable(z.object({ host: z.string(), port: nullable(z.number().int()), security: nullable(security) })),
    smtp: z.object({ host: z.string(), port: z.number().int(), security }),
    rate,
    effectiveRate: doc(rate.extend({}), 'The rate in force now (an override until it expires, else the own rate).'),
    rateOverride: nullable(rate.extend({ reason: nullable(z.string()), expiresAt: instantIso })),
    createdAt: instantIso,
  }),
);
export const EmailInboxConnected = response(
  'EmailInboxConnected',
  'The inbox; on a reconnection (200) also `reconnected` and how many leads resumed.',
  EmailInbox.extend({ reconnected: z.boolean().optional(), leadsResumed: count.optional() }),
);
export const EmailInboxList = response('EmailInboxList', "The identity's inboxes.", z.object({ items: z.array(EmailInbox) }));
export const EmailInboxWithRateWarnings = response(
  'EmailInboxWithRateWarnings',
  'The inbox, a warning per value above recommended, and the recommended rate.',
  EmailInbox.extend({ warnings: z.array(z.string()), recommended: rate }),
);
export const EmailInboxDisconnected = response('EmailInboxDisconnected', 'The inbox is disconnected; leads mid-sequence on it stopped with an error naming it.', z.object({ id: uuid, email: z.string(), status: z.literal('disconnected'), leadsStopped: count }));
export const AuthorizationUrl = response(
  'AuthorizationUrl',
  "The provider's sign-in page for this identity; its signed state works once, for 10 minutes.",
  z.object({ authorizationUrl: z.url(), expiresAt: instantIso }),
);
export const Warmup = response(
  'Warmup',
  "An inbox's warm-up: live from its workflow while it runs, else as last recorded.",
  z.object({
    inboxId: uuid,
    address: z.string(),
    state: z.enum(['running', 'completed', 'stopped']),
    startedAt: instantIso,
    endsAt: instantIso,
    daysLeft: count,
    pauseCampaigns: z.boolean(),
    pausedCampaignIds: z.array(uuid),
    resumedCampaignIds: nullable(z.array(uuid)),
    provider: doc(
      nullable(z.object({ state: z.enum(['warming', 'stopped']), startedAt: instantIso, emailsSent: count, inboxPlacementRate: nullable(z.number()), reputation: nullable(z.number()) })),
      "The warm-up provider's last answer.",
    ),
  }),
);

export const ShareLink = response(
  'ShareLink',
  'A share link; its URL is shown only when it is created.',
  z.object({ id: uuid, identityId: uuid, scope: z.literal('reconnect'), createdAt: instantIso, expiresAt: instantIso, revokedAt: nullable(instantIso), state: z.enum(['valid', 'expired', 'revoked']) }),
);
export const ShareLinkCreated = response('ShareLinkCreated', 'The new link: `url` (`<PUBLIC_BASE_URL>/share/<token>`) is shown this once.', ShareLink.extend({ url: z.url() }));
export const ShareLinkList = response('ShareLinkList', "The identity's links, newest first, never their URLs.", z.object({ items: z.array(ShareLink) }));
export const ShareView = response(
  'ShareLinkView',
  'What a link shows (JSON, for backend callers): the name, the LinkedIn status, each inbox and the actions.',
  z.object({
    identity: z.object({ id: uuid, firstName: z.string(), lastName: z.string() }),
    expiresAt: instantIso,
    linkedin: z.object({ status: z.enum(['connected', 'disconnected', 'unknown']), reconnect: z.string() }),
    inboxes: z.array(z.object({ id: uuid, address: z.string(), provider: z.enum(['imap-smtp', 'google', 'microsoft']), status: z.enum(['connected', 'disconnected', 'needs-reconnect']), reconnect: z.string() })),
    actions: z.object({ connectImapInbox: z.string(), startGoogleOAuth: z.string(), startMicrosoftOAuth: z.string() }),
  }),
);
export const ReconnectSession = response('LinkedinReconnectSession', "A page of the LinkedIn service where the owner signs in again; it sends them back to the share page.", z.object({ reconnectUrl: z.url(), expiresAt: instantIso }));
export const Health = response('Health', 'The API is up.', z.object({ status: z.literal('ok') }));
export const OpenApiDocument = response('OpenApiDocument', 'This document (OpenAPI 3.1).', z.object({ openapi: z.literal('3.1.0') }).loose());
