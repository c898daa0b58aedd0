/**
 * POST/GET/DELETE /webhook-endpoints and the delivery log's errors (docs/webhooks.md), on the real
 * API and PostgreSQL. Deliveries themselves: test/workflows/webhooks.workflow.test.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { parseAllowlist } from '../../lib/config';
import { decryptSecret, webhookSecretAssociatedData } from '../../lib/secrets';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { testKeyring } from '../support/keyring';
import { ensureWebhookOutboxRelay, webhookOutboxRelayWorkflowId } from '../../workflows/webhook-delivery-contract';

let harness: ApiHarness;
/** Admits loopback endpoints, as a deployment with WEBHOOK_PRIVATE_HOSTS_ALLOWED=127.0.0.0/8 would. */
let app: Express;
/** The default: private hosts refused. */
let strictApp: Express;
let keyA: string;
let workspaceA: string;
let keyB: string;

beforeAll(async () => {
  harness = await startApiHarness();
  app = harness.appWith({ webhooks: { keyring: testKeyring, privateHostsAllowed: parseAllowlist('127.0.0.0/8'), requireHttps: false } });
  strictApp = harness.appWith({ webhooks: { keyring: testKeyring, privateHostsAllowed: [], requireHttps: true } });
  ({ apiKey: keyA, workspaceId: workspaceA } = await createWorkspaceWithKey(harness.db, 'hooks-a'));
  ({ apiKey: keyB } = await createWorkspaceWithKey(harness.db, 'hooks-b'));
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key = keyA) => ({ Authorization: `Bearer ${key}` });
const problemOf = (response: request.Response) => ({ status: response.status, type: response.body.type as string, fields: (response.body.errors ?? []).map((error: { field: string }) => error.field) });

test('an endpoint is created with its secret shown once, stored encrypted, listed without it, and deleted', async () => {
  const created = await request(app).post('/webhook-endpoints').set(auth()).send({ url: 'http://127.0.0.1:9/hooks', eventTypes: ['lead.replied', 'lead.bounced'] });
  expect(created.status).toBe(201);
  expect(created.headers.location).toBe(`/webhook-endpoints/${created.body.id}`);
  expect(created.body).toMatchObject({ url: 'http://127.0.0.1:9/hooks', eventTypes: ['lead.replied', 'lead.bounced'], status: 'enabled' });
  const secret = created.body.secret as string;
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);

  const row = await harness.db.webhookEndpoint.findUniqueOrThrow({ where: { id: created.body.id } });
  expect(row.secretEnvelope).not.toContain(secret.slice('whsec_'.length));
  expect(decryptSecret(testKeyring, row.secretEnvelope, webhookSecretAssociatedData(row.id))).toBe(secret);

  const listed = await request(app).get('/webhook-endpoints').set(auth());
  expect(listed.status).toBe(200);
  expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, status: 'enabled' })]);
  expect(JSON.stringify(listed.body)).not.toContain(secret.slice('whsec_'.length));
  expect(harness.logLines.join('\n')).not.toContain(secret.slice('whsec_'.length));

  // Every type when none is named.
  const all = await request(app).post('/webhook-endpoints').set(auth()).send({ url: 'http://127.0.0.1:9/all' });
  expect(all.body.eventTypes).toHaveLength(8);

  expect((await request(app).delete(`/webhook-endpoints/${created.body.id}`).set(auth())).status).toBe(204);
  // Deleting again is no error; the endpoint stays listed, disabled, with its log.
  expect((await request(app).delete(`/webhook-endpoints/${created.body.id}`).set(auth())).status).toBe(204);
  const after = await request(app).get('/webhook-endpoints').set(auth());
  expect(after.body.items.find((item: { id: string }) => item.id === created.body.id)).toMatchObject({ status: 'disabled', disabledReason: 'deleted' });
  const log = await request(app).get(`/webhook-endpoints/${created.body.id}/deliveries`).set(auth());
  expect(log.status).toBe(200);
  expect(log.body).toEqual({ items: [], nextCursor: null });
});

test.each([
  ['not a URL', { url: 'not a url' }, 'url'],
  ['another scheme', { url: 'ftp://hooks.example.com/in' }, 'url'],
  ['credentials in the URL', { url: 'http://user:pass@127.0.0.1:9/in' }, 'url'],
  ['an unknown event type', { url: 'http://127.0.0.1:9/in', eventTypes: ['lead.sneezed'] }, 'eventTypes.0'],
  ['a repeated event type', { url: 'http://127.0.0.1:9/in', eventTypes: ['lead.replied', 'lead.replied'] }, 'eventTypes'],
  ['an unknown field', { url: 'http://127.0.0.1:9/in', secret: 'whsec_mine' }, ''],
])('%s is refused with 422 naming the field, and nothing is stored', async (_case, body, field) => {
  const before = await harness.db.webhookEndpoint.count({ where: { workspaceId: workspaceA } });
  const response = await request(app).post('/webhook-endpoints').set(auth()).send(body);
  expect(response.headers['content-type']).toContain('application/problem+json');
  expect(problemOf(response)).toMatchObject({ status: 422, type: 'urn:pacer:problem:validation-failed' });
  expect(problemOf(response).fields.join(' ')).toContain(field);
  expect(await harness.db.webhookEndpoint.count({ where: { workspaceId: workspaceA } })).toBe(before);
});

