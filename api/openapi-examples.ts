/**
 * One example per body in the API reference. test/api/openapi.api.test.ts checks each against its
 * schema, so an example cannot drift from what the API accepts and answers.
 */
const IDENTITY = '2f1d7c1e-8a4b-4c55-9d36-0b5f3f1d2a10';
const WORKSPACE = '7a0c2a55-3f3e-4f61-a1d2-5b6c7d8e9f01';
const CAMPAIGN = 'c3a1e7d2-0b4f-4a6e-9c8d-1e2f3a4b5c6d';
const LEAD = '5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
const INBOX = '9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const LINK = '4e3d2c1b-0a9f-4e8d-b7c6-5a4f3e2d1c0b';
const INVITATION = '6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d';
const KEY = '8c7b6a5f-4e3d-4c2b-a1f0-9e8d7c6b5a4f';
const AT = '2026-03-02T09:00:00.000Z';

const instant = (utc: string, local: string) => ({ utc, local });
const workingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

export const identity = {
  id: IDENTITY,
  firstName: 'Ada',
  lastName: 'Lovelace',
  profilePictureUrl: 'https://images.example.com/ada.jpg',
  jobTitle: 'Head of Sales',
  linkedinUrl: 'https://www.linkedin.com/in/ada-lovelace',
  email: 'ada@example.com',
  scheduleMeetingUrl: 'https://cal.example.com/ada',
  phoneNumber: null,
  workingHours,
  linkedin: {
    salesNavigatorEnabled: false,
    rateLimits: { dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 0, raisedUntil: null },
    withdrawals: { autoWithdraw: true, thresholdDays: 14 },
  },
  likingsOptOut: false,
  signature: { mode: 'rich-text', html: '<p>Ada Lovelace, Head of Sales</p>' },
  version: 1,
  createdAt: AT,
  updatedAt: AT,
};

const budget = (limit: number, used: number) => ({ limit, used, left: limit - used, nextSlotAt: instant('2026-03-02T10:14:00.000Z', '2026-03-02T11:14:00+01:00') });

export const status = {
  activity: 'in-window',
  inWindow: true,
  waitingFor: null,
  currentWindowEnd: instant('2026-03-02T17:00:00.000Z', '2026-03-02T18:00:00+01:00'),
  nextWindowStart: instant('2026-03-03T08:00:00.000Z', '2026-03-03T09:00:00+01:00'),
  budgetsToday: { connectionRequests: budget(20, 3), messages: budget(100, 12), scrapings: budget(50, 0), likes: { enabled: true, ...budget(30, 2) } },
  raisedLimitsFallBackAt: null,
  autoWithdraw: { enabled: true, afterDays: 14 },
  nextWithdrawalDueAt: null,
  configVersion: 1,
};

export const requests = {
  createIdentity: { firstName: 'Ada', lastName: 'Lovelace', jobTitle: 'Head of Sales', email: 'ada@example.com', workingHours },
  createIdentityFromLinkedin: {
    profile: { profileUrl: 'https://www.linkedin.com/in/ada-lovelace', firstName: 'Ada', lastName: 'Lovelace', headline: 'Head of Sales at Example', pictureUrl: 'https://images.example.com/ada.jpg' },
    workingHours,
    email: 'ada@example.com',
  },
  updateIdentity: { jobTitle: 'VP Sales', phoneNumber: '+33 1 23 45 67 89' },
  workingHours: { timeZone: 'America/New_York', days: ['MON', 'TUE', 'WED', 'THU'], start: '08:30', end: '17:00' },
  rateLimits: { dailyConnectionRequests: 30, dailyMessages: 100, dailyScrapings: 0, raisedUntil: '2026-03-16T00:00:00Z' },
  withdrawals: { autoWithdraw: true, thresholdDays: 7 },
  likingsOptOut: { optOut: true },
  signature: { mode: 'html', html: '<p><strong>Ada Lovelace</strong><br>Head of Sales · <a href="https://example.com">example.com</a></p>' },
  sendInvitation: { profileUrl: 'https://www.linkedin.com/in/grace-hopper', note: 'Hi Grace, glad to connect.' },
  withdrawInvitations: { invitationIds: [INVITATION] },
  createCampaign: {
    identityId: IDENTITY,
    name: 'Q2 outreach',
    emailInbox: 'SHUFFLE',
    steps: [
      { kind: 'linkedin-profile-scrape', delayMinutes: 0 },
      { kind: 'linkedin-connection-request', delayMinutes: 0, note: 'Hi {{firstName}}, glad to connect.' },
      { kind: 'linkedin-message', delayMinutes: 2880, text: 'Thanks for connecting, {{firstName}}!' },
      { kind: 'linkedin-like', delayMinutes: 1440 },
      { kind: 'email', delayMinutes: 4320, subject: 'A question for {{company}}', body: '<p>Hi {{firstName}},</p><p>…</p>' },
    ],
  },
  addLeads: {
    leads: [
      { firstName: 'Grace', lastName: 'Hopper', company: 'Navy', linkedinUrl: 'https://www.linkedin.com/in/grace-hopper', email: 'grace@example.org', variables: { topic: 'compilers' } },
      { firstName: 'Alan', linkedinUrl: 'https://www.linkedin.com/in/alan-turing', email: 'alan@example.org' },
    ],
  },
  connectImapInbox: {
    email: 'ada@example.com',
    password: 'app-password-from-the-provider',
    displayName: 'Ada Lovelace',
    imap: { host: 'imap.example.com', port: 993, security: 'tls' },
    smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
  },
  reconnectImapInbox: { password: 'the-new-password' },
  authorize: { returnUrl: 'https://app.example.com/settings/inboxes' },
  inboxRate: { dailyRate: 40, hourlyRate: 6 },
  inboxRateOverride: { dailyRate: 150, hourlyRate: 20, reason: 'Dedicated IP warmed by support (ticket 4821)', expiresAt: '2026-04-01T00:00:00Z' },
  startWarmup: { pauseCampaigns: true },
  createWorkspace: { slug: 'acme', name: 'Acme Corp', linkedinScrapingPoolPerDay: 200 },
  updateWorkspace: { linkedinScrapingPoolPerDay: 300 },
  createApiKey: { name: 'CRM integration' },
  shareConnectForm: { csrf: 'token-from-the-page', email: 'ada@gmail.com', password: 'app-password', imapHost: '', smtpHost: '' },
  shareForm: { csrf: 'token-from-the-page' },
  sharePasswordForm: { csrf: 'token-from-the-page', password: 'the-new-password' },
};

