import request from 'supertest';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const UNKNOWN_ID = '6b0f5a3e-0000-4000-8000-000000000000';

let harness: ApiHarness;
let keyA: string;
let keyB: string;
let workspaceA: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey: keyA, workspaceId: workspaceA } = await createWorkspaceWithKey(harness.db, 'settings-a'));
  ({ apiKey: keyB } = await createWorkspaceWithKey(harness.db, 'settings-b'));
  await harness.db.workspace.update({ where: { id: workspaceA }, data: { linkedinScrapingPoolPerDay: 300 } });
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key = keyA) => ({ Authorization: `Bearer ${key}` });

async function newIdentity(extra: object = {}): Promise<string> {
  const response = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'L', workingHours: hours, ...extra });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

async function stored(id: string) {
  return harness.db.identity.findUniqueOrThrow({ where: { id } });
}

function fields(response: request.Response): string[] {
  return (response.body.errors ?? []).map((problem: { field: string }) => problem.field);
}

/** Every route on one identity, with a valid body, for the 401/404 checks. */
const identityRoutes: [string, (id: string) => request.Test][] = [
  ['GET /identities/:id', (id) => request(harness.app).get(`/identities/${id}`)],
  ['PATCH /identities/:id', (id) => request(harness.app).patch(`/identities/${id}`).send({ jobTitle: 'CEO' })],
  ['DELETE /identities/:id', (id) => request(harness.app).delete(`/identities/${id}`)],
  ['PUT /identities/:id/working-hours', (id) => request(harness.app).put(`/identities/${id}/working-hours`).send(hours)],
  ['PUT /identities/:id/linkedin/rate-limits', (id) => request(harness.app).put(`/identities/${id}/linkedin/rate-limits`).send({ dailyConnectionRequests: 10, dailyMessages: 50 })],
  ['PUT /identities/:id/linkedin/withdrawals', (id) => request(harness.app).put(`/identities/${id}/linkedin/withdrawals`).send({ autoWithdraw: true, thresholdDays: 7 })],
  ['PUT /identities/:id/likings-opt-out', (id) => request(harness.app).put(`/identities/${id}/likings-opt-out`).send({ optOut: true })],
  ['PUT /identities/:id/signature', (id) => request(harness.app).put(`/identities/${id}/signature`).send({ mode: 'html', html: '<b>Ada</b>' })],
  ['GET /identities/:id/status', (id) => request(harness.app).get(`/identities/${id}/status`)],
  ['POST /identities/:id/linkedin/invitations', (id) => request(harness.app).post(`/identities/${id}/linkedin/invitations`).send({ profileUrl: 'https://www.linkedin.com/in/ada' })],
  ['GET /identities/:id/linkedin/invitations', (id) => request(harness.app).get(`/identities/${id}/linkedin/invitations`)],
  ['POST /identities/:id/linkedin/invitations/withdraw', (id) => request(harness.app).post(`/identities/${id}/linkedin/invitations/withdraw`).send({ invitationIds: [UNKNOWN_ID] })],
  ['GET /identities/:id/linkedin/withdrawals', (id) => request(harness.app).get(`/identities/${id}/linkedin/withdrawals`)],
  ['DELETE /identities/:id/email-accounts/:accountId', (id) => request(harness.app).delete(`/identities/${id}/email-accounts/${UNKNOWN_ID}`)],
  ['POST /identities/:id/linkedin/connect', (id) => request(harness.app).post(`/identities/${id}/linkedin/connect`).send({})],
];

describe.each(identityRoutes)('%s', (_route, call) => {
  it('answers 401 without a key', async () => {
    expect((await call(UNKNOWN_ID)).status).toBe(401);
  });

  it('answers 404 for an unknown id and for another workspace’s identity, changing nothing', async () => {
    const id = await newIdentity();
    const before = await stored(id);
    expect((await call(UNKNOWN_ID).set(auth())).status).toBe(404);
    expect((await call(id).set(auth(keyB))).status).toBe(404);
    expect(await stored(id)).toEqual(before);
  });
});

