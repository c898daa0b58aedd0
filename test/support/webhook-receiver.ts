/**
 * A real HTTP receiver of Pacer's event webhooks for tests: it checks every signature with its own
 * implementation of the Standard Webhooks scheme (written from the specification, not Pacer's code)
 * and fails each event's first attempts, to prove retries keep the same id.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
  signatureValid: boolean;
}

/**
 * The receiver's own verification, written from the specification ("Verifying webhook authenticity"):
 * the key is the base64 part of `whsec_…`; the signed content is `id.timestamp.body`; the header is a
 * space-separated list of `v1,<base64 HMAC-SHA256>`; the timestamp must be within 5 minutes.
 */
export function verifiedBySpecification(secret: string, headers: http.IncomingHttpHeaders, body: string): boolean {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signatures !== 'string') return false;
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return signatures.split(' ').includes(`v1,${expected}`);
}

/** Starts the receiver: each path has its endpoint's secret; every event id fails its first `failures` attempts with 503. */
export async function startReceiver(failures: number) {
  const secrets = new Map<string, string>();
  const received: Received[] = [];
  const attemptsById = new Map<string, number>();
  const server = http.createServer((incoming, answer) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = incoming.url ?? '';
      const secret = secrets.get(path);
      const signatureValid = secret !== undefined && verifiedBySpecification(secret, incoming.headers, body);
      const id = String(incoming.headers['webhook-id']);
      const attempt = (attemptsById.get(`${path} ${id}`) ?? 0) + 1;
      attemptsById.set(`${path} ${id}`, attempt);
      const status = !signatureValid ? 401 : attempt <= failures ? 503 : 204;
      received.push({ path, headers: incoming.headers, body, status, signatureValid });
      answer.writeHead(status).end(status === 503 ? 'busy, try later' : undefined);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    secrets,
    received,
    /** The ids the receiver accepted at `path` (status 2xx), in order. */
    accepted: (path: string) => received.filter((entry) => entry.path === path && entry.status === 204).map((entry) => String(entry.headers['webhook-id'])),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startReceiver>>;
