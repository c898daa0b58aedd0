import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { type Database } from '../../db/client';
import { WARMUP_DURATION_MS } from '../../domain/warmup';
import { LINKEDIN_STEPS, PARIS, PARIS_OFFICE_HOURS, nextSundayEvening } from '../support/campaigns';
import { addSmtpInbox } from '../support/inboxes';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { createWorkspaceWithKey } from '../support/api';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const TASK_QUEUE = 'warmup-test';
const HOUR_MS = 3600 * 1000;
const DAY_MS = 24 * HOUR_MS;

// Two-week scenarios on a shared 2-core machine: generous, since speed is measured by the bench.
jest.setTimeout(300_000);

let harness: TimeSkippingHarness;
let db: Database;
let app: Express;
let smtp: SmtpTestServer;

beforeAll(async () => {
  harness = await startTimeSkippingHarness(TASK_QUEUE);
  ({ db, app } = harness);
  smtp = await startSmtpTestServer({ users: { 'warm@outreach.example': 'warm-password', 'cold@outreach.example': 'cold-password', 'warm@unpaused.example': 'warm-password' } });
}, 120_000);

afterAll(async () => {
  await smtp?.stop();
  await harness?.stop();
});

const auth = () => harness.auth();
const skipTo = (instant: number) => harness.skipTo(DateTime.fromMillis(instant));
/** The warm-up events recorded for the inbox, as their bodies. */
const warmupEvents = async (inboxId: string) =>
  (await db.webhookEvent.findMany({ where: { type: 'warmup.completed' } })).map((event) => JSON.parse(event.body) as { type: string; data: { inboxId: string } }).filter((event) => event.data.inboxId === inboxId);

const addInbox = (identityId: string, email: string, password: string) => addSmtpInbox(db, { identityId, workspaceId: harness.workspaceId }, email, smtp, { password });

