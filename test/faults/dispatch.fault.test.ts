/**
 * Faults meet the identity's dispatch (time skipping, real PostgreSQL, real SMTP servers, a real
 * HTTP LinkedIn gateway against a failing service). Each case counts what the receiving servers
 * got and what the records say.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import request from 'supertest';
import { createHttpLinkedinGateway } from '../../integrations/linkedin';
import { generateKeyringEntry, parseKeyring } from '../../lib/secrets';
import type { WorkingHours } from '../../domain/working-hours';
import { metricsRegistry } from '../../lib/metrics';
import { identityWorkflowId } from '../../workflows/identity-contract';
import { addOAuthInbox, addSmtpInbox } from '../support/inboxes';
import { parseMetrics, sampleValue } from '../support/prometheus';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const PARIS = 'Europe/Paris';
const OFFICE: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const DAY_MS = 86_400_000;

jest.setTimeout(300_000);

let harness: TimeSkippingHarness;
let smtp: SmtpTestServer;
/** Accepts TCP connections and never says a word (an SMTP server that hangs before its greeting). */
let silent: net.Server;
const silentSockets = new Set<net.Socket>();
/** The LinkedIn automation service, failing the way the case needs. */
let gateway: http.Server;
const gatewayRequests: string[] = [];
let closedPort: number;

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The service answers per invitation id: a documented not-found problem, or a refusal of Pacer's token. */
function gatewayAnswer(path: string, response: http.ServerResponse): void {
  gatewayRequests.push(path);
  const problem = (status: number, type: string, detail: string): void => {
    response.writeHead(status, { 'content-type': 'application/problem+json' }).end(JSON.stringify({ type: `urn:linkedin-gateway:${type}`, title: type, status, detail }));
  };
  if (path.endsWith('/invitations/inv-404')) return problem(404, 'not-found', 'no such invitation');
  if (path.endsWith('/invitations/inv-401')) return problem(401, 'unauthorized', 'token refused');
  problem(500, 'unavailable', `unexpected ${path}`);
}

beforeAll(async () => {
  smtp = await startSmtpTestServer();
  silent = net.createServer((socket) => {
    silentSockets.add(socket);
    socket.on('close', () => silentSockets.delete(socket));
  });
  await listen(silent);
  gateway = http.createServer((req, res) => gatewayAnswer(req.url ?? '', res));
  const gatewayPort = await listen(gateway);
  const closed = net.createServer();
  closedPort = await listen(closed);
  await new Promise<void>((resolve) => closed.close(() => resolve()));
  harness = await startTimeSkippingHarness('dispatch-faults', {}, {
    linkedinGateway: createHttpLinkedinGateway({ baseUrl: `http://127.0.0.1:${gatewayPort}`, token: 'fault-test-token' }),
    activities: {
      // Google is not configured on this worker; Microsoft's token endpoint cannot be reached.
      emailProviders: { microsoft: { clientId: 'ms-client', clientSecret: 'ms-secret', loginBaseUrl: `http://127.0.0.1:${closedPort}`, graphBaseUrl: `http://127.0.0.1:${closedPort}` } },
      mailHostTimeoutMs: 1_000,
    },
  });
}, 180_000);

afterAll(async () => {
  await harness?.stop();
  await smtp?.stop();
  for (const socket of silentSockets) socket.destroy();
  await new Promise<void>((resolve) => silent?.close(() => resolve()));
  await new Promise<void>((resolve) => gateway?.close(() => resolve()));
});

const auth = () => harness.auth();

/** The next Sunday 20:00 in Paris after the server's now. */
async function nextSundayEvening(): Promise<DateTime> {
  const now = await harness.env.currentTimeMs();
  let day = DateTime.fromMillis(now, { zone: PARIS }).startOf('day').set({ hour: 20 });
  while (day.weekday !== 7 || day.toMillis() <= now) day = day.plus({ days: 1 });
  return day;
}

async function createIdentity(name: string, extra: object = {}): Promise<{ id: string; workspaceId: string }> {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: name, lastName: 'Faults', workingHours: OFFICE, ...extra });
  expect(created.status).toBe(201);
  return { id: created.body.id, workspaceId: harness.workspaceId };
}

