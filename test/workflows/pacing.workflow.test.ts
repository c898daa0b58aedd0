import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createApp } from '../../api/app';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { isWithinWorkingHours, type WorkingHours } from '../../domain/working-hours';
import { createLinkedinSimulator } from '../../integrations/linkedin';
import { testKeyring } from '../support/keyring';
import { createLogger } from '../../lib/logger';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { startTestServer, type RunningServer } from '../../scripts/temporal-binaries';
import { createWorkspaceWithKey } from '../support/api';
import { sharedServices } from '../support/services';
import { connectTimeSkippingEnv, workflowBundle } from '../support/temporal';

const PARIS = 'Europe/Paris';
const hours: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const TASK_QUEUE = 'pacing-workflow-test';
const steps = [
  { kind: 'linkedin-profile-scrape', delayMinutes: 0 },
  { kind: 'linkedin-connection-request', delayMinutes: 0, note: 'Hi {{firstName}}, glad to connect.' },
  { kind: 'linkedin-like', delayMinutes: 24 * 60 },
];

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(240_000);

let server: RunningServer;
let env: TestWorkflowEnvironment;
let db: Database;
let worker: Worker;
let workerRunning: Promise<void>;
let app: Express;
let apiKey: string;

beforeAll(async () => {
  server = await startTestServer();
  env = await connectTimeSkippingEnv(server.address);
  await ensureSearchAttributes(env.connection, 'default');
  db = createDatabase(sharedServices().databaseUrl);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    activities: createActivities({ db, linkedin: createLinkedinSimulator(), keyring: testKeyring }),
    workflowBundle: await workflowBundle(),
  });
  workerRunning = worker.run();
  app = createApp({ db, identityWorkflows: new IdentityWorkflows(env.client, TASK_QUEUE), logger: createLogger('silent'), bodyLimit: '100kb' });
  const workspace = await createWorkspaceWithKey(db, 'pacing');
  apiKey = workspace.apiKey;
  await db.workspace.update({ where: { id: workspace.workspaceId }, data: { linkedinScrapingPoolPerDay: 100 } });
}, 120_000);

afterAll(async () => {
  if (worker?.getState() === 'RUNNING') worker.shutdown();
  await workerRunning;
  await db?.$disconnect();
  await env?.teardown();
  await server?.stop();
});

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function skipTo(instant: DateTime): Promise<void> {
  await env.sleep(Math.max(0, instant.toMillis() - (await env.currentTimeMs())));
}

/** The next Sunday 20:00 in Paris: the identity is created outside hours, before a full working week. */
async function nextSundayEvening(): Promise<DateTime> {
  const now = await env.currentTimeMs();
  let day = DateTime.fromMillis(now, { zone: PARIS }).startOf('day').set({ hour: 20 });
  while (day.weekday !== 7 || day.toMillis() <= now) day = day.plus({ days: 1 });
  return day;
}

/** An identity with a started 3-step campaign of `count` leads. */
async function identityWithCampaign(name: string, count: number): Promise<{ identityId: string; campaignId: string }> {
  const identity = await request(app).post('/identities').set(auth()).send({ firstName: name, lastName: 'Pacer', workingHours: hours });
  const campaign = await request(app).post('/campaigns').set(auth()).send({ identityId: identity.body.id, name: `${name} outreach`, steps });
  expect(campaign.status).toBe(201);
  const leads = Array.from({ length: count }, (_, index) => ({ firstName: `Lead${index}`, linkedinUrl: `https://www.linkedin.com/in/${name.toLowerCase()}-lead-${index}` }));
  const added = await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads });
  expect(added.body.created).toBe(count);
  expect((await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth())).status).toBe(200);
  return { identityId: identity.body.id, campaignId: campaign.body.id };
}

async function actionsOf(identityId: string, kind: string) {
  const actions = await db.leadAction.findMany({ where: { identityId, kind }, orderBy: { performedAt: 'asc' } });
  return actions.map((action) => action.performedAt.getTime());
}

function countPerLocalDay(instants: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const instant of instants) {
    const day = DateTime.fromMillis(instant, { zone: PARIS }).toISODate() as string;
    counts[day] = (counts[day] ?? 0) + 1;
  }
  return counts;
}

