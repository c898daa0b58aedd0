import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import { temporal } from '@temporalio/proto';
import { IdentityWorkflows } from '../../api/identity-workflows';
import type { WorkingHours } from '../../domain/working-hours';
import { startTestServer, type RunningServer } from '../../scripts/temporal-binaries';
import { identityStatus, identityWorkflowId } from '../../workflows/identity';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { connectTimeSkippingEnv, workflowBundle } from '../support/temporal';

const PARIS = 'Europe/Paris';
const WEEKDAYS_9_TO_6: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const TASK_QUEUE = 'identity-workflow-test';
const EventType = temporal.api.enums.v1.EventType;

let server: RunningServer;
let env: TestWorkflowEnvironment;

beforeAll(async () => {
  server = await startTestServer();
  env = await connectTimeSkippingEnv(server.address);
  await ensureSearchAttributes(env.connection, 'default');
}, 120_000);

afterAll(async () => {
  await env?.teardown();
  await server?.stop();
});

/** The first Friday 18:30 in Paris after `now`. */
function nextFridayEvening(now: number): DateTime {
  const local = DateTime.fromMillis(now, { zone: PARIS });
  for (let day = 0; ; day += 1) {
    const candidate = local.startOf('day').plus({ days: day }).set({ hour: 18, minute: 30 });
    if (candidate.weekday === 5 && candidate.toMillis() > now) return candidate;
  }
}

async function skipTo(instant: DateTime): Promise<void> {
  await env.sleep(instant.toMillis() - (await env.currentTimeMs()));
}

function localIso(epochMs: number): string | null {
  return DateTime.fromMillis(epochMs, { zone: PARIS }).toISO({ suppressMilliseconds: true });
}

async function timersStarted(client: Client, workflowId: string, runId?: string) {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return (history.events ?? []).filter((event) => event.eventType === EventType.EVENT_TYPE_TIMER_STARTED);
}

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

function timestampMs(value: { seconds?: unknown; nanos?: number | null } | null | undefined): number {
  return Number(value?.seconds ?? 0) * 1000 + Math.floor((value?.nanos ?? 0) / 1e6);
}

/** When a TimerStarted event's timer fires: the event's time plus the timer's duration. */
function timerFireTime(event: HistoryEvent | undefined): number {
  return timestampMs(event?.eventTime) + timestampMs(event?.timerStartedEventAttributes?.startToFireTimeout);
}

test('an identity created on Friday 18:30 waits for Monday 09:00, and new hours re-plan the sleep at once', async () => {
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: await workflowBundle(),
  });
  const identityWorkflows = new IdentityWorkflows(env.client, TASK_QUEUE);
  const identityId = '6f1c2b0e-5d1a-4f5e-9a57-3f4c1b2d7e90';
  const workflowId = identityWorkflowId(identityId);

  const friday = nextFridayEvening(await env.currentTimeMs());
  await skipTo(friday);

  await worker.runUntil(async () => {
    await identityWorkflows.start({ id: identityId, workspaceId: 'workspace-a', config: { workingHours: WEEKDAYS_9_TO_6, version: 1 } });
    const handle = env.client.workflow.getHandle(workflowId);

    const waiting = await handle.query(identityStatus);
    expect(waiting.activity).toBe('waiting-for-window');
    expect(waiting.inWindow).toBe(false);
    const monday = friday.plus({ days: 3 }).set({ hour: 9, minute: 0 });
    expect(localIso(waiting.nextWindowStart)).toBe(monday.toISO({ suppressMilliseconds: true }));
    expect(waiting.waitingFor).toContain(monday.toUTC().toISO());
    const firstRunId = (await handle.describe()).runId;

    // Saturday night, mid-sleep: open Saturdays from 10:00.
    await skipTo(friday.plus({ days: 1 }).set({ hour: 1, minute: 0 }));
    const saturday = friday.plus({ days: 1 }).set({ hour: 10, minute: 0 });
    await identityWorkflows.configChanged({
      id: identityId,
      workspaceId: 'workspace-a',
      config: { workingHours: { ...WEEKDAYS_9_TO_6, days: ['SAT', ...WEEKDAYS_9_TO_6.days], start: '10:00' }, version: 2 },
    });

    const replanned = await handle.query(identityStatus);
    expect(replanned.configVersion).toBe(2);
    expect(localIso(replanned.nextWindowStart)).toBe(saturday.toISO({ suppressMilliseconds: true }));
    // The workflow's own timer was replaced by one that fires Saturday 10:00, not Monday.
    const timers = await timersStarted(env.client, workflowId, firstRunId);
    expect(timers).toHaveLength(2);
    const firesAt = timerFireTime(timers[1]);
    expect(Math.abs(firesAt - saturday.toMillis())).toBeLessThan(5_000);

    // At Saturday 10:00 the workflow wakes and starts the day with a fresh run.
    await skipTo(saturday.plus({ minutes: 1 }));
    const inWindow = await handle.query(identityStatus);
    expect(inWindow.inWindow).toBe(true);
    expect((await handle.describe()).runId).not.toBe(firstRunId);
    const firstRun = await env.client.workflow.getHandle(workflowId, firstRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
  });
});

test('a signal carrying an older configuration version is ignored', async () => {
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, workflowBundle: await workflowBundle() });
  const identityWorkflows = new IdentityWorkflows(env.client, TASK_QUEUE);
  const identityId = '0b7e9d3c-2f4a-4c1e-8d6b-5a9f0e1c2d3b';
  await worker.runUntil(async () => {
    await identityWorkflows.start({ id: identityId, workspaceId: 'workspace-a', config: { workingHours: WEEKDAYS_9_TO_6, version: 3 } });
    await identityWorkflows.configChanged({
      id: identityId,
      workspaceId: 'workspace-a',
      config: { workingHours: { ...WEEKDAYS_9_TO_6, start: '11:00' }, version: 2 },
    });
    const status = await env.client.workflow.getHandle(identityWorkflowId(identityId)).query(identityStatus);
    expect(status.configVersion).toBe(3);
    expect(status.workingHours.start).toBe('09:00');
  });
});
