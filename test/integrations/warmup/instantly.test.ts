/**
 * The Instantly API v2 adapter against recorded exchanges shaped like Instantly's published OpenAPI
 * document, served by a real local HTTP server.
 */
import { createInstantlyWarmupProvider, WarmupProviderError } from '../../../integrations/warmup';
import { startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';

const KEY = 'instantly-api-key-0123456789-canary';
const AT = Date.parse('2026-03-02T09:00:00.000Z');
const ADDRESS = 'ada@outreach.example';
const ACCOUNT = '/api/v2/accounts/ada%40outreach.example';
const input = { inboxId: '6f1c0000-0000-4000-8000-000000000001', address: ADDRESS, at: AT };

let instantly: ProviderReplayServer;
beforeAll(async () => {
  instantly = await startProviderReplayServer({ fixtures: 'instantly' });
});
afterAll(() => instantly?.stop());
beforeEach(() => instantly.received.splice(0));

const provider = (overrides: { jobDeadlineMs?: number } = {}) =>
  createInstantlyWarmupProvider({ apiKey: KEY, baseUrl: instantly.baseUrl, jobPollIntervalMs: 5, jobDeadlineMs: 5_000, ...overrides });
const calls = () => instantly.received.map((received) => `${received.method} ${received.path}`);
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as WarmupProviderError);

test('start: a connected account is enabled through a background job polled until success, then its state and analytics are read', async () => {
  instantly.queue('account.paused', 'enable.job-pending', 'job.in-progress', 'job.success', 'account.warming', 'analytics.day-one');
  const status = await provider().start(input);
  expect(status).toEqual({ state: 'warming', startedAt: Date.parse('2026-03-02T09:00:05.000Z'), emailsSent: 0, inboxPlacementRate: null, reputation: 0 });
  expect(calls()).toEqual([
    `GET ${ACCOUNT}`,
    'POST /api/v2/accounts/warmup/enable',
    'GET /api/v2/background-jobs/6a9091b11eafe1c72b3de90e',
    'GET /api/v2/background-jobs/6a9091b11eafe1c72b3de90e',
    `GET ${ACCOUNT}`,
    'POST /api/v2/accounts/warmup-analytics',
  ]);
  const enable = instantly.received[1]!;
  expect(JSON.parse(enable.body)).toEqual({ emails: [ADDRESS] });
  expect(enable.headers['content-type']).toBe('application/json');
  for (const received of instantly.received) expect(received.headers.authorization).toBe(`Bearer ${KEY}`);
  expect(JSON.parse(instantly.received[5]!.body)).toEqual({ emails: [ADDRESS] });
});

test('start on an account already warming enables nothing again', async () => {
  instantly.queue('account.warming', 'account.warming', 'analytics.week-one');
  expect(await provider().start(input)).toEqual({ state: 'warming', startedAt: Date.parse('2026-03-02T09:00:05.000Z'), emailsSent: 41, inboxPlacementRate: 38 / 40, reputation: 95 });
  expect(calls()).not.toContain('POST /api/v2/accounts/warmup/enable');
});

test('start on an address not connected at Instantly (its 404): mailbox-not-connected, not retryable, saying what to do', async () => {
  instantly.queue('account.not-connected');
  const error = await failure(provider().start(input));
  expect(error).toBeInstanceOf(WarmupProviderError);
  expect(error).toMatchObject({ code: 'mailbox-not-connected', retryable: false, status: 404 });
  expect(error!.message).toBe(`${ADDRESS} is not connected at Instantly: add the mailbox in Instantly (Email accounts, with its own sign-in) and start the warm-up again`);
  expect(calls()).toEqual([`GET ${ACCOUNT}`]);
});

test('progress: the account state and the warm-up analytics (placement = inbox / (inbox + spam), reputation = health score)', async () => {
  instantly.queue('account.warming', 'analytics.week-one');
  expect(await provider().status(input)).toMatchObject({ state: 'warming', emailsSent: 41, inboxPlacementRate: 0.95, reputation: 95 });
});

test('stop: disabled through a background job; the answer says stopped', async () => {
  instantly.queue('account.warming', 'disable.job-pending', 'disable-job.success', 'account.paused', 'analytics.week-one');
  const status = await provider().stop(input);
  expect(status).toMatchObject({ state: 'stopped', emailsSent: 41 });
  expect(calls()).toContain('POST /api/v2/accounts/warmup/disable');
  expect(JSON.parse(instantly.received.find((received) => received.path === '/api/v2/accounts/warmup/disable')!.body)).toEqual({ emails: [ADDRESS] });
});

test('stop of an account Instantly no longer knows (404) is not-found, which the activity treats as nothing to stop', async () => {
  instantly.queue('account.not-connected');
  expect(await failure(provider().stop(input))).toMatchObject({ code: 'not-found', retryable: false });
});

test('a failed background job is refused; one still running at the deadline is retryable', async () => {
  instantly.queue('account.paused', 'enable.job-pending', 'job.failed');
  expect(await failure(provider().start(input))).toMatchObject({ code: 'request-rejected', retryable: false });
  instantly.queue('account.paused', 'enable.job-pending', 'job.in-progress', 'job.in-progress', 'job.in-progress', 'job.in-progress');
  const late = await failure(createInstantlyWarmupProvider({ apiKey: KEY, baseUrl: instantly.baseUrl, jobPollIntervalMs: 20, jobDeadlineMs: 50 }).start(input));
  expect(late).toMatchObject({ code: 'unavailable', retryable: true });
  expect(late!.message).toMatch(/still (pending|in-progress)/);
});

test('documented failures: 401 unauthorized, 429 rate limited, 503 unavailable, nothing listening unavailable; the key never appears', async () => {
  instantly.queue('account.unauthorized');
  const unauthorized = await failure(provider().status(input));
  expect(unauthorized).toMatchObject({ code: 'provider-unauthorized', retryable: false, status: 401 });
  expect(unauthorized!.message).toContain('INSTANTLY_API_KEY');
  instantly.queue('account.rate-limited');
  expect(await failure(provider().status(input))).toMatchObject({ code: 'rate-limited', retryable: true, status: 429 });
  instantly.queue('account.unavailable');
  expect(await failure(provider().status(input))).toMatchObject({ code: 'unavailable', retryable: true, status: 503 });
  const closed = await startProviderReplayServer({ fixtures: 'instantly' });
  await closed.stop();
  const offline = await failure(createInstantlyWarmupProvider({ apiKey: KEY, baseUrl: closed.baseUrl }).status(input));
  expect(offline).toMatchObject({ code: 'unavailable', retryable: true });
  for (const error of [unauthorized, offline]) expect(error!.message).not.toContain(KEY);
});

test('an address that could reach another path is refused before any request', async () => {
  expect(await failure(provider().status({ ...input, address: 'a/../b@x.example' }))).toMatchObject({ code: 'invalid-request' });
  expect(instantly.received).toHaveLength(0);
});