const ownerOf = (identity: { id: string; workspaceId: string }) => ({ identityId: identity.id, workspaceId: identity.workspaceId });

/** A started campaign sending from `inbox` (or Shuffle) with these steps to these leads. */
async function emailCampaign(identityId: string, inbox: string, leads: string[], steps: object[] = [{ kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}}</p>' }]) {
  const campaign = await request(harness.app).post('/campaigns').set(auth()).send({ identityId, name: `to ${leads.join(',')}`, emailInbox: inbox, steps });
  expect(campaign.status).toBe(201);
  const added = await request(harness.app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: leads.map((email) => ({ firstName: email.split('@')[0], email })) });
  expect(added.body.created).toBe(leads.length);
  expect((await request(harness.app).post(`/campaigns/${campaign.body.id}/start`).set(auth())).status).toBe(200);
  return campaign.body.id as string;
}

/** A sample of this process's metrics (the time-skipping worker runs in it). */
async function metric(name: string, labels: Record<string, string>): Promise<number> {
  return sampleValue(parseMetrics(await metricsRegistry.metrics()), name, labels);
}

function messagesTo(address: string) {
  return smtp.messages.filter((message) => message.to.includes(address));
}

test('a server that stores the message and then resets the connection: exactly one copy, the step is sent-unconfirmed, the next step goes out on schedule', async () => {
  const sunday = await nextSundayEvening();
  await harness.skipTo(sunday);
  const identity = await createIdentity('Reset');
  const inbox = await addSmtpInbox(harness.db, ownerOf(identity), 'reset@sender.example', smtp);
  await emailCampaign(identity.id, inbox.id, ['grace.reset@lead.example'], [
    { kind: 'email', delayMinutes: 0, subject: 'First', body: '<p>one</p>' },
    { kind: 'email', delayMinutes: 24 * 60, subject: 'Second', body: '<p>two</p>' },
  ]);
  smtp.faults.dropAfterData = 1;
  smtp.faults.dropWith = 'reset';

  const monday = sunday.plus({ days: 1 });
  await harness.skipTo(monday.set({ hour: 18, minute: 30 }));
  expect(messagesTo('grace.reset@lead.example').map((message) => message.subject)).toEqual(['First']);
  const lead = await harness.db.lead.findFirstOrThrow({ where: { identityId: identity.id }, include: { actions: true } });
  expect(lead.actions.map((action) => [action.stepIndex, (action.result as { state: string }).state])).toEqual([[0, 'sent-unconfirmed']]);
  const first = lead.actions[0]!.performedAt.getTime();
  expect(lead).toMatchObject({ state: 'waiting', stepIndex: 1 });
  expect(lead.dueAt?.getTime()).toBe(first + DAY_MS);
  expect(await metric('pacer_emails_sent_total', { inbox: inbox.id, result: 'sent-unconfirmed' })).toBe(1);
  expect(await metric('pacer_emails_sent_total', { inbox: inbox.id, result: 'sent' })).toBe(0);

  await harness.skipTo(monday.plus({ days: 1 }).set({ hour: 18, minute: 30 }));
  expect(messagesTo('grace.reset@lead.example').map((message) => message.subject)).toEqual(['First', 'Second']);
  const done = await harness.db.leadAction.findMany({ where: { leadId: lead.id }, orderBy: { stepIndex: 'asc' } });
  expect(done.map((action) => (action.result as { state: string }).state)).toEqual(['sent-unconfirmed', 'sent']);
  expect(done[1]!.performedAt.getTime()).toBeGreaterThanOrEqual(first + DAY_MS);
  expect(await metric('pacer_emails_sent_total', { inbox: inbox.id, result: 'sent' })).toBe(1);
});

