/**
 * `npx tsx bench/run.ts` (or `npm run bench`): measures the design's performance targets and
 * prints one figure per line, `name: value unit (target …)`. It measures and never asserts: the
 * exit code is non-zero only when a measurement could not be completed.
 *
 * Knobs (environment): BENCH_TIMESKIP_IDENTITIES (50), BENCH_DAYS (14), BENCH_API_IDENTITIES (20),
 * BENCH_API_WARMUP (100), BENCH_API_CHANGES (300), BENCH_CONCURRENCY (8), BENCH_SECONDS (10), BENCH_MASS_IDENTITIES
 * (1000; 0 skips the mass start; 10000 is the design's target size).
 *
 * Every server it starts (JVM test server, Temporal dev server, embedded PostgreSQL, the API) is
 * stopped in `finally`, and on SIGINT/SIGTERM, so no process outlives the run.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { measureApiSignals } from './api-signals';
import { measureMassStart } from './mass-start';
import { measureReinviteScenario } from './reinvite';
import { startDatabase, startRealStack } from './services';
import { Stoppers, intFromEnv, loadAverageLine, machineLine, note } from './support';
import { measureIdleCostWithTimeSkipping } from './time-skipping';

async function main(stoppers: Stoppers): Promise<void> {
  process.stdout.write(`${machineLine()}\n${loadAverageLine('at_start')}\n`);

  const database = await startDatabase(stoppers);

  const timeSkipping = stoppers.group('time-skipping servers');
  await measureIdleCostWithTimeSkipping(timeSkipping, database);
  // Done with the JVM test server and its worker; stop them so they don't compete for the cores below.
  await timeSkipping.stopAll();
  const reinvite = stoppers.group('re-invite scenario');
  await measureReinviteScenario(reinvite, database);
  await reinvite.stopAll();

  const stack = await startRealStack(stoppers, database);
  await measureApiSignals(stack);
  const massIdentities = intFromEnv('BENCH_MASS_IDENTITIES', 1000);
  if (massIdentities > 0) await measureMassStart(stack, massIdentities);
  else note('mass start skipped (BENCH_MASS_IDENTITIES=0)');
  process.stdout.write(`${loadAverageLine('at_end')}\n`);
}

/**
 * The SDK's native core prints its own warnings straight to stdout by default; forwarding them
 * keeps stdout for figures only. The Runtime leaves SIGINT/SIGTERM to us (see run()).
 */
function installQuietTemporalRuntime(): void {
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('WARN', ({ level, message, meta }) => {
      process.stderr.write(`[temporal-sdk] ${level} ${message}${meta ? ` ${JSON.stringify(meta)}` : ''}\n`);
    }),
    telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }), forward: {} } },
  });
}

async function run(): Promise<number> {
  installQuietTemporalRuntime();
  const stoppers = new Stoppers();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    note(`${signal}: stopping everything the bench started`);
    stoppers.stopAll().then(
      () => process.exit(130),
      () => process.exit(130),
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const started = performance.now();
  let exitCode = 0;
  try {
    await main(stoppers);
  } catch (error) {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitCode = 1;
  } finally {
    try {
      await stoppers.stopAll();
    } catch {
      exitCode = 1;
    }
  }
  note(`total wall time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return exitCode;
}

run().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench crashed: ${String(error)}\n`);
    process.exit(1);
  },
);