test('50 leads × 3 steps at 20 invitations a day: exactly 20 per working day, spread, never at night or at weekends', async () => {
  const sunday = await nextSundayEvening();
  await skipTo(sunday);
  const { identityId, campaignId } = await identityWithCampaign('Steady', 50);

  await skipTo(sunday.plus({ days: 6, hours: 4 })); // Sunday 00:00 after the working week

  const invitations = await actionsOf(identityId, 'connectionRequest');
  const [monday, tuesday, wednesday] = [1, 2, 3].map((offset) => sunday.plus({ days: offset }).toISODate() as string);
  expect(countPerLocalDay(invitations)).toEqual({ [monday as string]: 20, [tuesday as string]: 20, [wednesday as string]: 10 });

  const everyAction = await db.leadAction.findMany({ where: { identityId } });
  expect(everyAction).toHaveLength(50 * 3);
  for (const action of everyAction) expect(isWithinWorkingHours(hours, action.performedAt.getTime())).toBe(true);

  // Spread, not a burst: Monday's invitations start after 09:00 and span most of the day.
  const mondayInvitations = invitations.filter((instant) => DateTime.fromMillis(instant, { zone: PARIS }).toISODate() === monday);
  const first = DateTime.fromMillis(mondayInvitations[0] as number, { zone: PARIS });
  const last = DateTime.fromMillis(mondayInvitations[mondayInvitations.length - 1] as number, { zone: PARIS });
  expect(first.hour * 60 + first.minute).toBeGreaterThan(9 * 60);
  expect(last.diff(first, 'hours').hours).toBeGreaterThan(4);

  // Each lead's like came at least a day after its invitation (the step delay).
  const leads = await db.lead.findMany({ where: { campaignId }, include: { actions: { orderBy: { stepIndex: 'asc' } } } });
  for (const lead of leads) {
    expect(lead.state).toBe('done');
    const [, invitation, like] = lead.actions;
    expect((like?.performedAt.getTime() ?? 0) - (invitation?.performedAt.getTime() ?? 0)).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  }
  const listed = await request(app).get(`/campaigns/${campaignId}/leads`).query({ limit: 5 }).set(auth());
  expect(listed.body.items[0]).toMatchObject({ state: 'done', step: null, stepsDone: 3, nextActionAt: null, waitingReason: null });
});

test('a limit raised at midday gives more invitations the same day; a paused campaign does nothing until resumed', async () => {
  const sunday = await nextSundayEvening();
  await skipTo(sunday);
  const { identityId, campaignId } = await identityWithCampaign('Raised', 50);
  const monday = sunday.plus({ days: 1 });

  await skipTo(monday.set({ hour: 12 }));
  const morning = (await actionsOf(identityId, 'connectionRequest')).length;
  expect(morning).toBeGreaterThan(0);
  expect(morning).toBeLessThan(20);
  const raised = await request(app)
    .put(`/identities/${identityId}/linkedin/rate-limits`)
    .set(auth())
    .send({ dailyConnectionRequests: 35, dailyMessages: 100, raisedUntil: monday.plus({ days: 2 }).toUTC().toISO() });
  expect(raised.status).toBe(200);

  await skipTo(monday.set({ hour: 18, minute: 30 }));
  expect(countPerLocalDay(await actionsOf(identityId, 'connectionRequest'))[monday.toISODate() as string]).toBe(35);

  // Pause Tuesday morning: nothing happens on Tuesday; resume Wednesday morning and the rest goes out.
  await skipTo(monday.plus({ days: 1 }).set({ hour: 7 }));
  expect((await request(app).post(`/campaigns/${campaignId}/pause`).set(auth())).status).toBe(200);
  const pausedLeads = await request(app).get(`/campaigns/${campaignId}/leads`).query({ limit: 100 }).set(auth());
  const waiting = pausedLeads.body.items.filter((lead: { state: string }) => lead.state === 'waiting');
  expect(waiting.length).toBeGreaterThan(0);
  for (const lead of waiting) expect(lead.waitingReason).toBe('campaign paused');
  const beforeTuesday = (await db.leadAction.count({ where: { identityId } }));
  await skipTo(monday.plus({ days: 2 }).set({ hour: 8 }));
  expect(await db.leadAction.count({ where: { identityId } })).toBe(beforeTuesday);

  expect((await request(app).post(`/campaigns/${campaignId}/resume`).set(auth())).status).toBe(200);
  await skipTo(monday.plus({ days: 3 }).set({ hour: 19 }));
  expect(await db.leadAction.count({ where: { identityId, kind: 'connectionRequest' } })).toBe(50);
});

test('a worker stopped mid-day and replaced by a new one loses and doubles no action', async () => {
  const sunday = await nextSundayEvening();
  await skipTo(sunday);
  // Workers without a sticky cache: every task goes through the shared queue, as after a crash when the
  // sticky queue times out (the time-skipping test server does not time sticky queues out).
  worker.shutdown();
  await workerRunning;
  const nonStickyWorker = async () =>
    Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      maxCachedWorkflows: 0,
      activities: createActivities({ db, linkedin: createLinkedinSimulator(), keyring: testKeyring }),
      workflowBundle: await workflowBundle(),
    });
  worker = await nonStickyWorker();
  workerRunning = worker.run();
  const { identityId } = await identityWithCampaign('Restart', 30);
  const monday = sunday.plus({ days: 1 });

  await skipTo(monday.set({ hour: 13 }));
  const beforeRestart = await db.leadAction.count({ where: { identityId } });
  expect(beforeRestart).toBeGreaterThan(0);
  // Replace the worker mid-day: the new one replays the workflow from its history and goes on.
  worker.shutdown();
  await workerRunning;
  worker = await nonStickyWorker();
  workerRunning = worker.run();

  await skipTo(monday.plus({ days: 3 }).set({ hour: 19 }));
  const invitations = await actionsOf(identityId, 'connectionRequest');
  expect(countPerLocalDay(invitations)).toEqual({ [monday.toISODate() as string]: 20, [monday.plus({ days: 1 }).toISODate() as string]: 10 });
  // Exactly one action per lead and step: the idempotency keys are unique, and every lead finished.
  expect(await db.leadAction.count({ where: { identityId } })).toBe(30 * 3);
  expect(await db.lead.count({ where: { identityId, state: 'done' } })).toBe(30);
});
