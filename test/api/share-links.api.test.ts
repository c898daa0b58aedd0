import type { Express } from 'express';
import request from 'supertest';
import pg from 'pg';
import { ShareRateLimiter } from '../../api/share-rate-limit';
import { SHARE_LINK_TTL_MS } from '../../domain/share-links';
import { LinkedinUnavailableError, createLinkedinSimulator, type LinkedinSimulator } from '../../integrations/linkedin';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { sharedServices } from '../support/services';

const workingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

let harness: ApiHarness;
let app: Express;
let clock: number;
let linkedin: LinkedinSimulator;
let workspaceA: { workspaceId: string; apiKey: string };
let workspaceB: { workspaceId: string; apiKey: string };

beforeAll(async () => {
  harness = await startApiHarness();
  clock = Date.parse('2026-03-02T09:00:00.000Z');
  linkedin = createLinkedinSimulator();
  // A clock the test moves (no waiting 24 hours), and a limiter generous enough for the other tests.
  app = harness.appWith({
    shareLinks: {
      publicBaseUrl: 'https://pacer.example.test',
      now: () => clock,
      linkedin,
      limiter: new ShareRateLimiter(() => clock, { maxFailures: 1000, failureWindowMs: 60_000, maxRequestsPerLink: 1000, requestWindowMs: 60_000, maxTrackedKeys: 10_000 }),
    },
  });
  workspaceA = await createWorkspaceWithKey(harness.db, 'share-a');
  workspaceB = await createWorkspaceWithKey(harness.db, 'share-b');
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key = workspaceA.apiKey) => ({ Authorization: `Bearer ${key}` });

async function identity(firstName: string, key = workspaceA.apiKey): Promise<string> {
  const created = await request(app).post('/identities').set(auth(key)).send({ firstName, lastName: 'Share', workingHours });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function shareLink(identityId: string): Promise<{ id: string; url: string; token: string; expiresAt: string }> {
  const created = await request(app).post(`/identities/${identityId}/share-links`).set(auth()).set('Host', 'evil.example').send();
  expect(created.status).toBe(201);
  const url = created.body.url as string;
  return { ...created.body, token: url.slice(url.lastIndexOf('/') + 1) };
}

function expectShareHeaders(response: request.Response) {
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['cache-control']).toBe('no-store');
}

test('a link is built from PUBLIC_BASE_URL (never the Host header), lasts 24 hours, and GET shows name and connection status without consuming it', async () => {
  const identityId = await identity('Grace');
  await harness.db.emailInbox.create({
    data: { workspaceId: workspaceA.workspaceId, identityId, email: 'grace@outreach.example', smtpHost: 'smtp.example', smtpPort: 587, smtpSecurity: 'starttls', username: 'grace', passwordEnvelope: 'v1.secret' },
  });
  linkedin.setAccountStatus(identityId, 'disconnected');
  const link = await shareLink(identityId);
  expect(link.url).toMatch(/^https:\/\/pacer\.example\.test\/share\/[A-Za-z0-9_-]{43}$/);
  expect(Date.parse(link.expiresAt) - clock).toBe(SHARE_LINK_TTL_MS);

  for (let visit = 0; visit < 2; visit += 1) {
    const shown = await request(app).get(`/share/${link.token}`);
    expect(shown.status).toBe(200);
    expectShareHeaders(shown);
    expect(shown.body.identity).toEqual({ id: identityId, firstName: 'Grace', lastName: 'Share' });
    expect(shown.body.linkedin.status).toBe('disconnected');
    expect(shown.body.inboxes).toEqual([expect.objectContaining({ address: 'grace@outreach.example', provider: 'imap-smtp', status: 'connected' })]);
    // Nothing else: no settings, no campaigns, no secrets.
    expect(JSON.stringify(shown.body)).not.toMatch(/workingHours|campaign|passwordEnvelope|v1\.secret|smtp\.example/);
  }

  const reconnect = await request(app).post(`/share/${link.token}/identities/${identityId}/linkedin/reconnect`);
  expect(reconnect.status).toBe(200);
  expectShareHeaders(reconnect);
  expect(reconnect.body.reconnectUrl).toMatch(/^https:\/\/linkedin-simulator\.invalid\/reconnect\//);

  const listed = await request(app).get(`/identities/${identityId}/share-links`).set(auth());
  expect(listed.body.items).toEqual([expect.objectContaining({ id: link.id, state: 'valid', revokedAt: null })]);
  expect(JSON.stringify(listed.body)).not.toContain(link.token);
});

test('valid until 24 h, refused with 401 at 24 h + 1 s', async () => {
  const identityId = await identity('Expiring');
  const link = await shareLink(identityId);
  const createdAt = clock;
  try {
    clock = createdAt + SHARE_LINK_TTL_MS - 1000;
    expect((await request(app).get(`/share/${link.token}`)).status).toBe(200);
    clock = createdAt + SHARE_LINK_TTL_MS + 1000;
    const expired = await request(app).get(`/share/${link.token}`);
    expect(expired.status).toBe(401);
    expect(expired.headers['content-type']).toMatch(/^application\/problem\+json/);
    expectShareHeaders(expired);
    expect((await request(app).post(`/share/${link.token}/identities/${identityId}/linkedin/reconnect`)).status).toBe(401);
  } finally {
    clock = createdAt;
  }
});

test('a revoked link answers 401 at once; revoking twice is fine; another workspace cannot revoke it', async () => {
  const identityId = await identity('Revoked');
  const link = await shareLink(identityId);
  expect((await request(app).delete(`/identities/${identityId}/share-links/${link.id}`).set(auth(workspaceB.apiKey))).status).toBe(404);
  expect((await request(app).delete(`/identities/${identityId}/share-links/${link.id}`).set(auth())).status).toBe(204);
  expect((await request(app).delete(`/identities/${identityId}/share-links/${link.id}`).set(auth())).status).toBe(204);
  const refused = await request(app).get(`/share/${link.token}`);
  expect(refused.status).toBe(401);
  expectShareHeaders(refused);
});

test("a token of identity A on identity B's routes answers 403; other routes are not reachable with it", async () => {
  const a = await identity('Alpha');
  const b = await identity('Beta');
  const link = await shareLink(a);
  const forbidden = await request(app).post(`/share/${link.token}/identities/${b}/linkedin/reconnect`);
  expect(forbidden.status).toBe(403);
  expectShareHeaders(forbidden);
  expect((await request(app).post(`/share/${link.token}/identities/${b}/email-accounts`).send({})).status).toBe(403);

  // Not reconnect routes: nothing under /share, and the token is no API key.
  for (const path of [`/share/${link.token}/identities/${a}`, `/share/${link.token}/identities/${a}/campaigns`, `/share/${link.token}/identities/${a}/working-hours`]) {
    const response = await request(app).get(path);
    expect(response.status).toBe(404);
    expectShareHeaders(response);
  }
  expect((await request(app).put(`/share/${link.token}/identities/${a}/working-hours`).send(workingHours)).status).toBe(404);
  expect((await request(app).get(`/identities/${a}`).set('Authorization', `Bearer ${link.token}`)).status).toBe(401);
  expect((await request(app).get('/campaigns').set('Authorization', `Bearer ${link.token}`)).status).toBe(401);

  // OAuth is not configured in this app: the link holder reads plain words, the operator's log names the variables.
  const unconfigured = await request(app).post(`/share/${link.token}/identities/${a}/oauth/google/start`).send({});
  expect(unconfigured.status).toBe(503);
  expect(unconfigured.body.detail).toMatch(/Google sign-in is not available right now/);
  expect(JSON.stringify(unconfigured.body)).not.toMatch(/GOOGLE_|OAUTH_STATE_SECRET/);
  expect(unconfigured.body.instance).toBe(`/share/…/identities/${a}/oauth/google/start`);
  expect(harness.logLines.join('\n')).toMatch(/google OAuth is not configured/);
  expect((await request(app).post(`/share/${link.token}/identities/${a}/oauth/yahoo/start`).send({})).status).toBe(404);
});

test('the raw token is nowhere in the database, only its SHA-256 hash', async () => {
  const identityId = await identity('Hashed');
  const link = await shareLink(identityId);
  const client = new pg.Client({ connectionString: sharedServices().databaseUrl });
  await client.connect();
  try {
    const rows = await client.query('SELECT * FROM "IdentityShareLink" WHERE "identityId" = $1', [identityId]);
    expect(rows.rows).toHaveLength(1);
    expect(JSON.stringify(rows.rows)).not.toContain(link.token);
    expect(rows.rows[0].tokenHash).toMatch(/^[0-9a-f]{64}$/);
    const audit = await client.query('SELECT * FROM "AuditEntry" WHERE "entityId" = $1', [identityId]);
    expect(JSON.stringify(audit.rows)).not.toContain(link.token);
  } finally {
    await client.end();
  }
  expect(harness.logLines.join('\n')).not.toContain(link.token);
});

test('foreign workspaces get 404 for share links', async () => {
  const identityId = await identity('Foreign');
  expect((await request(app).post(`/identities/${identityId}/share-links`).set(auth(workspaceB.apiKey)).send()).status).toBe(404);
  expect((await request(app).get(`/identities/${identityId}/share-links`).set(auth(workspaceB.apiKey))).status).toBe(404);
});

test('wrong tokens are limited per client (429 problem+json with Retry-After), and a valid link from the same client still works', async () => {
  const limited = harness.appWith({ shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin } });
  const identityId = await identity('Limited');
  const link = await shareLink(identityId);
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    statuses.push((await request(limited).get(`/share/${'x'.repeat(42)}${attempt % 10}`)).status);
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses.slice(10)).toEqual(Array(10).fill(429));
  const blocked = await request(limited).get(`/share/${'y'.repeat(43)}`);
  expect(blocked.status).toBe(429);
  expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  expect(blocked.body.instance).toBe('/share/…');
  expectShareHeaders(blocked);
  // The valid link is never refused for someone else's wrong tokens, page or JSON.
  expect((await request(limited).get(`/share/${link.token}`)).status).toBe(200);
  expect((await request(limited).get(`/share/${link.token}`).set('Accept', 'text/html')).status).toBe(200);
  // After the window, wrong tokens are plain 401s again.
  clock += 15 * 60_000 + 1000;
  expect((await request(limited).get(`/share/${'x'.repeat(43)}`)).status).toBe(401);
});

