import request from 'supertest';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const steps = [
  { kind: 'linkedin-connection-request', delayMinutes: 0, note: 'Hi {{firstName}}' },
  { kind: 'linkedin-message', delayMinutes: 1440, text: 'Thanks for connecting, {{firstName}}!' },
];
const UNKNOWN_ID = '6b0f5a3e-0000-4000-8000-000000000000';

let harness: ApiHarness;
let keyA: string;
let keyB: string;
let workspaceA: string;
let identityA: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey: keyA, workspaceId: workspaceA } = await createWorkspaceWithKey(harness.db, 'campaigns-a'));
  ({ apiKey: keyB } = await createWorkspaceWithKey(harness.db, 'campaigns-b'));
  identityA = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'L', workingHours: hours })).body.id;
}, 120_000);

afterAll(() => harness?.stop());

function auth(key?: string) {
  return { Authorization: `Bearer ${key ?? keyA}` };
}

async function newCampaign(body: object = {}) {
  return request(harness.app).post('/campaigns').set(auth()).send({ identityId: identityA, name: 'Q4 outreach', steps, ...body });
}

function fields(response: request.Response): string[] {
  return (response.body.errors ?? []).map((problem: { field: string }) => problem.field);
}

/** Workspace A's campaigns and leads, complete, to compare before and after a refused request. */
async function workspaceAState() {
  const where = { workspaceId: workspaceA };
  return {
    campaigns: await harness.db.campaign.findMany({ where, orderBy: { id: 'asc' } }),
    leads: await harness.db.lead.findMany({ where, orderBy: { id: 'asc' } }),
  };
}

const campaignRoutes: [string, (id: string) => request.Test][] = [
  ['GET /campaigns/:id', (id) => request(harness.app).get(`/campaigns/${id}`)],
  ['POST /campaigns/:id/start', (id) => request(harness.app).post(`/campaigns/${id}/start`)],
  ['POST /campaigns/:id/pause', (id) => request(harness.app).post(`/campaigns/${id}/pause`)],
  ['POST /campaigns/:id/resume', (id) => request(harness.app).post(`/campaigns/${id}/resume`)],
  ['POST /campaigns/:id/leads', (id) => request(harness.app).post(`/campaigns/${id}/leads`).send({ leads: [{ linkedinUrl: 'https://www.linkedin.com/in/x' }] })],
  ['GET /campaigns/:id/leads', (id) => request(harness.app).get(`/campaigns/${id}/leads`)],
];

describe.each(campaignRoutes)('%s', (_route, call) => {
  it('answers 401 without a key', async () => {
    expect((await call(UNKNOWN_ID)).status).toBe(401);
  });

  it('answers 404 for an unknown id and for another workspace’s campaign, changing nothing', async () => {
    const campaign = (await newCampaign()).body;
    const before = await workspaceAState();
    expect((await call(UNKNOWN_ID).set(auth())).status).toBe(404);
    expect((await call(campaign.id).set(auth(keyB))).status).toBe(404);
    expect(await workspaceAState()).toEqual(before);
  });
});

describe('POST /campaigns', () => {
  it('creates a draft with its steps', async () => {
    const response = await newCampaign();
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ identityId: identityA, status: 'draft', emailInbox: 'SHUFFLE', steps });
  });

  it.each([
    ['an unknown identity', { identityId: UNKNOWN_ID }, 'identityId'],
    ['no step', { steps: [] }, 'steps'],
    ['an unknown step kind', { steps: [{ kind: 'fax', delayMinutes: 0 }] }, 'steps.0.kind'],
    ['a negative delay', { steps: [{ kind: 'linkedin-like', delayMinutes: -5 }] }, 'steps.0.delayMinutes'],
    ['a note over 300 characters', { steps: [{ kind: 'linkedin-connection-request', delayMinutes: 0, note: 'x'.repeat(301) }] }, 'steps.0.note'],
    ['an email step without any inbox', { steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hi', body: 'Hello' }] }, 'steps.0'],
    ['an unknown fixed inbox', { emailInbox: UNKNOWN_ID }, 'emailInbox'],
    ['an unknown field', { schedule: 'daily' }, 'schedule'],
  ])('answers 422 for %s and creates nothing', async (_case, change, field) => {
    const before = await workspaceAState();
    const response = await newCampaign(change);
    expect(response.status).toBe(422);
    expect(fields(response)).toContain(field);
    expect(await workspaceAState()).toEqual(before);
  });

  it('does not accept another workspace’s identity', async () => {
    const otherIdentity = (await request(harness.app).post('/identities').set(auth(keyB)).send({ firstName: 'B', lastName: 'B', workingHours: hours })).body.id;
    const response = await newCampaign({ identityId: otherIdentity });
    expect(response.status).toBe(422);
    expect(fields(response)).toEqual(['identityId']);
  });
});

