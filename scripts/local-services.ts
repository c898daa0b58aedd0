/**
 * npm start's local services (embedded PostgreSQL, the Temporal dev server, the development mailbox)
 * run in a child process of their own, in its own process group:
 *
 * - Ctrl-C reaches the terminal's foreground group (npm, its shell, the orchestrator), not this
 *   child: the orchestrator stops the API and the worker first, then asks this child to stop, and
 *   the child stops the mailbox, Temporal and PostgreSQL in that order.
 * - A child that loses its parent exits: when the orchestrator dies, even by SIGKILL, the IPC
 *   channel closes at once and the child stops its services and exits, so nothing is left behind.
 *
 * The parent half (startLocalServices) spawns this file; the child half runs when it is the main module.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startEmbeddedPostgres } from '../db/embedded-postgres';
import { createLogger, type Logger } from '../lib/logger';
import { startDevMailbox } from './dev-mailbox';
import { startDevServer } from './temporal-binaries';

export interface LocalServicesPlan {
  logLevel: string;
  postgres?: { dataDir: string; port: number };
  temporal?: { port: number; uiPort: number; dbFile: string; namespace: string };
  mailbox?: { dir: string; imapPort: number; smtpPort: number };
}

export interface StartedLocalServices {
  /** Secret: holds the cluster's password. */
  databaseUrl?: string;
  temporal?: { address: string; uiUrl: string };
  mailbox?:
    | { available: true; host: string; imapPort: number; smtpPort: number; inbox: string; catchAll: string; password: string }
    | { available: false; reason: string };
}

type ToServices = { type: 'start'; plan: LocalServicesPlan } | { type: 'stop' };
type FromServices = { type: 'ready'; services: StartedLocalServices } | { type: 'failed'; message: string };

export interface LocalServices {
  /** Resolves once every planned service answers; rejects (after stopping what started) when one cannot start. */
  ready: Promise<StartedLocalServices>;
  /** Resolves when the child has exited, for whatever reason. */
  exited: Promise<string>;
  /** Asks the child to stop its services in order (waiting for a start in progress) and waits for it to exit. */
  stop(): Promise<void>;
}

/** Waits this long for an orderly stop before killing the child's whole process group. */
const STOP_TIMEOUT_MS = 30_000;

/** Spawns the local services process; the handle exists at once, so a stop asked during the start is honoured. */
export function startLocalServices(plan: LocalServicesPlan): LocalServices {
  // tsx's loader (from the repository, whatever started us), own process group (detached), and an IPC
  // channel that closes when we die.
  const child = spawn(process.execPath, ['--import', 'tsx', __filename], {
    cwd: path.resolve(__dirname, '..'),
    detached: true,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exited with ${code}`));
    child.once('error', (error) => resolve(`could not be spawned: ${error.message}`));
  });
  const killGroup = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  };
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    if (child.connected) child.send({ type: 'stop' } satisfies ToServices);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS)))]);
    clearTimeout(timer);
    if (timedOut) killGroup();
    await exited;
  };
  child.send({ type: 'start', plan } satisfies ToServices);
  const ready = new Promise<FromServices>((resolve) => {
    child.once('message', (message) => resolve(message as FromServices));
    void exited.then((reason) => resolve({ type: 'failed', message: `the local services process ${reason}` }));
  }).then(async (answer) => {
    if (answer.type === 'ready') return answer.services;
    await stop();
    throw new Error(answer.message);
  });
  return { ready, exited, stop };
}

/** The child: starts what the plan asks for, in order, and stops it in reverse order. */
function runServices(): void {
  let logger: Logger = createLogger('info');
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  let stopping: Promise<void> | undefined;
  /** The start in progress: a stop waits for it, so a service still starting is not left behind. */
  let starting: Promise<unknown> = Promise.resolve();
  const stopAll = (reason: string) => {
    stopping ??= (async () => {
      logger.info({ reason }, 'stopping local services');
      await starting.catch(() => undefined);
      for (const { name, stop } of stops.reverse()) {
        await stop().then(
          () => logger.info({ stopped: name }, `${name} stopped`),
          (error: unknown) => logger.error({ err: error, stopping: name }, `error while stopping ${name}`),
        );
      }
      process.exit(0);
    })();
    return stopping;
  };
  /** Registers a started service; one that finished starting after a stop was asked for is stopped at once. */
  const started = async (name: string, stop: () => Promise<void>) => {
    if (!stopping) {
      stops.push({ name, stop });
      return;
    }
    await stop();
    logger.info({ stopped: name }, `${name} stopped`);
  };

  const start = async (plan: LocalServicesPlan): Promise<StartedLocalServices> => {
    logger = createLogger(plan.logLevel).child({ component: 'local-services' });
    const services: StartedLocalServices = {};
    if (plan.postgres && !stopping) {
      logger.info('starting embedded PostgreSQL');
      const postgres = await startEmbeddedPostgres(plan.postgres);
      await started('PostgreSQL', () => postgres.stop());
      services.databaseUrl = postgres.url;
    }
    if (plan.temporal && !stopping) {
      logger.info('starting the Temporal dev server');
      const temporal = await startDevServer({ ...plan.temporal, log: (line) => logger.debug({ temporal: line }) });
      await started('Temporal', () => temporal.stop());
      services.temporal = { address: temporal.address, uiUrl: temporal.uiUrl };
    }
    if (plan.mailbox && !stopping) {
      logger.info('starting the development mailbox');
      try {
        const mailbox = await startDevMailbox(plan.mailbox);
        await started('the mailbox', () => mailbox.stop());
        const { host, imapPort, smtpPort, inbox, catchAll, password } = mailbox;
        services.mailbox = { available: true, host, imapPort, smtpPort, inbox, catchAll, password };
      } catch (error) {
        // Everything else works without it: say why, and go on.
        const reason = error instanceof Error ? error.message : String(error);
        logger.warn({ reason }, 'development mailbox unavailable');
        services.mailbox = { available: false, reason };
      }
    }
    return services;
  };

  process.on('message', (message: ToServices) => {
    if (message.type === 'stop') {
      void stopAll('asked by npm start');
      return;
    }
    // Answers only while npm start is there to hear them (sending on a closed channel is an error).
    const answer = (reply: FromServices) => {
      if (process.connected && !stopping) process.send?.(reply);
    };
    starting = start(message.plan).then(
      (services) => answer({ type: 'ready', services }),
      (error: unknown) => {
        answer({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
        void stopAll('start failed');
      },
    );
  });
  // The orchestrator is gone (even SIGKILL closes the channel): nothing may outlive it.
  process.on('disconnect', () => void stopAll('npm start exited'));
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void stopAll(signal));
}

if (require.main === module) runServices();
