/**
 * Figure group 1: what an identity costs Temporal, on the Java time-skipping test server.
 * K idle identities sleep through D days, beside one busy identity whose campaign sends an
 * invitation to each of its leads and its control twin (same working hours, a campaign without
 * leads); afterwards every run of each continue-as-new chain is read back and its events counted.
 * Events per executed action are the busy chain's events beyond its twin's, divided by the actions
 * it performed: the twin pays the same daily wake-ups, so only what the actions cost remains.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { IdentityWorkflows } from '../api/identity-workflows';
import type { Database } from '../db/client';
import type { WorkingHours } from '../domain/working-hours';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { startTestServer } from '../scripts/temporal-binaries';
import { connectTimeSkippingEnv, workflowBundle } from '../test/support/temporal';
import { createPacerWorker } from '../worker';
import { identityWorkflowId } from '../workflows/identity-contract';
import { benchActivities, type BenchDatabase } from './services';
import {
  defaultIdentityConfig,
  forEachConcurrently,
  hostBusyPercent,
  hostCpuTicks,
  intFromEnv,
  note,
  printFigure,
  recordIdleIdentities,
  variedWorkingHours,
  withTimeout,
  type Stoppers,
} from './support';

const EventType = temporal.api.enums.v1.EventType;
type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const DAY_MS = 24 * 60 * 60 * 1000;
/** A simulated day takes seconds. Workflows whose tasks keep failing stalled the clock once (day 1 never ended): fail, don't hang. */
const SIMULATED_DAY_WALL_LIMIT_MS = 5 * 60_000;

interface ChainTotals {
  runs: number;
  events: number;
  workflowTasksCompleted: number;
  largestRunEvents: number;
  eventsByType: Map<string, number>;
}

export async function measureIdleCostWithTimeSkipping(stoppers: Stoppers, { db }: BenchDatabase): Promise<void> {
  const identities = intFromEnv('BENCH_TIMESKIP_IDENTITIES', 50);
  const days = intFromEnv('BENCH_DAYS', 14);
  const scenarioStarted = performance.now();

  note('time-skipping: starting the Java test server');
  const server = await startTestServer();
  stoppers.add('time-skipping test server', () => server.stop());
  const env = await connectTimeSkippingEnv(server.address);
  stoppers.add('time-skipping environment', () => env.teardown());
  await ensureSearchAttributes(env.connection, 'default');

  const taskQueue = `bench-timeskip-${randomUUID()}`;
  const worker = await createPacerWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: benchActivities(db),
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  stoppers.add('time-skipping worker', async () => {
    worker.shutdown();
    await running;
  });

  const identityWorkflows = new IdentityWorkflows(env.client, taskQueue);
  const busy = await startCampaignIdentity(db, identityWorkflows, env.client, 60);
  const control = await startCampaignIdentity(db, identityWorkflows, env.client, 0);
  note(`time-skipping: starting ${identities} identities`);
  const firstRunIds = new Map<string, string>();
  const idle = await recordIdleIdentities(db, identities, variedWorkingHours);
  await forEachConcurrently(identities, 10, async (index) => {
    const id = idle.ids[index] as string;
    await identityWorkflows.start({
      id,
      workspaceId: idle.workspaceId,
      config: defaultIdentityConfig(variedWorkingHours(index)),
      workspaceScrapingPool: 0,
    });
    // Right after start(), the current run is the chain's first one.
    const { runId } = await env.client.workflow.getHandle(identityWorkflowId(id)).describe();
    firstRunIds.set(identityWorkflowId(id), runId);
  });

  // One simulated day per call, so progress shows and no single RPC runs for minutes.
  note(`time-skipping: skipping ${days} simulated days`);
  const skipStarted = performance.now();
  const hostBefore = hostCpuTicks();
  for (let day = 1; day <= days; day += 1) {
    await withTimeout(env.sleep(DAY_MS), SIMULATED_DAY_WALL_LIMIT_MS, `simulated day ${day}`);
    note(`time-skipping: day ${day}/${days} done (${((performance.now() - skipStarted) / 1000).toFixed(1)} s)`);
  }
  const skipWallMs = performance.now() - skipStarted;
  note(`time-skipping: whole host ${hostBusyPercent(hostBefore)} busy while skipping`);

  note('time-skipping: reading every run of every chain');
  const totals: ChainTotals = { runs: 0, events: 0, workflowTasksCompleted: 0, largestRunEvents: 0, eventsByType: new Map() };
  await forEachConcurrently(firstRunIds.size, 10, async (index) => {
    const [workflowId, firstRunId] = [...firstRunIds.entries()][index] ?? [];
    if (!workflowId || !firstRunId) throw new Error(`no first run id for identity #${index}`);
    await addChain(env.client, workflowId, firstRunId, totals);
  });

  const busyTotals: ChainTotals = { runs: 0, events: 0, workflowTasksCompleted: 0, largestRunEvents: 0, eventsByType: new Map() };
  await addChain(env.client, busy.workflowId, busy.firstRunId, busyTotals);
  const controlTotals: ChainTotals = { runs: 0, events: 0, workflowTasksCompleted: 0, largestRunEvents: 0, eventsByType: new Map() };
  await addChain(env.client, control.workflowId, control.firstRunId, controlTotals);
  const actions = await db.leadAction.count({ where: { identityId: busy.identityId } });

  const identityDays = identities * days;
  printFigure('idle_workflow_tasks_per_identity_day', totals.workflowTasksCompleted / identityDays, 'tasks', '≤ 3');
  printFigure('executed_actions_busy_identity', actions, 'actions');
  printFigure('history_events_per_executed_action', actions === 0 ? NaN : (busyTotals.events - controlTotals.events) / actions, 'events', '≤ 8, never > 12');
  printFigure('largest_history_events_busy_identity', busyTotals.largestRunEvents, 'events', '< 10000');
  printFigure('largest_history_events', totals.largestRunEvents, 'events', '< 10000');
  printFigure('history_events_per_identity_day', totals.events / identityDays, 'events');
  printFigure('wall_ms_per_simulated_identity_day', skipWallMs / identityDays, 'ms');
  printFigure('scenario_wall_seconds', (performance.now() - scenarioStarted) / 1000, 's');
  note(`time-skipping: ${totals.runs} runs over ${identities} identities × ${days} days; events by type: ${describeMix(totals.eventsByType)}`);
}