test.each([
  ['loopback', 'https://127.0.0.1/in'],
  ['a private network', 'https://10.1.2.3/in'],
  ['link-local (cloud metadata)', 'https://169.254.169.254/latest'],
  ['a name that resolves to loopback', 'https://localhost/in'],
  ['IPv6 loopback', 'https://[::1]/in'],
])('an endpoint on %s is refused by the SSRF guard unless allowed', async (_case, url) => {
  const response = await request(strictApp).post('/webhook-endpoints').set(auth()).send({ url });
  expect(problemOf(response)).toEqual({ status: 422, type: 'urn:pacer:problem:validation-failed', fields: ['url'] });
  expect(response.body.errors[0].message).toContain('WEBHOOK_PRIVATE_HOSTS_ALLOWED');
});

test('in production an endpoint must be https', async () => {
  const response = await request(strictApp).post('/webhook-endpoints').set(auth()).send({ url: 'http://hooks.example.com/in' });
  expect(problemOf(response)).toEqual({ status: 422, type: 'urn:pacer:problem:validation-failed', fields: ['url'] });
});

test("an unknown endpoint, or another workspace's, is 404 for delete and for its delivery log", async () => {
  const created = await request(app).post('/webhook-endpoints').set(auth()).send({ url: 'http://127.0.0.1:9/mine' });
  expect(created.status).toBe(201);
  for (const path of ['/webhook-endpoints/6b0f5a3e-0000-4000-8000-000000000000', '/webhook-endpoints/not-a-uuid']) {
    expect(problemOf(await request(app).delete(path).set(auth()))).toMatchObject({ status: 404, type: 'urn:pacer:problem:not-found' });
    expect(problemOf(await request(app).get(`${path}/deliveries`).set(auth()))).toMatchObject({ status: 404, type: 'urn:pacer:problem:not-found' });
  }
  const theirs = `/webhook-endpoints/${created.body.id}`;
  expect(problemOf(await request(app).delete(theirs).set(auth(keyB)))).toMatchObject({ status: 404 });
  expect(problemOf(await request(app).get(`${theirs}/deliveries`).set(auth(keyB)))).toMatchObject({ status: 404 });
  expect(problemOf(await request(app).get(`${theirs}/deliveries/6b0f5a3e-0000-4000-8000-000000000000`).set(auth()))).toMatchObject({ status: 404 });
  expect((await request(app).get('/webhook-endpoints').set(auth(keyB))).body.items).toEqual([]);
  // Still there for its own workspace.
  expect((await request(app).get('/webhook-endpoints').set(auth())).body.items.map((item: { id: string }) => item.id)).toContain(created.body.id);
});

test('the delivery log refuses a bad query with 422', async () => {
  const created = await request(app).post('/webhook-endpoints').set(auth()).send({ url: 'http://127.0.0.1:9/q' });
  const response = await request(app).get(`/webhook-endpoints/${created.body.id}/deliveries?state=lost`).set(auth());
  expect(problemOf(response)).toMatchObject({ status: 422, fields: ['state'] });
});

test('without an API key: 401; without the keyring configured: 503', async () => {
  expect((await request(app).get('/webhook-endpoints')).status).toBe(401);
  const unconfigured = harness.appWith({ webhooks: undefined });
  const response = await request(unconfigured).post('/webhook-endpoints').set(auth()).send({ url: 'https://hooks.example.com/in' });
  expect(problemOf(response)).toMatchObject({ status: 503 });
});

test('the API start ensures one outbox relay per task queue: starting it again keeps the one that runs', async () => {
  const taskQueue = `webhook-relay-test-${randomUUID()}`;
  await ensureWebhookOutboxRelay(harness.client, taskQueue);
  const first = await harness.client.workflow.getHandle(webhookOutboxRelayWorkflowId(taskQueue)).describe();
  await ensureWebhookOutboxRelay(harness.client, taskQueue);
  const second = await harness.client.workflow.getHandle(webhookOutboxRelayWorkflowId(taskQueue)).describe();
  expect(second.runId).toBe(first.runId);
  expect(second.status.name).toBe('RUNNING');
  await harness.client.workflow.getHandle(webhookOutboxRelayWorkflowId(taskQueue)).terminate('test done');
});
