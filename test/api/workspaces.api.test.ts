import request from 'supertest';
import { generateApiKey } from '../../api/auth';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const OPERATOR_KEY = generateApiKey();
const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

let harness: ApiHarness;
let runTag: string;

beforeAll(async () => {
  harness = await startApiHarness({ operatorApiKey: OPERATOR_KEY });
  runTag = Math.random().toString(36).slice(2, 8);
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key: string) => ({ Authorization: `Bearer ${key}` });
const operator = auth(OPERATOR_KEY);

async function createWorkspace(slug: string, extra: object = {}) {
  return request(harness.app).post('/admin/workspaces').set(operator).send({ slug: `${slug}-${runTag}`, name: slug, ...extra });
}

async function createKey(workspaceId: string, name = 'backend') {
  return request(harness.app).post(`/admin/workspaces/${workspaceId}/api-keys`).set(operator).send({ name });
}

describe('operator routes', () => {
  it('are refused without the operator key, and a workspace key is not an operator key', async () => {
    const { apiKey } = await createWorkspaceWithKey(harness.db, 'plain');
    expect((await request(harness.app).get('/admin/workspaces')).status).toBe(401);
    expect((await request(harness.app).get('/admin/workspaces').set(auth(apiKey))).status).toBe(401);
    expect((await request(harness.app).get('/admin/workspaces').set(auth(`${OPERATOR_KEY}x`))).status).toBe(401);
  });

  it('answer 503 naming OPERATOR_API_KEY when no operator key is configured', async () => {
    const unconfigured = await startApiHarness();
    try {
      const response = await request(unconfigured.app).get('/admin/workspaces').set(operator);
      expect(response.status).toBe(503);
      expect(response.body.detail).toContain('OPERATOR_API_KEY');
    } finally {
      await unconfigured.stop();
    }
  });

  it('create a workspace with its LinkedIn scraping pool, refuse a taken slug and a bad one', async () => {
    const created = await createWorkspace('acme', { linkedinScrapingPoolPerDay: 500 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ slug: `acme-${runTag}`, linkedinScrapingPoolPerDay: 500 });

    expect((await createWorkspace('acme')).status).toBe(409);
    const bad = await request(harness.app).post('/admin/workspaces').set(operator).send({ slug: 'Not A Slug', name: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors[0].field).toBe('slug');
  });

  it('change the pool allocation, which the workspace’s callers then see, with an audit entry', async () => {
    const workspace = (await createWorkspace('pool')).body;
    const key = (await createKey(workspace.id)).body.key;
    const patched = await request(harness.app).patch(`/admin/workspaces/${workspace.id}`).set(operator).send({ linkedinScrapingPoolPerDay: 250 });
    expect(patched.status).toBe(200);

    const seen = await request(harness.app).get('/workspace').set(auth(key));
    expect(seen.body).toMatchObject({ id: workspace.id, linkedinScrapingPoolPerDay: 250 });
    const audit = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: workspace.id, action: 'workspace.updated' } });
    expect(audit.before).toMatchObject({ linkedinScrapingPoolPerDay: 0 });
    expect(audit.after).toMatchObject({ linkedinScrapingPoolPerDay: 250 });
  });
});

