import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createHttpWarmupProvider, createWarmupSimulator, selectWarmupProvider, WarmupProviderError, WARMUP_SIMULATOR_LABEL } from '../../../integrations/warmup';
import { startReplayServer, type RecordedResponse, type ReplayServer } from '../linkedin/replay-server';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'warmup');
const TOKEN = 'warmup-token-0123456789';
const AT = Date.parse('2026-03-02T09:00:00.000Z');

interface WarmupFixture {
  description: string;
  conformsToContract: boolean;
  call: { method: 'start' | 'status' | 'stop'; input: { inboxId: string; address?: string } };
  request: { method: string; path: string; body: unknown };
  response: RecordedResponse;
  expect: { result: unknown } | { error: { code: string; retryable: boolean; status: number } };
}

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => [file, JSON.parse(readFileSync(path.join(FIXTURES, file), 'utf8')) as WarmupFixture] as const);

let server: ReplayServer;
beforeAll(async () => {
  server = await startReplayServer();
});
afterAll(() => server?.close());

test('the recorded exchanges cover start, status, stop and the documented errors', () => {
  expect(fixtures.map(([file]) => file)).toEqual(expect.arrayContaining(['start.created.json', 'status.ok.json', 'stop.ok.json', 'status.not-found.json']));
});

test.each(fixtures)('%s', async (_file, fixture) => {
  const provider = createHttpWarmupProvider({ baseUrl: `${server.url}/prefix/`, token: TOKEN });
  server.respondWith(fixture.response);
  const before = server.received.length;
  const input = { inboxId: fixture.call.input.inboxId, address: fixture.call.input.address ?? '', at: AT };
  const outcome = await provider[fixture.call.method](input).then(
    (result) => ({ result }),
    (error: unknown) => ({ error }),
  );

  const sent = server.received[before]!;
  expect(sent.method).toBe(fixture.request.method);
  expect(sent.path).toBe(`/prefix${fixture.request.path}`);
  expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
  expect(sent.headers['x-pacer-requested-at']).toBe('2026-03-02T09:00:00.000Z');
  expect(sent.body === '' ? null : JSON.parse(sent.body)).toEqual(fixture.request.body);

  if ('result' in fixture.expect) {
    expect(outcome).toEqual({ result: fixture.expect.result });
  } else {
    expect('error' in outcome).toBe(true);
    const error = (outcome as { error: unknown }).error;
    expect(error).toBeInstanceOf(WarmupProviderError);
    expect(error).toMatchObject(fixture.expect.error);
    expect((error as Error).message).not.toContain(TOKEN);
  }
});

test('a provider that never answers is unavailable (retryable) after the timeout', async () => {
  const hanging = await startReplayServer({ hang: 'before-headers' });
  try {
    const provider = createHttpWarmupProvider({ baseUrl: hanging.url, token: TOKEN, timeoutMs: 200 });
    await expect(provider.status({ inboxId: 'inbox-1', address: 'a@b.example', at: AT })).rejects.toMatchObject({ code: 'unavailable', retryable: true });
  } finally {
    await hanging.close();
  }
});

test('selection: the simulator outside production by default (with a warning), never silently in production', () => {
  const warnings: string[] = [];
  const logger = { info: () => undefined, warn: (_details: object, message: string) => warnings.push(message) };
  expect(selectWarmupProvider({ environment: 'development', adapter: undefined }, { logger }).adapter).toBe('simulator');
  expect(warnings[0]).toContain(WARMUP_SIMULATOR_LABEL);
  expect(() => selectWarmupProvider({ environment: 'production', adapter: undefined })).toThrow(/WARMUP_PROVIDER=instantly \(with INSTANTLY_API_KEY\) or WARMUP_PROVIDER=http/);
  expect(() => selectWarmupProvider({ environment: 'production', adapter: 'instantly' })).toThrow(/INSTANTLY_API_KEY/);
  expect(selectWarmupProvider({ environment: 'production', adapter: 'instantly', instantly: { apiKey: 'k', baseUrl: undefined } }).adapter).toBe('instantly');
  expect(selectWarmupProvider({ environment: 'production', adapter: 'simulator' }, { logger }).adapter).toBe('simulator');
  expect(warnings[1]).toContain('PRODUCTION');
  expect(() => selectWarmupProvider({ environment: 'production', adapter: 'http', baseUrl: 'https://warmup.example.com' })).toThrow(/WARMUP_PROVIDER_TOKEN/);
  expect(selectWarmupProvider({ environment: 'production', adapter: 'http', baseUrl: 'https://warmup.example.com', token: TOKEN }).adapter).toBe('http');
});

test('the simulator: starting twice keeps one warm-up, progress follows the caller\'s time, stop is idempotent, unknown inboxes are not-found', async () => {
  const simulator = createWarmupSimulator();
  const first = await simulator.start({ inboxId: 'inbox-1', address: 'a@b.example', at: AT });
  expect(first).toEqual({ state: 'warming', startedAt: AT, emailsSent: 5, inboxPlacementRate: null, reputation: null });
  await simulator.start({ inboxId: 'inbox-1', address: 'a@b.example', at: AT + 1000 });
  expect(simulator.warmup('inbox-1')?.startedAt).toBe(AT);
  const dayFourteen = await simulator.status({ inboxId: 'inbox-1', address: 'a@b.example', at: AT + 14 * 24 * 3600 * 1000 });
  expect(dayFourteen).toMatchObject({ emailsSent: 5 + 3 * 14, inboxPlacementRate: 0.98, reputation: 95 });
  const stopped = await simulator.stop({ inboxId: 'inbox-1', address: 'a@b.example', at: AT + 24 * 3600 * 1000 });
  expect(stopped).toMatchObject({ state: 'stopped', emailsSent: 8 });
  expect(await simulator.stop({ inboxId: 'inbox-1', address: 'a@b.example', at: AT + 2 * 24 * 3600 * 1000 })).toEqual(stopped);
  await expect(simulator.status({ inboxId: 'unknown', address: 'u@b.example', at: AT })).rejects.toMatchObject({ code: 'not-found', retryable: false });
});
