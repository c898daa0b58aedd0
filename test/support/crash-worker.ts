/**
 * A worker in a process of its own, for tests that kill it (SIGKILL) and start it again:
 *   node --import tsx test/support/crash-worker.ts
 * Environment: CRASH_DATABASE_URL, CRASH_TEMPORAL_ADDRESS, CRASH_TASK_QUEUE, CRASH_BUNDLE (a prebuilt
 * workflow bundle, so a restart takes seconds), CRASH_KEYRING (`<id>:<key>`), CRASH_LINKEDIN_URL
 * (the LinkedIn automation service, HTTP adapter). Prints "polling" once the worker runs.
 */
import { NativeConnection, Runtime, DefaultLogger } from '@temporalio/worker';
import { createActivities } from '../../activities';
import { createDatabase } from '../../db/client';
import { createHttpLinkedinGateway } from '../../integrations/linkedin';
import { createWarmupSimulator } from '../../integrations/warmup';
import { parseAllowlist } from '../../lib/config';
import { parseKeyring } from '../../lib/secrets';
import { createPacerWorker } from '../../worker';

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const db = createDatabase(env('CRASH_DATABASE_URL'));
  const connection = await NativeConnection.connect({ address: env('CRASH_TEMPORAL_ADDRESS') });
  const worker = await createPacerWorker({
    connection,
    namespace: 'default',
    taskQueue: env('CRASH_TASK_QUEUE'),
    workflowBundle: { codePath: env('CRASH_BUNDLE') },
    activities: createActivities({
      db,
      linkedin: createHttpLinkedinGateway({ baseUrl: env('CRASH_LINKEDIN_URL'), token: 'crash-test-token', timeoutMs: 5_000 }),
      keyring: parseKeyring(env('CRASH_KEYRING')),
      warmup: createWarmupSimulator(),
      mailHosts: { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 5_000 },
    }),
  });
  const running = worker.run();
  process.stdout.write('polling\n');
  await running;
}

main().catch((error: unknown) => {
  process.stderr.write(`crash worker failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