describe('API keys', () => {
  it('are shown once, stored only as hashes, never listed or logged in clear, and record their last use', async () => {
    const workspace = (await createWorkspace('keys')).body;
    const created = await createKey(workspace.id, 'crm sync');
    expect(created.status).toBe(201);
    const { key, id } = created.body;
    expect(key).toMatch(/^pacer_[A-Za-z0-9_-]{43}$/);

    const used = await request(harness.app).get('/workspace').set(auth(key));
    expect(used.status).toBe(200);

    const listed = await request(harness.app).get(`/admin/workspaces/${workspace.id}/api-keys`).set(operator);
    expect(listed.body.items).toEqual([expect.objectContaining({ id, name: 'crm sync', revokedAt: null })]);
    expect(listed.body.items[0].lastUsedAt).not.toBeNull();
    expect(JSON.stringify(listed.body)).not.toContain(key);

    const stored = await harness.db.apiKey.findUniqueOrThrow({ where: { id } });
    expect(JSON.stringify(stored)).not.toContain(key);
    const auditTexts = (await harness.db.auditEntry.findMany({ where: { workspaceId: workspace.id } })).map((entry) => JSON.stringify(entry));
    expect(auditTexts.join('\n')).not.toContain(key);
    expect(harness.logLines.join('\n')).not.toContain(key);
    expect(harness.logLines.join('\n')).not.toContain(OPERATOR_KEY);
  });

  it('stop working at once when revoked; revoking twice is harmless', async () => {
    const workspace = (await createWorkspace('revoke')).body;
    const { key, id } = (await createKey(workspace.id)).body;
    expect((await request(harness.app).get('/workspace').set(auth(key))).status).toBe(200);

    const revoked = await request(harness.app).delete(`/admin/workspaces/${workspace.id}/api-keys/${id}`).set(operator);
    expect(revoked.status).toBe(204);
    expect((await request(harness.app).get('/workspace').set(auth(key))).status).toBe(401);
    expect((await request(harness.app).delete(`/admin/workspaces/${workspace.id}/api-keys/${id}`).set(operator)).status).toBe(204);
    const actions = (await harness.db.auditEntry.findMany({ where: { entityId: id }, orderBy: { createdAt: 'asc' } })).map((entry) => entry.action);
    expect(actions).toEqual(['api-key.created', 'api-key.revoked']);
  });

  it('cannot be revoked through another workspace', async () => {
    const owner = (await createWorkspace('owner')).body;
    const other = (await createWorkspace('other')).body;
    const { key, id } = (await createKey(owner.id)).body;
    expect((await request(harness.app).delete(`/admin/workspaces/${other.id}/api-keys/${id}`).set(operator)).status).toBe(404);
    expect((await request(harness.app).get('/workspace').set(auth(key))).status).toBe(200);
  });

  it('record which key made each change in the audit log', async () => {
    const workspace = (await createWorkspace('audit')).body;
    const { key, id } = (await createKey(workspace.id)).body;
    const identity = await request(harness.app)
      .post('/identities')
      .set(auth(key))
      .send({ firstName: 'Grace', lastName: 'Hopper', workingHours: hours });
    const entry = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: identity.body.id } });
    expect(entry.apiKeyId).toBe(id);
  });
});

describe('workspace isolation', () => {
  let keyA: string;
  let keyB: string;
  let workspaceA: string;
  let identityOfA: string;

  beforeAll(async () => {
    const a = await createWorkspaceWithKey(harness.db, 'iso-a');
    const b = await createWorkspaceWithKey(harness.db, 'iso-b');
    [keyA, keyB, workspaceA] = [a.apiKey, b.apiKey, a.workspaceId];
    for (const firstName of ['A1', 'A2', 'A3']) {
      const response = await request(harness.app).post('/identities').set(auth(keyA)).send({ firstName, lastName: 'A', workingHours: hours });
      identityOfA ??= response.body.id;
    }
    for (const firstName of ['B1', 'B2']) {
      await request(harness.app).post('/identities').set(auth(keyB)).send({ firstName, lastName: 'B', workingHours: hours });
    }
  });

  /** Workspace A's rows, complete, to compare before and after a refused request. */
  async function workspaceAState() {
    const where = { workspaceId: workspaceA };
    return {
      identities: await harness.db.identity.findMany({ where, orderBy: { id: 'asc' } }),
      audit: await harness.db.auditEntry.findMany({ where, orderBy: { id: 'asc' } }),
    };
  }

  const routesOnAnIdentity: [string, (id: string) => request.Test][] = [
    ['GET /identities/:id', (id) => request(harness.app).get(`/identities/${id}`)],
    ['PUT /identities/:id/working-hours', (id) => request(harness.app).put(`/identities/${id}/working-hours`).send({ ...hours, start: '07:00' })],
  ];

  it.each(routesOnAnIdentity)('%s with workspace B’s key answers 404 like an unknown id and changes nothing', async (_route, call) => {
    const before = await workspaceAState();
    const foreign = await call(identityOfA).set(auth(keyB));
    const unknown = await call('6b0f5a3e-0000-4000-8000-000000000000').set(auth(keyB));

    expect(foreign.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect({ ...foreign.body, detail: undefined, instance: undefined }).toEqual({ ...unknown.body, detail: undefined, instance: undefined });
    expect(await workspaceAState()).toEqual(before);
  });

  it('listing pages through exactly the caller’s identities', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: request.Response = await request(harness.app)
        .get('/identities')
        .query({ limit: 2, ...(cursor ? { cursor } : {}) })
        .set(auth(keyA));
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((identity: { firstName: string }) => identity.firstName));
      cursor = response.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['A1', 'A2', 'A3']);
  });

  it('refuses a forged cursor and an out-of-range limit with 422', async () => {
    expect((await request(harness.app).get('/identities').query({ cursor: 'forged' }).set(auth(keyA))).status).toBe(422);
    const tooMany = await request(harness.app).get('/identities').query({ limit: 1000 }).set(auth(keyA));
    expect(tooMany.status).toBe(422);
    expect(tooMany.body.errors[0].field).toBe('limit');
  });
});
