import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../api/app';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { createLogger } from '../../lib/logger';
import {
  recordActionDeferred,
  recordActionPerformed,
  recordBudget,
  recordEmailSent,
  recordReplySync,
  serveMetrics,
  type MetricsServer,
} from '../../lib/metrics';
import { createWorkspaceWithKey } from '../support/api';
import { parseMetrics, sampleValue } from '../support/prometheus';
import { sharedServices } from '../support/services';

const TOKEN = 'metrics-token-for-the-test';
let db: Database;
let connection: Connection;
let app: Express;
let apiKey: string;

beforeAll(async () => {
  const { databaseUrl, temporalAddress } = sharedServices();
  db = createDatabase(databaseUrl);
  connection = await Connection.connect({ address: temporalAddress });
  const client = new Client({ connection, namespace: 'default' });
  app = createApp({ db, identityWorkflows: new IdentityWorkflows(client, `metrics-${randomUUID()}`), logger: createLogger('silent'), bodyLimit: '100kb', metricsToken: TOKEN });
  ({ apiKey } = await createWorkspaceWithKey(db, 'metrics'));
});

afterAll(async () => {
  await connection?.close();
  await db?.$disconnect();
});

async function scrape() {
  const response = await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`);
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
  return { text: response.text, metrics: parseMetrics(response.text) };
}

test('/metrics needs METRICS_TOKEN when it is set, and answers Prometheus text format with every product metric', async () => {
  const missing = await request(app).get('/metrics');
  expect(missing.status).toBe(401);
  expect(missing.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect((await request(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`)).status).toBe(401);
  expect((await request(app).get('/metrics').set('Authorization', TOKEN)).status).toBe(401);

  const { metrics } = await scrape();
  expect(Object.fromEntries(
    ['pacer_http_request_duration_seconds', 'pacer_actions_performed_total', 'pacer_actions_deferred_total', 'pacer_emails_sent_total', 'pacer_reply_sync_runs_total', 'pacer_budget_used', 'pacer_budget_left', 'pacer_process_cpu_seconds_total'].map((name) => [name, metrics.types.get(name)]),
  )).toEqual({
    pacer_http_request_duration_seconds: 'HISTOGRAM',
    pacer_actions_performed_total: 'COUNTER',
    pacer_actions_deferred_total: 'COUNTER',
    pacer_emails_sent_total: 'COUNTER',
    pacer_reply_sync_runs_total: 'COUNTER',
    pacer_budget_used: 'GAUGE',
    pacer_budget_left: 'GAUGE',
    pacer_process_cpu_seconds_total: 'COUNTER',
  });
  // Every kind/result pair exists from the start, so alerts can compute rates before the first event.
  expect(metrics.samples.filter((sample) => sample.name === 'pacer_actions_performed_total')).toHaveLength(6 * 4);
});

test('requests move the latency histogram, labelled by route pattern and status, never by the ids or tokens in the path', async () => {
  const route = { method: 'GET', route: '/identities/:id', status: '404' };
  const before = (await scrape()).metrics;
  const ids = [randomUUID(), randomUUID(), randomUUID()];
  for (const id of ids) expect((await request(app).get(`/identities/${id}`).set('Authorization', `Bearer ${apiKey}`)).status).toBe(404);
  const shareToken = 'share-token-that-must-not-become-a-label';
  // Whatever the share route answers (503 here: share links are not configured), it is labelled by its pattern.
  const shareStatus = String((await request(app).get(`/share/${shareToken}`)).status);
  expect((await request(app).get(`/no-such-route/${ids[0]}`).set('Authorization', `Bearer ${apiKey}`)).status).toBe(404);

  const { text, metrics } = await scrape();
  expect(sampleValue(metrics, 'pacer_http_request_duration_seconds_count', route) - sampleValue(before, 'pacer_http_request_duration_seconds_count', route)).toBe(3);
  expect(sampleValue(metrics, 'pacer_http_request_duration_seconds_bucket', { ...route, le: '+Inf' })).toBe(sampleValue(metrics, 'pacer_http_request_duration_seconds_count', route));
  expect(sampleValue(metrics, 'pacer_http_request_duration_seconds_sum', route)).toBeGreaterThan(sampleValue(before, 'pacer_http_request_duration_seconds_sum', route));
  expect(sampleValue(metrics, 'pacer_http_request_duration_seconds_count', { route: '/share/:token', status: shareStatus })).toBe(1);
  expect(sampleValue(metrics, 'pacer_http_request_duration_seconds_count', { route: '(unmatched)', status: '404' })).toBeGreaterThanOrEqual(1);
  for (const secret of [...ids, shareToken, apiKey, TOKEN]) expect(text).not.toContain(secret);
});

