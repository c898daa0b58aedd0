import { readFileSync } from 'node:fs';
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
  PendingInvitationCapError,
  ReinviteBlockedError,
} from '../../../integrations/linkedin/gateway';
import { PROBLEM_TYPES, contractSchemas, createHttpLinkedinGateway, parseRetryAfter } from '../../../integrations/linkedin/http-gateway';
import { type ExchangeFixture, type ReplayServer, loadFixtures, refusedPort, startReplayServer } from './replay-server';

/** The token the recorded exchanges were made with; it must never surface in an error. */
const TOKEN = 'fixture-token-3d9c7a51e2f04b6a';
const IDENTITY = '2f1d7c1e-8a4b-4c55-9d36-0b5f3f1d2a10';
const AT = Date.parse('2026-03-02T09:00:00.000Z');

const ERROR_CLASSES: Record<string, new (...args: never[]) => LinkedinGatewayError> = {
  LinkedinGatewayError,
  ReinviteBlockedError,
  PendingInvitationCapError,
  LinkedinRateLimitedError,
  LinkedinAuthError,
  LinkedinUnavailableError,
  LinkedinNotFoundError,
  LinkedinAlreadyConnectedError,
  LinkedinNotConnectedError,
  LinkedinRecipientRefusedError,
};

const fixtures = loadFixtures();
/** Every error the adapter produced in this file, checked for the token at the end. */
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

