import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { inboxPasswordAssociatedData } from '../../lib/secrets';
import { deterministicMessageId } from '../../integrations/email/smtp-sender';
import { InboxConnections } from '../../api/email-inboxes';
import { type Database } from '../../db/client';
import { localHourOf } from '../../domain/pacing';
import { isWithinWorkingHours, type WorkingHours } from '../../domain/working-hours';
import { encryptSecret } from '../../lib/secrets';
import { testKeyring } from '../support/keyring';
import { addOAuthInbox, addSmtpInbox } from '../support/inboxes';
import { startProviderReplayServer, type ProviderReplayServer } from '../support/provider-replay-server';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const PARIS = 'Europe/Paris';
const hours: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const TASK_QUEUE = 'email-pacing-test';
/** Every day, around the clock: sends are not held back by working hours. */
const ALWAYS: WorkingHours = { ...hours, days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '24:00' };
const PASSWORDS = { 'ada@outreach.example': 'first-inbox-password', 'ada@sales.example': 'second-inbox-password' };

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let env: TestWorkflowEnvironment;
let db: Database;
let app: Express;
let smtp: SmtpTestServer;
let connections: InboxConnections;
let providers: ProviderReplayServer;

beforeAll(async () => {
  providers = await startProviderReplayServer();
  harness = await startTimeSkippingHarness(TASK_QUEUE, {}, {
    activities: {
      emailProviders: {
        google: { clientId: 'google-client', clientSecret: 'google-secret', tokenUrl: `${providers.baseUrl}/token`, gmailRootUrl: `${providers.baseUrl}/` },
        microsoft: { clientId: 'ms-client', clientSecret: 'ms-secret', loginBaseUrl: providers.baseUrl, graphBaseUrl: providers.baseUrl },
      },
    },
  });
  ({ env, db, app } = harness);
  smtp = await startSmtpTestServer({ users: PASSWORDS });
  connections = new InboxConnections(db, harness.identityWorkflows);
}, 120_000);

afterAll(async () => {
  await providers?.stop();
  await smtp?.stop();
  await harness?.stop();
});

const auth = () => harness.auth();
const skipTo = (instant: DateTime) => harness.skipTo(instant);

/** An inbox of PASSWORDS on the SMTP test server (or `server`), stored as connecting one stores it. */
const addInbox = (identityId: string, workspaceId: string, email: keyof typeof PASSWORDS, server: { host: string; port: number } = smtp, password = PASSWORDS[email]) =>
  addSmtpInbox(db, { identityId, workspaceId }, email, server, { password });

