/**
 * The real services the bench runs against: embedded PostgreSQL with migrations (the worker's
 * activities need it in both Temporal setups), then for groups 2 and 3 the Temporal dev server, a
 * worker on its own task queue in this process, and the API in a process of its own, started the
 * way a deployment starts it (`node --import tsx api/main.ts`, NODE_ENV=production), so its
 * requests do not queue behind the worker's and the load generator's JavaScript. Every part
 * registers its stop with `stoppers` as soon as it runs.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { IdentityWorkflows } from '../api/identity-workflows';
import { createDatabase, type Database } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { createLinkedinSimulatorOn } from '../db/linkedin-simulator-store';
import { applyMigrations } from '../db/migrate';
import { createWarmupSimulator } from '../integrations/warmup';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { generateKeyringEntry, parseKeyring } from '../lib/secrets';
import { startNodeService, stopNodeService, type NodeService } from '../scripts/node-service';
import { freePort, startDevServer, type RunningServer } from '../scripts/temporal-binaries';
import { createWorkspaceWithKey } from '../test/support/api';
import { workflowBundle } from '../test/support/temporal';
import { createPacerWorker } from '../worker';
import { note, type Stoppers } from './support';

export interface BenchDatabase {
  db: Database;
  /** The database's URL, for processes that open their own pool (the API, as in production). */
  url: string;
}

export async function startDatabase(stoppers: Stoppers): Promise<BenchDatabase> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pacer-bench-'));
  stoppers.add('bench temp folder', () => rm(root, { recursive: true, force: true }));
  await chmod(root, 0o755); // as root, PostgreSQL runs as the `postgres` OS user, which must reach the cluster

  note('starting embedded PostgreSQL and applying migrations');
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres', 'cluster'), port: await freePort() });
  stoppers.add('embedded PostgreSQL', () => postgres.stop());
  await applyMigrations(postgres.url);
  const db = createDatabase(postgres.url);
  stoppers.add('database client', () => db.$disconnect());
  return { db, url: postgres.url };
}

/** A fresh encryption key per bench run: nothing it writes is meant to be read again. */
const benchKeyring = parseKeyring(generateKeyringEntry('bench'));

/** The worker's activities; the LinkedIn simulator stands in for the automation service (idle identities never act). */
export function benchActivities(db: Database) {
  return createActivities({ db, linkedin: createLinkedinSimulatorOn(db), keyring: benchKeyring, warmup: createWarmupSimulator() });
}

export interface RealStack {
  db: Database;
  /** http://127.0.0.1:<port> of the real API. */
  baseUrl: string;
  apiKey: string;
  workspaceId: string;
  client: Client;
  taskQueue: string;
  identityWorkflows: IdentityWorkflows;
  /** Runs in this process: its memory and CPU are this process's. */
  worker: Worker;
  temporal: RunningServer;
  /** The API's own process. */
  apiProcess: ChildProcess;
}

export async function startRealStack(stoppers: Stoppers, { db, url }: BenchDatabase): Promise<RealStack> {
  note('real stack: starting the Temporal dev server');
  const temporal = await startDevServer({ port: await freePort(), uiPort: await freePort(), headless: true });
  stoppers.add('Temporal dev server', () => temporal.stop());

  const connection = await Connection.connect({ address: temporal.address });
  stoppers.add('Temporal client connection', () => connection.close());
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection, namespace: 'default' });

  const taskQueue = `bench-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: temporal.address });
  stoppers.add('worker connection', () => nativeConnection.close());
  const worker = await createPacerWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: benchActivities(db),
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  stoppers.add('worker', async () => {
    worker.shutdown();
    await running;
  });

  const identityWorkflows = new IdentityWorkflows(client, taskQueue);
  const apiPort = await freePort();
  const api = await startApiProcess({
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: url,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_TASK_QUEUE: taskQueue,
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    PACER_ENCRYPTION_KEYS: generateKeyringEntry('bench-api'),
    LINKEDIN_GATEWAY: 'simulator',
    WARMUP_PROVIDER: 'simulator',
    PUBLIC_BASE_URL: 'https://pacer.example.com',
  });
  stoppers.add('API process', () => stopApiProcess(api));

  const { workspaceId, apiKey } = await createWorkspaceWithKey(db, 'bench');
  return { db, baseUrl: `http://127.0.0.1:${apiPort}`, apiKey, workspaceId, client, taskQueue, identityWorkflows, worker, temporal, apiProcess: api.process };
}

const API_READY_TIMEOUT_MS = 60_000;

/** The API from this checkout with only `env` (plus PATH and HOME); resolves once /healthz answers. */
async function startApiProcess(env: Record<string, string>): Promise<NodeService> {
  const api = startNodeService('API', path.resolve(__dirname, '..'), 'api/main.ts', { PATH: process.env.PATH, HOME: process.env.HOME, ...env });
  let exit: number | string | undefined;
  void api.exited.then((code) => (exit = code));
  const deadline = Date.now() + API_READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exit !== undefined) throw new Error(`the API exited with ${exit} before it answered:\n  ${api.output.join('\n  ')}`);
    const healthy = await fetch(`http://${env.API_HOST}:${env.API_PORT}/healthz`).then((response) => response.ok, () => false);
    if (healthy) return api;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  api.process.kill('SIGKILL');
  throw new Error(`the API did not answer /healthz within ${API_READY_TIMEOUT_MS / 1000} s:\n  ${api.output.join('\n  ')}`);
}

async function stopApiProcess(api: NodeService): Promise<void> {
  if ((await stopNodeService(api, 10_000)) === 'timeout') throw new Error('the API was still running 10 s after SIGTERM');
}
