import request from 'supertest';
import { identityWorkflowId } from '../../workflows/identity-contract';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const validIdentity = {
  firstName: 'Ada',
  lastName: 'Lovelace',
  jobTitle: 'Head of Sales',
  email: 'ada@example.com',
  linkedinUrl: 'https://www.linkedin.com/in/ada',
  workingHours: { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' },
};

let harness: ApiHarness;
let workspaceA: { workspaceId: string; apiKey: string };
let workspaceB: { workspaceId: string; apiKey: string };

beforeAll(async () => {
  harness = await startApiHarness();
  workspaceA = await createWorkspaceWithKey(harness.db, 'a');
  workspaceB = await createWorkspaceWithKey(harness.db, 'b');
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });

async function createIdentity(key = workspaceA.apiKey, body: object = validIdentity) {
  return request(harness.app).post('/identities').set(auth(key)).send(body);
}

/** Everything a failed request must leave untouched (workspace A's rows: other test files write too). */
async function recordCounts() {
  const where = { workspaceId: workspaceA.workspaceId };
  const [identities, auditEntries] = await Promise.all([harness.db.identity.count({ where }), harness.db.auditEntry.count({ where })]);
  return { identities, auditEntries };
}

describe('authentication', () => {
  it('refuses a request without a key, with a problem+json body', async () => {
    const response = await request(harness.app).get('/identities/00000000-0000-0000-0000-000000000000');
    expect(response.status).toBe(401);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 401, type: 'urn:pacer:problem:unauthorized' });
  });

  it('refuses an unknown key and a revoked key', async () => {
    expect((await createIdentity('pacer_not-a-real-key')).status).toBe(401);
    const revoked = await createWorkspaceWithKey(harness.db, 'revoked');
    await harness.db.apiKey.updateMany({ where: { workspaceId: revoked.workspaceId }, data: { revokedAt: new Date() } });
    expect((await createIdentity(revoked.apiKey)).status).toBe(401);
  });
});

describe('POST /identities', () => {
  it('stores the identity, audits it and starts workflow identity/<id>', async () => {
    const response = await createIdentity();

    expect(response.status).toBe(201);
    expect(response.headers.location).toBe(`/identities/${response.body.id}`);
    expect(response.body).toMatchObject({ firstName: 'Ada', version: 1, workingHours: validIdentity.workingHours });
    const stored = await harness.db.identity.findUniqueOrThrow({ where: { id: response.body.id } });
    expect(stored.workspaceId).toBe(workspaceA.workspaceId);
    const audit = await harness.db.auditEntry.findMany({ where: { entityId: response.body.id } });
    expect(audit.map((entry) => entry.action)).toEqual(['identity.created']);
    const description = await harness.client.workflow.getHandle(identityWorkflowId(response.body.id)).describe();
    expect(description.status.name).toBe('RUNNING');
    expect(description.typedSearchAttributes.getAll().map((pair) => [pair.key.name, pair.value])).toEqual(
      expect.arrayContaining([
        ['PacerIdentityId', response.body.id],
        ['PacerWorkspaceId', workspaceA.workspaceId],
      ]),
    );
  });

  it('stores the canonical spelling of the time zone', async () => {
    const response = await createIdentity(workspaceA.apiKey, {
      ...validIdentity,
      workingHours: { ...validIdentity.workingHours, timeZone: 'europe/paris' },
    });
    expect(response.status).toBe(201);
    expect(response.body.workingHours.timeZone).toBe('Europe/Paris');
  });

  it.each([
    ['an unknown time zone', { workingHours: { ...validIdentity.workingHours, timeZone: 'Mars/Olympus' } }, 'workingHours.timeZone'],
    ['end before start', { workingHours: { ...validIdentity.workingHours, start: '18:00', end: '09:00' } }, 'workingHours.end'],
    ['an unknown day', { workingHours: { ...validIdentity.workingHours, days: ['MON', 'FUNDAY'] } }, 'workingHours.days.1'],
    ['no day', { workingHours: { ...validIdentity.workingHours, days: [] } }, 'workingHours.days'],
    ['a malformed time', { workingHours: { ...validIdentity.workingHours, start: '9am' } }, 'workingHours.start'],
    ['an unknown field', { nickname: 'Ada' }, 'nickname'],
    ['an unknown working-hours field', { workingHours: { ...validIdentity.workingHours, lunch: '12:00' } }, 'workingHours.lunch'],
    ['a missing first name', { firstName: undefined }, 'firstName'],
    ['an invalid email', { email: 'not-an-email' }, 'email'],
    ['a javascript: URL', { linkedinUrl: 'javascript:alert(1)' }, 'linkedinUrl'],
  ])('answers 422 naming the field for %s, and writes nothing', async (_case, change, field) => {
    const before = await recordCounts();
    const response = await createIdentity(workspaceA.apiKey, { ...validIdentity, ...change });

    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body.errors.map((problem: { field: string }) => problem.field)).toContain(field);
    expect(await recordCounts()).toEqual(before);
  });

  it('answers 400 for malformed JSON, 415 for another content type and 413 for a huge body', async () => {
    const before = await recordCounts();
    const malformed = await request(harness.app).post('/identities').set(auth(workspaceA.apiKey)).set('content-type', 'application/json').send('{"firstName":');
    expect(malformed.status).toBe(400);
    const text = await request(harness.app).post('/identities').set(auth(workspaceA.apiKey)).set('content-type', 'text/plain').send('Ada');
    expect(text.status).toBe(415);
    const huge = await createIdentity(workspaceA.apiKey, { ...validIdentity, jobTitle: 'x'.repeat(200_000) });
    expect(huge.status).toBe(413);
    for (const response of [malformed, text, huge]) expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await recordCounts()).toEqual(before);
  });

  it('commits first: when the workflow cannot be started, the identity is kept, the answer says so, and the next read starts it', async () => {
    const response = await request(harness.appWithNamespace('no-such-namespace')).post('/identities').set(auth(workspaceA.apiKey)).send(validIdentity);

    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ workflowNotified: false, workflowNotice: expect.stringContaining('could not be told') });
    const id = response.body.id as string;
    expect(await harness.db.identity.count({ where: { id } })).toBe(1);
    expect(await harness.identityWorkflows.status(id)).toBeNull();

    // Temporal reachable again (the right namespace): reading the identity starts its workflow from the record.
    const read = await request(harness.app).get(`/identities/${id}`).set(auth(workspaceA.apiKey));
    expect(read.status).toBe(200);
    expect(await harness.identityWorkflows.status(id)).toMatchObject({ identityId: id, configVersion: 1 });
  });

  it('a normal create says the workflow was told', async () => {
    const response = await createIdentity();
    expect(response.status).toBe(201);
    expect(response.body.workflowNotified).toBe(true);
    expect(response.body.workflowNotice).toBeUndefined();
  });
});

