import { DateTime } from 'luxon';
import request from 'supertest';
import { WARMUP_DURATION_MS } from '../../domain/warmup';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const TASK_QUEUE = 'warmup-restart-test';
const DAY_MS = 24 * 3600 * 1000;

jest.setTimeout(240_000);

let harness: TimeSkippingHarness;

beforeAll(async () => {
  // Workers without a sticky cache, so every task goes through the shared queue, as it does after a
  // crash once the sticky queue times out (the time-skipping test server never times one out).
  harness = await startTimeSkippingHarness(TASK_QUEUE, { maxCachedWorkflows: 0 });
}, 120_000);

afterAll(() => harness?.stop());

test('a worker replaced mid-way through a warm-up: the new one replays it, checks progress once a day, and ends it on day 14', async () => {
  const { db, app } = harness;
  // Records written directly: this test is about the warm-up workflow alone (no identity workflow runs).
  const identity = await db.identity.create({
    data: { workspaceId: harness.workspaceId, firstName: 'Restart', lastName: 'Warm', timeZone: 'Europe/Paris', workingDays: ['MON'], workingStart: '09:00', workingEnd: '18:00' },
  });
  const inbox = await db.emailInbox.create({
    data: { workspaceId: harness.workspaceId, identityId: identity.id, email: 'restart@outreach.example', smtpHost: '127.0.0.1', smtpPort: 2525, smtpSecurity: 'none', username: 'u', passwordEnvelope: 'unused' },
  });
  const campaign = await db.campaign.create({ data: { workspaceId: harness.workspaceId, identityId: identity.id, name: 'C', status: 'active', steps: [] } });
  const path = `/identities/${identity.id}/email-accounts/${inbox.id}/warmup`;

  const started = await request(app).post(path).set(harness.auth()).send({});
  expect(started.status).toBe(201);
  const startedAt = Date.parse(started.body.startedAt as string);

  await harness.skipTo(DateTime.fromMillis(startedAt + 6 * DAY_MS + 3600_000));
  await harness.replaceWorker({ maxCachedWorkflows: 0 });
  expect((await request(app).post(path).set(harness.auth()).send({})).status).toBe(200);

  await harness.skipTo(DateTime.fromMillis(startedAt + WARMUP_DURATION_MS + 60_000));
  const done = await request(app).get(path).set(harness.auth());
  expect(done.body).toMatchObject({ state: 'completed', daysLeft: 0 });
  const calls = harness.warmup.calls.filter((call) => call.inboxId === inbox.id);
  // Exactly one start and one stop, and a progress check on each of days 1 to 13: nothing lost or doubled.
  expect(calls.filter((call) => call.operation === 'start')).toHaveLength(1);
  expect(calls.filter((call) => call.operation === 'stop')).toHaveLength(1);
  expect(calls.filter((call) => call.operation === 'status').map((call) => Math.round((call.at - startedAt) / DAY_MS))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  expect((await db.campaign.findUniqueOrThrow({ where: { id: campaign.id } })).status).toBe('active');
});
