/**
 * `npm start`: the whole system on one machine. Embedded PostgreSQL unless DATABASE_URL is set, the
 * Temporal dev server (with its Web UI) unless TEMPORAL_ADDRESS is set and, in development, a local
 * mailbox: these run in a child process of their own (scripts/local-services.ts). Then migrations,
 * and a worker and the API in this process.
 *
 * Stopping, in order (API, worker, mailbox, Temporal, PostgreSQL), on any of:
 * - SIGINT, SIGTERM or SIGHUP to this process or to its whole group (Ctrl-C);
 * - the loss of its parent: npm answers SIGTERM by ending its shell and itself, without signalling
 *   us, so we watch our parent and stop when it is gone;
 * - the local services process ending on its own.
 * If this process is killed outright, the local services process notices (its IPC channel closes)
 * and stops its services itself. A second signal stops at once; the local services still stop in order.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { generateApiKey } from '../api/auth';
import { startApi } from '../api/main';
import { applyMigrations } from '../db/migrate';
import { loadConfig, parseAllowlist, required, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { installTemporalRuntime, runWorker } from '../worker';
import { startLocalServices, type LocalServicesPlan } from './local-services';

/** What to stop, named in the log so the order can be followed (and is checked by a test). */
interface Stop {
  name: string;
  stop: () => Promise<void>;
}

const PARENT_WATCH_INTERVAL_MS = 500;