test('Shuffle balances leads over two inboxes, each lead keeps its inbox, caps hold; a disconnected inbox stops its leads until reconnected', async () => {
  let sunday = DateTime.fromMillis(await env.currentTimeMs(), { zone: PARIS }).startOf('day').set({ hour: 20 });
  while (sunday.weekday !== 7 || sunday.toMillis() <= (await env.currentTimeMs())) sunday = sunday.plus({ days: 1 });
  await skipTo(sunday);

  const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Mailer', workingHours: hours })).body;
  const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
  const first = await addInbox(identity.id, stored.workspaceId, 'ada@outreach.example');
  const second = await addInbox(identity.id, stored.workspaceId, 'ada@sales.example');
  await request(app).put(`/identities/${identity.id}/signature`).set(auth()).send({ mode: 'html', html: '<p>Ada <b>Mailer</b></p>' });

  const campaign = await request(app)
    .post('/campaigns')
    .set(auth())
    .send({
      identityId: identity.id,
      name: 'Mail',
      emailInbox: 'SHUFFLE',
      steps: [
        { kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}} from {{company}}</p>' },
        { kind: 'email', delayMinutes: 2 * 24 * 60, subject: 'Following up, {{firstName}}', body: '<p>Any thoughts?</p>' },
      ],
    });
  expect(campaign.status).toBe(201);
  const leads = Array.from({ length: 20 }, (_, index) => ({ firstName: `L${index}`, company: 'Acme', email: `lead${index}@prospects.example` }));
  expect((await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads })).body.created).toBe(20);
  await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth());

  // Monday: every first email goes out, from two inboxes, at most 5 per inbox per clock hour.
  const monday = sunday.plus({ days: 1 });
  await skipTo(monday.set({ hour: 18, minute: 30 }));
  expect(smtp.messages).toHaveLength(20);
  const inboxOf = new Map(smtp.messages.map((message) => [message.to[0], message.from?.address]));
  const perInbox = [...inboxOf.values()].reduce<Record<string, number>>((counts, inbox) => ({ ...counts, [inbox ?? '?']: (counts[inbox ?? '?'] ?? 0) + 1 }), {});
  expect(perInbox).toEqual({ 'ada@outreach.example': 10, 'ada@sales.example': 10 });
  const sends = await db.leadAction.findMany({ where: { identityId: identity.id, kind: 'email' }, include: { lead: true } });
  const perInboxHour = new Map<string, number>();
  for (const send of sends) {
    expect(isWithinWorkingHours(hours, send.performedAt.getTime())).toBe(true);
    const key = `${send.lead.inboxId}@${localHourOf(send.performedAt.getTime(), PARIS)}`;
    perInboxHour.set(key, (perInboxHour.get(key) ?? 0) + 1);
  }
  expect(Math.max(...perInboxHour.values())).toBeLessThanOrEqual(5);
  const welcome = smtp.messages[0];
  expect(welcome?.subject).toMatch(/^Hello L\d+$/);
  expect(welcome?.html).toContain('from Acme');
  expect(welcome?.html).toContain('<b>Mailer</b>');
  expect(welcome?.text).toContain('-- \nAda Mailer');

  // Tuesday: disconnect the first inbox (its leads are mid-sequence: 409 without force).
  await skipTo(monday.plus({ days: 1 }).set({ hour: 12 }));
  const refused = await request(app).delete(`/identities/${identity.id}/email-accounts/${first.id}`).set(auth());
  expect(refused.status).toBe(409);
  const disconnected = await request(app).delete(`/identities/${identity.id}/email-accounts/${first.id}`).query({ force: 'true' }).set(auth());
  expect(disconnected.body).toMatchObject({ status: 'disconnected', leadsStopped: 10 });

  // Thursday evening: the second inbox's leads got their follow-up; the first inbox's leads did not.
  await skipTo(monday.plus({ days: 3 }).set({ hour: 19 }));
  expect(smtp.messages).toHaveLength(30);
  const listed = (await request(app).get(`/campaigns/${campaign.body.id}/leads`).query({ limit: 100 }).set(auth())).body.items;
  const stopped = listed.filter((lead: { state: string }) => lead.state === 'error');
  expect(stopped).toHaveLength(10);
  for (const lead of stopped) {
    expect(lead.error).toContain('reconnect ada@outreach.example');
    expect(inboxOf.get(lead.email)).toBe('ada@outreach.example');
  }
  // Each stopped lead was published as lead.failed with the disconnection (docs/webhooks.md).
  const failed = (await db.webhookEvent.findMany({ where: { type: 'lead.failed' } })).map((event) => JSON.parse(event.body) as { data: { leadId: string; campaignId: string } });
  expect(new Set(failed.filter((event) => event.data.campaignId === campaign.body.id).map((event) => event.data.leadId))).toEqual(new Set(stopped.map((lead: { id: string }) => lead.id)));

  // Friday: the same address reconnects; its leads resume from the same address, never from the other one.
  await skipTo(monday.plus({ days: 4 }).set({ hour: 8 }));
  // Disconnecting erased the password: reconnecting stores it again (as POST …/email-accounts/imap does), then resumes the leads.
  expect((await db.emailInbox.findUniqueOrThrow({ where: { id: first.id } })).passwordEnvelope).toBeNull();
  await db.emailInbox.update({ where: { id: first.id }, data: { passwordEnvelope: encryptSecret(testKeyring, PASSWORDS['ada@outreach.example'], inboxPasswordAssociatedData(first.id)) } });
  expect(await connections.reconnected(await db.emailInbox.findUniqueOrThrow({ where: { id: first.id } }))).toBe(10);
  await skipTo(monday.plus({ days: 4 }).set({ hour: 19 }));
  expect(smtp.messages).toHaveLength(40);
  for (const message of smtp.messages) expect(message.from?.address).toBe(inboxOf.get(message.to[0]));
  expect(await db.lead.count({ where: { campaignId: campaign.body.id, state: 'done' } })).toBe(20);
  expect(second.id).not.toBe(first.id);
});

