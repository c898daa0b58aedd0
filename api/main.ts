/**
 * API entry point. `npm run api` runs only the API (scale-out); `npm start` runs it in-process
 * with a worker and the embedded services.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createDatabase } from '../db/client';
import { linkedinGatewayFor } from '../db/linkedin-gateway';
import { loadConfig, required, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { keyringFor } from '../lib/secrets';
import { temporalConnectionOptions } from '../lib/temporal-connection';
import { createApp } from './app';
import { registerEnvironmentApiKeys } from './auth';
import { ensureWebhookOutboxRelay } from '../workflows/webhook-delivery-contract';
import { IdentityWorkflows } from './identity-workflows';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const db = createDatabase(required(config.databaseUrl, 'DATABASE_URL'));
  const connection = await Connection.connect(
    await temporalConnectionOptions({ ...config.temporal, address: required(config.temporal.address, 'TEMPORAL_ADDRESS') }),
  );
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await ensureSearchAttributes(connection, config.temporal.namespace);
  await registerEnvironmentApiKeys(db, config.environmentApiKeys);
  // Starts the deliveries whose start was lost (docs/webhooks.md); already running after the first start.
  await ensureWebhookOutboxRelay(client, config.temporal.taskQueue);
  const linkedin = linkedinGatewayFor(config, db, logger);
  if (linkedin.adapter === 'unipile' && config.unipileWebhookSecret === undefined) {
    logger.warn({ linkedinGateway: 'unipile' }, 'UNIPILE_WEBHOOK_SECRET is not set: POST /webhooks/unipile refuses every delivery, so acceptances and account status changes are not seen');
  }
  const app = createApp({
    db,
    identityWorkflows: new IdentityWorkflows(client, config.temporal.taskQueue, logger),
    logger,
    bodyLimit: config.api.bodyLimit,
    operatorApiKey: config.operatorApiKey,
    metricsToken: config.metrics.token,
    trustProxy: config.trustProxy,
    shareLinks: {
      publicBaseUrl: config.publicBaseUrl,
      linkedin,
      // The automation service hosts its sign-in pages on its own origin (the simulator's and Unipile's are known).
      ...(linkedin.adapter === 'http' ? { linkedinSignInOrigins: [new URL(required(config.linkedinGateway.baseUrl, 'LINKEDIN_GATEWAY_URL')).origin] } : {}),
    },
    linkedin: { gateway: linkedin, publicBaseUrl: config.publicBaseUrl, unipileWebhookSecret: config.unipileWebhookSecret },
    email: {
      keyring: keyringFor(config),
      connectTimeoutMs: config.email.connectTimeoutMs,
      privateHostsAllowed: config.email.privateHostsAllowed,
      allowPlaintext: config.email.allowPlaintext,
    },
    oauth: {
      keyring: keyringFor(config),
      stateSecret: config.email.oauthStateSecret,
      redirectBaseUrl: config.publicBaseUrl,
      google: config.email.google,
      microsoft: config.email.microsoft,
      googleAuthorizeUrl: config.email.googleAuthorizeUrl,
      returnOrigins: config.email.oauthReturnOrigins,
    },
    webhooks: { keyring: keyringFor(config), privateHostsAllowed: config.webhooks.privateHostsAllowed, requireHttps: config.webhooks.requireHttps },
  });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.api.port, config.api.host, () => resolve(listening));
    listening.once('error', reject);
  });
  return {
    url: `http://${config.api.host}:${config.api.port}`,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await connection.close();
      await db.$disconnect();
    },
  };
}

if (require.main === module) {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  startApi(config, logger).then(
    (api) => {
      logger.info({ url: api.url }, 'API listening');
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void api.stop());
    },
    (error: unknown) => {
      logger.fatal({ err: error }, 'API failed to start');
      process.exitCode = 1;
    },
  );
}