describe('PATCH /identities/:id', () => {
  it('changes contact details, audits old and new, and bumps the version (ETag)', async () => {
    const id = await newIdentity({ phoneNumber: '+33 1 23 45 67 89' });
    const response = await request(harness.app).patch(`/identities/${id}`).set(auth()).send({ phoneNumber: null, scheduleMeetingUrl: 'https://cal.example.com/ada' });
    expect(response.status).toBe(200);
    expect(response.headers.etag).toBe('"2"');
    expect(response.body).toMatchObject({ phoneNumber: null, scheduleMeetingUrl: 'https://cal.example.com/ada', version: 2 });
    const audit = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: id, action: 'identity.contact-details.updated' } });
    expect(audit.before).toEqual({ phoneNumber: '+33 1 23 45 67 89', scheduleMeetingUrl: null });
  });

  it.each([
    ['an empty change', {}, '(body)'],
    ['an unknown field', { nickname: 'A' }, 'nickname'],
    ['an invalid email', { email: 'nope' }, 'email'],
    ['an empty first name', { firstName: '' }, 'firstName'],
    ['a non-http picture URL', { profilePictureUrl: 'ftp://x/y.png' }, 'profilePictureUrl'],
  ])('answers 422 for %s and changes nothing', async (_case, body, field) => {
    const id = await newIdentity();
    const before = await stored(id);
    const response = await request(harness.app).patch(`/identities/${id}`).set(auth()).send(body);
    expect(response.status).toBe(422);
    expect(fields(response)).toContain(field);
    expect(await stored(id)).toEqual(before);
  });

  it('refuses to turn Sales Navigator off while the identity has its own scraping capacity', async () => {
    const id = await newIdentity({ salesNavigatorEnabled: true });
    await request(harness.app).put(`/identities/${id}/linkedin/rate-limits`).set(auth()).send({ dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 50 });
    const response = await request(harness.app).patch(`/identities/${id}`).set(auth()).send({ salesNavigatorEnabled: false });
    expect(response.status).toBe(422);
    expect(fields(response)).toEqual(['salesNavigatorEnabled']);
  });

  it('with If-Match, refuses a stale version with 409 and accepts the current one', async () => {
    const id = await newIdentity();
    const auditedBefore = await harness.db.auditEntry.count({ where: { entityId: id } });
    const stale = await request(harness.app).patch(`/identities/${id}`).set(auth()).set('If-Match', '"7"').send({ jobTitle: 'CTO' });
    expect(stale.status).toBe(409);
    expect(stale.body.detail).toContain('now at version 1');
    // Nothing half-written: no change, no version bump, no audit entry.
    expect(await stored(id)).toMatchObject({ jobTitle: null, version: 1 });
    expect(await harness.db.auditEntry.count({ where: { entityId: id } })).toBe(auditedBefore);
    const current = await request(harness.app).patch(`/identities/${id}`).set(auth()).set('If-Match', '"1"').send({ jobTitle: 'CTO' });
    expect(current.status).toBe(200);
  });

  it('loses no update when two changes race: both land, the version counts both', async () => {
    const id = await newIdentity();
    const [first, second] = await Promise.all([
      request(harness.app).patch(`/identities/${id}`).set(auth()).send({ jobTitle: 'CTO' }),
      request(harness.app).put(`/identities/${id}/likings-opt-out`).set(auth()).send({ optOut: true }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await stored(id)).toMatchObject({ jobTitle: 'CTO', likingsOptOut: true, version: 3 });
  });
});

describe('DELETE /identities/:id', () => {
  it('hides the identity, keeps its record and audit, and a second delete is 404', async () => {
    const id = await newIdentity();
    expect((await request(harness.app).delete(`/identities/${id}`).set(auth())).status).toBe(204);
    expect((await request(harness.app).get(`/identities/${id}`).set(auth())).status).toBe(404);
    expect((await stored(id)).deletedAt).not.toBeNull();
    expect((await request(harness.app).delete(`/identities/${id}`).set(auth())).status).toBe(404);
    const listed = await request(harness.app).get('/identities').query({ limit: 100 }).set(auth());
    expect(listed.body.items.map((identity: { id: string }) => identity.id)).not.toContain(id);
  });
});