test('the SMTP server dropping the connection after DATA leaves the recipient with exactly one copy', async () => {
  const crashing = await startSmtpTestServer({ users: PASSWORDS, failAfterData: 1 });
  try {
    const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Crash', lastName: 'Test', workingHours: ALWAYS })).body;
    const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
    await addInbox(identity.id, stored.workspaceId, 'ada@outreach.example', crashing);
    const campaign = await request(app)
      .post('/campaigns')
      .set(auth())
      .send({ identityId: identity.id, name: 'Crash', steps: [{ kind: 'email', delayMinutes: 0, subject: 'Once', body: '<p>Only once</p>' }] });
    await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [{ email: 'once@prospects.example' }] });
    await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth());

    await env.sleep('1 day');

    expect(crashing.messages).toHaveLength(1);
    const lead = await db.lead.findFirstOrThrow({ where: { campaignId: campaign.body.id }, include: { actions: true } });
    expect(lead.state).toBe('done');
    expect(lead.actions).toHaveLength(1);
    expect(lead.actions[0]?.result).toMatchObject({ state: 'sent-unconfirmed' });
  } finally {
    await crashing.stop();
  }
});

test('a password that stops working marks the inbox needs-reconnect after one attempt; its leads wait naming the address, and reconnecting resumes them', async () => {
  const server = await startSmtpTestServer({ users: { 'ada@outreach.example': 'the-new-password' } });
  try {
    const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Stale', lastName: 'Password', workingHours: ALWAYS })).body;
    const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
    const inbox = await addInbox(identity.id, stored.workspaceId, 'ada@outreach.example', server, 'the-old-password');
    const { id } = inbox;
    const campaign = await request(app)
      .post('/campaigns')
      .set(auth())
      .send({ identityId: identity.id, name: 'Stale', emailInbox: id, steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hi', body: '<p>Hi</p>' }] });
    await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [{ email: 'one@prospects.example' }, { email: 'two@prospects.example' }] });
    await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth());

    await env.sleep('1 day');

    expect(server.messages).toHaveLength(0);
    expect(server.authAttempts).toBe(1);
    const needing = await db.emailInbox.findUniqueOrThrow({ where: { id } });
    expect(needing.status).toBe('needs-reconnect');
    expect(needing.statusReason).toMatch(/535/);
    const listed = (await request(app).get(`/campaigns/${campaign.body.id}/leads`).set(auth())).body.items;
    expect(listed).toHaveLength(2);
    for (const lead of listed) {
      expect(lead.state).toBe('waiting');
      expect(lead.waitingReason).toContain('reconnect ada@outreach.example');
    }

    await db.emailInbox.update({ where: { id }, data: { passwordEnvelope: encryptSecret(testKeyring, 'the-new-password', inboxPasswordAssociatedData(id)) } });
    expect(await connections.reconnected(inbox)).toBe(2);
    await env.sleep('1 day');
    expect(server.messages.map((message) => message.to[0]).sort()).toEqual(['one@prospects.example', 'two@prospects.example']);
    expect(await db.lead.count({ where: { campaignId: campaign.body.id, state: 'done' } })).toBe(2);

    // Published with their facts (docs/webhooks.md): the breakdown once, the reconnection, then the campaign's end.
    const events = (await db.webhookEvent.findMany({ where: { workspaceId: stored.workspaceId }, orderBy: { createdAt: 'asc' } })).map((event) => JSON.parse(event.body));
    const ofInbox = events.filter((event) => event.data.inboxId === id).map((event) => [event.type, event.data.detectedBy ?? event.data.previousStatus]);
    expect(ofInbox).toEqual([
      ['inbox.needs_reconnect', 'sending'],
      ['inbox.reconnected', 'needs-reconnect'],
    ]);
    expect(events.filter((event) => event.type === 'campaign.completed' && event.data.campaignId === campaign.body.id).map((event) => event.data.leads)).toEqual([{ done: 2 }]);
  } finally {
    await server.stop();
  }
});

