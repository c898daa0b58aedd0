/**
 * A real HTTP server on 127.0.0.1 that plays the automation service from recorded exchanges
 * (`test/fixtures/linkedin/*.json`): it records each request it receives and answers with the next
 * recorded response.
 */
import { readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export const FIXTURE_DIR = path.join(__dirname, '..', '..', 'fixtures', 'linkedin');

export interface RecordedResponse {
  status: number;
  headers: Record<string, string>;
  /** JSON body, serialised as is … */
  body?: unknown;
  /** … or a raw body (non-JSON answers). */
  rawBody?: string;
}

export interface ExchangeFixture {
  description: string;
  /** False for deliberately broken or undocumented answers. */
  conformsToContract: boolean;
  call: { method: string; input: Record<string, unknown> };
  request: {
    method: 'GET' | 'POST';
    path: string;
    /** Lower-case names; null means "must be absent". */
    headers: Record<string, string | null>;
    /** null means "no body". */
    body: unknown;
  };
  response: RecordedResponse;
  expect:
    | { result: unknown }
    | {
        error: {
          name: string;
          code: string;
          retryable: boolean;
          status: number;
          fields: Record<string, unknown>;
          messageIncludes?: string[];
        };
      };
}

export function loadFixtures(): { file: string; fixture: ExchangeFixture }[] {
  return readdirSync(FIXTURE_DIR)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ file, fixture: JSON.parse(readFileSync(path.join(FIXTURE_DIR, file), 'utf8')) as ExchangeFixture }));
}

export interface CapturedRequest {
  method: string;
  /** Raw request target, as sent (percent-encoding kept). */
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface ReplayServer {
  url: string;
  /** Requests received, in order. */
  received: CapturedRequest[];
  /** Queue the next answers. With no answer queued, the server answers 599 so the test fails loudly. */
  respondWith(...responses: RecordedResponse[]): void;
  close(): Promise<void>;
}

export async function startReplayServer(options: { hang?: 'before-headers' | 'mid-body' } = {}): Promise<ReplayServer> {
  const received: CapturedRequest[] = [];
  const queue: RecordedResponse[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (options.hang === 'before-headers') return; // never answers
      if (options.hang === 'mid-body') {
        response.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        response.write('{"invitationId": "inv_');
        return; // never finishes the body
      }
      const next = queue.shift();
      if (!next) {
        response.writeHead(599, { 'content-type': 'text/plain' }).end('replay server: no exchange queued');
        return;
      }
      const body = next.rawBody ?? JSON.stringify(next.body);
      response.writeHead(next.status, next.headers).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    respondWith: (...responses) => queue.push(...responses),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function refusedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
