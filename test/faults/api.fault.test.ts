/**
 * Faults at the API's edge (the real API, PostgreSQL and Temporal dev server with a real worker):
 * a signal the database never committed, and text PostgreSQL cannot store.
 */
import request from 'supertest';
import { identityConfigOf } from '../../domain/identity-config';
import { identityConfigChanged, identityWorkflowId } from '../../workflows/identity-contract';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

let harness: ApiHarness;
let apiKey: string;
let workspaceId: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey, workspaceId } = await createWorkspaceWithKey(harness.db, 'api-faults'));
});
afterAll(() => harness?.stop());

const auth = () => ({ Authorization: `Bearer ${apiKey}` });
const workingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

async function statusOf(id: string) {
  return harness.identityWorkflows.status(id);
}

/** Polls the live status (real time, dev server) until `done` holds; returns the last one. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    value = await read();
  }
  return value;
}

test('a signal whose transaction never committed: the next committed change, although it carries the same version, makes the workflow hold exactly what the database holds', async () => {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Converge', workingHours });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const stored = await harness.db.identity.findUniqueOrThrow({ where: { id } });

  // What an aborted transaction would have told the workflow: version 2, likes off, values past the hard ceiling.
  const uncommitted = { ...identityConfigOf(stored), version: 2, likingsOptOut: true, linkedinLimits: { dailyConnectionRequests: 5_000, dailyMessages: 100, dailyScrapings: 0, raisedUntil: null } };
  await harness.client.workflow.getHandle(identityWorkflowId(id)).signal(identityConfigChanged, uncommitted);
  const diverged = await eventually(() => statusOf(id), (status) => status?.configVersion === 2);
  expect(diverged).toMatchObject({ configVersion: 2, likesEnabled: false, pacing: { connectionRequest: { limit: 100 } } });

  // The next committed change carries version 2 too, with other values: it is not dropped. The
  // workflow sees a version it already has, reads the record, and holds what was committed.
  const changed = await request(harness.app).put(`/identities/${id}/working-hours`).set(auth()).send({ ...workingHours, start: '08:00' });
  expect(changed.status).toBe(200);
  expect(changed.body).toMatchObject({ version: 2, workflowNotified: true });
  const converged = await eventually(() => statusOf(id), (status) => status?.workingHours.start === '08:00');
  expect(converged).toMatchObject({ configVersion: 2, likesEnabled: true, workingHours: { start: '08:00' }, pacing: { connectionRequest: { limit: 20 } } });
});

test('a forged signal cannot push limits past the hard ceilings, even before the workflow re-reads the record', async () => {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Forged', workingHours });
  const id = created.body.id as string;
  const stored = await harness.db.identity.findUniqueOrThrow({ where: { id } });
  await harness.db.identity.update({ where: { id }, data: { version: 50 } });
  await harness.client.workflow.getHandle(identityWorkflowId(id)).signal(identityConfigChanged, {
    ...identityConfigOf(stored),
    version: 50,
    linkedinLimits: { dailyConnectionRequests: 5_000, dailyMessages: 9_999, dailyScrapings: 0, raisedUntil: null },
  });
  const status = await eventually(() => statusOf(id), (value) => value?.configVersion === 50);
  expect(status?.pacing.connectionRequest.limit).toBeLessThanOrEqual(100);
  expect(status?.pacing.message.limit).toBeLessThanOrEqual(250);
});

test('NUL characters and lone surrogates get 422 naming the field, and nothing is written', async () => {
  // This workspace's only: other test files create identities in the same database meanwhile.
  const before = await harness.db.identity.count({ where: { workspaceId } });
  const nul = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'N\u0000L', lastName: 'Lovelace', workingHours });
  expect(nul.status).toBe(422);
  expect(nul.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(nul.body.errors).toEqual([{ field: 'firstName', message: expect.stringContaining('NUL') }]);

  const surrogate = await request(harness.app)
    .post('/identities')
    .set(auth())
    .set('content-type', 'application/json')
    .send('{"firstName":"Ada","lastName":"\\ud800","workingHours":{"timeZone":"Europe/Paris","days":["MON"],"start":"09:00","end":"18:00"}}');
  expect(surrogate.status).toBe(422);
  expect(surrogate.body.errors).toEqual([{ field: 'lastName', message: expect.stringContaining('surrogate') }]);
  expect(await harness.db.identity.count({ where: { workspaceId } })).toBe(before);
});

test('a 1,000-lead import with one NUL row keeps the 999 good rows and reports the bad one', async () => {
  const identity = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Import', workingHours });
  const campaign = await request(harness.app)
    .post('/campaigns')
    .set(auth())
    .send({ identityId: identity.body.id, name: 'Import', steps: [{ kind: 'linkedin-profile-scrape', delayMinutes: 0 }] });
  const leads = Array.from({ length: 1000 }, (_, index) => ({ firstName: index === 637 ? 'Bad\u0000Row' : `Lead ${index}`, linkedinUrl: `https://www.linkedin.com/in/import-${index}` }));

  const response = await request(harness.app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads });

  expect(response.status).toBe(200);
  expect(response.body.created).toBe(999);
  expect(response.body.rejected).toEqual([{ index: 637, errors: [{ field: 'firstName', message: expect.stringContaining('NUL') }] }]);
  expect(await harness.db.lead.count({ where: { campaignId: campaign.body.id } })).toBe(999);
});
