/**
 * The connection options of lib/temporal-connection against a real mutual-TLS endpoint. The dev
 * server has no TLS flags, so a TLS terminator (node:tls, client certificate required, ALPN h2) sits
 * in front of the shared dev server and passes the decrypted HTTP/2 stream on, as a TLS-terminating
 * proxy in front of a Temporal frontend would. Certificates come from openssl, made for this run.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../lib/config';
import { temporalConnectionOptions } from '../../lib/temporal-connection';
import { sharedServices } from '../support/services';

const run = promisify(execFile);
const SERVER_NAME = 'temporal.pacer.test';
let dir: string;
let terminator: tls.Server;
let address: string;
/** Common names of the client certificates the terminator accepted. */
const acceptedClients: string[] = [];

async function openssl(...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

/** A CA, and a certificate it signs for `name` with `usage` (serverAuth or clientAuth). */
async function makeCa(ca: string): Promise<void> {
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.pem`, '-days', '1', '-subj', `/CN=${ca}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

async function makeCertificate(name: string, ca: string, extensions: string): Promise<void> {
  await openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
  await writeFile(path.join(dir, `${name}.ext`), extensions);
  await openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacer-temporal-tls-'));
  await makeCa('pacer-ca');
  await makeCa('other-ca');
  const leaf = 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\n';
  await makeCertificate('frontend', 'pacer-ca', `${leaf}extendedKeyUsage=serverAuth\nsubjectAltName=DNS:${SERVER_NAME}\n`);
  await makeCertificate('pacer-worker', 'pacer-ca', `${leaf}extendedKeyUsage=clientAuth\n`);
  await makeCertificate('intruder', 'other-ca', `${leaf}extendedKeyUsage=clientAuth\n`);

  const [host, port] = sharedServices().temporalAddress.split(':');
  const read = (file: string) => readFile(path.join(dir, file));
  terminator = tls.createServer(
    { key: await read('frontend.key'), cert: await read('frontend.pem'), ca: [await read('pacer-ca.pem')], requestCert: true, rejectUnauthorized: true, ALPNProtocols: ['h2'] },
    (socket) => {
      acceptedClients.push(String(socket.getPeerCertificate().subject?.CN));
      const upstream = net.connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      const close = () => {
        socket.destroy();
        upstream.destroy();
      };
      socket.on('error', close);
      upstream.on('error', close);
    },
  );
  // Refused handshakes are what some tests provoke.
  terminator.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve) => terminator.listen(0, '127.0.0.1', () => resolve()));
  address = `127.0.0.1:${(terminator.address() as net.AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => terminator?.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

/** Options exactly as the API and the worker build them from this environment. */
function optionsFrom(environment: Record<string, string>) {
  const config = loadConfig({ TEMPORAL_ADDRESS: address, ...environment });
  return temporalConnectionOptions({ ...config.temporal, address });
}

const mtls = () => ({
  TEMPORAL_TLS_CERT: path.join(dir, 'pacer-worker.pem'),
  TEMPORAL_TLS_KEY: path.join(dir, 'pacer-worker.key'),
  TEMPORAL_TLS_CA: path.join(dir, 'pacer-ca.pem'),
  TEMPORAL_TLS_SERVER_NAME: SERVER_NAME,
});

test('the API (client) and the worker (native) connection reach Temporal through mutual TLS', async () => {
  acceptedClients.length = 0;
  const options = await optionsFrom(mtls());
  const client = await Connection.connect({ ...options, connectTimeout: 10_000 });
  try {
    const namespace = await client.workflowService.describeNamespace({ namespace: 'default' });
    expect(namespace.namespaceInfo?.name).toBe('default');
  } finally {
    await client.close();
  }
  const native = await NativeConnection.connect(options);
  try {
    const info = await native.workflowService.getSystemInfo({});
    expect(info.serverVersion).toMatch(/^\d+\.\d+/);
  } finally {
    await native.close();
  }
  expect(acceptedClients.length).toBeGreaterThanOrEqual(2);
  expect(new Set(acceptedClients)).toEqual(new Set(['pacer-worker']));
});

test('the connection fails without a client certificate, with one from another CA, or when the name does not match', async () => {
  acceptedClients.length = 0;
  const attempt = async (environment: Record<string, string>) => {
    const connection = Connection.lazy({ ...(await optionsFrom(environment)), connectTimeout: 2_000 });
    try {
      await connection.withDeadline(Date.now() + 3_000, () => connection.workflowService.getSystemInfo({}));
      return 'connected';
    } catch {
      return 'refused';
    } finally {
      await connection.close();
    }
  };
  const { TEMPORAL_TLS_CERT: _cert, TEMPORAL_TLS_KEY: _key, ...serverOnly } = mtls();
  expect(await attempt(serverOnly)).toBe('refused');
  expect(await attempt({ ...mtls(), TEMPORAL_TLS_CERT: path.join(dir, 'intruder.pem'), TEMPORAL_TLS_KEY: path.join(dir, 'intruder.key') })).toBe('refused');
  const { TEMPORAL_TLS_SERVER_NAME: _name, ...withoutServerName } = mtls();
  expect(await attempt(withoutServerName)).toBe('refused');
  expect(await attempt({ ...mtls(), TEMPORAL_TLS_CA: path.join(dir, 'other-ca.pem') })).toBe('refused');
  expect(acceptedClients).toEqual([]);
  // And the same options with everything right do connect: the refusals above are about TLS.
  expect(await attempt(mtls())).toBe('connected');
}, 60_000);
