/**
 * Makes sure both Temporal binaries are available (building them into the local cache if needed) and prints their
 * paths as env assignments, e.g. to paste into .env. Exits non-zero with a readable message if one is unavailable.
 *
 *   npx tsx scripts/provision-temporal.ts
 */
import { resolveTemporalCli, resolveTestServer } from './temporal-binaries';

const binaries = [
  { envVar: 'TEMPORAL_CLI_PATH', resolve: resolveTemporalCli },
  { envVar: 'TEMPORAL_TEST_SERVER_PATH', resolve: resolveTestServer },
];

async function main(): Promise<void> {
  let anyFailed = false;
  // One after the other: both builds at once would compete for the CPU and interleave their progress output.
  for (const { envVar, resolve } of binaries) {
    try {
      console.log(`${envVar}=${await resolve()}`);
    } catch (error) {
      anyFailed = true;
      console.error(error instanceof Error ? error.message : String(error));
    }
  }
  process.exitCode = anyFailed ? 1 : 0;
}

void main();
