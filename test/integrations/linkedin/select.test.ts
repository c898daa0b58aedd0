import { Writable } from 'node:stream';
import { createDatabase, type Database } from '../../../db/client';
import { prismaLinkedinSimulatorStore } from '../../../db/linkedin-simulator-store';
import { createLogger } from '../../../lib/logger';
import {
  type LinkedinGatewayConfig,
  SIMULATOR_LABEL,
  type SelectLinkedinGatewayOptions,
  selectLinkedinGateway as selectWith,
} from '../../../integrations/linkedin';
import { sharedServices } from '../../support/services';
import { startReplayServer } from './replay-server';

const TOKEN = 'select-test-token-5c0ffee5';
const UNIPILE_KEY = 'select-test-unipile-key-1f2e3d';

let db: Database;
beforeAll(() => {
  db = createDatabase(sharedServices().databaseUrl);
});
afterAll(() => db.$disconnect());

/** Pacer's records as the gateways read them: no identity has an account here. */
const records = (): Pick<SelectLinkedinGatewayOptions, 'accounts' | 'simulatorStore'> => ({
  accounts: { accountOf: () => Promise.resolve(null), lastWithdrawalAt: () => Promise.resolve(null) },
  simulatorStore: prismaLinkedinSimulatorStore(db),
});
const selectLinkedinGateway = (config: LinkedinGatewayConfig, options: Partial<SelectLinkedinGatewayOptions> = {}) => selectWith(config, { ...records(), ...options });

/** A real pino logger writing JSON lines into memory. */
function memoryLogger() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('info', destination), lines, raw: () => JSON.stringify(lines) };
}

const select = (config: Partial<LinkedinGatewayConfig> & Pick<LinkedinGatewayConfig, 'environment'>) => {
  const log = memoryLogger();
  const gateway = selectLinkedinGateway({ adapter: undefined, ...config }, { logger: log.logger });
  return { gateway, ...log };
};