describe('PUT /identities/:id/linkedin/rate-limits', () => {
  const put = (id: string, body: object) => request(harness.app).put(`/identities/${id}/linkedin/rate-limits`).set(auth()).send(body);

  it('accepts recommended values without warnings and shows total scraping capacity = pool + own', async () => {
    const id = await newIdentity({ salesNavigatorEnabled: true });
    const response = await put(id, { dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 150 });
    expect(response.status).toBe(200);
    expect(response.body.warnings).toEqual([]);
    expect(response.body.totalDailyScrapingCapacity).toBe(450);
    expect(response.body.linkedin.rateLimits).toEqual({ dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 150, raisedUntil: null });
    const status = await request(harness.app).get(`/identities/${id}/status`).set(auth());
    expect(status.body.budgetsToday.scrapings.limit).toBe(450);
  });

  it('accepts a raise above recommended with a warning about the restriction risk', async () => {
    const id = await newIdentity();
    const response = await put(id, { dailyConnectionRequests: 30, dailyMessages: 120 });
    expect(response.status).toBe(200);
    expect(response.body.warnings.map((warning: { field: string }) => warning.field)).toEqual(['dailyConnectionRequests', 'dailyMessages']);
    expect(response.body.warnings[0].message).toMatch(/recommended 20/);
  });

  it.each([
    ['connection requests above the hard ceiling', { dailyConnectionRequests: 101, dailyMessages: 100 }, 'dailyConnectionRequests'],
    ['messages above the hard ceiling', { dailyConnectionRequests: 20, dailyMessages: 251 }, 'dailyMessages'],
    ['a fractional limit', { dailyConnectionRequests: 20.5, dailyMessages: 100 }, 'dailyConnectionRequests'],
    ['a negative limit', { dailyConnectionRequests: -1, dailyMessages: 100 }, 'dailyConnectionRequests'],
    ['a missing limit', { dailyConnectionRequests: 20 }, 'dailyMessages'],
    ['scrapings without Sales Navigator', { dailyConnectionRequests: 20, dailyMessages: 100, dailyScrapings: 10 }, 'dailyScrapings'],
    ['raisedUntil in the past', { dailyConnectionRequests: 30, dailyMessages: 100, raisedUntil: '2020-01-01T00:00:00Z' }, 'raisedUntil'],
    ['raisedUntil that is not an instant', { dailyConnectionRequests: 30, dailyMessages: 100, raisedUntil: 'next week' }, 'raisedUntil'],
    ['an unknown field', { dailyConnectionRequests: 20, dailyMessages: 100, weeklyInvites: 100 }, 'weeklyInvites'],
  ])('answers 422 for %s and changes nothing', async (_case, body, field) => {
    const id = await newIdentity();
    const before = await stored(id);
    const response = await put(id, body);
    expect(response.status).toBe(422);
    expect(fields(response)).toContain(field);
    expect(await stored(id)).toEqual(before);
  });
});