describe('campaign life cycle', () => {
  it('goes draft → active ⇄ paused, idempotently, and refuses the wrong transitions with 409', async () => {
    const { id } = (await newCampaign()).body;
    const post = (action: string) => request(harness.app).post(`/campaigns/${id}/${action}`).set(auth());
    expect((await post('pause')).status).toBe(409);
    expect((await post('resume')).status).toBe(409);
    expect((await post('start')).body.status).toBe('active');
    expect((await post('start')).body.status).toBe('active');
    expect((await post('pause')).body.status).toBe('paused');
    expect((await post('pause')).body.status).toBe('paused');
    expect((await post('start')).status).toBe(409);
    expect((await post('resume')).body.status).toBe('active');
    await post('pause');
    const status = await request(harness.app).get(`/identities/${identityA}/status`).set(auth());
    expect(status.body.pausedCampaigns).toContainEqual({ id, name: 'Q4 outreach', reason: 'paused by hand' });
    await post('resume');
    const actions = (await harness.db.auditEntry.findMany({ where: { entityId: id }, orderBy: { createdAt: 'asc' } })).map((entry) => entry.action);
    expect(actions).toEqual(['campaign.created', 'campaign.start', 'campaign.pause', 'campaign.resume', 'campaign.pause', 'campaign.resume']);
  });
});

describe('POST /campaigns/:id/leads', () => {
  it('keeps good rows, reports duplicates and bad rows one by one', async () => {
    const { id } = (await newCampaign()).body;
    const response = await request(harness.app)
      .post(`/campaigns/${id}/leads`)
      .set(auth())
      .send({
        leads: [
          { firstName: 'Grace', linkedinUrl: 'https://www.linkedin.com/in/grace-hopper/' },
          { firstName: 'Grace again', linkedinUrl: 'http://fr.linkedin.com/in/Grace-Hopper?trk=x' },
          { firstName: 'No URL' },
          { firstName: 'Bad URL', linkedinUrl: 'https://example.com/grace' },
          { firstName: 'Alan', linkedinUrl: 'https://linkedin.com/in/alan-turing', email: 'ALAN@example.com' },
          'not an object',
          { firstName: 'Extra', linkedinUrl: 'https://linkedin.com/in/extra', phone: '123' },
        ],
      });
    expect(response.status).toBe(200);
    expect(response.body.created).toBe(2);
    expect(response.body.duplicates).toEqual([{ index: 1, reason: 'same linkedin as an earlier row' }]);
    expect(response.body.rejected.map((row: { index: number }) => row.index)).toEqual([2, 3, 5, 6]);
    expect(response.body.rejected[0].errors[0].field).toBe('linkedinUrl');

    const again = await request(harness.app).post(`/campaigns/${id}/leads`).set(auth()).send({ leads: [{ linkedinUrl: 'https://www.linkedin.com/in/alan-turing' }] });
    expect(again.body).toMatchObject({ created: 0, duplicates: [{ index: 0, reason: 'already in the campaign (same linkedin)' }] });
    const stored = await harness.db.lead.findMany({ where: { campaignId: id }, orderBy: { createdAt: 'asc' } });
    expect(stored.map((lead) => [lead.linkedinUrl, lead.email])).toEqual([
      ['https://www.linkedin.com/in/grace-hopper', null],
      ['https://www.linkedin.com/in/alan-turing', 'alan@example.com'],
    ]);
  });

  it('lists leads with their step and why they wait', async () => {
    const { id } = (await newCampaign()).body;
    await request(harness.app).post(`/campaigns/${id}/leads`).set(auth()).send({ leads: [{ firstName: 'Ada', linkedinUrl: 'https://linkedin.com/in/ada' }] });
    const draft = (await request(harness.app).get(`/campaigns/${id}/leads`).set(auth())).body.items[0];
    expect(draft).toMatchObject({ state: 'waiting', step: { index: 0, kind: 'linkedin-connection-request' }, stepsDone: 0, waitingReason: 'campaign draft' });
    await request(harness.app).post(`/campaigns/${id}/start`).set(auth());
    const active = (await request(harness.app).get(`/campaigns/${id}/leads`).set(auth())).body.items[0];
    expect(['outside working hours', 'queued: actions are spread across the working day']).toContain(active.waitingReason);
    expect(Date.parse(active.nextActionAt)).not.toBeNaN();
  });

  it('refuses an empty or oversized batch with 422', async () => {
    const { id } = (await newCampaign()).body;
    expect((await request(harness.app).post(`/campaigns/${id}/leads`).set(auth()).send({ leads: [] })).status).toBe(422);
    const tooMany = Array.from({ length: 1001 }, (_, index) => ({ linkedinUrl: `https://linkedin.com/in/p${index}` }));
    expect((await request(harness.app).post(`/campaigns/${id}/leads`).set(auth()).send({ leads: tooMany })).status).toBe(422);
  });
});

test('listing campaigns never shows another workspace’s', async () => {
  await newCampaign({ name: 'mine' });
  const listed = await request(harness.app).get('/campaigns').query({ limit: 100 }).set(auth(keyB));
  expect(listed.status).toBe(200);
  expect(listed.body.items.filter((campaign: { identityId: string }) => campaign.identityId === identityA)).toEqual([]);
});
