/**
 * A LinkedIn automation service speaking the account part of Pacer's contract
 * (integrations/linkedin/CONTRACT.md, "Account status" and "Open a reconnect session"), as a real
 * local HTTP server, with the hosted sign-in page the contract describes: the owner signs in there
 * and is sent back to the `returnUrl` Pacer gave. An identity it has never seen is `disconnected`;
 * signing in makes it `connected`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const LINKEDIN_SERVICE_TOKEN = 'linkedin-service-token-for-browser-tests';

export interface LinkedinService {
  url: string;
  /** Identities whose owner signed in on the hosted page. */
  connected: Set<string>;
  /** Every reconnect session opened: the identity and the returnUrl Pacer gave. */
  sessions: { identityId: string; returnUrl: string | undefined }[];
  stop(): Promise<void>;
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => (body += chunk));
    request.on('end', () => resolve(body));
  });
}

export async function startLinkedinService(): Promise<LinkedinService> {
  const connected = new Set<string>();
  const sessions: LinkedinService['sessions'] = [];
  const returns = new Map<string, string | undefined>();
  let url = '';
  const json = (response: http.ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));

  const server = http.createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const account = /^\/v1\/identities\/([^/]+)\/account$/.exec(path);
      const reconnect = /^\/v1\/identities\/([^/]+)\/account\/reconnect-sessions$/.exec(path);
      const signIn = /^\/sign-in\/([\w-]+)$/.exec(path);
      if (account || reconnect) {
        if (request.headers.authorization !== `Bearer ${LINKEDIN_SERVICE_TOKEN}`) {
          response.writeHead(401, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify({ type: 'urn:linkedin-gateway:unauthorized', title: 'Unauthorized', status: 401, detail: 'bad token' }));
          return;
        }
      }
      if (account && request.method === 'GET') {
        json(response, 200, { status: connected.has(decodeURIComponent(account[1]!)) ? 'connected' : 'disconnected' });
      } else if (reconnect && request.method === 'POST') {
        const identityId = decodeURIComponent(reconnect[1]!);
        const { returnUrl } = JSON.parse((await readBody(request)) || '{}') as { returnUrl?: string };
        const session = `${identityId}-${sessions.length}`;
        sessions.push({ identityId, returnUrl });
        returns.set(session, returnUrl);
        json(response, 201, { reconnectUrl: `${url}/sign-in/${session}`, expiresAt: new Date(Date.now() + 3600_000).toISOString() });
      } else if (signIn && returns.has(signIn[1]!) && request.method === 'GET') {
        response
          .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
          .end(`<!doctype html><html lang="en"><title>Sign in to LinkedIn</title><h1>Sign in to LinkedIn</h1><form method="post"><button>Sign in</button></form></html>`);
      } else if (signIn && returns.has(signIn[1]!) && request.method === 'POST') {
        const session = signIn[1]!;
        connected.add(session.slice(0, session.lastIndexOf('-')));
        response.writeHead(303, { Location: returns.get(session) ?? '/' }).end();
      } else {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, connected, sessions, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