test('Google and Microsoft 365 inboxes send through the same step: Gmail API and Graph, deterministic Message-IDs', async () => {
  const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Oauth', lastName: 'Sender', workingHours: ALWAYS })).body;
  const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
  await addOAuthInbox(db, { identityId: identity.id, workspaceId: stored.workspaceId }, 'google', 'ada@gmail-test.example');
  await addOAuthInbox(db, { identityId: identity.id, workspaceId: stored.workspaceId }, 'microsoft', 'ada@m365-test.example');
  providers.queue('google-token.success', 'gmail-send.success', 'microsoft-token.success', 'graph-sendmail.accepted');
  const campaign = await request(app)
    .post('/campaigns')
    .set(auth())
    .send({ identityId: identity.id, name: 'OAuth', emailInbox: 'SHUFFLE', steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hi {{firstName}}', body: '<p>Hi</p>' }] });
  await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [{ firstName: 'G', email: 'g@prospects.example' }, { firstName: 'M', email: 'm@prospects.example' }] });
  await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth());

  await env.sleep('1 day');

  const sends = providers.received.filter((received) => received.path.endsWith('/send') || received.path.endsWith('/sendMail'));
  expect(sends.map((received) => received.path).sort()).toEqual(['/gmail/v1/users/me/messages/send', '/v1.0/me/sendMail']);
  const leads = await db.lead.findMany({ where: { campaignId: campaign.body.id }, include: { actions: true } });
  for (const lead of leads) {
    expect(lead.state).toBe('done');
    const inbox = await db.emailInbox.findUniqueOrThrow({ where: { id: lead.inboxId ?? '' } });
    const expected = deterministicMessageId({ campaignId: lead.campaignId, leadId: lead.id, stepIndex: 0, domain: inbox.email.split('@')[1]! });
    expect(lead.actions[0]?.result).toMatchObject({ state: 'sent', messageId: expected });
  }
  const tokenRequests = providers.received.filter((received) => received.path.endsWith('/token'));
  expect(tokenRequests.map((received) => new URLSearchParams(received.body).get('refresh_token')).sort()).toEqual(['refresh-token-of-google', 'refresh-token-of-microsoft']);
});

test('a stored SMTP host that now resolves to a refused address (metadata) is never connected to: the inbox needs reconnecting', async () => {
  const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Ssrf', lastName: 'Send', workingHours: ALWAYS })).body;
  const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
  const { id } = await addInbox(identity.id, stored.workspaceId, 'ada@outreach.example', { host: '169.254.169.254', port: 25 }, 'x');
  const campaign = await request(app)
    .post('/campaigns')
    .set(auth())
    .send({ identityId: identity.id, name: 'Ssrf', emailInbox: id, steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hi', body: '<p>Hi</p>' }] });
  await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [{ email: 'one@prospects.example' }] });
  await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth());

  await env.sleep('1 day');

  const inbox = await db.emailInbox.findUniqueOrThrow({ where: { id } });
  expect(inbox).toMatchObject({ status: 'needs-reconnect' });
  expect(inbox.statusReason).toMatch(/not allowed/);
  const lead = await db.lead.findFirstOrThrow({ where: { campaignId: campaign.body.id }, include: { actions: true } });
  expect(lead).toMatchObject({ state: 'waiting', dueAt: null });
  expect(lead.actions).toHaveLength(0);
});