async function identity(name: string): Promise<string> {
  const created = await request(app).post('/identities').set(auth()).send({ firstName: name, lastName: 'Warm', workingHours: PARIS_OFFICE_HOURS });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function campaign(identityId: string, name: string, state: 'active' | 'paused' | 'draft', steps: object[] = LINKEDIN_STEPS, emailInbox = 'SHUFFLE'): Promise<string> {
  const created = await request(app).post('/campaigns').set(auth()).send({ identityId, name, steps, emailInbox });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  if (state !== 'draft') expect((await request(app).post(`/campaigns/${id}/start`).set(auth())).status).toBe(200);
  if (state === 'paused') expect((await request(app).post(`/campaigns/${id}/pause`).set(auth())).status).toBe(200);
  return id;
}

const statusOf = async (campaignId: string) => (await db.campaign.findUniqueOrThrow({ where: { id: campaignId } })).status;
const warmupPath = (identityId: string, inboxId: string) => `/identities/${identityId}/email-accounts/${inboxId}/warmup`;

test('a warm-up lasts 14 days: campaigns it paused resume on day 14, not day 13; one paused by hand stays paused; starting twice is idempotent', async () => {
  await skipTo((await nextSundayEvening(harness)).toMillis());
  const identityId = await identity('Full');
  const inbox = await addInbox(identityId, 'warm@outreach.example', 'warm-password');
  const active = await campaign(identityId, 'Active', 'active');
  const pausedByHand = await campaign(identityId, 'Paused by hand', 'paused');

  const started = await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({});
  expect(started.status).toBe(201);
  expect(started.body).toMatchObject({ state: 'running', daysLeft: 14, pauseCampaigns: true, pausedCampaignIds: [active], address: 'warm@outreach.example' });
  const startedAt = Date.parse(started.body.startedAt as string);
  expect(Date.parse(started.body.endsAt as string) - startedAt).toBe(WARMUP_DURATION_MS);
  expect(started.body.provider).toMatchObject({ state: 'warming', emailsSent: 5 });

  const again = await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({ pauseCampaigns: false });
  expect(again.status).toBe(200);
  expect(again.body.startedAt).toBe(started.body.startedAt);
  expect(harness.warmup.calls.filter((call) => call.inboxId === inbox.id && call.operation === 'start')).toHaveLength(1);
  expect(await statusOf(active)).toBe('paused');
  expect(await statusOf(pausedByHand)).toBe('paused');
  const identityStatus = await request(app).get(`/identities/${identityId}/status`).set(auth());
  expect(identityStatus.body.pausedCampaigns).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ id: active, reason: `paused for the warm-up of warm@outreach.example until ${started.body.endsAt as string}` }),
      expect.objectContaining({ id: pausedByHand, reason: 'paused by hand' }),
    ]),
  );

  // Day 13 (13 days and 23 hours in): still warming, still paused; progress recorded daily.
  await skipTo(startedAt + WARMUP_DURATION_MS - HOUR_MS);
  const dayThirteen = await request(app).get(warmupPath(identityId, inbox.id)).set(auth());
  expect(dayThirteen.body).toMatchObject({ state: 'running', daysLeft: 1 });
  expect(dayThirteen.body.provider.emailsSent).toBe(5 + 3 * 13);
  expect(await statusOf(active)).toBe('paused');

  // Day 14: finished, provider stopped, only the campaign it paused resumed.
  await skipTo(startedAt + WARMUP_DURATION_MS + 60_000);
  const done = await request(app).get(warmupPath(identityId, inbox.id)).set(auth());
  expect(done.body).toMatchObject({ state: 'completed', daysLeft: 0, provider: { state: 'stopped' } });
  const stoppedAt = harness.warmup.warmup(inbox.id)?.stoppedAt ?? 0;
  expect(stoppedAt).toBeGreaterThanOrEqual(startedAt + WARMUP_DURATION_MS);
  expect(stoppedAt).toBeLessThan(startedAt + WARMUP_DURATION_MS + 60_000);
  expect(await statusOf(active)).toBe('active');
  expect(await statusOf(pausedByHand)).toBe('paused');
  const audit = await db.auditEntry.findMany({ where: { entityId: active }, orderBy: { createdAt: 'asc' } });
  expect(audit.map((entry) => entry.action)).toEqual(expect.arrayContaining(['campaign.paused-for-warmup', 'campaign.resumed-after-warmup']));
  const inboxAudit = await db.auditEntry.findMany({ where: { entityId: inbox.id } });
  expect(inboxAudit.map((entry) => entry.action)).toEqual(['email-inbox.warmup.started']);
  // warmup.completed was recorded with the warm-up's end (docs/webhooks.md).
  expect(await warmupEvents(inbox.id)).toEqual([expect.objectContaining({ type: 'warmup.completed', data: expect.objectContaining({ email: 'warm@outreach.example', resumedCampaignIds: [active], startedAt: started.body.startedAt }) })]);
});

