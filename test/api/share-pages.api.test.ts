/**
 * The share page as HTTP sees it: content negotiation, security headers, refusal pages, CSRF,
 * post/redirect/get and escaping. The browser tests (test/browser) drive the same page in Chromium.
 */
import type { Express } from 'express';
import request from 'supertest';
import { ShareRateLimiter } from '../../api/share-rate-limit';
import { SHARE_LINK_TTL_MS } from '../../domain/share-links';
import { createLinkedinSimulator } from '../../integrations/linkedin';
import { parseAllowlist } from '../../lib/config';
import { testKeyring } from '../support/keyring';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const workingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const STATE_SECRET = 'oauth-state-secret-for-share-page-tests-0123456789';
// Plain http, so that supertest's cookie jar sends the CSRF cookie back (an https PUBLIC_BASE_URL makes it Secure).
const BASE = 'http://pacer.example.test';

let harness: ApiHarness;
let app: Express;
let clock: number;
let apiKey: string;

beforeAll(async () => {
  harness = await startApiHarness();
  clock = Date.parse('2026-03-02T09:00:00.000Z');
  app = harness.appWith({
    shareLinks: {
      publicBaseUrl: BASE,
      now: () => clock,
      linkedin: createLinkedinSimulator(),
      limiter: new ShareRateLimiter(() => clock, { maxFailures: 1000, failureWindowMs: 60_000, maxRequestsPerLink: 1000, requestWindowMs: 60_000, maxTrackedKeys: 100 }),
    },
    oauth: {
      keyring: testKeyring,
      stateSecret: STATE_SECRET,
      redirectBaseUrl: BASE,
      google: { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret', tokenUrl: 'http://127.0.0.1:9/token', gmailRootUrl: 'http://127.0.0.1:9/' },
      microsoft: undefined,
    },
    // No private hosts allowed here: the SSRF guard answers before any connection.
    email: { keyring: testKeyring, connectTimeoutMs: 2_000, privateHostsAllowed: parseAllowlist('') },
  });
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'share-pages'));
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function linkFor(firstName: string, extra: Record<string, unknown> = {}): Promise<{ identityId: string; token: string; linkId: string }> {
  const identity = await request(app).post('/identities').set(auth()).send({ firstName, lastName: 'Owner', workingHours, ...extra });
  expect(identity.status).toBe(201);
  const link = await request(app).post(`/identities/${identity.body.id}/share-links`).set(auth()).send();
  return { identityId: identity.body.id, token: String(link.body.url).split('/').pop()!, linkId: link.body.id };
}

const page = (agent: request.SuperTest<request.Test> | Express, path: string) => request.agent(agent as Express).get(path).set('Accept', 'text/html');
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

test('a browser gets the page (a JSON caller still gets JSON), with a strict CSP, no-store, no-referrer and no framing', async () => {
  const { identityId, token } = await linkFor('Grace', { jobTitle: 'Head of Sales', profilePictureUrl: 'https://images.example.com/grace.jpg' });
  const html = await page(app, `/share/${token}`);
  expect(html.status).toBe(200);
  expect(html.headers['content-type']).toMatch(/^text\/html/);
  expect(html.headers['cache-control']).toBe('no-store');
  expect(html.headers['referrer-policy']).toBe('no-referrer');
  expect(html.headers['x-frame-options']).toBe('DENY');
  expect(html.headers.vary).toMatch(/Accept/);
  const csp = html.headers['content-security-policy']!;
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).toContain("style-src 'self'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toMatch(/form-action 'self' https:\/\/linkedin-simulator\.invalid https:\/\/accounts\.google\.com/);
  expect(csp).not.toContain('unsafe-inline');
  // Who, until when (in the identity's zone), LinkedIn, and the ways to connect an inbox.
  expect(html.text).toContain('Grace Owner');
  expect(html.text).toContain('Head of Sales');
  expect(html.text).toContain('src="https://images.example.com/grace.jpg"');
  expect(html.text).toContain('Tuesday 3 March 2026, 10:00 (Europe/Paris time)');
  expect(html.text).toContain('Reconnect LinkedIn');
  expect(html.text).toContain('Connect Google');
  expect(html.text).not.toContain('>Connect Microsoft</button>');
  expect(html.text).not.toContain('<script>');
  expect(html.text).toContain('<script src="/assets/share.js" defer></script>');
  expect(html.headers['set-cookie']?.[0]).toMatch(/^pacer_share_csrf=[\w-]{43}; Max-Age=86400; Path=\/share\/; Expires=.*; HttpOnly; SameSite=Lax$/);
  const secure = harness.appWith({ shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin: createLinkedinSimulator() } });
  const overHttps = await page(secure, `/share/${token}`);
  expect(overHttps.headers['set-cookie']?.[0]).toMatch(/; Secure; SameSite=Lax$/);
  expect(overHttps.headers['content-security-policy']).toContain('upgrade-insecure-requests');
  expect(csp).not.toContain('upgrade-insecure-requests');

  const json = await request(app).get(`/share/${token}`).set('Accept', 'application/json');
  expect(json.headers['content-type']).toMatch(/^application\/json/);
  expect(json.body.identity.id).toBe(identityId);
  const assets = await request(app).get('/assets/pages.css');
  expect(assets.status).toBe(200);
  expect(assets.headers['content-type']).toMatch(/^text\/css/);
});