test('a Google lead who replies (Gmail history shows it) gets no follow-up; a Microsoft bounce stops its lead with an error naming it', async () => {
  const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Oauth', lastName: 'Replies', workingHours: ALWAYS })).body;
  const stored = await db.identity.findUniqueOrThrow({ where: { id: identity.id } });
  // Each with where its reply sync stands since it was connected.
  const inboxIds = {
    google: (await addOAuthInbox(db, { identityId: identity.id, workspaceId: stored.workspaceId }, 'google', 'ada@gmail-replies.example', { fields: { gmailHistoryId: '5821900' } })).id,
    microsoft: (await addOAuthInbox(db, { identityId: identity.id, workspaceId: stored.workspaceId }, 'microsoft', 'ada@m365-replies.example', { fields: { graphDeltaLink: `${providers.baseUrl}/v1.0/me/mailFolders/inbox/messages/delta?$deltatoken=Connected` } })).id,
  };
  // Both providers in a steady state: tokens, sends accepted, mailboxes with nothing new.
  providers.serve('google-token.success', 'microsoft-token.success', 'gmail-send.success', 'graph-sendmail.accepted', 'gmail-history.empty', 'graph-delta.no-changes');
  const steps = [
    { kind: 'email', delayMinutes: 0, subject: 'Hi', body: '<p>Hi {{firstName}}</p>' },
    { kind: 'email', delayMinutes: 24 * 60, subject: 'Following up', body: '<p>Any thoughts?</p>' },
  ];
  const campaigns: Record<'google' | 'microsoft', string> = { google: '', microsoft: '' };
  for (const [provider, lead] of [['google', { firstName: 'Grace', email: 'grace@lead.example' }], ['microsoft', { firstName: 'Nobody', email: 'nobody@lead.example' }]] as const) {
    const campaign = await request(app).post('/campaigns').set(auth()).send({ identityId: identity.id, name: provider, emailInbox: inboxIds[provider], steps });
    expect(campaign.status).toBe(201);
    campaigns[provider] = campaign.body.id as string;
    await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [lead] });
    expect((await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth())).status).toBe(200);
  }
  const sends = () => providers.received.filter((received) => received.path === '/gmail/v1/users/me/messages/send' || received.path === '/v1.0/me/sendMail');
  const sendsBefore = sends().length;

  await env.sleep('2 hours');
  expect(sends().length - sendsBefore).toBe(2);
  const leadOf = (provider: 'google' | 'microsoft') => db.lead.findFirstOrThrow({ where: { campaignId: campaigns[provider] }, include: { actions: true } });
  const messageIdOf = async (provider: 'google' | 'microsoft') => ((await leadOf(provider)).actions[0]?.result as { messageId: string }).messageId;
  const [graceMessageId, nobodyMessageId] = [await messageIdOf('google'), await messageIdOf('microsoft')];

  // Overnight Grace replies (In-Reply-To names the email Pacer sent her) and Exchange returns the email to nobody@ undelivered.
  providers.queue('gmail-history.one-reply');
  providers.queueReplacing('gmail-message.reply', { '<pacer.00000000000000000000a001@outreach.example>': graceMessageId });
  providers.queue('graph-delta.page-2', 'graph-message.ndr');
  providers.queueReplacing('graph-message.ndr-body', { '<pacer.00000000000000000000b003@contoso.example>': nobodyMessageId });

  await env.sleep('2 days');
  expect(sends().length - sendsBefore).toBe(2);
  expect(await leadOf('google')).toMatchObject({ state: 'replied', dueAt: null });
  expect(await leadOf('microsoft')).toMatchObject({ state: 'error', dueAt: null, error: 'email to nobody@lead.example bounced: Undeliverable: Hi' });
  expect(await db.leadAction.count({ where: { identityId: identity.id, kind: 'reply' } })).toBe(1);
  expect(await db.leadAction.count({ where: { identityId: identity.id, kind: 'bounce' } })).toBe(1);
  const inboxes = await db.emailInbox.findMany({ where: { identityId: identity.id } });
  expect(inboxes.map((inbox) => inbox.syncStatus)).toEqual(['ok', 'ok']);
  // lead.replied and lead.bounced were recorded with them, each campaign's completion too (docs/webhooks.md).
  const leadIds = { google: (await leadOf('google')).id, microsoft: (await leadOf('microsoft')).id };
  const bodies = (await db.webhookEvent.findMany({ where: { workspaceId: stored.workspaceId } })).map((event) => JSON.parse(event.body) as { type: string; data: Record<string, unknown> });
  expect(bodies.filter((event) => event.data.leadId === leadIds.google).map((event) => event.type)).toEqual(['lead.replied']);
  expect(bodies.filter((event) => event.data.leadId === leadIds.microsoft)).toEqual([
    expect.objectContaining({ type: 'lead.bounced', data: expect.objectContaining({ inboxId: inboxIds.microsoft, reason: 'email to nobody@lead.example bounced: Undeliverable: Hi' }) }),
  ]);
  const completions = bodies.filter((event) => event.type === 'campaign.completed' && Object.values(campaigns).includes(event.data.campaignId as string));
  expect(completions.map((event) => event.data.leads)).toEqual(expect.arrayContaining([{ replied: 1 }, { error: 1 }]));
  expect(completions).toHaveLength(2);
});
