/**
 * A real HTTP server on 127.0.0.1 that answers Google and Microsoft calls from recorded exchanges
 * (`test/fixtures/email-providers/*.json`, shaped like the providers' documented responses). Each
 * exchange is queued for its method and path; every request received is kept.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ProviderExchange {
  description: string;
  request: { method: string; path: string };
  response: { status: number; headers: Record<string, string>; body?: unknown };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function providerFixture(name: string): ProviderExchange {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'email-providers', `${name}.json`), 'utf8')) as ProviderExchange;
}

export interface ProviderReplayServer {
  baseUrl: string;
  received: ReceivedRequest[];
  /** Queues exchanges by fixture name; each is answered once, in order per method and path. */
  queue(...names: string[]): void;
  stop(): Promise<void>;
}

export async function startProviderReplayServer(): Promise<ProviderReplayServer> {
  const queues = new Map<string, ProviderExchange[]>();
  const received: ReceivedRequest[] = [];
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
      received.push({ method: request.method ?? '', path: pathname, headers: request.headers, body });
      const exchange = queues.get(`${request.method} ${pathname}`)?.shift();
      if (!exchange) {
        response.writeHead(599, { 'content-type': 'text/plain' }).end(`no recorded exchange for ${request.method} ${pathname}`);
        return;
      }
      response.writeHead(exchange.response.status, exchange.response.headers);
      response.end(exchange.response.body === undefined ? undefined : JSON.stringify(exchange.response.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    queue(...names) {
      for (const name of names) {
        const exchange = providerFixture(name);
        const key = `${exchange.request.method} ${exchange.request.path}`;
        queues.set(key, [...(queues.get(key) ?? []), exchange]);
      }
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
