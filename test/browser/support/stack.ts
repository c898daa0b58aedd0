/**
 * The real stack a browser test drives: the API (on the shared PostgreSQL and Temporal dev server,
 * with a real worker) listening on a loopback port so Chromium can reach it, its PUBLIC_BASE_URL set
 * to that address, Google and Microsoft pointed at local servers that answer like them, and the
 * LinkedIn HTTP adapter talking to a local service that speaks its contract.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { createHttpLinkedinGateway } from '../../../integrations/linkedin';
import { parseAllowlist } from '../../../lib/config';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../../support/api';
import { testKeyring } from '../../support/keyring';
import { startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';
import { LINKEDIN_SERVICE_TOKEN, startLinkedinService, type LinkedinService } from './linkedin-service';

export const GOOGLE_CLIENT_ID = 'google-client.apps.googleusercontent.com';
export const MICROSOFT_CLIENT_ID = '11111111-2222-3333-4444-555555555555';
const STATE_SECRET = 'oauth-state-secret-for-browser-tests-0123456789';

export interface ConsentRequest {
  query: URLSearchParams;
}

/**
 * Google's consent step as its documentation describes it (developers.google.com/identity/protocols/
 * oauth2/web-server, "Step 5: Handle the OAuth 2.0 server response"): once the person allows access,
 * Google sends the browser to `redirect_uri` with `code`, `scope` and the same `state`; when they
 * decline, with `error=access_denied` and the `state`. A real local server answering as an account
 * that allows at once (or declines, per `decision`); every request is kept.
 */
export interface GoogleConsentServer {
  authorizeUrl: string;
  received: ConsentRequest[];
  decision: 'allow' | 'deny';
  stop(): Promise<void>;
}

export const RECORDED_GOOGLE_CODE = '4/0Adeu5recorded-code';

async function startGoogleConsentServer(): Promise<GoogleConsentServer> {
  const consent: Omit<GoogleConsentServer, 'authorizeUrl' | 'stop'> = { received: [], decision: 'allow' };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/o/oauth2/v2/auth') {
      response.writeHead(404).end();
      return;
    }
    consent.received.push({ query: url.searchParams });
    const back = new URL(url.searchParams.get('redirect_uri') ?? '');
    back.searchParams.set('state', url.searchParams.get('state') ?? '');
    if (consent.decision === 'deny') back.searchParams.set('error', 'access_denied');
    else {
      back.searchParams.set('code', RECORDED_GOOGLE_CODE);
      back.searchParams.set('scope', url.searchParams.get('scope') ?? '');
    }
    response.writeHead(302, { Location: back.toString() }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return Object.assign(consent, {
    authorizeUrl: `http://127.0.0.1:${port}/o/oauth2/v2/auth`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}

export interface PageStack {
  baseUrl: string;
  harness: ApiHarness;
  app: Express;
  apiKey: string;
  linkedin: LinkedinService;
  providers: ProviderReplayServer;
  consent: GoogleConsentServer;
  /** Added to the share links' clock (to see a link expire without waiting a day). */
  clock: { offsetMs: number };
  /** A fresh wrong-token limiter (every browser request comes from 127.0.0.1). */
  resetShareLimits(): void;
  auth(): { Authorization: string };
  stop(): Promise<void>;
}

export async function startPageStack(name: string): Promise<PageStack> {
  const [harness, providers, consent, linkedin] = await Promise.all([startApiHarness(), startProviderReplayServer(), startGoogleConsentServer(), startLinkedinService()]);
  let app: Express | undefined;
  const server = http.createServer((request, response) => {
    if (app) app(request, response);
    else response.writeHead(503).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const gateway = createHttpLinkedinGateway({ baseUrl: linkedin.url, token: LINKEDIN_SERVICE_TOKEN, timeoutMs: 5_000 });
  const clock = { offsetMs: 0 };
  const build = (): Express =>
    harness.appWith({
      shareLinks: { publicBaseUrl: baseUrl, now: () => Date.now() + clock.offsetMs, linkedin: gateway, linkedinSignInOrigins: [linkedin.url] },
      oauth: {
        keyring: testKeyring,
        stateSecret: STATE_SECRET,
        redirectBaseUrl: baseUrl,
        google: { clientId: GOOGLE_CLIENT_ID, clientSecret: 'google-secret', tokenUrl: `${providers.baseUrl}/token`, gmailRootUrl: `${providers.baseUrl}/` },
        googleAuthorizeUrl: consent.authorizeUrl,
        microsoft: { clientId: MICROSOFT_CLIENT_ID, clientSecret: 'ms-secret', loginBaseUrl: providers.baseUrl, graphBaseUrl: providers.baseUrl },
      },
      // Dovecot delays the login after a wrong password by 2 s or more: leave room for it.
      email: { keyring: testKeyring, connectTimeoutMs: 15_000, privateHostsAllowed: parseAllowlist('127.0.0.0/8') },
    });
  app = build();
  const { apiKey } = await createWorkspaceWithKey(harness.db, name);
  return {
    baseUrl,
    harness,
    app,
    apiKey,
    linkedin,
    providers,
    consent,
    clock,
    resetShareLimits() {
      app = build();
    },
    auth: () => ({ Authorization: `Bearer ${apiKey}` }),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await Promise.all([harness.stop(), providers.stop(), consent.stop(), linkedin.stop()]);
    },
  };
}
