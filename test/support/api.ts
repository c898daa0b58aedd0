import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { createActivities } from '../../activities';
import { createLinkedinSimulatorOn } from '../../db/linkedin-simulator-store';
import type { LinkedinSimulator } from '../../integrations/linkedin';
import { createWarmupSimulator, type WarmupProvider } from '../../integrations/warmup';
import { testKeyring } from './keyring';
import { createApp, type ApiDependencies } from '../../api/app';
import type { EmailConnectionSettings } from '../../api/email-inboxes';
import type { OAuthSettings } from '../../api/email-oauth';
import { parseAllowlist } from '../../lib/config';
import { generateApiKey, hashApiKey } from '../../api/auth';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { createLogger } from '../../lib/logger';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { createPacerWorker } from '../../worker';
import { sharedServices } from './services';
import { workflowBundle } from './temporal';

/** The secret header value the API harnesses accept on POST /webhooks/unipile. */
export const TEST_UNIPILE_WEBHOOK_SECRET = 'test-unipile-webhook-secret-2b7e151628aed2a6abf7';
/** PUBLIC_BASE_URL of the API harnesses (share links and hosted sign-in notifications point there). */
export const TEST_PUBLIC_BASE_URL = 'https://pacer.example.test';

export interface ApiHarness {
  app: Express;
  /** The LinkedIn simulator the API and the worker share (its state is in the shared PostgreSQL). */
  linkedin: LinkedinSimulator;
  /** Every line the app logged (at trace level), to prove secrets never reach logs. */
  logLines: string[];
  db: Database;
  client: Client;
  /** The API's way to the workflows of this harness's task queue (status, signals). */
  identityWorkflows: IdentityWorkflows;
  /** Builds another app on the same database whose Temporal calls go to `namespace`. */
  appWithNamespace(namespace: string): Express;
  /** Builds another app with some dependencies replaced (e.g. the share links' clock). */
  appWith(overrides: Partial<ApiDependencies>): Express;
  /** Another app with other inbox-connection settings (e.g. no SSRF allowlist). */
  appWithEmail(email: Partial<EmailConnectionSettings>): Express;
  /** Another app with other OAuth settings (e.g. none configured). */
  appWithOAuth(oauth: Partial<OAuthSettings>): Express;
  stop(): Promise<void>;
}

/**
 * The real API on the shared PostgreSQL and Temporal dev server, with a real worker on a task queue
 * of its own, so test files don't see each other's workflows.
 */
export async function startApiHarness(
  options: { operatorApiKey?: string; email?: Partial<EmailConnectionSettings>; oauth?: Partial<OAuthSettings>; warmup?: WarmupProvider } = {},
): Promise<ApiHarness> {
  const { databaseUrl, temporalAddress } = sharedServices();
  const db = createDatabase(databaseUrl);
  const connection = await Connection.connect({ address: temporalAddress });
  await ensureSearchAttributes(connection, 'default');
  const client = new Client({ connection, namespace: 'default' });
  const taskQueue = `api-test-${randomUUID()}`;
  const linkedin = createLinkedinSimulatorOn(db);
  const nativeConnection = await NativeConnection.connect({ address: temporalAddress });
  const worker: Worker = await createPacerWorker({
    connection: nativeConnection,
    namespace: 'default',
    taskQueue,
    activities: createActivities({
      db,
      linkedin,
      keyring: testKeyring,
      warmup: options.warmup ?? createWarmupSimulator(),
      mailHosts: { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 10_000 },
    }),
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  const logLines: string[] = [];
  const logger = createLogger('trace', { write: (line: string) => logLines.push(line) });
  const appFor = (workflowClient: Client, overrides: Partial<ApiDependencies> = {}, email: Partial<EmailConnectionSettings> = {}, oauth: Partial<OAuthSettings> = options.oauth ?? {}) =>
    createApp({
      db,
      identityWorkflows: new IdentityWorkflows(workflowClient, taskQueue),
      logger,
      bodyLimit: '100kb',
      operatorApiKey: options.operatorApiKey,
      shareLinks: { publicBaseUrl: TEST_PUBLIC_BASE_URL, linkedin },
      linkedin: { gateway: linkedin, publicBaseUrl: TEST_PUBLIC_BASE_URL, unipileWebhookSecret: TEST_UNIPILE_WEBHOOK_SECRET },
      // Tests run their mail servers on loopback, which only the allowlist lets through.
      // Test servers speak plain text on loopback unless a test says otherwise.
      email: { keyring: testKeyring, connectTimeoutMs: 3_000, privateHostsAllowed: parseAllowlist('127.0.0.0/8'), allowPlaintext: true, ...options.email, ...email },
      // Webhook receivers in tests run on loopback too.
      webhooks: { keyring: testKeyring, privateHostsAllowed: parseAllowlist('127.0.0.0/8'), requireHttps: false },
      oauth: { keyring: testKeyring, stateSecret: undefined, redirectBaseUrl: 'http://127.0.0.1:3000', google: undefined, microsoft: undefined, ...oauth },
      ...overrides,
    });

  return {
    app: appFor(client),
    linkedin,
    logLines,
    db,
    client,
    identityWorkflows: new IdentityWorkflows(client, taskQueue),
    appWithNamespace: (namespace) => appFor(new Client({ connection, namespace })),
    appWith: (overrides) => appFor(client, overrides),
    appWithEmail: (email) => appFor(client, {}, email),
    appWithOAuth: (oauth) => appFor(client, {}, {}, oauth),
    async stop() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await db.$disconnect();
    },
  };
}

/** A fresh workspace with one API key; returns the clear key (shown once, stored hashed). */
export async function createWorkspaceWithKey(db: Database, name: string): Promise<{ workspaceId: string; apiKey: string }> {
  const apiKey = generateApiKey();
  const workspace = await db.workspace.create({
    data: { slug: `${name}-${randomUUID()}`, name, apiKeys: { create: { name: 'test key', keyHash: hashApiKey(apiKey) } } },
  });
  return { workspaceId: workspace.id, apiKey };
}
