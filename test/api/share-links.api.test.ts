import type { Express } from 'express';
import request from 'supertest';
import pg from 'pg';
import { ShareRateLimiter } from '../../api/share-rate-limit';
import { SHARE_LINK_TTL_MS } from '../../domain/share-links';
import type { LinkedinSimulator } from '../../integrations/linkedin';
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
  linkedin = harness.linkedin;
  // A clock the test moves (no waiting 24 hours), and a limiter generous enough for the other tests.
  app = harness.appWith({
    shareLinks: {
      publicBaseUrl: 'https://pacer.example.test',
      now: () => clock,
      linkedin,
      limiter: new ShareRateLimiter(() => clock, { maxFailures: 1000, failureWindowMs: 60_000, maxRequests: 1000, requestWindowMs: 60_000 }),
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
  await harness.db.identity.update({ where: { id: identityId }, data: { linkedinStatus: 'needs-reconnect', linkedinStatusReason: 'Unipile reports CREDENTIALS' } });
  const link = await shareLink(identityId);
  expect(link.url).toMatch(/^https:\/\/pacer\.example\.test\/share\/[A-Za-z0-9_-]{43}$/);
  expect(Date.parse(link.expiresAt) - clock).toBe(SHARE_LINK_TTL_MS);

  for (let visit = 0; visit < 2; visit += 1) {
    const shown = await request(app).get(`/share/${link.token}`);
    expect(shown.status).toBe(200);
    expectShareHeaders(shown);
    expect(shown.body.identity).toEqual({ id: identityId, firstName: 'Grace', lastName: 'Share' });
    expect(shown.body.linkedin).toMatchObject({ status: 'needs-reconnect', reason: 'Unipile reports CREDENTIALS' });
    expect(shown.body.inboxes).toEqual([expect.objectContaining({ address: 'grace@outreach.example', provider: 'imap-smtp', status: 'connected' })]);
    // Nothing else: no settings, no campaigns, no secrets.
    expect(JSON.stringify(shown.body)).not.toMatch(/workingHours|campaign|passwordEnvelope|v1\.secret|smtp\.example/);
  }

  const reconnect = await request(app).post(`/share/${link.token}/identities/${identityId}/linkedin/reconnect`);
  expect(reconnect.status).toBe(200);
  expectShareHeaders(reconnect);
  expect(reconnect.body.reconnectUrl).toMatch(/^https:\/\/linkedin-simulator\.invalid\/hosted-auth\//);

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

  // OAuth is not configured in this app: the answer says which env vars to set.
  const unconfigured = await request(app).post(`/share/${link.token}/identities/${a}/oauth/google/start`).send({});
  expect(unconfigured.status).toBe(503);
  expect(unconfigured.body.detail).toContain('GOOGLE_CLIENT_ID');
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

test('repeated wrong tokens are answered 429 (problem+json, Retry-After), even for a valid token afterwards', async () => {
  const limited = harness.appWith({ shareLinks: { publicBaseUrl: 'https://pacer.example.test', now: () => clock, linkedin } });
  const identityId = await identity('Limited');
  const link = await shareLink(identityId);
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 12; attempt += 1) {
    statuses.push((await request(limited).get(`/share/${'x'.repeat(42)}${attempt % 10}`)).status);
  }
  expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
  expect(statuses.slice(10)).toEqual([429, 429]);
  const blocked = await request(limited).get(`/share/${link.token}`);
  expect(blocked.status).toBe(429);
  expect(blocked.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
  expectShareHeaders(blocked);
  // After the window, the valid link works again.
  clock += 15 * 60_000 + 1000;
  expect((await request(limited).get(`/share/${link.token}`)).status).toBe(200);
});
