/**
 * Warm-up through Instantly, end to end on the API, a real worker and the Temporal dev server, with
 * Instantly's API served from recorded exchanges by a real local HTTP server.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { encryptSecret, inboxPasswordAssociatedData } from '../../lib/secrets';
import { createInstantlyWarmupProvider } from '../../integrations/warmup';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { testKeyring } from '../support/keyring';
import { startProviderReplayServer, type ProviderReplayServer } from '../support/provider-replay-server';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
let instantly: ProviderReplayServer;
let harness: ApiHarness;
let apiKey: string;

beforeAll(async () => {
  instantly = await startProviderReplayServer({ fixtures: 'instantly' });
  harness = await startApiHarness({ warmup: createInstantlyWarmupProvider({ apiKey: 'instantly-key', baseUrl: instantly.baseUrl, jobPollIntervalMs: 5 }) });
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'warmup-instantly'));
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await instantly?.stop();
});

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function inboxOf(address: string) {
  const identityId = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'W', workingHours: hours })).body.id as string;
  const identity = await harness.db.identity.findUniqueOrThrow({ where: { id: identityId } });
  const id = randomUUID();
  await harness.db.emailInbox.create({
    data: {
      id,
      workspaceId: identity.workspaceId,
      identityId,
      email: address,
      smtpHost: 'smtp.outreach.example',
      smtpPort: 587,
      smtpSecurity: 'starttls',
      imapHost: 'imap.outreach.example',
      imapPort: 993,
      imapSecurity: 'tls',
      username: address,
      passwordEnvelope: encryptSecret(testKeyring, 'pw', inboxPasswordAssociatedData(id)),
    },
  });
  return { identityId, id, path: `/identities/${identityId}/email-accounts/${id}/warmup` };
}

test('a mailbox not connected at Instantly: the API says so (422 warmup-mailbox-not-connected with guidance) and the warm-up ends', async () => {
  const { path, id } = await inboxOf('ada@outreach.example');
  // Start (refused), then the workflow's stop at the end of the warm-up: Instantly knows no such account either time.
  instantly.queue('account.not-connected', 'account.not-connected');
  const response = await request(harness.app).post(path).set(auth()).send({ pauseCampaigns: false });
  expect(response.status).toBe(422);
  expect(response.body).toMatchObject({ type: 'urn:pacer:problem:warmup-mailbox-not-connected', code: 'mailbox-not-connected' });
  expect(response.body.detail).toContain('ada@outreach.example is not connected at Instantly');
  expect(response.body.guidance).toMatch(/add this address in Instantly/);
  for (let attempt = 0; attempt < 100 && (await harness.db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: id } })).state === 'running'; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const row = await harness.db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: id } });
  expect(row).toMatchObject({ state: 'stopped', providerError: { code: 'mailbox-not-connected' } });
  const view = await request(harness.app).get(path).set(auth());
  expect(view.body).toMatchObject({ state: 'stopped', providerError: { code: 'mailbox-not-connected' } });
});

test('a connected mailbox warms up; disconnecting the inbox stops its warm-up at Instantly', async () => {
  const { path, id, identityId } = await inboxOf('ada@outreach.example');
  instantly.received.splice(0);
  instantly.queue('account.paused', 'enable.job-pending', 'job.success', 'account.warming', 'analytics.day-one');
  const started = await request(harness.app).post(path).set(auth()).send({ pauseCampaigns: false });
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ state: 'running', provider: { state: 'warming', emailsSent: 0 } });

  instantly.queue('account.warming', 'disable.job-pending', 'disable-job.success', 'account.paused', 'analytics.week-one');
  const disconnected = await request(harness.app).delete(`/identities/${identityId}/email-accounts/${id}`).set(auth());
  expect(disconnected.status).toBe(200);
  expect(disconnected.body).toMatchObject({ status: 'disconnected', warmupStopped: true });
  expect(instantly.received.map((received) => `${received.method} ${received.path}`)).toContain('POST /api/v2/accounts/warmup/disable');
  expect(await harness.db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: id } })).toMatchObject({ state: 'stopped', providerStatus: { state: 'stopped', emailsSent: 41 } });
});