test('everything the page shows is escaped', async () => {
  const { token } = await linkFor('<script>alert(1)</script>', { jobTitle: '"><img src=x onerror=alert(2)>' });
  const html = await page(app, `/share/${token}`);
  expect(html.text).not.toContain('<script>alert(1)');
  expect(html.text).not.toContain('<img src=x');
  expect(html.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
});

test('expired, revoked and unknown links show a page saying so (401), not JSON', async () => {
  const expired = await linkFor('Late');
  const createdAt = clock;
  clock = createdAt + SHARE_LINK_TTL_MS + 1000;
  try {
    const answer = await page(app, `/share/${expired.token}`);
    expect(answer.status).toBe(401);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.text).toContain('This link has expired');
    expect(answer.text).toContain('Ask the person who sent it for a new link');
  } finally {
    clock = createdAt;
  }
  const revoked = await linkFor('Gone');
  await request(app).delete(`/identities/${revoked.identityId}/share-links/${revoked.linkId}`).set(auth());
  const cancelled = await page(app, `/share/${revoked.token}`);
  expect(cancelled.status).toBe(401);
  expect(cancelled.text).toContain('This link was cancelled');
  const unknown = await page(app, `/share/${'A'.repeat(43)}`);
  expect(unknown.status).toBe(401);
  expect(unknown.text).toContain('This link does not work');
  const elsewhere = await page(app, `/share/${revoked.token}/nothing-here`);
  expect(elsewhere.status).toBe(404);
  expect(elsewhere.text).toContain('Page not found');
  for (const answer of [cancelled, unknown, elsewhere]) expect(answer.text).not.toContain(revoked.token);
});

test('a form without the CSRF token bound to this browser and link changes nothing and says the form expired', async () => {
  const { identityId, token } = await linkFor('Forged');
  const other = await linkFor('Other');
  const agent = request.agent(app);
  const otherPage = await agent.get(`/share/${other.token}`).set('Accept', 'text/html');
  const foreignToken = csrfOf(otherPage.text);
  for (const csrf of ['', 'not-a-token', foreignToken]) {
    const posted = await agent.post(`/share/${token}/identities/${identityId}/email-accounts`).type('form').send({ csrf, email: 'a@gmail.com', password: 'x' });
    expect(posted.status).toBe(303);
    expect(posted.headers.location).toBe(`/share/${token}?status=failed&code=form-expired&provider=imap#result`);
    expect(posted.text).toBe('');
  }
  expect(await harness.db.emailInbox.count({ where: { identityId } })).toBe(0);
  const shown = await agent.get(posted(token)).set('Accept', 'text/html');
  expect(shown.text).toContain('The form expired');
});

const posted = (token: string) => `/share/${token}?status=failed&code=form-expired&provider=imap`;

test('post/redirect/get: a failed connection comes back as a banner with what was typed (never the password)', async () => {
  const { identityId, token } = await linkFor('Typing');
  const agent = request.agent(app);
  const csrf = csrfOf((await agent.get(`/share/${token}`).set('Accept', 'text/html')).text);
  const action = `/share/${token}/identities/${identityId}/email-accounts`;

  const unknownDomain = await agent.post(action).type('form').send({ csrf, email: 'ada@corp.example', password: 'typed-secret-0a1b', imapHost: '', smtpHost: '' });
  expect(unknownDomain.status).toBe(303);
  expect(unknownDomain.headers.location).toBe(`/share/${token}?status=failed&code=server-settings-needed&provider=imap#result`);
  const asked = await agent.get(unknownDomain.headers.location!.replace('#result', '')).set('Accept', 'text/html');
  expect(asked.text).toContain('Server settings needed');
  expect(asked.text).toContain('mail servers of corp.example');
  expect(asked.text).toContain('value="ada@corp.example"');
  expect(asked.text).toMatch(/<details id="server-settings" open>/);
  expect(asked.text).not.toContain('typed-secret-0a1b');
  // The typed values are kept for one page only.
  expect((await agent.get(`/share/${token}`).set('Accept', 'text/html')).text).not.toContain('value="ada@corp.example"');

  const privateHost = await agent.post(action).type('form').send({ csrf, email: 'ada@corp.example', password: 'p', imapHost: '127.0.0.1', imapPort: '993', imapSecurity: 'tls', smtpHost: '127.0.0.1', smtpPort: '587', smtpSecurity: 'starttls' });
  expect(privateHost.headers.location).toBe(`/share/${token}?status=failed&code=host-not-allowed&provider=imap#result`);
  const refused = await agent.get(privateHost.headers.location!.replace('#result', '')).set('Accept', 'text/html');
  expect(refused.text).toContain('This mail server cannot be used');
  expect(refused.text).not.toMatch(/EMAIL_PRIVATE_HOSTS_ALLOWED|operator/);

  const invalid = await agent.post(action).type('form').send({ csrf, email: 'not an address', password: '' });
  expect(invalid.headers.location).toBe(`/share/${token}?status=failed&code=invalid-input&provider=imap#result`);
  const fix = await agent.get(invalid.headers.location!.replace('#result', '')).set('Accept', 'text/html');
  expect(fix.text).toContain('Check: Email address, Password.');
  expect(fix.text).toMatch(/id="email"[^>]*aria-invalid="true"/);
  expect(await harness.db.emailInbox.count({ where: { identityId } })).toBe(0);
});

