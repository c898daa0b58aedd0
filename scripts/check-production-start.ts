/**
 * The closest honest check of the production image without a Docker engine (.ci/run runs it):
 *
 * 1. every package the production processes load is in `dependencies` (scripts/runtime-imports.ts);
 * 2. a scratch copy of the repository outside it gets `npm ci --omit=dev`, as the Dockerfile does;
 * 3. against real servers (embedded PostgreSQL and the Temporal dev server, as the tests use), the
 *    copy applies migrations, then starts the API and one worker with NODE_ENV=production and the
 *    commands docker-compose.yml runs;
 * 4. /readyz answers 200, the worker polls its task queue, /metrics (API and worker, with the
 *    token) and the SDK's metrics port answer; both processes stop cleanly on SIGTERM.
 *
 * Any failure prints what failed, with the processes' last output, and exits 1.
 *
 *   npx tsx scripts/check-production-start.ts            (PACER_KEEP_SCRATCH=1 keeps the copy)
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { loadConfig, required } from '../lib/config';
import { generateKeyringEntry } from '../lib/secrets';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { startNodeService, stopNodeService, type NodeService } from './node-service';
import { runtimeImportProblems } from './runtime-imports';
import { freePort, startDevServer } from './temporal-binaries';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(__dirname, '..');
const READY_TIMEOUT_MS = 180_000;
const EXIT_TIMEOUT_MS = 30_000;
const TASK_QUEUE = 'pacer-production-check';

class CheckFailed extends Error {}

const started = Date.now();
function step(message: string): void {
  console.log(`[production-start] ${((Date.now() - started) / 1000).toFixed(1)} s  ${message}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The repository's files as git sees them (tracked, and new ones not ignored), copied outside it. */
async function scratchCopy(): Promise<string> {
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'pacer-production-'));
  const { stdout } = await execFileAsync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  for (const file of stdout.split('\0').filter(Boolean)) {
    const target = path.join(scratch, file);
    await mkdir(path.dirname(target), { recursive: true });
    // A file deleted in the work tree but still in the index is simply not part of the copy.
    await copyFile(path.join(ROOT, file), target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
  return scratch;
}

function failure(service: NodeService, what: string): CheckFailed {
  return new CheckFailed(`${service.name}: ${what}\n  its last output:\n    ${service.output.join('\n    ') || '(none)'}`);
}

/** Polls `probe` until it returns true; fails early when one of the services exits. */
async function waitFor(what: string, services: NodeService[], probe: () => Promise<boolean>): Promise<void> {
  let exit: { service: NodeService; code: number | string } | undefined;
  for (const service of services) void service.exited.then((code) => (exit ??= { service, code }));
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit) throw failure(exit.service, `exited with ${exit.code} while waiting for ${what}`);
    if (await probe().catch(() => false)) return;
    await sleep(500);
  }
  throw new CheckFailed(`${what}: not within ${READY_TIMEOUT_MS / 1000} s\n${services.map((service) => failure(service, 'still running').message).join('\n')}`);
}

async function get(url: string, token?: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, text: await response.text() };
}

async function expectStatus(url: string, status: number, token?: string, contains?: string): Promise<void> {
  const answer = await get(url, token);
  if (answer.status !== status || (contains !== undefined && !answer.text.includes(contains))) {
    throw new CheckFailed(`GET ${url}${token ? ' (with the token)' : ''}: expected ${status}${contains ? ` containing "${contains}"` : ''}, got ${answer.status}: ${answer.text.slice(0, 300)}`);
  }
}

async function stopService(service: NodeService): Promise<void> {
  const code = await stopNodeService(service, EXIT_TIMEOUT_MS);
  if (code === 'timeout') throw failure(service, `still running ${EXIT_TIMEOUT_MS / 1000} s after SIGTERM`);
  if (code !== 0) throw failure(service, `exited with ${code} after SIGTERM`);
}

