/**
 * `npm run temporal -- <args>`: the Temporal CLI (the cached one, see docs/temporal-binaries.md)
 * against the cluster this configuration uses: TEMPORAL_ADDRESS, else npm start's dev server
 * (127.0.0.1:TEMPORAL_DEV_SERVER_PORT), in TEMPORAL_NAMESPACE. The CLI reads TEMPORAL_TLS_* and
 * TEMPORAL_API_KEY from the environment itself, with the same meaning as Pacer.
 *
 *   npm run temporal -- workflow list --query "PacerIdentityId='<id>'"
 */
import { spawn } from 'node:child_process';
import { loadConfig } from '../lib/config';
import { resolveTemporalCli } from './temporal-binaries';

async function main(): Promise<void> {
  const config = loadConfig();
  const cli = await resolveTemporalCli();
  const child = spawn(cli, process.argv.slice(2), {
    stdio: 'inherit',
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: config.temporal.address ?? `127.0.0.1:${config.temporal.devServerPort}`,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
    },
  });
  // The CLI answers Ctrl-C itself; we only wait for it.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  process.exitCode = await new Promise<number>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