describe('PUT /identities/:id/linkedin/withdrawals', () => {
  it('stores the switch and threshold, and the workflow reports them', async () => {
    const id = await newIdentity();
    const response = await request(harness.app).put(`/identities/${id}/linkedin/withdrawals`).set(auth()).send({ autoWithdraw: false, thresholdDays: 7 });
    expect(response.status).toBe(200);
    expect(response.body.linkedin.withdrawals).toEqual({ autoWithdraw: false, thresholdDays: 7 });
    const status = await request(harness.app).get(`/identities/${id}/status`).set(auth());
    expect(status.body.autoWithdraw).toEqual({ enabled: false, afterDays: 7 });
  });

  it.each([
    ['a threshold of 0 days', { autoWithdraw: true, thresholdDays: 0 }, 'thresholdDays'],
    ['a threshold over 180 days', { autoWithdraw: true, thresholdDays: 181 }, 'thresholdDays'],
    ['a missing switch', { thresholdDays: 7 }, 'autoWithdraw'],
    ['a string switch', { autoWithdraw: 'yes', thresholdDays: 7 }, 'autoWithdraw'],
  ])('answers 422 for %s', async (_case, body, field) => {
    const id = await newIdentity();
    const response = await request(harness.app).put(`/identities/${id}/linkedin/withdrawals`).set(auth()).send(body);
    expect(response.status).toBe(422);
    expect(fields(response)).toContain(field);
  });
});

describe('PUT /identities/:id/likings-opt-out', () => {
  it('turns likes off in the workflow at once', async () => {
    const id = await newIdentity();
    expect((await request(harness.app).put(`/identities/${id}/likings-opt-out`).set(auth()).send({ optOut: true })).status).toBe(200);
    const status = await request(harness.app).get(`/identities/${id}/status`).set(auth());
    expect(status.body.budgetsToday.likes).toMatchObject({ enabled: false, limit: 0, left: 0 });
  });

  it('answers 422 for a non-boolean', async () => {
    const id = await newIdentity();
    const response = await request(harness.app).put(`/identities/${id}/likings-opt-out`).set(auth()).send({ optOut: 'true' });
    expect(response.status).toBe(422);
    expect(fields(response)).toEqual(['optOut']);
  });
});

describe('PUT /identities/:id/signature', () => {
  it('stores and returns the sanitised HTML, keeping formatting, links and images', async () => {
    const id = await newIdentity();
    const html =
      '<p><strong>Ada</strong> <a href="https://example.com" onclick="steal()">site</a><img src="https://example.com/logo.png" onerror="x()"></p><script>alert(1)</script><a href="javascript:alert(1)">x</a>';
    const response = await request(harness.app).put(`/identities/${id}/signature`).set(auth()).send({ mode: 'html', html });
    expect(response.status).toBe(200);
    const saved: string = response.body.signature.html;
    expect(saved).toContain('<strong>Ada</strong>');
    expect(saved).toContain('href="https://example.com"');
    expect(saved).toContain('src="https://example.com/logo.png"');
    for (const forbidden of ['<script', 'onclick', 'onerror', 'javascript:']) expect(saved.toLowerCase()).not.toContain(forbidden);
    expect((await stored(id)).signatureHtml).toBe(saved);
  });

  it.each([
    ['an unknown mode', { mode: 'markdown', html: 'x' }, 'mode'],
    ['a signature over 10,000 characters', { mode: 'html', html: 'x'.repeat(10_001) }, 'html'],
    ['a missing html', { mode: 'html' }, 'html'],
  ])('answers 422 for %s', async (_case, body, field) => {
    const id = await newIdentity();
    const response = await request(harness.app).put(`/identities/${id}/signature`).set(auth()).send(body);
    expect(response.status).toBe(422);
    expect(fields(response)).toContain(field);
  });
});

describe('GET /identities/:id/status', () => {
  it('reports the window, today’s budgets per kind, likes and withdrawals, live from the workflow', async () => {
    const id = await newIdentity();
    const response = await request(harness.app).get(`/identities/${id}/status`).set(auth());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      budgetsToday: {
        connectionRequests: { limit: 20, used: 0, left: 20 },
        messages: { limit: 100, used: 0, left: 100 },
        scrapings: { limit: 300, used: 0, left: 300 },
        likes: { enabled: true },
      },
      // Automatic withdrawal is off until the user enables it (SPEC §2).
      autoWithdraw: { enabled: false, afterDays: 14 },
      raisedLimitsFallBackAt: null,
      configVersion: 1,
    });
    expect(response.body.nextWindowStart.local).toMatch(/T09:00:00\+0[12]:00$/);
  });
});