describe('GET /identities/:id', () => {
  it('returns the record with the live workflow status in the identity zone and in UTC', async () => {
    const created = await createIdentity();
    const response = await request(harness.app).get(`/identities/${created.body.id}`).set(auth(workspaceA.apiKey));

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: created.body.id, lastName: 'Lovelace' });
    const { status } = response.body;
    expect(typeof status.inWindow).toBe('boolean');
    expect(status.activity).toBe(status.inWindow ? 'in-window' : 'waiting-for-window');
    expect(status.nextWindowStart.local).toMatch(/T09:00:00\+0[12]:00$/);
    expect(Date.parse(status.nextWindowStart.utc)).toBe(Date.parse(status.nextWindowStart.local));
    expect(Date.parse(status.nextWindowStart.utc)).toBeGreaterThan(Date.now());
  });

  it('answers 404 alike for an unknown id, a malformed id and another workspace’s identity', async () => {
    const created = await createIdentity(workspaceA.apiKey);
    const unknown = await request(harness.app).get('/identities/6b0f5a3e-0000-4000-8000-000000000000').set(auth(workspaceA.apiKey));
    const malformed = await request(harness.app).get('/identities/not-a-uuid').set(auth(workspaceA.apiKey));
    const foreign = await request(harness.app).get(`/identities/${created.body.id}`).set(auth(workspaceB.apiKey));

    for (const response of [unknown, malformed, foreign]) {
      expect(response.status).toBe(404);
      expect(response.body.title).toBe('Not found');
    }
    expect(foreign.body.detail).toBe(`No identity ${created.body.id}`);
  });
});

describe('PUT /identities/:id/working-hours', () => {
  const weekendHours = { timeZone: 'America/New_York', days: ['SAT', 'SUN'], start: '10:00', end: '16:30' };

  it('stores the new hours, audits old and new, and the running workflow reports them', async () => {
    const created = await createIdentity();
    const response = await request(harness.app).put(`/identities/${created.body.id}/working-hours`).set(auth(workspaceA.apiKey)).send(weekendHours);

    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ version: 2, workingHours: weekendHours });
    const audit = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: created.body.id, action: 'identity.working-hours.updated' } });
    expect(audit.before).toEqual(validIdentity.workingHours);
    expect(audit.after).toEqual(weekendHours);

    const status = (await request(harness.app).get(`/identities/${created.body.id}`).set(auth(workspaceA.apiKey))).body.status;
    expect(status.configVersion).toBe(2);
    expect(status.nextWindowStart.local).toMatch(/T10:00:00-0[45]:00$/);
    const weekday = new Date(status.nextWindowStart.utc).getUTCDay();
    expect([6, 0]).toContain(weekday);
  });

  it('a workflow an operator terminated is started again by the change, with it', async () => {
    const created = await createIdentity();
    const handle = harness.client.workflow.getHandle(identityWorkflowId(created.body.id));
    await handle.terminate('operator test');
    const response = await request(harness.app).put(`/identities/${created.body.id}/working-hours`).set(auth(workspaceA.apiKey)).send(weekendHours);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ version: 2, workflowNotified: true });
    expect((await handle.describe()).status.name).toBe('RUNNING');
    const status = (await request(harness.app).get(`/identities/${created.body.id}`).set(auth(workspaceA.apiKey))).body.status;
    expect(status.configVersion).toBe(2);
  });

  it('refuses invalid hours with 422 and changes nothing', async () => {
    const created = await createIdentity();
    const before = await recordCounts();
    const response = await request(harness.app)
      .put(`/identities/${created.body.id}/working-hours`)
      .set(auth(workspaceA.apiKey))
      .send({ ...weekendHours, end: '09:00' });

    expect(response.status).toBe(422);
    expect(response.body.errors).toEqual([expect.objectContaining({ field: 'end' })]);
    expect(await recordCounts()).toEqual(before);
    const stored = await harness.db.identity.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(stored.version).toBe(1);
  });

  it('answers 404 for another workspace’s identity and leaves it unchanged', async () => {
    const created = await createIdentity(workspaceA.apiKey);
    const response = await request(harness.app).put(`/identities/${created.body.id}/working-hours`).set(auth(workspaceB.apiKey)).send(weekendHours);

    expect(response.status).toBe(404);
    const stored = await harness.db.identity.findUniqueOrThrow({ where: { id: created.body.id } });
    expect(stored.timeZone).toBe('Europe/Paris');
  });
});

test('an unknown route is a problem+json 404', async () => {
  const response = await request(harness.app).get('/nowhere').set(auth(workspaceA.apiKey));
  expect(response.status).toBe(404);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
});