test('the sign-in buttons are forms that lead on to the provider (Google) or the LinkedIn service, each returning to this page', async () => {
  const { identityId, token } = await linkFor('Signin');
  const agent = request.agent(app);
  const csrf = csrfOf((await agent.get(`/share/${token}`).set('Accept', 'text/html')).text);

  const google = await agent.post(`/share/${token}/identities/${identityId}/oauth/google/start`).type('form').send({ csrf });
  expect(google.status).toBe(303);
  const consent = new URL(google.headers.location!);
  expect(consent.origin).toBe('https://accounts.google.com');
  expect(consent.searchParams.get('redirect_uri')).toBe(`${BASE}/oauth/google/callback`);
  expect(consent.searchParams.get('state')).not.toContain(token);

  const microsoft = await agent.post(`/share/${token}/identities/${identityId}/oauth/microsoft/start`).type('form').send({ csrf });
  expect(microsoft.headers.location).toBe(`/share/${token}?status=failed&code=not-available&provider=microsoft#result`);
  const unavailable = await agent.get(microsoft.headers.location!.replace('#result', '')).set('Accept', 'text/html');
  expect(unavailable.text).toContain('Microsoft sign-in is not available right now');
  expect(unavailable.text).not.toContain('MICROSOFT_');

  const linkedin = await agent.post(`/share/${token}/identities/${identityId}/linkedin/reconnect`).type('form').send({ csrf });
  expect(linkedin.status).toBe(303);
  const signIn = new URL(linkedin.headers.location!);
  expect(signIn.origin).toBe('https://linkedin-simulator.invalid');
  expect(signIn.searchParams.get('returnUrl')).toBe(`${BASE}/share/${token}?status=returned&code=ok&provider=linkedin#linkedin`);
  const back = await agent.get(`/share/${token}?status=returned&code=ok&provider=linkedin`).set('Accept', 'text/html');
  expect(back.text).toContain('Back from LinkedIn');
});

test('a JSON caller of a link reads no setting names either: a private host, or a dependency that is down', async () => {
  const { identityId, token } = await linkFor('Json');
  const privateHost = await request(app)
    .post(`/share/${token}/identities/${identityId}/email-accounts`)
    .send({ email: 'ada@corp.example', password: 'p', imap: { host: '127.0.0.1', port: 993, security: 'tls' }, smtp: { host: '127.0.0.1', port: 587, security: 'starttls' } });
  expect(privateHost.status).toBe(422);
  expect(privateHost.body).toMatchObject({ type: 'urn:pacer:problem:host-not-allowed', code: 'host-not-allowed', guidance: expect.stringContaining('public server name') });
  expect(privateHost.text).not.toContain('EMAIL_PRIVATE_HOSTS_ALLOWED');
  // Without the encryption keyring the API refuses to connect inboxes; the link holder is not told which setting is missing.
  const noKeyring = harness.appWith({ shareLinks: { publicBaseUrl: BASE, now: () => clock, linkedin: createLinkedinSimulator() }, email: undefined });
  const down = await request(noKeyring)
    .post(`/share/${token}/identities/${identityId}/email-accounts`)
    .send({ email: 'ada@gmail.com', password: 'p', imap: { host: 'imap.gmail.com' }, smtp: { host: 'smtp.gmail.com' } });
  expect(down.status).toBe(503);
  expect(down.text).not.toContain('PACER_ENCRYPTION_KEYS');
  expect(harness.logLines.join('\n')).toContain('PACER_ENCRYPTION_KEYS');
});

test('a share body that is neither JSON nor a form gets 415', async () => {
  const { identityId, token } = await linkFor('Plain');
  const answer = await request(app).post(`/share/${token}/identities/${identityId}/email-accounts`).set('Content-Type', 'text/plain').send('email=a@b.c');
  expect(answer.status).toBe(415);
  expect(answer.body.instance).toBe(`/share/…/identities/${identityId}/email-accounts`);
});
