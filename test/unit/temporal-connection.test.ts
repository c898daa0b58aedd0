import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../lib/config';
import { temporalConnectionOptions } from '../../lib/temporal-connection';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let dir: string;
let pem: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacer-temporal-connection-'));
  pem = path.join(dir, 'file.pem');
  await writeFile(pem, PEM);
  await writeFile(path.join(dir, 'not-pem.txt'), 'hello');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const optionsFor = (environment: NodeJS.ProcessEnv) => {
  const config = loadConfig({ TEMPORAL_ADDRESS: 'temporal.example.com:7233', TEMPORAL_NAMESPACE: 'pacer-prod', ...environment });
  return temporalConnectionOptions({ ...config.temporal, address: config.temporal.address as string });
};

test('without TLS settings the connection is plaintext (the dev server, a private network)', async () => {
  expect(loadConfig({}).temporal.connection).toEqual({ tls: false, clientCertPath: undefined, clientKeyPath: undefined, serverCaPath: undefined, serverName: undefined, apiKey: undefined });
  expect(await optionsFor({})).toEqual({ address: 'temporal.example.com:7233' });
});

test('mTLS: the client certificate, key and CA are read from their files; the server name can be overridden', async () => {
  const options = await optionsFor({ TEMPORAL_TLS_CERT: pem, TEMPORAL_TLS_KEY: pem, TEMPORAL_TLS_CA: pem, TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' });
  expect(options).toEqual({
    address: 'temporal.example.com:7233',
    tls: { serverNameOverride: 'frontend.internal', serverRootCACertificate: Buffer.from(PEM), clientCertPair: { crt: Buffer.from(PEM), key: Buffer.from(PEM) } },
  });
});

test('Temporal Cloud: an API key means TLS with public roots, the key, and the namespace header regional endpoints route by', async () => {
  expect(await optionsFor({ TEMPORAL_API_KEY: 'cloud-key' })).toEqual({
    address: 'temporal.example.com:7233',
    tls: {},
    apiKey: 'cloud-key',
    metadata: { 'temporal-namespace': 'pacer-prod' },
  });
  expect(await optionsFor({ TEMPORAL_TLS: 'true' })).toEqual({ address: 'temporal.example.com:7233', tls: {} });
});

test('contradictory settings are start-up errors that say what to fix', () => {
  expect(() => loadConfig({ TEMPORAL_TLS_CERT: pem })).toThrow(new ConfigError('TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY go together: set both (mTLS) or neither'));
  expect(() => loadConfig({ TEMPORAL_TLS_KEY: pem })).toThrow(/go together/);
  expect(() => loadConfig({ TEMPORAL_TLS_CERT: pem, TEMPORAL_TLS_KEY: pem, TEMPORAL_API_KEY: 'k' })).toThrow(/either TEMPORAL_API_KEY .* or TEMPORAL_TLS_CERT\/TEMPORAL_TLS_KEY/);
  expect(() => loadConfig({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA: pem })).toThrow(/TEMPORAL_TLS=false contradicts/);
  expect(() => loadConfig({ TEMPORAL_TLS: 'yes' })).toThrow(ConfigError);
});

test('a missing or non-PEM file is named with its variable, before any connection is tried', async () => {
  await expect(optionsFor({ TEMPORAL_TLS_CA: path.join(dir, 'absent.pem') })).rejects.toThrow(new ConfigError(`TEMPORAL_TLS_CA: cannot read ${path.join(dir, 'absent.pem')} (ENOENT)`));
  await expect(optionsFor({ TEMPORAL_TLS_CERT: path.join(dir, 'not-pem.txt'), TEMPORAL_TLS_KEY: pem })).rejects.toThrow(/TEMPORAL_TLS_CERT: .*not-pem\.txt is not a PEM file/);
});

test('metrics ports default on, 0 turns them off; the development mailbox is never on in production', () => {
  expect(loadConfig({}).metrics).toEqual({ host: '127.0.0.1', token: undefined, workerPort: 9464, sdkPort: 9465 });
  expect(loadConfig({ WORKER_METRICS_PORT: '0', TEMPORAL_SDK_METRICS_PORT: '0', METRICS_TOKEN: ' t ' }).metrics).toMatchObject({ workerPort: 0, sdkPort: 0, token: 't' });
  expect(loadConfig({}).devMailbox).toEqual({ enabled: true, imapPort: 1143, smtpPort: 1025 });
  expect(loadConfig({ DEV_MAILBOX: 'off' }).devMailbox.enabled).toBe(false);
  const production = { NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://pacer.example.com' };
  expect(loadConfig(production).devMailbox.enabled).toBe(false);
  expect(() => loadConfig({ ...production, DEV_MAILBOX: 'on' })).toThrow(/DEV_MAILBOX=on is for development/);
});
