/**
 * Worker entry point. `npm run worker` runs only a worker (scale-out: run N of these);
 * `npm start` runs one in-process with the API.
 */
import path from 'node:path';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type PacerActivities } from './activities';
import { createDatabase, type Database } from './db/client';
import { prismaLinkedinAccountDirectory } from './db/linkedin-directory';
import { prismaLinkedinSimulatorStore } from './db/linkedin-simulator-store';
import { selectLinkedinGateway, type LinkedinGateway } from './integrations/linkedin';
import { selectWarmupProvider } from './integrations/warmup';
import { ConfigError, loadConfig, required, type Config } from './lib/config';
import { createLogger, type Logger } from './lib/logger';
import { developmentKeyring, parseKeyring, type Keyring } from './lib/secrets';

export interface PacerWorkerDependencies {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  activities: PacerActivities;
  /** A prebuilt workflow bundle (tests bundle once); otherwise the worker bundles `workflows/`. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export function createPacerWorker(deps: PacerWorkerDependencies): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: deps.activities,
    ...(deps.workflowBundle
      ? { workflowBundle: deps.workflowBundle }
      : { workflowsPath: require.resolve('./workflows') }),
  });
}

/**
 * Called once per process before any worker exists: the process owns SIGINT/SIGTERM (so it can stop
 * the API before the worker), and the SDK logs through pino. SDK info lines (webpack stats) are
 * demoted to debug.
 */
export function installTemporalRuntime(logger: Logger): void {
  const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'debug',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  Runtime.install({
    shutdownSignals: [],
    logger: new DefaultLogger('INFO', ({ level, message, meta }) => sdkLogger[pinoLevel[level]](meta ?? {}, message)),
  });
}

/** PACER_ENCRYPTION_KEYS, or outside production a development key kept in the data folder. */
export function keyringFor(config: Config): Keyring {
  if (config.encryptionKeys) return parseKeyring(config.encryptionKeys);
  if (config.environment === 'production') {
    throw new ConfigError('PACER_ENCRYPTION_KEYS must be set in production (see README, "Secrets")');
  }
  return developmentKeyring(path.resolve(config.dataDir, 'encryption-keys'));
}

/** The configured LinkedIn gateway, reading Pacer's records (and, for the simulator, its shared state) from `db`. */
export function linkedinGatewayFor(config: Config, db: Database, logger: Logger): LinkedinGateway {
  return selectLinkedinGateway(
    { environment: config.environment, ...config.linkedinGateway },
    { logger, accounts: prismaLinkedinAccountDirectory(db), simulatorStore: prismaLinkedinSimulatorStore(db) },
  );
}

/** Connects to Temporal and runs a worker until `signal` aborts; resolves when it has shut down. */
export async function runWorker(config: Config, logger: Logger, signal: AbortSignal): Promise<void> {
  const db = createDatabase(required(config.databaseUrl, 'DATABASE_URL'));
  const connection = await NativeConnection.connect({ address: required(config.temporal.address, 'TEMPORAL_ADDRESS') });
  try {
    const worker = await createPacerWorker({
      connection,
      namespace: config.temporal.namespace,
      taskQueue: config.temporal.taskQueue,
      activities: createActivities({
        db,
        linkedin: linkedinGatewayFor(config, db, logger),
        keyring: keyringFor(config),
        warmup: selectWarmupProvider({ environment: config.environment, ...config.warmupProvider }, { logger }),
        emailProviders: { google: config.email.google, microsoft: config.email.microsoft },
        mailHosts: { privateHostsAllowed: config.email.privateHostsAllowed, timeoutMs: config.email.connectTimeoutMs },
      }),
    });
    signal.addEventListener('abort', () => worker.shutdown(), { once: true });
    logger.info({ taskQueue: config.temporal.taskQueue }, 'worker polling');
    await worker.run();
  } finally {
    await connection.close();
    await db.$disconnect();
  }
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  installTemporalRuntime(logger);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  runWorker(config, logger, stop.signal).catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker failed');
    process.exitCode = 1;
  });
}
