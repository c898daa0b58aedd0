import { chmod, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { applyMigrations } from '../../db/migrate';
import { freePort, startDevServer } from '../../scripts/temporal-binaries';
import type { SharedTestServices } from './services';

/** One real PostgreSQL and one real Temporal dev server for the whole run (each test file isolates its data). */
export default async function globalSetup(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pacer-test-'));
  await chmod(root, 0o755); // the `postgres` OS user must reach the cluster folder
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'postgres', 'cluster'), port: await freePort() });
  await applyMigrations(postgres.url);
  const temporal = await startDevServer({ port: await freePort(), uiPort: await freePort(), headless: true });
  process.env.PACER_TEST_DATABASE_URL = postgres.url;
  process.env.PACER_TEST_TEMPORAL_ADDRESS = temporal.address;
  (globalThis as { pacerTestServices?: SharedTestServices }).pacerTestServices = { root, postgres, temporal };
}