test('the product recorders show in /metrics, budgets summed over identities (none of them a label) until their day ends', async () => {
  const inboxId = randomUUID();
  const before = (await scrape()).metrics;
  recordEmailSent(inboxId, 'sent');
  recordEmailSent(inboxId, 'sent');
  recordEmailSent(inboxId, 'failed-permanent');
  recordActionPerformed('email', 'succeeded');
  recordActionDeferred('connectionRequest', 'budget-spent');
  recordReplySync('failed');
  const [identityA, identityB, identityC] = [randomUUID(), randomUUID(), randomUUID()];
  const endOfDay = Date.now() + 3_600_000;
  recordBudget(identityA, { kind: 'email', used: 3, left: 27, validUntil: endOfDay });
  recordBudget(identityB, { kind: 'email', used: 5, left: 25, validUntil: endOfDay });
  recordBudget(identityA, { kind: 'email', used: 4, left: 26, validUntil: endOfDay });
  recordBudget(identityC, { kind: 'email', used: 100, left: 0, validUntil: Date.now() - 1 });

  const { text, metrics } = await scrape();
  const moved = (name: string, labels: Record<string, string>) => sampleValue(metrics, name, labels) - sampleValue(before, name, labels);
  expect(moved('pacer_emails_sent_total', { inbox: inboxId, result: 'sent' })).toBe(2);
  expect(moved('pacer_emails_sent_total', { inbox: inboxId, result: 'failed-permanent' })).toBe(1);
  expect(moved('pacer_actions_performed_total', { kind: 'email', result: 'succeeded' })).toBe(1);
  expect(moved('pacer_actions_deferred_total', { kind: 'connectionRequest', reason: 'budget-spent' })).toBe(1);
  expect(moved('pacer_reply_sync_runs_total', { result: 'failed' })).toBe(1);
  expect(sampleValue(metrics, 'pacer_budget_used', { kind: 'email' })).toBe(4 + 5);
  expect(sampleValue(metrics, 'pacer_budget_left', { kind: 'email' })).toBe(26 + 25);
  expect(sampleValue(metrics, 'pacer_budget_used', { kind: 'like' })).toBe(0);
  for (const identity of [identityA, identityB, identityC]) expect(text).not.toContain(identity);
});

describe("a worker's own metrics port", () => {
  let server: MetricsServer;
  beforeAll(async () => {
    server = await serveMetrics({ host: '127.0.0.1', port: 0, token: TOKEN });
  });
  afterAll(() => server?.close());

  test('serves the same registry at /metrics, with the token, and nothing else', async () => {
    const unauthorized = await fetch(server.url);
    expect(unauthorized.status).toBe(401);
    const answer = await fetch(server.url, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(answer.status).toBe(200);
    const metrics = parseMetrics(await answer.text());
    expect(metrics.types.get('pacer_actions_performed_total')).toBe('COUNTER');
    expect((await fetch(server.url.replace('/metrics', '/other'), { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });

  test('a port already taken is a start-up error naming WORKER_METRICS_PORT', async () => {
    const port = Number(new URL(server.url).port);
    await expect(serveMetrics({ host: '127.0.0.1', port, token: undefined })).rejects.toThrow(/EADDRINUSE.*WORKER_METRICS_PORT/);
  });
});
