/**
 * `npm start`: the whole system on one machine. Embedded PostgreSQL unless DATABASE_URL is set,
 * the Temporal dev server (with its Web UI) unless TEMPORAL_ADDRESS is set, migrations, then a
 * worker and the API in this process. Ctrl-C / SIGTERM stops everything in reverse order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateApiKey } from '../api/auth';
import { startApi } from '../api/main';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { applyMigrations } from '../db/migrate';
import { loadConfig, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { installTemporalRuntime, runWorker } from '../worker';
import { startDevServer } from './temporal-binaries';

type Stop = () => Promise<void>;

/** In development without API_KEYS, one key is generated once and kept in the data folder. */
async function developmentApiKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'dev-api-key');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const key = generateApiKey();
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

async function start(config: Config, logger: Logger, stops: Stop[]): Promise<void> {
  const dataDir = path.resolve(config.dataDir);
  const lines: string[] = [];

  let databaseUrl = config.databaseUrl;
  if (!databaseUrl) {
    logger.info('starting embedded PostgreSQL');
    const postgres = await startEmbeddedPostgres({
      dataDir: path.join(dataDir, 'postgres', 'cluster'),
      port: config.embeddedPostgresPort,
    });
    stops.push(() => postgres.stop());
    databaseUrl = postgres.url;
    lines.push(`PostgreSQL   embedded, 127.0.0.1:${config.embeddedPostgresPort} (data in ${dataDir}/postgres)`);
  } else {
    lines.push('PostgreSQL   DATABASE_URL');
  }

  let temporalAddress = config.temporal.address;
  if (!temporalAddress) {
    logger.info('starting the Temporal dev server');
    const temporal = await startDevServer({
      port: config.temporal.devServerPort,
      uiPort: config.temporal.uiPort,
      dbFile: path.join(dataDir, 'temporal.sqlite'),
      namespace: config.temporal.namespace,
    });
    stops.push(() => temporal.stop());
    temporalAddress = temporal.address;
    lines.push(`Temporal     dev server ${temporal.address}`, `Temporal UI  ${temporal.uiUrl}`);
  } else {
    lines.push(`Temporal     ${temporalAddress}`);
  }

  await applyMigrations(databaseUrl);

  const apiKeys = [...config.environmentApiKeys];
  if (apiKeys.length === 0 && config.environment !== 'production') {
    const key = await developmentApiKey(dataDir);
    apiKeys.push(key);
    lines.push(`API key      ${key}   (development key, kept in ${dataDir}/dev-api-key)`);
  }
  const running: Config = {
    ...config,
    databaseUrl,
    environmentApiKeys: apiKeys,
    temporal: { ...config.temporal, address: temporalAddress },
  };

  const workerStop = new AbortController();
  const workerDone = runWorker(running, logger, workerStop.signal);
  stops.push(async () => {
    workerStop.abort();
    await workerDone;
  });
  const api = await startApi(running, logger);
  stops.push(() => api.stop());
  lines.unshift(`API          ${api.url}`);

  console.log(`\nPacer is running.\n  ${lines.join('\n  ')}\nPress Ctrl-C to stop.\n`);
  await workerDone;
}

async function stopAll(stops: Stop[], logger: Logger): Promise<void> {
  for (const stop of stops.reverse()) {
    await stop().catch((error: unknown) => logger.error({ err: error }, 'error while stopping'));
  }
}

function main(): void {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger);
  const stops: Stop[] = [];
  let stopping: Promise<void> | undefined;
  const shutdown = () => {
    stopping ??= stopAll(stops, logger).then(() => logger.info('stopped'));
    return stopping;
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void shutdown());
  start(config, logger, stops)
    .catch((error: unknown) => {
      logger.fatal({ err: error }, 'Pacer failed');
      process.exitCode = 1;
    })
    .finally(() => void shutdown());
}

main();