test('behind TRUST_PROXY the client is the forwarded address: one blocked client does not block another, and IPv6 counts per /64', async () => {
  const limits = { maxFailures: 3, failureWindowMs: 60_000, maxRequestsPerLink: 1000, requestWindowMs: 60_000, maxTrackedKeys: 100 };
  const proxied = harness.appWith({
    trustProxy: 1,
    shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin, limiter: new ShareRateLimiter(() => clock, limits) },
  });
  const wrong = (from: string) => request(proxied).get(`/share/${'z'.repeat(43)}`).set('X-Forwarded-For', from);
  for (let attempt = 0; attempt < 3; attempt += 1) expect((await wrong('2001:db8:aa:1::1')).status).toBe(401);
  // Another address of the same /64 is the same client; another /64 and an IPv4 client are not.
  expect((await wrong('2001:db8:aa:1::ffff')).status).toBe(429);
  expect((await wrong('2001:db8:aa:2::1')).status).toBe(401);
  expect((await wrong('198.51.100.7')).status).toBe(401);
  // Without trust proxy, the header is ignored: every request comes from the socket address.
  const direct = harness.appWith({ shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin, limiter: new ShareRateLimiter(() => clock, limits) } });
  const statuses = [];
  for (const from of ['203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4']) statuses.push((await request(direct).get(`/share/${'z'.repeat(43)}`).set('X-Forwarded-For', from)).status);
  expect(statuses).toEqual([401, 401, 401, 429]);
});

