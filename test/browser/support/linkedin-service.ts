/**
 * A LinkedIn automation service speaking the account part of Pacer's contract
 * (integrations/linkedin/CONTRACT.md, "Open a hosted sign-in" and "Account status"), as a real local
 * HTTP server, with the hosted sign-in page the contract describes. When the owner signs in there, the
 * service POSTs `{status, account_id, name}` to the session's `notifyUrl` (Pacer's
 * /webhooks/linkedin/hosted-auth/<token>), then sends the browser to `successRedirectUrl`, or to
 * `failureRedirectUrl` when Pacer refused the notification.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const LINKEDIN_SERVICE_TOKEN = 'linkedin-service-token-for-browser-tests';

export interface HostedAuthSession {
  type: 'create' | 'reconnect';
  identityId: string | null;
  name: string;
  notifyUrl: string;
  successRedirectUrl: string | null;
  failureRedirectUrl: string | null;
  /** The HTTP status Pacer answered the notification with, once the owner signed in. */
  notified?: number;
}

export interface LinkedinService {
  url: string;
  /** Every hosted sign-in Pacer opened, in order. */
  sessions: HostedAuthSession[];
  /** The account connected for each identity that signed in. */
  accounts: Map<string, string>;
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

const problem = (response: http.ServerResponse, status: number, type: string, detail: string) =>
  response.writeHead(status, { 'Content-Type': 'application/problem+json' }).end(JSON.stringify({ type: `urn:linkedin-gateway:${type}`, title: type, status, detail }));

export async function startLinkedinService(): Promise<LinkedinService> {
  const sessions: HostedAuthSession[] = [];
  const accounts = new Map<string, string>();
  /** Idempotency-Key → the session it opened (the same key answers the same page). */
  const byKey = new Map<string, number>();
  let url = '';
  const json = (response: http.ServerResponse, status: number, body: unknown) => response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  const pageOf = (index: number) => `${url}/sign-in/${index}`;

  const server = http.createServer((request, response) => {
    void (async () => {
      const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
      const account = /^\/v1\/identities\/([^/]+)\/account$/.exec(path);
      const signIn = /^\/sign-in\/(\d+)$/.exec(path);
      if (path.startsWith('/v1/') && request.headers.authorization !== `Bearer ${LINKEDIN_SERVICE_TOKEN}`) {
        problem(response, 401, 'unauthorized', 'bad token');
      } else if (account && request.method === 'GET') {
        const accountId = accounts.get(decodeURIComponent(account[1]!)) ?? null;
        json(response, 200, { status: accountId ? 'connected' : 'not-connected', reason: null, accountId });
      } else if (path === '/v1/hosted-auth-sessions' && request.method === 'POST') {
        const key = request.headers['idempotency-key'];
        if (typeof key !== 'string' || key === '') return problem(response, 422, 'invalid-request', 'Idempotency-Key is required');
        const body = JSON.parse((await readBody(request)) || '{}') as HostedAuthSession & { expiresAt: string };
        const known = byKey.get(key);
        const index = known ?? sessions.push({ type: body.type, identityId: body.identityId, name: body.name, notifyUrl: body.notifyUrl, successRedirectUrl: body.successRedirectUrl, failureRedirectUrl: body.failureRedirectUrl }) - 1;
        byKey.set(key, index);
        json(response, 201, { url: pageOf(index), expiresAt: body.expiresAt });
      } else if (signIn && sessions[Number(signIn[1])] && request.method === 'GET') {
        response
          .writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' })
          .end(`<!doctype html><html lang="en"><title>Sign in to LinkedIn</title><h1>Sign in to LinkedIn</h1><form method="post"><button>Sign in</button></form></html>`);
      } else if (signIn && sessions[Number(signIn[1])] && request.method === 'POST') {
        const session = sessions[Number(signIn[1])]!;
        const accountId = (session.identityId && accounts.get(session.identityId)) ?? `acc_browser_${signIn[1]}`;
        const notified = await fetch(session.notifyUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ status: session.type === 'reconnect' ? 'RECONNECTED' : 'CREATION_SUCCESS', account_id: accountId, name: session.name }),
        });
        session.notified = notified.status;
        if (notified.ok && session.identityId) accounts.set(session.identityId, accountId);
        response.writeHead(303, { Location: (notified.ok ? session.successRedirectUrl : session.failureRedirectUrl) ?? '/' }).end();
      } else {
        response.writeHead(404).end();
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, sessions, accounts, stop: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
