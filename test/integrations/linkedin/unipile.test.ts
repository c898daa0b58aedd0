/**
 * The Unipile adapter against recorded exchanges (test/fixtures/unipile), shaped like Unipile's
 * documented JSON and served by a real HTTP server on 127.0.0.1: every operation, every mapped
 * `errors/<slug>`, and the transport failures.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import {
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  LinkedinRateLimitedError,
  LinkedinRecipientRefusedError,
  LinkedinUnavailableError,
  ReinviteBlockedError,
} from '../../../integrations/linkedin/gateway';
import { UNIPILE_ERROR_KINDS, createUnipileLinkedinGateway, unipileBaseUrl } from '../../../integrations/linkedin/unipile';
import { type RecordedResponse, type ReplayServer, refusedPort, startReplayServer } from './replay-server';

/** The key the exchanges were recorded with; it must never surface in an error. */
const KEY = 'fixture-unipile-key-8f14e45fceea167a';
const FIXTURES = path.join(__dirname, '..', '..', 'fixtures', 'unipile');
const IDENTITY = '2f1d7c1e-8a4b-4c55-9d36-0b5f3f1d2a10';
const ACCOUNT = 't5XY4yQzR9WVrlNFyyvVAg';
const AT = Date.parse('2026-03-02T09:00:00.000Z');

interface UnipileExchange {
  description: string;
  call: { method: keyof LinkedinGateway; input: Record<string, unknown> };
  /** What Pacer's records say: the identity's account, and Pacer's last withdrawal to the person. */
  records: { account: { accountId: string; salesNavigator: boolean } | null; lastWithdrawalAt: number | null };
  exchanges: {
    request: { method: string; path: string; body: null | Record<string, unknown> | { form: Record<string, string> } };
    response: RecordedResponse;
  }[];
  expect:
    | { result: unknown }
    | { error: { name: string; code: string; retryable: boolean; status: number | null; fields: Record<string, unknown>; messageIncludes?: string[] } };
}

interface SlugFixture {
  slug: string;
  response: RecordedResponse;
  expect: { name: string; code: string; retryable: boolean; status: number; fields: Record<string, unknown> };
}

const exchanges = readdirSync(path.join(FIXTURES, 'exchanges'))
  .filter((file) => file.endsWith('.json'))
  .sort()
  .map((file) => ({ file, fixture: JSON.parse(readFileSync(path.join(FIXTURES, 'exchanges', file), 'utf8')) as UnipileExchange }));
const slugTable = JSON.parse(readFileSync(path.join(FIXTURES, 'errors.json'), 'utf8')) as { request: { method: string; path: string }; errors: SlugFixture[] };

const ERROR_CLASSES: Record<string, new (...args: never[]) => LinkedinGatewayError> = {
  LinkedinGatewayError,
  ReinviteBlockedError,
  LinkedinRateLimitedError,
  LinkedinAuthError,
  LinkedinUnavailableError,
  LinkedinNotFoundError,
  LinkedinAlreadyConnectedError,
  LinkedinNotConnectedError,
  LinkedinRecipientRefusedError,
};

const OPERATIONS: (keyof LinkedinGateway)[] = [
  'sendConnectionRequest',
  'getInvitation',
  'withdrawInvitation',
  'sendMessage',
  'scrapeProfile',
  'likeLatestPost',
  'getAccountStatus',
  'startHostedAuth',
  'getOwnProfile',
  'listRelations',
  'listSentInvitations',
];

/** Every error this file saw, checked for the key at the end. */
const errorsSeen: unknown[] = [];

