/**
 * A real HTTP server on 127.0.0.1 that answers Google and Microsoft calls from recorded exchanges
 * (`test/fixtures/email-providers/*.json`, shaped like the providers' documented responses). Each
 * exchange is queued for its method and path; every request received is kept.
 *
 * `{{baseUrl}}` in a recorded body becomes this server's own URL (links a provider returns, such as
 * Graph's `@odata.nextLink`). An exchange with `"drop": true` closes the connection without an answer,
 * after the request arrived (the provider may have acted on it); `"delayMs"` answers that much later.
 * A served exchange (`serve`) answers its method and path whenever nothing is queued there: a provider
 * in a steady state, for tests that cannot know how often it is called (a workflow over days).
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ProviderExchange {
  description: string;
  request: { method: string; path: string };
  response: { status: number; headers: Record<string, string>; body?: unknown; drop?: boolean; delayMs?: number };
}

export interface ReceivedRequest {
  method: string;
  path: string;
  /** Path and query string as sent. */
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** `folder` under test/fixtures: email-providers (Google, Microsoft) or instantly. */
export function providerFixture(name: string, folder = 'email-providers'): ProviderExchange {
  return JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', folder, `${name}.json`), 'utf8')) as ProviderExchange;
}

export interface ProviderReplayServer {
  baseUrl: string;
  received: ReceivedRequest[];
  /** Queues exchanges by fixture name; each is answered once, in order per method and path. */
  queue(...names: string[]): void;
  /** Queues one exchange with strings of its recorded body replaced (e.g. the Message-ID Pacer really sent for the recorded one). */
  queueReplacing(name: string, replacements: Record<string, string>): void;
  /** Answers the fixture's method and path with it whenever nothing is queued there. */
  serve(...names: string[]): void;
  stop(): Promise<void>;
}

export async function startProviderReplayServer(options: { fixtures?: string } = {}): Promise<ProviderReplayServer> {
  const queues = new Map<string, ProviderExchange[]>();
  const served = new Map<string, ProviderExchange>();
  const keyOf = (exchange: ProviderExchange) => `${exchange.request.method} ${exchange.request.path}`;
  const enqueue = (exchange: ProviderExchange) => queues.set(keyOf(exchange), [...(queues.get(keyOf(exchange)) ?? []), exchange]);
  const received: ReceivedRequest[] = [];
  let baseUrl = '';
  const server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => {
      const pathname = new URL(request.url ?? '/', 'http://localhost').pathname;
      received.push({ method: request.method ?? '', path: pathname, url: request.url ?? '/', headers: request.headers, body });
      const exchange = queues.get(`${request.method} ${pathname}`)?.shift() ?? served.get(`${request.method} ${pathname}`);
      if (!exchange) {
        response.writeHead(599, { 'content-type': 'text/plain' }).end(`no recorded exchange for ${request.method} ${pathname}`);
        return;
      }
      const answer = () => {
        if (exchange.response.drop) {
          request.socket.destroy();
          return;
        }
        response.writeHead(exchange.response.status, exchange.response.headers);
        response.end(exchange.response.body === undefined ? undefined : JSON.stringify(exchange.response.body).split('{{baseUrl}}').join(baseUrl));
      };
      if (exchange.response.delayMs) setTimeout(answer, exchange.response.delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    received,
    queue(...names) {
      for (const name of names) enqueue(providerFixture(name, options.fixtures));
    },
    queueReplacing(name, replacements) {
      const exchange = providerFixture(name, options.fixtures);
      let body = JSON.stringify(exchange.response.body);
      for (const [recorded, actual] of Object.entries(replacements)) body = body.split(recorded).join(actual);
      enqueue({ ...exchange, response: { ...exchange.response, body: JSON.parse(body) as unknown } });
    },
    serve(...names) {
      for (const name of names) {
        const exchange = providerFixture(name, options.fixtures);
        served.set(keyOf(exchange), exchange);
      }
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
