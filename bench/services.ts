/**
 * The real services the bench runs against, wired as test/support does it: embedded PostgreSQL
 * with migrations (the worker's activities need it in both Temporal setups), then for groups 2 and
 * 3 the Temporal dev server, a worker on its own task queue, and the Express app on loopback.
 * Every part registers its stop with `stoppers` as soon as it runs.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, type Worker } from '@temporalio/worker';
import { createActivities } from '../activities';
import { createApp } from '../api/app';
import { IdentityWorkflows } from '../api/identity-workflows';
import { createDatabase, type Database } from '../db/client';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { createLinkedinSimulatorOn } from '../db/linkedin-simulator-store';
import { applyMigrations } from '../db/migrate';
import { createWarmupSimulator } from '../integrations/warmup';
import { createLogger } from '../lib/logger';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { generateKeyringEntry, parseKeyring } from '../lib/secrets';
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
  // The API opens its own pool, as it does in its own process (npm run api) and under npm start.
  const apiDb = createDatabase(url);
  stoppers.add('API database client', () => apiDb.$disconnect());
  const app = createApp({ db: apiDb, identityWorkflows, logger: createLogger('silent'), bodyLimit: '100kb' });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(0, '127.0.0.1', (error?: Error) => (error ? reject(error) : resolve(listening)));
  });
  stoppers.add('API server', () => closeServer(server));
  const { port } = server.address() as AddressInfo;

  const { workspaceId, apiKey } = await createWorkspaceWithKey(db, 'bench');
  return { db, baseUrl: `http://127.0.0.1:${port}`, apiKey, workspaceId, client, taskQueue, identityWorkflows, worker, temporal };
}

/** fetch keeps connections alive; close them too, or close() would wait for their idle timeout. */
function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
