/**
 * One webhook attempt against real local servers that fail at each stage: before connect, after
 * connect, after the request arrived, with TLS, and with answers the caller must classify itself.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { postWebhook, WebhookSendError, type WebhookSendOptions } from '../../../integrations/webhooks/sender';
import { parseAllowlist } from '../../../lib/config';
import { selfSignedCertificate } from '../../support/tls';

const loopback: WebhookSendOptions = { allowlist: parseAllowlist('127.0.0.0/8'), timeoutMs: 2_000 };
const headers = { 'webhook-id': 'evt_1', 'webhook-timestamp': '1700000000', 'webhook-signature': 'v1,abc=' };
const servers: (http.Server | net.Server)[] = [];
const sockets = new Set<net.Socket>();

async function listen<T extends http.Server | net.Server>(server: T): Promise<number> {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

async function failure(promise: Promise<unknown>): Promise<WebhookSendError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(WebhookSendError);
  return error as WebhookSendError;
}

test('the request arrives as sent: POST, JSON, the three headers, the exact body; the answer is returned as is', async () => {
  let seen: { method?: string; headers?: http.IncomingHttpHeaders; body?: string } = {};
  const port = await listen(
    http.createServer((incoming, answer) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => {
        seen = { method: incoming.method, headers: incoming.headers, body: Buffer.concat(chunks).toString('utf8') };
        answer.writeHead(503, { 'Retry-After': '120' }).end('busy\u0000now');
      });
    }),
  );
  const body = '{"id":"evt_1","data":{"name":"Zoë"}}';
  const answer = await postWebhook({ url: `http://127.0.0.1:${port}/in?x=1`, body, headers }, loopback);
  expect(answer).toEqual({ status: 503, retryAfter: '120', excerpt: 'busy now' });
  expect(seen).toMatchObject({ method: 'POST', body, headers: expect.objectContaining({ ...headers, 'content-type': 'application/json' }) });
});

test('a redirect is not followed: its status is the answer', async () => {
  let followed = false;
  const target = await listen(http.createServer((_incoming, answer) => ((followed = true), answer.writeHead(200).end())));
  const port = await listen(http.createServer((_incoming, answer) => answer.writeHead(307, { Location: `http://127.0.0.1:${target}/` }).end()));
  expect((await postWebhook({ url: `http://127.0.0.1:${port}/`, body: '{}', headers }, loopback)).status).toBe(307);
  expect(followed).toBe(false);
});

test('a private address is refused before any connection unless allowed', async () => {
  let connected = false;
  const port = await listen(net.createServer((socket) => ((connected = true), socket.destroy())));
  const refused = await failure(postWebhook({ url: `http://127.0.0.1:${port}/`, body: '{}', headers }, { allowlist: [], timeoutMs: 2_000 }));
  expect(refused.code).toBe('host-not-allowed');
  expect((await failure(postWebhook({ url: 'http://localhost:1/', body: '{}', headers }, { allowlist: [], timeoutMs: 2_000 }))).code).toBe('host-not-allowed');
  expect(connected).toBe(false);
});

test('nothing listening: connect-failed', async () => {
  const port = await listen(net.createServer());
  await new Promise<void>((resolve) => servers.pop()!.close(() => resolve()));
  expect((await failure(postWebhook({ url: `http://127.0.0.1:${port}/`, body: '{}', headers }, loopback))).code).toBe('connect-failed');
});

test('the connection closes after the request arrived, without an answer: reset', async () => {
  const port = await listen(net.createServer((socket) => socket.once('data', () => socket.destroy())));
  expect((await failure(postWebhook({ url: `http://127.0.0.1:${port}/`, body: '{}', headers }, loopback))).code).toBe('reset');
});

test('the request arrived and no answer comes: timeout', async () => {
  const port = await listen(net.createServer(() => undefined));
  const timedOut = await failure(postWebhook({ url: `http://127.0.0.1:${port}/`, body: '{}', headers }, { ...loopback, timeoutMs: 300 }));
  expect(timedOut.code).toBe('timeout');
});

test('https with a certificate the worker does not trust: tls; with it trusted: delivered', async () => {
  const { cert, key } = await selfSignedCertificate('127.0.0.1');
  const port = await listen(https.createServer({ cert, key }, (_incoming, answer) => answer.writeHead(204).end()));
  expect((await failure(postWebhook({ url: `https://127.0.0.1:${port}/`, body: '{}', headers }, loopback))).code).toBe('tls');
  expect((await postWebhook({ url: `https://127.0.0.1:${port}/`, body: '{}', headers }, { ...loopback, trustedCertificates: [cert] })).status).toBe(204);
});

test('a URL that is not http(s) is refused', async () => {
  expect((await failure(postWebhook({ url: 'ftp://127.0.0.1/', body: '{}', headers }, loopback))).code).toBe('invalid-url');
  expect((await failure(postWebhook({ url: 'not a url', body: '{}', headers }, loopback))).code).toBe('invalid-url');
});