test('failures before the hand-over send nothing and record nothing: the lead says why it waits, and another inbox of the identity keeps sending', async () => {
  const sunday = await nextSundayEvening();
  await harness.skipTo(sunday);
  const identity = await createIdentity('Early');
  const otherKeyring = parseKeyring(generateKeyringEntry('retired'));
  const wrongKey = await addSmtpInbox(harness.db, ownerOf(identity), 'wrong-key@sender.example', smtp, { keyring: otherKeyring });
  const google = await addOAuthInbox(harness.db, ownerOf(identity), 'google', 'no-client@gmail-sender.example');
  const microsoft = await addOAuthInbox(harness.db, ownerOf(identity), 'microsoft', 'token-down@ms-sender.example');
  const hanging = await addSmtpInbox(harness.db, ownerOf(identity), 'hangs@sender.example', { host: '127.0.0.1', port: (silent.address() as AddressInfo).port });
  const healthy = await addSmtpInbox(harness.db, ownerOf(identity), 'healthy@sender.example', smtp);
  const cases = [
    { inbox: wrongKey, lead: 'lead.wrong-key@lead.example', reason: 'PACER_ENCRYPTION_KEYS', counted: 'failed-permanent' },
    { inbox: google, lead: 'lead.google@lead.example', reason: 'GOOGLE_CLIENT_ID', counted: 'failed-permanent' },
    { inbox: microsoft, lead: 'lead.microsoft@lead.example', reason: 'Microsoft token endpoint unreachable', counted: 'failed-transient' },
    { inbox: hanging, lead: 'lead.hangs@lead.example', reason: 'timeout', counted: 'failed-transient' },
  ];
  for (const { inbox, lead } of cases) await emailCampaign(identity.id, inbox.id, [lead]);
  await emailCampaign(identity.id, healthy.id, ['lead.one@lead.example', 'lead.two@lead.example']);

  await harness.skipTo(sunday.plus({ days: 1 }).set({ hour: 18, minute: 30 }));
  expect(messagesTo('lead.one@lead.example')).toHaveLength(1);
  expect(messagesTo('lead.two@lead.example')).toHaveLength(1);
  expect(await metric('pacer_emails_sent_total', { inbox: healthy.id, result: 'sent' })).toBe(2);
  for (const { inbox, lead: address, reason, counted } of cases) {
    expect(messagesTo(address)).toHaveLength(0);
    // Each inbox's failures are counted under its id, permanent (a deployment problem) or transient.
    expect(await metric('pacer_emails_sent_total', { inbox: inbox.id, result: counted })).toBeGreaterThan(0);
    expect(await metric('pacer_emails_sent_total', { inbox: inbox.id, result: 'sent' })).toBe(0);
    const lead = await harness.db.lead.findFirstOrThrow({ where: { identityId: identity.id, email: address }, include: { actions: true } });
    expect(lead.actions).toEqual([]); // never recorded as sent
    expect(lead).toMatchObject({ state: 'waiting', stepIndex: 0 });
    expect(lead.failedAttempts).toBeGreaterThan(0);
    expect(lead.waitingReason).toContain(reason);
    expect(lead.waitingReason).toContain(inbox.email);
    // A problem of the deployment or of the network is not the inbox's: it stays connected.
    expect((await harness.db.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } })).status).toBe('connected');
  }
});

test('a server answering 421 near the window end: nothing is performed after the deadline, and the email goes out in the next window with its real time', async () => {
  const sunday = await nextSundayEvening();
  await harness.skipTo(sunday);
  const refusing = await startSmtpTestServer();
  try {
    refusing.faults.refuseConnections = { responseCode: 421, message: '4.3.2 Service not available, closing transmission channel' };
    const monday = sunday.plus({ days: 1 });
    await harness.skipTo(monday.set({ hour: 17, minute: 45 }));
    const identity = await createIdentity('Late');
    const inbox = await addSmtpInbox(harness.db, ownerOf(identity), 'late@sender.example', refusing);
    await emailCampaign(identity.id, inbox.id, ['lead.late@lead.example']);

    await harness.skipTo(monday.set({ hour: 18, minute: 30 }));
    const waiting = await harness.db.lead.findFirstOrThrow({ where: { identityId: identity.id } });
    expect(waiting.failedAttempts).toBeGreaterThan(0);
    expect(waiting.waitingReason).toContain('421');
    expect(refusing.messages).toHaveLength(0);
    refusing.faults.refuseConnections = null;

    await harness.skipTo(monday.plus({ days: 1 }).set({ hour: 12 }));
    expect(refusing.messages).toHaveLength(1);
    const [sent] = await harness.db.leadAction.findMany({ where: { identityId: identity.id } });
    const performedAt = DateTime.fromMillis(sent!.performedAt.getTime(), { zone: PARIS });
    expect(performedAt.toISODate()).toBe(monday.plus({ days: 1 }).toISODate());
    expect(performedAt.hour).toBeGreaterThanOrEqual(9);
    expect((sent!.result as { state: string }).state).toBe('sent');
  } finally {
    await refusing.stop();
  }
});