export const campaign = {
  id: CAMPAIGN,
  identityId: IDENTITY,
  name: 'Q2 outreach',
  status: 'draft',
  emailInbox: 'SHUFFLE',
  steps: requests.createCampaign.steps,
  version: 1,
  createdAt: AT,
  updatedAt: AT,
};

export const lead = {
  id: LEAD,
  firstName: 'Grace',
  lastName: 'Hopper',
  company: 'Navy',
  linkedinUrl: 'https://www.linkedin.com/in/grace-hopper',
  email: 'grace@example.org',
  state: 'waiting',
  step: { index: 1, kind: 'linkedin-connection-request' },
  stepsDone: 1,
  nextActionAt: '2026-03-02T10:14:00.000Z',
  waitingReason: 'queued: actions are spread across the working day',
  error: null,
  createdAt: AT,
};

export const invitation = {
  id: INVITATION,
  profileUrl: 'https://www.linkedin.com/in/grace-hopper',
  status: 'withdrawn',
  source: 'api',
  leadId: null,
  note: 'Hi Grace, glad to connect.',
  requestedAt: AT,
  sentAt: '2026-03-02T09:12:00.000Z',
  acceptedAt: null,
  withdrawalRequestedAt: null,
  withdrawnAt: '2026-03-16T09:12:00.000Z',
  withdrawalReason: 'auto',
  reinviteBlockedUntil: '2026-04-06T08:12:00.000Z',
  error: null,
};

export const inbox = {
  id: INBOX,
  identityId: IDENTITY,
  email: 'ada@example.com',
  displayName: 'Ada Lovelace',
  provider: 'imap-smtp',
  status: 'connected',
  statusReason: null,
  username: 'ada@example.com',
  imap: { host: 'imap.example.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.example.com', port: 587, security: 'starttls' },
  rate: { dailyRate: 30, hourlyRate: 5 },
  effectiveRate: { dailyRate: 30, hourlyRate: 5 },
  rateOverride: null,
  createdAt: AT,
};

export const warmup = {
  inboxId: INBOX,
  address: 'ada@example.com',
  state: 'running',
  startedAt: AT,
  endsAt: '2026-03-16T09:00:00.000Z',
  daysLeft: 14,
  pauseCampaigns: true,
  pausedCampaignIds: [CAMPAIGN],
  resumedCampaignIds: [],
  provider: { state: 'warming', startedAt: AT, emailsSent: 0, inboxPlacementRate: null, reputation: null },
};

const shareLink = { id: LINK, identityId: IDENTITY, scope: 'reconnect', createdAt: AT, expiresAt: '2026-03-03T09:00:00.000Z', revokedAt: null, state: 'valid' };
const TOKEN = 'uhG0DRwcXtx2Ez_4bKMjYqlz-t_RrManOjLdEWhc0u4';
const shareBase = `/share/${TOKEN}/identities/${IDENTITY}`;
const workspace = { id: WORKSPACE, slug: 'acme', name: 'Acme Corp', linkedinScrapingPoolPerDay: 200, createdAt: AT };
const apiKey = { id: KEY, name: 'CRM integration', createdAt: AT, lastUsedAt: null, revokedAt: null };