test('stopped on day 5: provider stopped, campaigns resumed at once; a campaign the user resumed and paused again meanwhile stays paused', async () => {
  const identityId = await identity('Stop');
  const inbox = await addInbox(identityId, 'warm@outreach.example', 'warm-password');
  const first = await campaign(identityId, 'First', 'active');
  const second = await campaign(identityId, 'Second', 'active');
  const started = await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({ pauseCampaigns: true });
  expect(started.status).toBe(201);
  const startedAt = Date.parse(started.body.startedAt as string);
  expect(new Set(started.body.pausedCampaignIds)).toEqual(new Set([first, second]));

  // Day 2: the user resumes the second campaign, and pauses it again on day 3: their last word stands.
  await skipTo(startedAt + 2 * DAY_MS);
  expect((await request(app).post(`/campaigns/${second}/resume`).set(auth())).status).toBe(200);
  await skipTo(startedAt + 3 * DAY_MS);
  expect((await request(app).post(`/campaigns/${second}/pause`).set(auth())).status).toBe(200);

  await skipTo(startedAt + 5 * DAY_MS + HOUR_MS);
  const dayFive = await request(app).get(warmupPath(identityId, inbox.id)).set(auth());
  expect(dayFive.body).toMatchObject({ state: 'running', daysLeft: 9 });
  expect(dayFive.body.provider.emailsSent).toBe(5 + 3 * 5);

  const stopped = await request(app).delete(warmupPath(identityId, inbox.id)).set(auth());
  expect(stopped.status).toBe(200);
  expect(stopped.body).toMatchObject({ state: 'stopped', daysLeft: 0, resumedCampaignIds: [first], provider: { state: 'stopped' } });
  expect(harness.warmup.warmup(inbox.id)?.stoppedAt).toBeGreaterThanOrEqual(startedAt + 5 * DAY_MS);
  expect(await statusOf(first)).toBe('active');
  expect(await statusOf(second)).toBe('paused');
  // Progress was asked once a day, not more: a small history.
  expect(harness.warmup.calls.filter((call) => call.inboxId === inbox.id && call.operation === 'status')).toHaveLength(5);

  // Stopping again answers the finished warm-up; nothing else happens.
  const again = await request(app).delete(warmupPath(identityId, inbox.id)).set(auth());
  expect(again.body).toMatchObject({ state: 'stopped' });
  expect((await db.auditEntry.findMany({ where: { entityId: inbox.id } })).map((entry) => entry.action).sort()).toEqual(['email-inbox.warmup.started', 'email-inbox.warmup.stopped']);
  expect(harness.warmup.calls.filter((call) => call.inboxId === inbox.id && call.operation === 'stop')).toHaveLength(1);
  // Stopped early: not a completion.
  expect(await warmupEvents(inbox.id)).toEqual([]);
});

test('while an inbox warms up with pauseCampaigns it sends no campaign email: Shuffle uses the other inbox, leads bound to it wait with the reason, then go after the warm-up', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday.toMillis());
  const identityId = await identity('Mail');
  const warm = await addInbox(identityId, 'warm@outreach.example', 'warm-password');
  await addInbox(identityId, 'cold@outreach.example', 'cold-password');
  const started = await request(app).post(warmupPath(identityId, warm.id)).set(auth()).send({ pauseCampaigns: true });
  expect(started.body.pausedCampaignIds).toEqual([]);
  const endsAt = Date.parse(started.body.endsAt as string);
  const emailSteps = [{ kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi</p>' }];

  const shuffle = await campaign(identityId, 'Shuffle', 'draft', emailSteps);
  const fixed = await campaign(identityId, 'Fixed on the warming inbox', 'draft', emailSteps, warm.id);
  for (const [id, prefix] of [[shuffle, 's'], [fixed, 'f']] as const) {
    const leads = Array.from({ length: 4 }, (_, index) => ({ firstName: `L${index}`, email: `${prefix}${index}@prospects.example` }));
    expect((await request(app).post(`/campaigns/${id}/leads`).set(auth()).send({ leads })).body.created).toBe(4);
    expect((await request(app).post(`/campaigns/${id}/start`).set(auth())).status).toBe(200);
  }

  await skipTo(sunday.plus({ days: 1 }).set({ hour: 18, minute: 30 }).toMillis());
  const fromAddresses = smtp.messages.map((message) => message.from?.address);
  expect(fromAddresses).toHaveLength(4);
  expect(new Set(fromAddresses)).toEqual(new Set(['cold@outreach.example']));
  const waiting = await request(app).get(`/campaigns/${fixed}/leads`).set(auth());
  for (const lead of waiting.body.items) {
    expect(lead).toMatchObject({ state: 'waiting', waitingReason: `inbox warm@outreach.example is warming up until ${new Date(endsAt).toISOString()}` });
  }

  // After the warm-up (and inside working hours), the held leads go from the now warm inbox.
  const after = DateTime.fromMillis(endsAt, { zone: PARIS }).plus({ days: 1 }).set({ hour: 18, minute: 30 });
  const workday = after.weekday > 5 ? after.plus({ days: 8 - after.weekday }) : after;
  await skipTo(workday.toMillis());
  const fromWarm = smtp.messages.filter((message) => message.from?.address === 'warm@outreach.example');
  expect(fromWarm).toHaveLength(4);
  expect(Math.min(...(await db.leadAction.findMany({ where: { lead: { campaignId: fixed } } })).map((action) => action.performedAt.getTime()))).toBeGreaterThanOrEqual(endsAt);
});