/** Asks Temporal, with the connection options the processes themselves use, whether a worker polls. */
async function workerPolls(env: NodeJS.ProcessEnv): Promise<boolean> {
  const { temporal: settings } = loadConfig(env);
  const connection = await Connection.connect({ ...(await temporalConnectionOptions({ ...settings, address: required(settings.address, 'TEMPORAL_ADDRESS') })), connectTimeout: 2_000 });
  try {
    const answer = await connection.workflowService.describeTaskQueue({
      namespace: settings.namespace,
      taskQueue: { name: settings.taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
      taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
    });
    return (answer.pollers ?? []).length > 0;
  } finally {
    await connection.close();
  }
}

async function main(): Promise<void> {
  const problems = runtimeImportProblems(ROOT);
  if (problems.length > 0) throw new CheckFailed(`runtime imports missing from dependencies:\n  ${problems.join('\n  ')}`);
  step('every runtime import is in dependencies');

  const cleanups: (() => Promise<unknown>)[] = [];
  const services: NodeService[] = [];
  try {
    const scratch = await scratchCopy();
    cleanups.push(() => (process.env.PACER_KEEP_SCRATCH ? Promise.resolve(console.log(`scratch copy kept: ${scratch}`)) : rm(scratch, { recursive: true, force: true })));
    step(`copied the repository to ${scratch}; npm ci --omit=dev`);
    await execFileAsync('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: scratch, maxBuffer: 64 * 1024 * 1024 }).catch((error: { stderr?: string; message: string }) => {
      throw new CheckFailed(`npm ci --omit=dev failed: ${error.stderr ?? error.message}`);
    });
    step('production dependencies installed');

    const serversDir = await mkdtemp(path.join(os.tmpdir(), 'pacer-production-servers-'));
    await chmod(serversDir, 0o755); // the `postgres` OS user must reach the cluster folder
    cleanups.push(() => rm(serversDir, { recursive: true, force: true }));
    const postgres = await startEmbeddedPostgres({ dataDir: path.join(serversDir, 'postgres', 'cluster'), port: await freePort() });
    cleanups.push(() => postgres.stop());
    const temporalServer = await startDevServer({ port: await freePort(), uiPort: await freePort(), headless: true });
    cleanups.push(() => temporalServer.stop());
    step(`PostgreSQL and the Temporal dev server (${temporalServer.address}) are up`);

    const apiPort = await freePort();
    const workerMetricsPort = await freePort();
    const sdkMetricsPort = await freePort();
    const metricsToken = randomBytes(16).toString('hex');
    // What a container gets: no development defaults, nothing from this shell but PATH and HOME.
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: postgres.url,
      TEMPORAL_ADDRESS: temporalServer.address,
      TEMPORAL_TASK_QUEUE: TASK_QUEUE,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_KEYS: randomBytes(24).toString('base64url'),
      PACER_ENCRYPTION_KEYS: generateKeyringEntry('production-check'),
      LINKEDIN_GATEWAY: 'simulator',
      WARMUP_PROVIDER: 'simulator',
      PUBLIC_BASE_URL: 'https://pacer.example.com',
      METRICS_TOKEN: metricsToken,
      WORKER_METRICS_PORT: String(workerMetricsPort),
      TEMPORAL_SDK_METRICS_PORT: String(sdkMetricsPort),
    };

    const migrate = startNodeService('migrate', scratch, 'scripts/migrate.ts', env);
    const migrated = await migrate.exited;
    if (migrated !== 0) throw failure(migrate, `exited with ${migrated}`);
    step('migrations applied from the production install');

    const api = startNodeService('API', scratch, 'api/main.ts', env);
    const worker = startNodeService('worker', scratch, 'worker.ts', env);
    services.push(api, worker);
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    await waitFor('/readyz 200', services, async () => (await get(`${apiUrl}/readyz`)).status === 200);
    step('the API answers /readyz with 200');
    await waitFor('a worker polling the task queue', services, () => workerPolls(env));
    step('the worker polls its task queue');

    await expectStatus(`${apiUrl}/metrics`, 200, metricsToken, 'pacer_http_request_duration_seconds');
    await expectStatus(`${apiUrl}/metrics`, 401);
    await expectStatus(`http://127.0.0.1:${workerMetricsPort}/metrics`, 200, metricsToken, 'pacer_actions_performed_total');
    await expectStatus(`http://127.0.0.1:${sdkMetricsPort}/metrics`, 200, undefined, 'temporal_');
    step('metrics: the API (token required), the worker and the Temporal SDK answer');

    for (const service of services) await stopService(service);
    step('the API and the worker stopped cleanly on SIGTERM');
  } finally {
    for (const service of services) if (service.process.exitCode === null && service.process.signalCode === null) service.process.kill('SIGKILL');
    for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
  }
}

main().then(
  () => step('passed'),
  (error: unknown) => {
    console.error(`[production-start] FAILED: ${error instanceof CheckFailed ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  },
);