test('a due withdrawal answered 404, then 401, holds up nothing else: the email goes out on time, each invitation shows its state, and deleting the identity ends its workflow at once', async () => {
  const sunday = await nextSundayEvening();
  await harness.skipTo(sunday);
  const identity = await createIdentity('Withdrawing');
  const refusedWithdrawals = await metric('pacer_actions_performed_total', { kind: 'withdrawal', result: 'failed-permanent' });
  expect((await request(harness.app).put(`/identities/${identity.id}/linkedin/withdrawals`).set(auth()).send({ autoWithdraw: true, thresholdDays: 7 })).status).toBe(200);
  const sentAt = new Date(sunday.toMillis() - 30 * DAY_MS);
  for (const gatewayInvitationId of ['inv-404', 'inv-401']) {
    await harness.db.linkedinInvitation.create({
      data: {
        workspaceId: identity.workspaceId,
        identityId: identity.id,
        profileUrl: `https://www.linkedin.com/in/${gatewayInvitationId}`,
        status: 'pending',
        gatewayInvitationId,
        idempotencyKey: `fault-${identity.id}-${gatewayInvitationId}`,
        requestedAt: sentAt,
        sentAt,
      },
    });
  }
  const inbox = await addSmtpInbox(harness.db, ownerOf(identity), 'withdrawing@sender.example', smtp);
  await emailCampaign(identity.id, inbox.id, ['lead.withdrawing@lead.example']);

  const monday = sunday.plus({ days: 1 });
  await harness.skipTo(monday.set({ hour: 10, minute: 30 }));
  expect(messagesTo('lead.withdrawing@lead.example')).toHaveLength(1);
  const [email] = await harness.db.leadAction.findMany({ where: { identityId: identity.id, kind: 'email' } });
  expect(DateTime.fromMillis(email!.performedAt.getTime(), { zone: PARIS }).hour).toBeLessThan(10);

  const invitations = await harness.db.linkedinInvitation.findMany({ where: { identityId: identity.id }, orderBy: { gatewayInvitationId: 'asc' } });
  expect(invitations.map((invitation) => [invitation.gatewayInvitationId, invitation.status])).toEqual([
    ['inv-401', 'pending'],
    ['inv-404', 'expired'],
  ]);
  expect(invitations[0]!.error).toContain('LINKEDIN_GATEWAY_TOKEN');
  expect(invitations[1]!.error).toContain('no longer has this invitation');
  const status = await request(harness.app).get(`/identities/${identity.id}/status`).set(auth());
  expect(status.body.withdrawalsHeldUntil).not.toBeNull();
  expect(gatewayRequests.filter((path) => path.endsWith('/inv-401')).length).toBeGreaterThan(1); // tried again, backing off
  // A refused token is the deployment's problem: counted as a permanent failure of each attempt.
  expect((await metric('pacer_actions_performed_total', { kind: 'withdrawal', result: 'failed-permanent' })) - refusedWithdrawals).toBe(gatewayRequests.filter((path) => path.endsWith('/inv-401')).length);

  expect((await request(harness.app).delete(`/identities/${identity.id}`).set(auth())).status).toBe(204);
  const handle = harness.env.client.workflow.getHandle(identityWorkflowId(identity.id));
  const deadline = Date.now() + 15_000;
  let state = (await handle.describe()).status.name;
  while (state === 'RUNNING' && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    state = (await handle.describe()).status.name;
  }
  expect(state).toBe('COMPLETED');
});
