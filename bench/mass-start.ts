/**
 * Figure group 3, on the real stack's dev server: how long starting many identities takes, then
 * what they cost the worker at rest (memory and idle CPU).
 *
 * The worker runs inside this bench process, so RSS and CPU figures are the whole process: the
 * worker plus the bench's Temporal client. The API runs in its own process, measured on its own.
 * The printed units say so.
 */
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { temporal } from '@temporalio/proto';
import type { RealStack } from './services';
import {
  cpuPercent,
  defaultIdentityConfig,
  delay,
  forEachConcurrently,
  hostBusyPercent,
  hostCpuTicks,
  note,
  printFigure,
  processCpuMs,
  recordIdleIdentities,
  variedWorkingHours,
} from './support';

const START_CONCURRENCY = 50;
const QUIET_MS = 2_000;
const SETTLE_TIMEOUT_MS = 15 * 60_000;
const IDLE_SECONDS = 10;

export async function measureMassStart(stack: RealStack, identities: number): Promise<void> {
  const collectGarbage = exposeGc();
  collectGarbage();
  const rssBefore = process.memoryUsage().rss;

  // A workspace of their own lets a visibility query count exactly these workflows.
  note(`mass start: recording ${identities} identities`);
  const { workspaceId, ids } = await recordIdleIdentities(stack.db, identities, variedWorkingHours);
  note(`mass start: starting ${identities} identities, ${START_CONCURRENCY} at a time`);
  const started = performance.now();
  const hostBeforeStart = hostCpuTicks();
  await forEachConcurrently(identities, START_CONCURRENCY, async (index) => {
    await stack.identityWorkflows.start({
      id: ids[index] as string,
      workspaceId,
      config: defaultIdentityConfig(variedWorkingHours(index)),
      workspaceScrapingPool: 0,
    });
  });
  const startSeconds = (performance.now() - started) / 1000;
  note(`mass start: whole host ${hostBusyPercent(hostBeforeStart)} busy while starting`);
  printFigure('mass_start_seconds', startSeconds, `s for ${identities} identities`, '10,000 in < 60 s');

  const settledAt = await waitUntilSettled(stack, workspaceId, identities);
  printFigure('mass_start_first_tasks_done_seconds', (settledAt - started) / 1000, 's (first start until the worker processed every first task)');
  collectGarbage();
  const rssAfter = process.memoryUsage().rss;
  // The SDK's default maxCachedWorkflows (derived from the heap limit) may hold fewer than all of them.
  printFigure('worker_cached_workflows', stack.worker.getStatus().numCachedWorkflows, 'workflows (in the worker cache after the start)');
  printFigure('worker_rss_mb', rssAfter / 2 ** 20, 'MB (bench process incl. worker)');
  printFigure('worker_rss_kb_per_identity', (rssAfter - rssBefore) / 1024 / identities, 'KB (bench process RSS growth / identities)');

  note(`mass start: measuring idle CPU for ${IDLE_SECONDS} s`);
  const serverPid = stack.temporal.process.pid;
  const serverCpuBefore = processCpuMs(serverPid);
  const apiCpuBefore = processCpuMs(stack.apiProcess.pid);
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  const hostBeforeIdle = hostCpuTicks();
  await delay(IDLE_SECONDS * 1000);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - wallBefore;
  const serverCpuAfter = processCpuMs(serverPid);
  const apiCpuAfter = processCpuMs(stack.apiProcess.pid);
  note(`mass start: whole host ${hostBusyPercent(hostBeforeIdle)} busy during the idle window (other processes included)`);
  // cpuUsage is in µs and covers every thread of the process (JS, the SDK's Rust core, libuv).
  printFigure('idle_cpu_percent', cpuPercent(cpu, wallMs), '% of one core (bench process incl. worker)', '< 5 %');
  if (apiCpuBefore !== undefined && apiCpuAfter !== undefined) {
    printFigure('api_idle_cpu_percent', ((apiCpuAfter - apiCpuBefore) / wallMs) * 100, '% of one core (the API process)', '< 5 %');
  }
  if (serverCpuBefore !== undefined && serverCpuAfter !== undefined) {
    printFigure('dev_server_idle_cpu_percent', ((serverCpuAfter - serverCpuBefore) / wallMs) * 100, '% of one core (Temporal dev server, for context)');
  }
}

/**
 * Settled means: the dev server lists every started workflow as running, and for QUIET_MS the
 * worker has had no activation in flight and the task queue no backlog, so every first workflow
 * task has been processed. Returns when the quiet began (performance.now() time).
 */
async function waitUntilSettled(stack: RealStack, workspaceId: string, identities: number): Promise<number> {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  const query = `PacerWorkspaceId = '${workspaceId}' AND ExecutionStatus = 'Running'`;
  for (;;) {
    const { count } = await stack.client.workflow.count(query);
    if (count >= identities) break;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${identities} workflows listed as running`);
    await delay(250);
  }
  note('mass start: all listed as running; waiting for the worker to go quiet');
  let quietSince = performance.now();
  let lastBacklogCheck = 0;
  for (;;) {
    const busy = stack.worker.getStatus().numInFlightWorkflowActivations > 0;
    if (!busy && performance.now() - lastBacklogCheck > 500) {
      lastBacklogCheck = performance.now();
      if ((await workflowBacklog(stack)) > 0) quietSince = performance.now();
    }
    if (busy) quietSince = performance.now();
    if (performance.now() - quietSince >= QUIET_MS) return quietSince;
    if (Date.now() > deadline) throw new Error('the worker did not go quiet');
    await delay(50);
  }
}

async function workflowBacklog(stack: RealStack): Promise<number> {
  const response = await stack.client.workflowService.describeTaskQueue({
    namespace: 'default',
    taskQueue: { name: stack.taskQueue },
    taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    reportStats: true,
  });
  return Number(response.stats?.approximateBacklogCount ?? 0);
}

/**
 * A callable `gc` without restarting node with --expose-gc (the bench runs as `tsx bench/run.ts`),
 * so both RSS readings are taken after a full collection instead of at a random heap state.
 */
function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
