/**
 * Worker entry point. `npm run worker` runs only a worker (scale-out: run N of these);
 * `npm start` runs one in-process with the API.
 */
import { Client } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker, type LogLevel, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type PacerActivities } from './activities';
import { createDatabase } from './db/client';
import { linkedinGatewayFor } from './db/linkedin-gateway';
import { selectWarmupProvider } from './integrations/warmup';
import { ConfigError, loadConfig, required, type Config } from './lib/config';
import { createLogger, type Logger } from './lib/logger';
import { serveMetrics } from './lib/metrics';
import { keyringFor } from './lib/secrets';
import { temporalConnectionOptions } from './lib/temporal-connection';
import { temporalWebhookDeliveries } from './workflows/webhook-delivery-contract';

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
 * demoted to debug. The SDK's own metrics (task slots, poll and schedule-to-start latencies, sticky
 * cache…) are served for Prometheus on TEMPORAL_SDK_METRICS_PORT unless it is 0.
 */
export function installTemporalRuntime(logger: Logger, metrics: Config['metrics']): void {
  const pinoLevel: Record<LogLevel, 'trace' | 'debug' | 'warn' | 'error'> = {
    TRACE: 'trace',
    DEBUG: 'debug',
    INFO: 'debug',
    WARN: 'warn',
    ERROR: 'error',
  };
  const sdkLogger = logger.child({ component: 'temporal-sdk' });
  const bindAddress = `${metrics.host.includes(':') ? `[${metrics.host}]` : metrics.host}:${metrics.sdkPort}`;
  try {
    Runtime.install({
      shutdownSignals: [],
      logger: new DefaultLogger('INFO', ({ level, message, meta }) => sdkLogger[pinoLevel[level]](meta ?? {}, message)),
      ...(metrics.sdkPort === 0 ? {} : { telemetryOptions: { metrics: { prometheus: { bindAddress, countersTotalSuffix: true, useSecondsForDurations: true } } } }),
    });
  } catch (error) {
    // The SDK binds its exporter here; a taken port is the usual cause.
    throw new ConfigError(
      `Cannot start the Temporal runtime (SDK metrics on ${bindAddress}): ${(error as Error).message}. Give each worker on one host its own TEMPORAL_SDK_METRICS_PORT, or 0 to turn it off`,
    );
  }
}

/** Connects to Temporal and runs a worker until `signal` aborts; resolves when it has shut down. */
export async function runWorker(config: Config, logger: Logger, signal: AbortSignal): Promise<void> {
  const db = createDatabase(required(config.databaseUrl, 'DATABASE_URL'));
  const connection = await NativeConnection.connect(
    await temporalConnectionOptions({ ...config.temporal, address: required(config.temporal.address, 'TEMPORAL_ADDRESS') }),
  );
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
        // Activities publish events too: they start delivery workflows through the worker's own connection.
        webhooks: {
          deliveries: temporalWebhookDeliveries(new Client({ connection, namespace: config.temporal.namespace }), config.temporal.taskQueue, logger),
          privateHostsAllowed: config.webhooks.privateHostsAllowed,
        },
      }),
    });
    // The stop may have been asked for while the worker was being built (bundling takes seconds).
    const stopAsked = new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info({ taskQueue: config.temporal.taskQueue }, 'worker polling');
    await worker.runUntil(stopAsked);
  } finally {
    await connection.close();
    await db.$disconnect();
  }
}

/** `npm run worker`: one worker, its product metrics on WORKER_METRICS_PORT (0 = off), until SIGINT/SIGTERM. */
async function main(config: Config, logger: Logger, signal: AbortSignal): Promise<void> {
  installTemporalRuntime(logger, config.metrics);
  const { workerPort, host, token } = config.metrics;
  const metrics = workerPort === 0 ? undefined : await serveMetrics({ host, port: workerPort, token });
  if (metrics) logger.info({ url: metrics.url }, 'worker metrics served');
  try {
    await runWorker(config, logger, signal);
  } finally {
    await metrics?.close();
  }
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const stop = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stop.abort());
  main(config, logger, stop.signal).catch((error: unknown) => {
    logger.fatal({ err: error }, 'worker failed');
    process.exitCode = 1;
  });
}