test('with pauseCampaigns false, campaign email keeps going from the warming inbox within its rate', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday.toMillis());
  const identityId = await identity('Unpaused');
  const warm = await addInbox(identityId, 'warm@unpaused.example', 'warm-password');
  const started = await request(app).post(warmupPath(identityId, warm.id)).set(auth()).send({ pauseCampaigns: false });
  expect(started.body).toMatchObject({ state: 'running', pauseCampaigns: false, pausedCampaignIds: [] });
  const emailSteps = [{ kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi</p>' }];
  const fixed = await campaign(identityId, 'Fixed on the warming inbox', 'draft', emailSteps, warm.id);
  const leads = Array.from({ length: 7 }, (_, index) => ({ firstName: `U${index}`, email: `u${index}@prospects.example` }));
  expect((await request(app).post(`/campaigns/${fixed}/leads`).set(auth()).send({ leads })).body.created).toBe(7);
  expect((await request(app).post(`/campaigns/${fixed}/start`).set(auth())).status).toBe(200);

  // Monday: every lead's email goes from the warming inbox, never more than its hourly rate (5) in an hour.
  await skipTo(sunday.plus({ days: 1 }).set({ hour: 18, minute: 30 }).toMillis());
  expect(smtp.messages.filter((message) => message.from?.address === 'warm@unpaused.example')).toHaveLength(7);
  const times = (await db.leadAction.findMany({ where: { lead: { campaignId: fixed }, kind: 'email' } })).map((action) => action.performedAt.getTime()).sort((a, b) => a - b);
  expect(times).toHaveLength(7);
  for (const time of times) expect(times.filter((other) => other >= time && other < time + 3600_000).length).toBeLessThanOrEqual(5);
  expect((await db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: warm.id } })).state).toBe('running');
  const held = await db.lead.findMany({ where: { campaignId: fixed, waitingReason: { contains: 'warming up' } } });
  expect(held).toHaveLength(0);
});

test('warm-up routes are scoped to the workspace and validate their input (problem+json)', async () => {
  const identityId = await identity('Scoped');
  const inbox = await addInbox(identityId, 'warm@outreach.example', 'warm-password');
  const other = await createWorkspaceWithKey(db, 'warmup-other');
  const foreign = { Authorization: `Bearer ${other.apiKey}` };
  for (const method of ['post', 'get', 'delete'] as const) {
    const response = await request(app)[method](warmupPath(identityId, inbox.id)).set(foreign);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  }
  expect((await request(app).get(warmupPath(identityId, randomUUID())).set(auth())).status).toBe(404);
  expect((await request(app).get(warmupPath(identityId, inbox.id)).set(auth())).status).toBe(404);
  const invalid = await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({ pauseCampaigns: 'yes', extra: 1 });
  expect(invalid.status).toBe(422);
  expect(invalid.body.errors.map((error: { field: string }) => error.field).sort()).toEqual(['extra', 'pauseCampaigns']);
  await db.emailInbox.update({ where: { id: inbox.id }, data: { status: 'disconnected' } });
  expect((await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({})).status).toBe(409);
  expect(await db.inboxWarmup.count({ where: { inboxId: inbox.id } })).toBe(0);
});

test('deleting the identity stops its warm-ups at the provider', async () => {
  const identityId = await identity('Deleted');
  const inbox = await addInbox(identityId, 'warm@deleted.example', 'warm-password');
  const started = await request(app).post(warmupPath(identityId, inbox.id)).set(auth()).send({ pauseCampaigns: false });
  expect(started.status).toBe(201);
  await skipTo(Date.parse(started.body.startedAt as string) + 2 * DAY_MS);

  expect((await request(app).delete(`/identities/${identityId}`).set(auth())).status).toBe(204);
  expect(await db.inboxWarmup.findUniqueOrThrow({ where: { inboxId: inbox.id } })).toMatchObject({ state: 'stopped' });
  expect(harness.warmup.calls.filter((call) => call.inboxId === inbox.id && call.operation === 'stop')).toHaveLength(1);
});