function invoke(gateway: LinkedinGateway, call: ExchangeFixture['call']): Promise<unknown> {
  const methods: Record<string, (input: never) => Promise<unknown>> = {
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
  const method = methods[call.method];
  if (!method) throw new Error(`fixture names an unknown gateway method ${call.method}`);
  return method(call.input as never);
}

let server: ReplayServer;
let gateway: LinkedinGateway;

beforeAll(async () => {
  server = await startReplayServer();
  gateway = createHttpLinkedinGateway({ baseUrl: server.url, token: TOKEN, timeoutMs: 5_000 });
});
afterAll(() => server.close());
beforeEach(() => {
  server.received.length = 0;
});

describe('recorded exchanges (test/fixtures/linkedin)', () => {
  it('cover every gateway method and every documented problem type', () => {
    const methods = new Set(fixtures.map(({ fixture }) => fixture.call.method));
    expect([...methods].sort()).toEqual(
      [
        'getAccountStatus',
        'getInvitation',
        'getOwnProfile',
        'likeLatestPost',
        'listRelations',
        'listSentInvitations',
        'scrapeProfile',
        'sendConnectionRequest',
        'sendMessage',
        'startHostedAuth',
        'withdrawInvitation',
      ].sort(),
    );
    const types = new Set(
      fixtures.map(({ fixture }) => (fixture.response.body as { type?: string } | undefined)?.type).filter((type) => type !== undefined),
    );
    for (const type of PROBLEM_TYPES) expect(types).toContain(type);
  });

  it.each(fixtures.map(({ file, fixture }) => [file, fixture] as const))('%s', async (_file, fixture) => {
    server.respondWith(fixture.response);
    const outcome = invoke(gateway, fixture.call);

    if ('result' in fixture.expect) {
      await expect(outcome).resolves.toStrictEqual(fixture.expect.result);
    } else {
      const error = await capture(outcome);
      const expected = fixture.expect.error;
      expect(error).toBeInstanceOf(ERROR_CLASSES[expected.name]);
      expect(error.name).toBe(expected.name);
      expect({ code: error.code, retryable: error.retryable, status: error.status }).toEqual({
        code: expected.code,
        retryable: expected.retryable,
        status: expected.status,
      });
      for (const [field, value] of Object.entries(expected.fields)) expect(error).toHaveProperty(field, value);
      for (const text of expected.messageIncludes ?? []) expect(error.message).toContain(text);
    }

    // The request the adapter sent is exactly the recorded one.
    expect(server.received).toHaveLength(1);
    const [request] = server.received;
    expect(request!.method).toBe(fixture.request.method);
    expect(request!.path).toBe(fixture.request.path);
    for (const [name, value] of Object.entries(fixture.request.headers)) {
      expect([name, request!.headers[name] ?? null]).toEqual([name, value]);
    }
    if (fixture.request.body === null) expect(request!.body).toBe('');
    else expect(JSON.parse(request!.body)).toStrictEqual(fixture.request.body);
  });
});

describe('fixtures follow CONTRACT.md', () => {
  const contract = readFileSync(path.join(__dirname, '..', '..', '..', 'integrations', 'linkedin', 'CONTRACT.md'), 'utf8');

  it('documents exactly the problem types the adapter maps', () => {
    const documented = new Set(contract.match(/urn:linkedin-gateway:[a-z-]+/g));
    expect([...documented].sort()).toEqual([...PROBLEM_TYPES].sort());
  });

  it.each(fixtures.filter(({ fixture }) => fixture.conformsToContract).map(({ file, fixture }) => [file, fixture] as const))(
    '%s',
    (_file, fixture) => {
      const { request, response } = fixture;
      expect(request.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(request.headers['x-pacer-requested-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      if (request.method === 'POST') {
        expect(request.headers['idempotency-key']).toMatch(/^[\x21-\x7e]{1,255}$/);
        expect(request.headers['content-type']).toBe('application/json');
      }
      if (response.status >= 400) {
        expect(response.headers['content-type']).toBe('application/problem+json');
        const problem = response.body as { type: string; title: string; status: number; detail: string };
        expect(PROBLEM_TYPES).toContain(problem.type);
        expect(problem).toEqual(expect.objectContaining({ title: expect.any(String), detail: expect.any(String), status: response.status }));
        if (problem.type.endsWith(':rate-limited')) expect(response.headers['retry-after']).toMatch(/^\d+$/);
        if (problem.type.endsWith(':reinvite-blocked')) expect(contractSchemas.reinviteBlocked.safeParse(problem).success).toBe(true);
        if (problem.type.endsWith(':pending-cap')) expect(contractSchemas.pendingCap.safeParse(problem).success).toBe(true);
      } else {
        expect(response.headers['content-type']).toBe('application/json');
        const schema = {
          sendConnectionRequest: contractSchemas.invitationCreated,
          getInvitation: contractSchemas.invitation,
          withdrawInvitation: contractSchemas.withdrawal,
          sendMessage: contractSchemas.message,
          scrapeProfile: contractSchemas.profile,
          likeLatestPost: contractSchemas.like,
          getAccountStatus: contractSchemas.account,
          startHostedAuth: contractSchemas.hostedAuthSession,
          getOwnProfile: contractSchemas.ownProfile,
          listRelations: contractSchemas.relations,
          listSentInvitations: contractSchemas.sentInvitations,
        }[fixture.call.method];
        expect(schema?.safeParse(response.body).success).toBe(true);
      }
    },
  );
});

describe('transport failures', () => {
  it('a service that never answers times out as unavailable (retryable)', async () => {
    const silent = await startReplayServer({ hang: 'before-headers' });
    try {
      const slow = createHttpLinkedinGateway({ baseUrl: silent.url, token: TOKEN, timeoutMs: 150 });
      const error = await capture(slow.getInvitation({ identityId: IDENTITY, invitationId: 'inv_1', profileUrl: 'https://www.linkedin.com/in/jane-doe', at: AT }));
      expect(error).toBeInstanceOf(LinkedinUnavailableError);
      expect(error).toMatchObject({ code: 'unavailable', retryable: true });
      expect(error.message).toContain('no answer within 150 ms');
      expect(silent.received).toHaveLength(1);
    } finally {
      await silent.close();
    }
  });

  it('a body that stops half-way also times out', async () => {
    const stalled = await startReplayServer({ hang: 'mid-body' });
    try {
      const slow = createHttpLinkedinGateway({ baseUrl: stalled.url, token: TOKEN, timeoutMs: 150 });
      const error = await capture(
        slow.sendConnectionRequest({ identityId: IDENTITY, profileUrl: 'linkedin.com/in/jane-doe', idempotencyKey: 'k-1', at: AT }),
      );
      expect(error).toBeInstanceOf(LinkedinUnavailableError);
      expect(error.message).toContain('no answer within 150 ms');
    } finally {
      await stalled.close();
    }
  });

  it('connection refused is unavailable (retryable) and names the cause', async () => {
    const port = await refusedPort();
    const nowhere = createHttpLinkedinGateway({ baseUrl: `http://127.0.0.1:${port}`, token: TOKEN, timeoutMs: 2_000 });
    const error = await capture(
      nowhere.likeLatestPost({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane-doe', idempotencyKey: 'k-2', at: AT }),
    );
    expect(error).toBeInstanceOf(LinkedinUnavailableError);
    expect(error).toMatchObject({ code: 'unavailable', retryable: true });
    expect(error.message).toContain('ECONNREFUSED');
    expect(error.message).toContain(`POST /v1/identities/${IDENTITY}/likes`);
  });
});

describe('requests', () => {
  it('keeps a path prefix of the base URL', async () => {
    const prefixed = createHttpLinkedinGateway({ baseUrl: `${server.url}/gateway/`, token: TOKEN });
    server.respondWith({ status: 200, headers: { 'content-type': 'application/json' }, body: { liked: true } });
    await expect(
      prefixed.likeLatestPost({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane-doe', idempotencyKey: 'k-3', at: AT }),
    ).resolves.toEqual({ liked: true });
    expect(server.received[0]!.path).toBe(`/gateway/v1/identities/${IDENTITY}/likes`);
  });

  it.each([
    ['a profile URL that is not LinkedIn', { profileUrl: 'https://example.com/in/jane', idempotencyKey: 'k', at: AT }],
    ['a note over 300 characters', { profileUrl: 'https://www.linkedin.com/in/jane', note: 'x'.repeat(301), idempotencyKey: 'k', at: AT }],
    ['an empty idempotency key', { profileUrl: 'https://www.linkedin.com/in/jane', idempotencyKey: '', at: AT }],
    ['an idempotency key with a space', { profileUrl: 'https://www.linkedin.com/in/jane', idempotencyKey: 'a b', at: AT }],
    ['a time that is not a number', { profileUrl: 'https://www.linkedin.com/in/jane', idempotencyKey: 'k', at: Number.NaN }],
  ])('refuses %s before sending anything (invalid-request)', async (_case, input) => {
    const error = await capture(gateway.sendConnectionRequest({ identityId: IDENTITY, ...input }));
    expect(error).toMatchObject({ code: 'invalid-request', retryable: false });
    expect(server.received).toHaveLength(0);
  });

  it('refuses an empty or oversized message before sending anything', async () => {
    for (const text of ['  ', 'x'.repeat(8001)]) {
      const error = await capture(
        gateway.sendMessage({ identityId: IDENTITY, profileUrl: 'https://www.linkedin.com/in/jane', text, idempotencyKey: 'k', at: AT }),
      );
      expect(error).toMatchObject({ code: 'invalid-request' });
    }
    expect(server.received).toHaveLength(0);
  });

  it('refuses a base URL that carries credentials, without quoting it', () => {
    expect(() => createHttpLinkedinGateway({ baseUrl: `https://pacer:${TOKEN}@gw.example.com`, token: TOKEN })).toThrow(
      /must not carry credentials/,
    );
    try {
      createHttpLinkedinGateway({ baseUrl: `https://pacer:${TOKEN}@gw.example.com`, token: TOKEN });
    } catch (error) {
      expect(String(error)).not.toContain(TOKEN);
    }
  });
});

describe('the account Pacer connected', () => {
  it('is named in X-Pacer-Account-Id on identity requests when Pacer knows it, and left out otherwise', async () => {
    const known = createHttpLinkedinGateway({
      baseUrl: server.url,
      token: TOKEN,
      accounts: { accountOf: (identityId) => Promise.resolve(identityId === IDENTITY ? { accountId: 'acc_7Hq2', salesNavigator: false } : null) },
    });
    for (let call = 0; call < 2; call++) server.respondWith({ status: 200, headers: { 'content-type': 'application/json' }, body: { liked: true } });
    const like = (identityId: string) => known.likeLatestPost({ identityId, profileUrl: 'https://www.linkedin.com/in/jane-doe', idempotencyKey: 'k-4', at: AT });
    await like(IDENTITY);
    await like('9b1c7d2e-0000-4000-8000-000000000001');
    expect(server.received.map((received) => received.headers['x-pacer-account-id'] ?? null)).toEqual(['acc_7Hq2', null]);
  });

  it('refuses a hosted sign-in request no adapter accepts, before sending anything', async () => {
    const base = { name: 'n', notifyUrl: 'https://pacer.example.com/n', successRedirectUrl: null, failureRedirectUrl: null, expiresAt: AT + 60_000, at: AT };
    for (const input of [
      { ...base, type: 'reconnect' as const, identityId: null },
      { ...base, type: 'create' as const, identityId: null, notifyUrl: 'javascript:alert(1)' },
      { ...base, type: 'create' as const, identityId: null, expiresAt: AT },
    ]) {
      expect(await capture(gateway.startHostedAuth(input))).toMatchObject({ code: 'invalid-request' });
    }
    expect(server.received).toHaveLength(0);
  });
});

describe('Retry-After', () => {
  it.each([
    ['120', 120_000],
    [' 0 ', 0],
    ['Mon, 02 Mar 2026 09:01:30 GMT', 90_000],
    ['Mon, 02 Mar 2026 08:00:00 GMT', 0],
    ['soon', null],
    [null, null],
  ])('%p → %p ms', (header, expected) => {
    expect(parseRetryAfter(header, AT)).toBe(expected);
  });
});

describe('the token', () => {
  // Runs last in this file: it checks every error the tests above produced.
  it('never appears in any error message, stack, detail or cause', () => {
    const texts = (error: unknown, depth = 0): string[] => {
      if (!(error instanceof Error) || depth > 5) return [];
      const extra = error instanceof LinkedinGatewayError ? [JSON.stringify(error.details)] : [];
      return [error.message, error.stack ?? '', String(error), ...extra, ...texts(error.cause, depth + 1)];
    };
    expect(errorsSeen.length).toBeGreaterThan(20);
    for (const error of errorsSeen) for (const text of texts(error)) expect(text).not.toContain(TOKEN);
  });
});