export const responses = {
  health: { status: 'ok' },
  openapi: { openapi: '3.1.0' },
  workspace,
  identity,
  identityWithStatus: { ...identity, status },
  identityPage: { items: [identity], nextCursor: null },
  identityWithLimits: { ...identity, totalDailyScrapingCapacity: 200, warnings: [{ field: 'dailyConnectionRequests', message: '30 is above the recommended 20: LinkedIn may restrict the account' }] },
  status: { ...status, pausedCampaigns: [{ id: CAMPAIGN, name: 'Q2 outreach', reason: 'paused for the warm-up of ada@example.com until 2026-03-16T09:00:00.000Z' }] },
  invitationQueued: { ...invitation, status: 'queued', sentAt: null, withdrawnAt: null, withdrawalReason: null, reinviteBlockedUntil: null },
  invitationPage: { items: [invitation], nextCursor: null },
  withdrawResult: { results: [{ id: INVITATION, outcome: 'scheduled', status: 'pending' }], scheduled: 1 },
  withdrawalPage: {
    items: [{ invitationId: INVITATION, profileUrl: invitation.profileUrl, sentAt: invitation.sentAt, withdrawnAt: invitation.withdrawnAt, reason: 'auto', reinviteBlockedUntil: invitation.reinviteBlockedUntil }],
    nextCursor: null,
  },
  campaign,
  campaignActive: { ...campaign, status: 'active', version: 2 },
  campaignWithCounts: { ...campaign, status: 'active', leads: { waiting: 48, done: 2 } },
  campaignPage: { items: [campaign], nextCursor: null },
  addLeads: { created: 1, duplicates: [{ index: 1, reason: 'already in the campaign (same linkedin)' }], rejected: [] },
  leadPage: { items: [lead], nextCursor: null },
  inboxConnected: inbox,
  inboxList: { items: [inbox] },
  inboxRate: { ...inbox, rate: { dailyRate: 40, hourlyRate: 6 }, effectiveRate: { dailyRate: 40, hourlyRate: 6 }, warnings: ['dailyRate 40 is above the recommended 30', 'hourlyRate 6 is above the recommended 5'], recommended: { dailyRate: 30, hourlyRate: 5 } },
  inboxOverride: { ...inbox, effectiveRate: { dailyRate: 150, hourlyRate: 20 }, rateOverride: { dailyRate: 150, hourlyRate: 20, reason: 'Dedicated IP warmed by support (ticket 4821)', expiresAt: '2026-04-01T00:00:00.000Z' } },
  inboxDisconnected: { id: INBOX, email: 'ada@example.com', status: 'disconnected', leadsStopped: 3 },
  authorization: { authorizationUrl: 'https://accounts.google.com/o/oauth2/v2/auth?access_type=offline&prompt=consent&response_type=code&client_id=123.apps.googleusercontent.com&redirect_uri=https%3A%2F%2Fpacer.example.com%2Foauth%2Fgoogle%2Fcallback&state=eyJuIjoi.c2lnbmF0dXJl', expiresAt: '2026-03-02T09:10:00.000Z' },
  warmup,
  shareLinkCreated: { ...shareLink, url: `https://pacer.example.com/share/${TOKEN}` },
  shareLinkList: { items: [shareLink] },
  shareView: {
    identity: { id: IDENTITY, firstName: 'Ada', lastName: 'Lovelace' },
    expiresAt: shareLink.expiresAt,
    linkedin: { status: 'disconnected', reconnect: `POST ${shareBase}/linkedin/reconnect` },
    inboxes: [{ id: INBOX, address: 'ada@example.com', provider: 'imap-smtp', status: 'needs-reconnect', reconnect: `POST ${shareBase}/email-accounts/${INBOX}/reconnect` }],
    actions: { connectImapInbox: `POST ${shareBase}/email-accounts`, startGoogleOAuth: `POST ${shareBase}/oauth/google/start`, startMicrosoftOAuth: `POST ${shareBase}/oauth/microsoft/start` },
  },
  reconnectSession: { reconnectUrl: 'https://linkedin-gateway.example.com/reconnect/9f3e', expiresAt: '2026-03-02T10:00:00.000Z' },
  workspacePage: { items: [workspace], nextCursor: null },
  apiKeyCreated: { ...apiKey, key: 'Wq3b0kP6m1sYh2rT8vXcA9eLzN4uJ7fD5gH0iK2oQ1w' },
  apiKeyList: { items: [apiKey] },
};

export const problem = {
  type: 'urn:pacer:problem:validation-failed',
  title: 'Invalid input',
  status: 422,
  detail: 'workingHours.timeZone: must be an IANA time zone, e.g. "Europe/Paris"',
  instance: '/identities',
  errors: [{ field: 'workingHours.timeZone', message: 'must be an IANA time zone, e.g. "Europe/Paris"' }],
};
