import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkerOptions } from '@temporalio/worker';
import type { Express } from 'express';
import type { DateTime } from 'luxon';
import { createActivities, type ActivityDependencies } from '../../activities';
import { createApp } from '../../api/app';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { createLinkedinSimulatorOn } from '../../db/linkedin-simulator-store';
import type { LinkedinGateway, LinkedinSimulator, LinkedinSimulatorOptions } from '../../integrations/linkedin';
import { createWarmupSimulator, type WarmupSimulator } from '../../integrations/warmup';
import { parseAllowlist } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { startTestServer, type RunningServer } from '../../scripts/temporal-binaries';
import { TEST_PUBLIC_BASE_URL, TEST_UNIPILE_WEBHOOK_SECRET, createWorkspaceWithKey } from './api';
import { testKeyring } from './keyring';
import { sharedServices } from './services';
import { connectTimeSkippingEnv, workflowBundle } from './temporal';
import { temporalWebhookDeliveries } from '../../workflows/webhook-delivery-contract';

export interface TimeSkippingHarness {
  env: TestWorkflowEnvironment;
  db: Database;
  /** The real API, talking to the time-skipping server and the shared PostgreSQL. */
  app: Express;
  identityWorkflows: IdentityWorkflows;
  /** The LinkedIn simulator the worker and the API share, in PostgreSQL (tests can accept invitations through it). */
  linkedin: LinkedinSimulator;
  workspaceId: string;
  /** The worker's warm-up provider (the labelled simulator). */
  warmup: WarmupSimulator;
  /** Every line the API logged (at trace level), to prove secrets never reach logs. */
  logLines: string[];
  auth(): { Authorization: string };
  /** Skips server time forward to `instant` (never backwards). */
  skipTo(instant: DateTime): Promise<void>;
  /** Stops the worker and starts a new one, e.g. to show a restart loses nothing. */
  replaceWorker(options?: Pick<WorkerOptions, 'maxCachedWorkflows'>): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A time-skipping test server of its own, a real worker (activities on the shared PostgreSQL and
 * the LinkedIn simulator), the real API on top, and a fresh workspace with a key.
 */
export async function startTimeSkippingHarness(
  taskQueue: string,
  workerOptions: Pick<WorkerOptions, 'maxCachedWorkflows'> = {},
  options: {
    linkedin?: Omit<LinkedinSimulatorOptions, 'store' | 'accounts'>;
    /** Another gateway for the worker (e.g. the HTTP adapter against a failing server); the simulator otherwise. */
    linkedinGateway?: LinkedinGateway;
    activities?: Pick<ActivityDependencies, 'emailProviders'> & { mailHostTimeoutMs?: number };
  } = {},
): Promise<TimeSkippingHarness> {
  const server: RunningServer = await startTestServer();
  const env = await connectTimeSkippingEnv(server.address);
  await ensureSearchAttributes(env.connection, 'default');
  const db = createDatabase(sharedServices().databaseUrl);
  const linkedin = createLinkedinSimulatorOn(db, options.linkedin);
  const warmup = createWarmupSimulator();
  // Mail servers in tests run on loopback, which only the allowlist lets through.
  const mailHosts = { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: options.activities?.mailHostTimeoutMs ?? 10_000 };
  // Webhook receivers in tests run on loopback too.
  const webhooks = { deliveries: temporalWebhookDeliveries(env.client, taskQueue), privateHostsAllowed: parseAllowlist('127.0.0.0/8') };
  const activities = createActivities({ db, linkedin: options.linkedinGateway ?? linkedin, keyring: testKeyring, warmup, mailHosts, emailProviders: options.activities?.emailProviders, webhooks });
  const startWorker = async (options: Pick<WorkerOptions, 'maxCachedWorkflows'> = workerOptions) => {
    const created = await Worker.create({ connection: env.nativeConnection, taskQueue, activities, workflowBundle: await workflowBundle(), ...options });
    return { worker: created, running: created.run() };
  };
  let current = await startWorker();
  const identityWorkflows = new IdentityWorkflows(env.client, taskQueue);
  const logLines: string[] = [];
  const app = createApp({
    db,
    identityWorkflows,
    logger: createLogger('trace', { write: (line: string) => logLines.push(line) }),
    bodyLimit: '100kb',
    now: () => env.currentTimeMs(),
    // Mail servers in tests run on loopback, which only the allowlist lets through.
    email: { keyring: testKeyring, connectTimeoutMs: 3_000, privateHostsAllowed: parseAllowlist('127.0.0.0/8'), allowPlaintext: true },
    linkedin: { gateway: linkedin, publicBaseUrl: TEST_PUBLIC_BASE_URL, unipileWebhookSecret: TEST_UNIPILE_WEBHOOK_SECRET },
    webhooks: { keyring: testKeyring, privateHostsAllowed: webhooks.privateHostsAllowed, requireHttps: false },
  });
  const { apiKey, workspaceId } = await createWorkspaceWithKey(db, taskQueue);
  const stopWorker = async () => {
    if (current.worker.getState() === 'RUNNING') current.worker.shutdown();
    await current.running;
  };

  return {
    env,
    db,
    app,
    identityWorkflows,
    linkedin,
    workspaceId,
    warmup,
    logLines,
    auth: () => ({ Authorization: `Bearer ${apiKey}` }),
    async skipTo(instant) {
      await env.sleep(Math.max(0, instant.toMillis() - (await env.currentTimeMs())));
    },
    async replaceWorker(options) {
      await stopWorker();
      current = await startWorker(options);
    },
    async stop() {
      await stopWorker();
      await db.$disconnect();
      await env.teardown();
      await server.stop();
    },
  };
}