/** In development without API_KEYS, one key is generated once and kept in the data folder. */
async function developmentApiKey(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'dev-api-key');
  const existing = await readFile(file, 'utf8').catch(() => '');
  if (existing.trim()) return existing.trim();
  const key = generateApiKey();
  await writeFile(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function localServicesPlan(config: Config, dataDir: string): LocalServicesPlan {
  return {
    logLevel: config.logLevel,
    ...(config.databaseUrl ? {} : { postgres: { dataDir: path.join(dataDir, 'postgres', 'cluster'), port: config.embeddedPostgresPort } }),
    ...(config.temporal.address
      ? {}
      : {
          temporal: {
            port: config.temporal.devServerPort,
            uiPort: config.temporal.uiPort,
            dbFile: path.join(dataDir, 'temporal.sqlite'),
            namespace: config.temporal.namespace,
          },
        }),
    ...(config.devMailbox.enabled ? { mailbox: { dir: path.join(dataDir, 'mailbox'), imapPort: config.devMailbox.imapPort, smtpPort: config.devMailbox.smtpPort } } : {}),
  };
}

interface Lifecycle {
  stops: Stop[];
  stopEverything: (reason: string, exitCode: number) => void;
  /** True once a stop began: the start then goes no further. */
  stopping: () => boolean;
}

async function start(config: Config, logger: Logger, { stops, stopEverything, stopping }: Lifecycle): Promise<void> {
  const dataDir = path.resolve(config.dataDir);
  const lines: string[] = [];
  const mailboxLines: string[] = [];
  let running: Config = config;

  const plan = localServicesPlan(config, dataDir);
  if (plan.postgres || plan.temporal || plan.mailbox) {
    const local = startLocalServices(plan);
    stops.push({ name: 'local services', stop: () => local.stop() });
    void local.exited.then((reason) => stopEverything(`the local services process ${reason}`, 1));
    const { databaseUrl, temporal, mailbox } = await local.ready;
    if (stopping()) return;
    running = {
      ...running,
      databaseUrl: databaseUrl ?? running.databaseUrl,
      temporal: { ...running.temporal, address: temporal?.address ?? running.temporal.address },
    };
    if (mailbox?.available) {
      // The mailbox lives on loopback, which the SSRF guard refuses unless allowed, and speaks plain text (no certificate
      // to trust on a newcomer's machine), which EMAIL_ALLOW_PLAINTEXT refuses unless allowed; development only.
      running = { ...running, email: { ...running.email, allowPlaintext: true, privateHostsAllowed: [...running.email.privateHostsAllowed, ...parseAllowlist(mailbox.host)] } };
      mailboxLines.push(
        `Mailbox      IMAP ${mailbox.host}:${mailbox.imapPort}, SMTP ${mailbox.host}:${mailbox.smtpPort}, security "none" (development only)`,
        `             inbox ${mailbox.inbox}, password ${mailbox.password}; mail to other addresses lands in ${mailbox.catchAll}`,
      );
    } else if (mailbox) {
      mailboxLines.push(`Mailbox      unavailable: ${mailbox.reason}`);
    }
  }
  lines.push(plan.postgres ? `PostgreSQL   embedded, 127.0.0.1:${config.embeddedPostgresPort} (data in ${dataDir}/postgres)` : 'PostgreSQL   DATABASE_URL');
  lines.push(plan.temporal ? `Temporal     dev server ${running.temporal.address} (npm run temporal -- workflow list)` : `Temporal     ${running.temporal.address}`);
  if (plan.temporal) lines.push(`Temporal UI  http://127.0.0.1:${config.temporal.uiPort}`);
  lines.push(...mailboxLines);

  await applyMigrations(required(running.databaseUrl, 'DATABASE_URL'));
  if (stopping()) return;

  if (running.environmentApiKeys.length === 0 && config.environment !== 'production') {
    const key = await developmentApiKey(dataDir);
    running = { ...running, environmentApiKeys: [key] };
    lines.push(`API key      ${key}   (development key, kept in ${dataDir}/dev-api-key)`);
  }

  const workerStop = new AbortController();
  const workerDone = runWorker(running, logger, workerStop.signal);
  stops.push({
    name: 'worker',
    stop: async () => {
      workerStop.abort();
      await workerDone.catch(() => undefined);
    },
  });
  void workerDone.then(
    () => stopEverything('the worker stopped', workerStop.signal.aborted ? 0 : 1),
    (error: unknown) => {
      logger.fatal({ err: error }, 'worker failed');
      stopEverything('the worker failed', 1);
    },
  );
  const api = await startApi(running, logger);
  stops.push({ name: 'API', stop: () => api.stop() });
  if (stopping()) return;
  lines.unshift(`API          ${api.url}   (metrics: ${api.url}/metrics, readiness: ${api.url}/readyz)`);

  console.log(`\nPacer is running.\n  ${lines.join('\n  ')}\nPress Ctrl-C to stop.\n`);
}

function main(): void {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  try {
    installTemporalRuntime(logger, config.metrics);
  } catch (error) {
    logger.fatal({ err: error }, 'Pacer failed to start');
    process.exit(1);
  }
  const stops: Stop[] = [];
  let stopping = false;

  const stopEverything = (reason: string, exitCode: number) => {
    if (stopping) return;
    stopping = true;
    if (exitCode !== 0) process.exitCode = exitCode;
    logger.info({ reason }, 'stopping');
    void (async () => {
      for (const { name, stop } of [...stops].reverse()) {
        await stop().then(
          () => logger.info({ stopped: name }, `${name} stopped`),
          (error: unknown) => logger.error({ err: error, stopping: name }, `error while stopping the ${name}`),
        );
      }
      logger.info('stopped');
      process.exit();
    })();
  };

  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (!stopping) return stopEverything(signal, 0);
      logger.warn({ signal }, 'stopping at once; the local services stop by themselves');
      process.exit(130);
    });
  }
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) stopEverything('its parent process exited (npm stopped)', 0);
  }, PARENT_WATCH_INTERVAL_MS).unref();

  start(config, logger, { stops, stopEverything, stopping: () => stopping }).catch((error: unknown) => {
    // A start cut short by a stop fails on its way out: that is no start failure.
    if (stopping) return;
    logger.fatal({ err: error }, 'Pacer failed to start');
    stopEverything('start failed', 1);
  });
}

main();