/** An identity open around the clock with a started campaign of `leads` invitation steps (20 a day). */
async function startCampaignIdentity(db: Database, identityWorkflows: IdentityWorkflows, client: Client, leads: number) {
  const workingHours: WorkingHours = { timeZone: 'UTC', days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '24:00' };
  const workspace = await db.workspace.create({ data: { slug: `bench-busy-${randomUUID()}`, name: 'bench busy' } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'Busy', lastName: 'Bench', timeZone: workingHours.timeZone, workingDays: workingHours.days, workingStart: workingHours.start, workingEnd: workingHours.end },
  });
  const campaign = await db.campaign.create({
    data: { workspaceId: workspace.id, identityId: identity.id, name: 'bench', status: 'active', steps: [{ kind: 'linkedin-connection-request', delayMinutes: 0 }] },
  });
  await db.lead.createMany({
    data: Array.from({ length: leads }, (_, index) => ({
      workspaceId: workspace.id,
      campaignId: campaign.id,
      identityId: identity.id,
      linkedinUrl: `https://www.linkedin.com/in/bench-busy-${index}`,
      nextActionKind: 'connectionRequest',
      dueAt: new Date(0),
    })),
  });
  await identityWorkflows.start({ id: identity.id, workspaceId: workspace.id, config: defaultIdentityConfig(workingHours), workspaceScrapingPool: 0 });
  const workflowId = identityWorkflowId(identity.id);
  const { runId } = await client.workflow.getHandle(workflowId).describe();
  return { identityId: identity.id, workflowId, firstRunId: runId };
}

/**
 * Follows one identity's continue-as-new chain from its first run. The Java test server answers
 * ListWorkflowExecutions with UNIMPLEMENTED, so a `WorkflowId = '…'` query can't list the runs;
 * each run's ContinuedAsNew event names the next run (`newExecutionRunId`; the next run's Started
 * event points back through `continuedExecutionRunId`).
 */
async function addChain(client: Client, workflowId: string, firstRunId: string, totals: ChainTotals): Promise<void> {
  const seen = new Set<string>();
  let runId: string | undefined = firstRunId;
  while (runId !== undefined) {
    if (seen.has(runId)) throw new Error(`${workflowId}: run ${runId} continues into itself`);
    seen.add(runId);
    const events = await runEvents(client, workflowId, runId);
    totals.runs += 1;
    totals.events += events.length;
    totals.largestRunEvents = Math.max(totals.largestRunEvents, events.length);
    runId = undefined;
    for (const event of events) {
      const type = EventType[event.eventType ?? EventType.EVENT_TYPE_UNSPECIFIED] ?? String(event.eventType);
      totals.eventsByType.set(type, (totals.eventsByType.get(type) ?? 0) + 1);
      if (event.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED) totals.workflowTasksCompleted += 1;
      runId = event.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId || runId;
    }
  }
}

async function runEvents(client: Client, workflowId: string, runId: string): Promise<HistoryEvent[]> {
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  return history.events ?? [];
}

function describeMix(eventsByType: Map<string, number>): string {
  return [...eventsByType.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([type, count]) => `${type.replace('EVENT_TYPE_', '')}=${count}`)
    .join(', ');
}