test("a valid link's own use is capped per link, not per client: another link from the same client still works", async () => {
  const capped = harness.appWith({
    shareLinks: {
      publicBaseUrl: 'https://pacer.example.test',
      now: () => clock,
      linkedin,
      limiter: new ShareRateLimiter(() => clock, { maxFailures: 10, failureWindowMs: 60_000, maxRequestsPerLink: 3, requestWindowMs: 60_000, maxTrackedKeys: 100 }),
    },
  });
  const busy = await shareLink(await identity('Busy'));
  const calm = await shareLink(await identity('Calm'));
  const statuses = [];
  for (let attempt = 0; attempt < 4; attempt += 1) statuses.push((await request(capped).get(`/share/${busy.token}`)).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  expect((await request(capped).get(`/share/${calm.token}`)).status).toBe(200);
});

test('an unexpected failure is logged and answered 500 without the token, in the path or anywhere else', async () => {
  const broken = harness.appWith({
    shareLinks: {
      publicBaseUrl: 'https://pacer.example.test',
      now: () => clock,
      // A gateway that answers nothing usable: reading its answer fails inside the route.
      linkedin: { ...linkedin, adapter: 'simulator', startReconnect: () => Promise.resolve(undefined as never) },
    },
  });
  const identityId = await identity('Broken');
  const link = await shareLink(identityId);
  const answer = await request(broken).post(`/share/${link.token}/identities/${identityId}/linkedin/reconnect`);
  expect(answer.status).toBe(500);
  expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(answer.body.instance).toBe(`/share/…/identities/${identityId}/linkedin/reconnect`);
  expect(answer.text).not.toContain(link.token);
  const logged = harness.logLines.filter((line) => line.includes('unhandled error on a share link'));
  expect(logged.length).toBeGreaterThan(0);
  expect(harness.logLines.join('\n')).not.toContain(link.token);
});

test('a gateway failure reaches the link holder in plain words; its text (internal hosts) only reaches the log', async () => {
  const failing = createLinkedinSimulator({ fault: ({ operation }) => (operation === 'startReconnect' ? new LinkedinUnavailableError('connect ECONNREFUSED gateway.internal.corp:8443') : undefined) });
  const withFault = harness.appWith({ shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin: failing } });
  const identityId = await identity('Fault');
  const link = await shareLink(identityId);
  const answer = await request(withFault).post(`/share/${link.token}/identities/${identityId}/linkedin/reconnect`);
  expect(answer.status).toBe(503);
  expect(answer.text).not.toMatch(/gateway\.internal|ECONNREFUSED|LINKEDIN_/);
  expect(answer.body.detail).toMatch(/LinkedIn reconnection is not available right now/);
  expect(harness.logLines.join('\n')).toContain('gateway.internal.corp');
});