async function capture(promise: Promise<unknown>): Promise<LinkedinGatewayError> {
  try {
    await promise;
  } catch (error) {
    errorsSeen.push(error);
    if (error instanceof LinkedinGatewayError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function gatewayWith(url: string, records: UnipileExchange['records'] = { account: { accountId: ACCOUNT, salesNavigator: false }, lastWithdrawalAt: null }, timeoutMs = 5_000) {
  return createUnipileLinkedinGateway({
    dsn: url,
    apiKey: KEY,
    timeoutMs,
    accounts: {
      accountOf: (identityId) => Promise.resolve(identityId === IDENTITY ? records.account : null),
      lastWithdrawalAt: () => Promise.resolve(records.lastWithdrawalAt),
    },
  });
}

function invoke(gateway: LinkedinGateway, call: UnipileExchange['call']): Promise<unknown> {
  const operations: Record<string, (input: never) => Promise<unknown>> = {
    sendConnectionRequest: (input) => gateway.sendConnectionRequest(input),
    getInvitation: (input) => gateway.getInvitation(input),
    withdrawInvitation: (input) => gateway.withdrawInvitation(input),
    sendMessage: (input) => gateway.sendMessage(input),
    scrapeProfile: (input) => gateway.scrapeProfile(input),
    likeLatestPost: (input) => gateway.likeLatestPost(input),
    getAccountStatus: (input) => gateway.getAccountStatus(input),
    startHostedAuth: (input) => gateway.startHostedAuth(input),
    getOwnProfile: (input) => gateway.getOwnProfile(input),
    listRelations: (input) => gateway.listRelations(input),
    listSentInvitations: (input) => gateway.listSentInvitations(input),
  };
  const operation = operations[call.method];
  if (!operation) throw new Error(`fixture names an unknown operation ${call.method}`);
  return operation(call.input as never);
}

/** The fields of a multipart body, as the server received it. */
async function formFields(body: string, contentType: string | undefined): Promise<Record<string, string>> {
  const form = await new Response(body, { headers: { 'content-type': contentType ?? '' } }).formData();
  return Object.fromEntries([...form.entries()].map(([name, value]) => [name, typeof value === 'string' ? value : `(file ${value.name})`]));
}

let server: ReplayServer;

beforeAll(async () => {
  server = await startReplayServer();
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
});

describe('recorded exchanges (test/fixtures/unipile/exchanges)', () => {
  it('cover every gateway operation', () => {
    expect([...new Set(exchanges.map(({ fixture }) => fixture.call.method))].sort()).toEqual([...OPERATIONS].sort());
  });

  it.each(exchanges.map(({ file, fixture }) => [file, fixture] as const))('%s', async (_file, fixture) => {
    server.respondWith(...fixture.exchanges.map((exchange) => exchange.response));
    const outcome = invoke(gatewayWith(server.url, fixture.records), fixture.call);

    if ('result' in fixture.expect) {
      await expect(outcome).resolves.toStrictEqual(fixture.expect.result);
    } else {
      const error = await capture(outcome);
      const expected = fixture.expect.error;
      expect(error).toBeInstanceOf(ERROR_CLASSES[expected.name]);
      expect({ name: error.name, code: error.code, retryable: error.retryable, status: error.status ?? null }).toEqual({
        name: expected.name,
        code: expected.code,
        retryable: expected.retryable,
        status: expected.status,
      });
      for (const [field, value] of Object.entries(expected.fields)) expect(error).toHaveProperty(field, value);
      for (const text of expected.messageIncludes ?? []) expect(error.message).toContain(text);
    }

    // Exactly the recorded requests, in order: nothing more is sent (no second invitation, message, withdrawal).
    expect(server.received.map((request) => `${request.method} ${request.path}`)).toEqual(
      fixture.exchanges.map((exchange) => `${exchange.request.method} ${exchange.request.path}`),
    );
    for (const [index, exchange] of fixture.exchanges.entries()) {
      const received = server.received[index]!;
      expect(received.headers['x-api-key']).toBe(KEY);
      expect(received.headers.accept).toBe('application/json');
      const body = exchange.request.body;
      if (body === null) {
        expect(received.body).toBe('');
      } else if ('form' in body) {
        expect(received.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
        expect(await formFields(received.body, received.headers['content-type'])).toEqual(body.form);
      } else {
        expect(received.headers['content-type']).toBe('application/json');
        // `{BASE}` stands for the DSN's base URL (this server's, in the test).
        expect(JSON.parse(received.body)).toStrictEqual(JSON.parse(JSON.stringify(body).split('{BASE}').join(server.url)));
      }
    }
  });
});

describe('every mapped error slug (test/fixtures/unipile/errors.json)', () => {
  it('the table holds exactly the slugs the adapter classifies', () => {
    expect(slugTable.errors.map((entry) => entry.slug).sort()).toEqual(Object.keys(UNIPILE_ERROR_KINDS).sort());
  });

  it.each(slugTable.errors.map((entry) => [entry.slug, entry] as const))('errors/%s', async (_slug, entry) => {
    server.respondWith(entry.response);
    const error = await capture(gatewayWith(server.url).getOwnProfile({ accountId: ACCOUNT, at: AT }));
    expect(`${slugTable.request.method} ${server.received[0]?.path}`).toBe(`${slugTable.request.method} ${slugTable.request.path}`);
    expect(error).toBeInstanceOf(ERROR_CLASSES[entry.expect.name]);
    expect({ name: error.name, code: error.code, retryable: error.retryable, status: error.status }).toEqual({
      name: entry.expect.name,
      code: entry.expect.code,
      retryable: entry.expect.retryable,
      status: entry.expect.status,
    });
    for (const [field, value] of Object.entries(entry.expect.fields)) expect(error).toHaveProperty(field, value);
    // The slug is quoted, so a person reading the lead's error knows what Unipile said.
    if (!['already_connected', 'no_connection_with_recipient', 'resource_not_found', 'invalid_resource_identifier'].includes(entry.slug)) {
      expect(error.message).toContain(entry.slug);
    }
  });
});

describe('answers outside the documented ones', () => {
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): RecordedResponse => ({ status, headers: { 'content-type': 'application/json', ...headers }, body });
  const me = () => gatewayWith(server.url).getOwnProfile({ accountId: ACCOUNT, at: AT });

  it.each([
    ['a 502 HTML page from a proxy', { status: 502, headers: { 'content-type': 'text/html' }, rawBody: '<html>Bad gateway</html>' }, 'unavailable', true],
    ['a 429 without a type, with an HTTP-date Retry-After', { status: 429, headers: { 'content-type': 'text/plain', 'retry-after': 'Wed, 21 Oct 2099 07:28:00 GMT' }, rawBody: 'slow down' }, 'rate-limited', true],
    ['a 401 without a type (the API key)', { status: 401, headers: { 'content-type': 'text/plain' }, rawBody: 'Unauthorized' }, 'gateway-unauthorized', false],
    ['a 401 with an unknown slug', json(401, { status: 401, type: 'errors/captcha_not_supported', title: 'Captcha not supported' }), 'request-rejected', false],
    ['a 418 with an unknown slug', json(418, { status: 418, type: 'errors/teapot', title: 'Teapot' }), 'request-rejected', false],
    ['a redirect', { status: 302, headers: { location: 'https://login.example.com/' }, rawBody: '' }, 'request-rejected', false],
    ['a 200 that is not JSON', { status: 200, headers: { 'content-type': 'text/html' }, rawBody: '<html>maintenance</html>' }, 'unavailable', true],
    ['a 200 of another shape', json(200, { object: 'UserProfile', provider_id: 'x' }), 'unavailable', true],
  ] as const)('%s → %s', async (_case, response, code, retryable) => {
    server.respondWith(response);
    const error = await capture(me());
    expect(error).toMatchObject({ code, retryable });
    if (code === 'rate-limited') expect((error as LinkedinRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    if (_case === 'a redirect') expect(error.message).toContain('check UNIPILE_DSN');
  });

  it('a 200 whose chat carries neither a message nor a chat id is unavailable: the retry checks before sending again', async () => {
    server.respondWith(
      json(200, { object: 'UserProfile', provider: 'LINKEDIN', provider_id: 'ACoAAJ', public_identifier: 'jane-doe', first_name: 'Jane', last_name: 'Doe', headline: '', websites: [], network_distance: 'FIRST_DEGREE' }),
      json(200, { object: 'MessageList', items: [], cursor: null }),
      json(201, { object: 'ChatStarted', chat_id: null }),
    );
    const error = await capture(
      gatewayWith(server.url).sendMessage({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane-doe', text: 'Hi', idempotencyKey: 'k', at: AT }),
    );
    expect(error).toBeInstanceOf(LinkedinUnavailableError);
    expect(error.message).toContain('neither message_id nor chat_id');
  });

  it('an API key echoed back in a detail is scrubbed', async () => {
    server.respondWith(json(400, { status: 400, type: 'errors/invalid_parameters', title: 'Invalid parameters', detail: `X-API-KEY ${KEY} is not allowed here` }));
    const error = await capture(me());
    expect(error.message).toContain('X-API-KEY [redacted] is not allowed here');
  });
});

describe('transport failures', () => {
  it('a service that never answers times out as unavailable (retryable)', async () => {
    const silent = await startReplayServer({ hang: 'before-headers' });
    try {
      const error = await capture(gatewayWith(silent.url, undefined, 150).getAccountStatus({ identityId: IDENTITY, at: AT }));
      expect(error).toMatchObject({ code: 'unavailable', retryable: true });
      expect(error.message).toContain('no answer within 150 ms');
    } finally {
      await silent.close();
    }
  });

  it('a body that stops half-way also times out', async () => {
    const stalled = await startReplayServer({ hang: 'mid-body' });
    try {
      const error = await capture(gatewayWith(stalled.url, undefined, 150).getOwnProfile({ accountId: ACCOUNT, at: AT }));
      expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    } finally {
      await stalled.close();
    }
  });

  it('connection refused is unavailable (retryable) and names the cause and the request', async () => {
    const port = await refusedPort();
    const error = await capture(
      gatewayWith(`http://127.0.0.1:${port}`).likeLatestPost({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane-doe', idempotencyKey: 'k', at: AT }),
    );
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain('GET /api/v1/users/jane-doe');
  });
});

describe('requests', () => {
  it.each([
    ['a profile URL that is not LinkedIn', { profileUrl: 'https://example.com/in/jane', idempotencyKey: 'k', at: AT }],
    ['a note over 300 characters', { profileUrl: 'https://www.linkedin.com/in/jane', note: 'x'.repeat(301), idempotencyKey: 'k', at: AT }],
    ['a time that is not a number', { profileUrl: 'https://www.linkedin.com/in/jane', idempotencyKey: 'k', at: Number.NaN }],
  ])('refuses %s before sending anything (invalid-request)', async (_case, input) => {
    const error = await capture(gatewayWith(server.url).sendConnectionRequest({ identityId: IDENTITY, ...input }));
    expect(error).toMatchObject({ code: 'invalid-request', retryable: false });
    expect(server.received).toHaveLength(0);
  });

  it('refuses an empty message before sending anything', async () => {
    const error = await capture(
      gatewayWith(server.url).sendMessage({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane', text: ' ', idempotencyKey: 'k', at: AT }),
    );
    expect(error).toMatchObject({ code: 'invalid-request' });
    expect(server.received).toHaveLength(0);
  });

  it.each([
    ['api8.unipile.com:13851', 'https://api8.unipile.com:13851'],
    ['https://api8.unipile.com:13851/', 'https://api8.unipile.com:13851'],
    ['http://127.0.0.1:4010', 'http://127.0.0.1:4010'],
  ])('reads the DSN %s as %s', (dsn, base) => {
    expect(unipileBaseUrl(dsn)).toBe(base);
  });

  it.each([
    ['with a path', 'https://api8.unipile.com:13851/api/v1', /without a path/],
    ['with credentials', `https://user:${KEY}@api8.unipile.com:13851`, /must not carry credentials/],
    ['of another scheme', 'ftp://api8.unipile.com', /http\(s\)/],
  ])('refuses a DSN %s, without quoting it', (_case, dsn, message) => {
    expect(() => unipileBaseUrl(dsn)).toThrow(message);
    try {
      unipileBaseUrl(dsn);
    } catch (error) {
      expect(String(error)).not.toContain(KEY);
    }
  });

  it('refuses an empty API key', () => {
    expect(() => createUnipileLinkedinGateway({ dsn: 'api8.unipile.com:13851', apiKey: ' ', accounts: { accountOf: () => Promise.resolve(null), lastWithdrawalAt: () => Promise.resolve(null) } })).toThrow(
      /UNIPILE_API_KEY/,
    );
  });
});

describe('the API key', () => {
  // Runs last in this file: it checks every error the tests above produced.
  it('never appears in any error message, stack, detail or cause', () => {
    const texts = (error: unknown, depth = 0): string[] => {
      if (!(error instanceof Error) || depth > 5) return [];
      const extra = error instanceof LinkedinGatewayError ? [JSON.stringify(error.details)] : [];
      return [error.message, error.stack ?? '', String(error), ...extra, ...texts(error.cause, depth + 1)];
    };
    expect(errorsSeen.length).toBeGreaterThan(60);
    for (const error of errorsSeen) for (const text of texts(error)) expect(text).not.toContain(KEY);
  });
});
