import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { temporal } from '@temporalio/proto';
import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { type Database } from '../../db/client';
import { DEFAULT_LINKEDIN_LIMITS } from '../../domain/linkedin-limits';
import type { WorkingHours } from '../../domain/working-hours';
import { identityConfigChanged, identityStatus, identityWorkflowId, type IdentityConfig } from '../../workflows/identity-contract';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const PARIS = 'Europe/Paris';
const WEEKDAYS_9_TO_6: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const TASK_QUEUE = 'identity-workflow-test';
const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

let harness: TimeSkippingHarness;
let env: TestWorkflowEnvironment;
let db: Database;
let app: Express;

beforeAll(async () => {
  harness = await startTimeSkippingHarness(TASK_QUEUE);
  ({ env, db, app } = harness);
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => harness.auth();

function configWith(change: Partial<IdentityConfig> & { version: number }): IdentityConfig {
  return {
    workingHours: WEEKDAYS_9_TO_6,
    linkedinLimits: DEFAULT_LINKEDIN_LIMITS,
    likingsOptOut: false,
    autoWithdraw: { enabled: true, afterDays: 14 },
    ...change,
  };
}

/** The first Friday 18:30 in Paris after `now`. */
function nextFridayEvening(now: number): DateTime {
  const local = DateTime.fromMillis(now, { zone: PARIS });
  for (let day = 0; ; day += 1) {
    const candidate = local.startOf('day').plus({ days: day }).set({ hour: 18, minute: 30 });
    if (candidate.weekday === 5 && candidate.toMillis() > now) return candidate;
  }
}

const skipTo = (instant: DateTime) => harness.skipTo(instant);

function localIso(instant: DateTime): string | null {
  return instant.toISO({ suppressMilliseconds: true });
}

function timestampMs(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(value?.seconds ?? 0) * 1000 + Math.floor((value?.nanos ?? 0) / 1e6);
}

/** When a TimerStarted event's timer fires: the event's time plus the timer's duration. */
function timerFireTime(event: HistoryEvent | undefined): number {
  return timestampMs(event?.eventTime) + timestampMs(event?.timerStartedEventAttributes?.startToFireTimeout);
}

async function timersStarted(workflowId: string, runId: string) {
  const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
}

async function statusOf(identityId: string) {
  const response = await request(app).get(`/identities/${identityId}/status`).set(auth());
  expect(response.status).toBe(200);
  return response.body;
}

test('an identity created on Friday 18:30 waits for Monday 09:00, and new hours re-plan the sleep at once', async () => {
  const friday = nextFridayEvening(await env.currentTimeMs());
  await skipTo(friday);
  const created = await request(app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'L', workingHours: WEEKDAYS_9_TO_6 });
  const workflowId = identityWorkflowId(created.body.id);
  const handle = env.client.workflow.getHandle(workflowId);

  const waiting = await statusOf(created.body.id);
  expect(waiting.activity).toBe('waiting-for-window');
  expect(waiting.inWindow).toBe(false);
  const monday = friday.plus({ days: 3 }).set({ hour: 9, minute: 0 });
  expect(waiting.nextWindowStart.local).toBe(localIso(monday));
  expect(waiting.waitingFor).toContain(monday.toUTC().toISO());
  const firstRunId = (await handle.describe()).runId;

  // Saturday night, mid-sleep: open Saturdays from 10:00.
  await skipTo(friday.plus({ days: 1 }).set({ hour: 1, minute: 0 }));
  const saturday = friday.plus({ days: 1 }).set({ hour: 10, minute: 0 });
  const changed = await request(app)
    .put(`/identities/${created.body.id}/working-hours`)
    .set(auth())
    .send({ ...WEEKDAYS_9_TO_6, days: ['SAT', ...WEEKDAYS_9_TO_6.days], start: '10:00' });
  expect(changed.status).toBe(200);

  const replanned = await statusOf(created.body.id);
  expect(replanned.configVersion).toBe(2);
  expect(replanned.nextWindowStart.local).toBe(localIso(saturday));
  // The workflow's own timer was replaced by one that fires Saturday 10:00, not Monday.
  const timers = await timersStarted(workflowId, firstRunId);
  expect(timers).toHaveLength(2);
  expect(Math.abs(timerFireTime(timers[1]) - saturday.toMillis())).toBeLessThan(5_000);

  // At Saturday 10:00 the workflow wakes and starts the day with a fresh run.
  await skipTo(saturday.plus({ minutes: 1 }));
  expect((await statusOf(created.body.id)).inWindow).toBe(true);
  expect((await handle.describe()).runId).not.toBe(firstRunId);
  const firstRun = await env.client.workflow.getHandle(workflowId, firstRunId).describe();
  expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
});

test('a raised LinkedIn limit shows in /status at once and falls back by itself when it expires', async () => {
  const created = await request(app).post('/identities').set(auth()).send({ firstName: 'Grace', lastName: 'H', workingHours: WEEKDAYS_9_TO_6 });
  const raisedUntil = DateTime.fromMillis(await env.currentTimeMs()).plus({ days: 3 });

  const raised = await request(app)
    .put(`/identities/${created.body.id}/linkedin/rate-limits`)
    .set(auth())
    .send({ dailyConnectionRequests: 35, dailyMessages: 100, raisedUntil: raisedUntil.toUTC().toISO() });
  expect(raised.status).toBe(200);
  expect(raised.body.warnings.map((warning: { field: string }) => warning.field)).toEqual(['dailyConnectionRequests']);

  const before = await statusOf(created.body.id);
  expect(before.budgetsToday.connectionRequests).toMatchObject({ limit: 35, used: 0, left: 35 });
  expect(Date.parse(before.raisedLimitsFallBackAt.utc)).toBe(raisedUntil.toMillis());

  await skipTo(raisedUntil.plus({ minutes: 1 }));

  const after = await statusOf(created.body.id);
  expect(after.budgetsToday.connectionRequests.limit).toBe(20);
  expect(after.raisedLimitsFallBackAt).toBeNull();
  const stored = await db.identity.findUniqueOrThrow({ where: { id: created.body.id } });
  expect(stored).toMatchObject({ dailyConnectionRequests: 20, linkedinLimitsRaisedUntil: null, version: 3 });
  expect(after.configVersion).toBe(3);
  const audit = await db.auditEntry.findFirstOrThrow({ where: { entityId: created.body.id, action: 'identity.linkedin-limits.expired' } });
  expect(audit.after).toMatchObject({ dailyConnectionRequests: 20, raisedUntil: null });
});

test('a deleted identity’s workflow ends, and its history stays', async () => {
  const created = await request(app).post('/identities').set(auth()).send({ firstName: 'Del', lastName: 'E', workingHours: WEEKDAYS_9_TO_6 });
  expect((await request(app).delete(`/identities/${created.body.id}`).set(auth())).status).toBe(204);

  const handle = env.client.workflow.getHandle(identityWorkflowId(created.body.id));
  await handle.result();
  expect((await handle.describe()).status.name).toBe('COMPLETED');
  expect((await handle.fetchHistory()).events?.length).toBeGreaterThan(0);
  expect((await request(app).get(`/identities/${created.body.id}`).set(auth())).status).toBe(404);
});

test('a signal carrying an older configuration version is ignored', async () => {
  const { identityWorkflows } = harness;
  const identityId = '0b7e9d3c-2f4a-4c1e-8d6b-5a9f0e1c2d3b';
  await identityWorkflows.start({ id: identityId, workspaceId: 'workspace-a', config: configWith({ version: 3 }), workspaceScrapingPool: 0 });
  const handle = env.client.workflow.getHandle(identityWorkflowId(identityId));
  await handle.signal(identityConfigChanged, configWith({ version: 2, workingHours: { ...WEEKDAYS_9_TO_6, start: '11:00' } }));

  const status = await handle.query(identityStatus);
  expect(status.configVersion).toBe(3);
  expect(status.workingHours.start).toBe('09:00');
});