const messageOf = (action: () => unknown): string => {
  try {
    action();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected an error');
};

describe('selectLinkedinGateway', () => {
  it.each(['development', 'test'] as const)('defaults to the simulator in %s, and says so in the log', (environment) => {
    const { gateway, lines } = select({ environment });
    expect(gateway.adapter).toBe('simulator');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, linkedinGateway: 'simulator', chosen: 'default', environment });
    expect(lines[0]!.msg).toContain(SIMULATOR_LABEL);
    expect(lines[0]!.msg).toContain('LINKEDIN_GATEWAY=unipile or http');
  });

  it('never chooses the simulator silently in production', () => {
    const message = messageOf(() => selectLinkedinGateway({ environment: 'production', adapter: undefined }));
    expect(message).toContain('LINKEDIN_GATEWAY=unipile');
    expect(message).toContain('UNIPILE_DSN');
    expect(message).toContain('UNIPILE_API_KEY');
    expect(message).toContain('LINKEDIN_GATEWAY=http');
    expect(message).toContain('LINKEDIN_GATEWAY_URL');
    expect(message).toContain('LINKEDIN_GATEWAY_TOKEN');
    expect(message).toContain('LINKEDIN_GATEWAY=simulator');
  });

  it('still refuses in production when only the URL and token are set but not the adapter', () => {
    expect(() =>
      selectLinkedinGateway({ environment: 'production', adapter: undefined, baseUrl: 'https://gw.example.com', token: TOKEN }),
    ).toThrow(/LINKEDIN_GATEWAY=http/);
  });

  it('runs the simulator in production when asked explicitly, with a loud warning', () => {
    const { gateway, lines } = select({ environment: 'production', adapter: 'simulator' });
    expect(gateway.adapter).toBe('simulator');
    expect(lines[0]).toMatchObject({ level: 40, linkedinGateway: 'simulator', chosen: 'explicit', environment: 'production' });
    expect(lines[0]!.msg).toContain('PRODUCTION');
    expect(lines[0]!.msg).toContain(SIMULATOR_LABEL);
  });

  it('runs the simulator explicitly in development', () => {
    const { gateway, lines } = select({ environment: 'development', adapter: 'simulator' });
    expect(gateway.adapter).toBe('simulator');
    expect(lines[0]).toMatchObject({ chosen: 'explicit' });
  });

  it.each(['development', 'test', 'production'] as const)('uses the HTTP adapter when asked in %s, logging where but not the token', (environment) => {
    const { gateway, lines, raw } = select({ environment, adapter: 'http', baseUrl: 'https://gw.example.com/pacer/', token: TOKEN });
    expect(gateway.adapter).toBe('http');
    expect(lines).toEqual([expect.objectContaining({ level: 30, linkedinGateway: 'http', baseUrl: 'https://gw.example.com/pacer' })]);
    expect(raw()).not.toContain(TOKEN);
  });

  it.each([
    [{ baseUrl: undefined, token: undefined }, ['LINKEDIN_GATEWAY_URL', 'LINKEDIN_GATEWAY_TOKEN']],
    [{ baseUrl: 'https://gw.example.com', token: undefined }, ['LINKEDIN_GATEWAY_TOKEN']],
    [{ baseUrl: undefined, token: TOKEN }, ['LINKEDIN_GATEWAY_URL']],
    [{ baseUrl: '  ', token: '' }, ['LINKEDIN_GATEWAY_URL', 'LINKEDIN_GATEWAY_TOKEN']],
  ])('http without %o names %p', (settings, missing) => {
    for (const environment of ['development', 'production'] as const) {
      const message = messageOf(() => selectLinkedinGateway({ environment, adapter: 'http', ...settings }));
      for (const name of missing) expect(message).toContain(name);
      for (const name of ['LINKEDIN_GATEWAY_URL', 'LINKEDIN_GATEWAY_TOKEN'].filter((name) => !missing.includes(name))) {
        expect(message).not.toContain(name);
      }
    }
  });

  it.each([
    ['not a URL', 'gw.example.com', /LINKEDIN_GATEWAY_URL is not a URL/],
    ['another scheme', 'ftp://gw.example.com', /http\(s\)/],
    ['credentials in the URL', `https://pacer:${TOKEN}@gw.example.com`, /must not carry credentials/],
  ])('refuses a base URL that is %s, without quoting it', (_case, baseUrl, expected) => {
    const message = messageOf(() => selectLinkedinGateway({ environment: 'production', adapter: 'http', baseUrl, token: TOKEN }));
    expect(message).toMatch(expected);
    expect(message).not.toContain(TOKEN);
  });

  it('refuses an unknown adapter name', () => {
    expect(() => selectLinkedinGateway({ environment: 'development', adapter: 'selenium' as 'http' })).toThrow(
      'LINKEDIN_GATEWAY must be one of "unipile", "http", "simulator", not "selenium"',
    );
  });

  it('warns about plain http in production', () => {
    const { lines } = select({ environment: 'production', adapter: 'http', baseUrl: 'http://linkedin-gateway:8080', token: TOKEN });
    expect(lines.map((line) => line.level)).toEqual([40, 30]);
    expect(lines[0]!.msg).toContain('plain http');
  });

  it('passes simulator options through, and the simulator keeps its state in the given store', async () => {
    const gateway = selectLinkedinGateway({ environment: 'test', adapter: undefined }, { simulator: { pendingCap: 1, acceptanceDelayMs: () => null } });
    const at = Date.parse('2026-03-02T09:00:00Z');
    const identityId = `select-${Date.now()}`;
    await gateway.sendConnectionRequest({ identityId, profileUrl: 'https://www.linkedin.com/in/a', idempotencyKey: 'k1', at });
    await expect(
      gateway.sendConnectionRequest({ identityId, profileUrl: 'https://www.linkedin.com/in/b', idempotencyKey: 'k2', at }),
    ).rejects.toMatchObject({ code: 'pending-cap', cap: 1 });
    expect(await db.linkedinSimulatorRecord.count({ where: { key: `identity/${identityId}` } })).toBe(1);
  });

  it.each(['development', 'production'] as const)('uses Unipile when asked in %s, logging the DSN but not the key', (environment) => {
    const { gateway, lines, raw } = select({ environment, adapter: 'unipile', unipileDsn: 'api8.unipile.com:13851', unipileApiKey: UNIPILE_KEY });
    expect(gateway.adapter).toBe('unipile');
    expect(lines).toEqual([expect.objectContaining({ level: 30, linkedinGateway: 'unipile', dsn: 'https://api8.unipile.com:13851' })]);
    expect(raw()).not.toContain(UNIPILE_KEY);
  });

  it.each([
    [{ unipileDsn: undefined, unipileApiKey: undefined }, ['UNIPILE_DSN', 'UNIPILE_API_KEY']],
    [{ unipileDsn: 'api8.unipile.com:13851', unipileApiKey: ' ' }, ['UNIPILE_API_KEY']],
    [{ unipileDsn: '', unipileApiKey: UNIPILE_KEY }, ['UNIPILE_DSN']],
  ])('unipile without %o names %p', (settings, missing) => {
    const message = messageOf(() => selectLinkedinGateway({ environment: 'production', adapter: 'unipile', ...settings }));
    for (const name of missing) expect(message).toContain(name);
    expect(message).not.toContain(UNIPILE_KEY);
  });

  it('the selected Unipile adapter talks to the DSN with the key', async () => {
    const server = await startReplayServer();
    try {
      server.respondWith({ status: 201, headers: { 'content-type': 'application/json' }, body: { object: 'HostedAuthURL', url: 'https://account.unipile.com/x' } });
      const gateway = selectLinkedinGateway({ environment: 'production', adapter: 'unipile', unipileDsn: server.url, unipileApiKey: UNIPILE_KEY });
      const at = Date.now();
      await expect(
        gateway.startHostedAuth({ type: 'create', identityId: null, name: 'n', notifyUrl: 'https://pacer.example.com/n', successRedirectUrl: null, failureRedirectUrl: null, expiresAt: at + 60_000, at }),
      ).resolves.toMatchObject({ url: 'https://account.unipile.com/x' });
      expect(server.received[0]).toMatchObject({ method: 'POST', path: '/api/v1/hosted/accounts/link' });
      expect(server.received[0]!.headers['x-api-key']).toBe(UNIPILE_KEY);
    } finally {
      await server.close();
    }
  });

  it('the selected HTTP adapter talks to the configured service with the configured token', async () => {
    const server = await startReplayServer();
    try {
      server.respondWith({ status: 200, headers: { 'content-type': 'application/json' }, body: { liked: true } });
      const gateway = selectLinkedinGateway({ environment: 'production', adapter: 'http', baseUrl: server.url, token: TOKEN, timeoutMs: 2_000 });
      await expect(
        gateway.likeLatestPost({ identityId: 'i', profileUrl: 'https://www.linkedin.com/in/a', idempotencyKey: 'k', at: Date.now() }),
      ).resolves.toEqual({ liked: true });
      expect(server.received[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    } finally {
      await server.close();
    }
  });

  it('refuses a timeout that is not a positive whole number of milliseconds', () => {
    expect(() =>
      selectLinkedinGateway({ environment: 'development', adapter: 'http', baseUrl: 'https://gw.example.com', token: TOKEN, timeoutMs: 0 }),
    ).toThrow(/timeout/);
  });
});
