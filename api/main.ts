/**
 * API entry point. `npm run api` runs only the API (scale-out); `npm start` runs it in-process
 * with a worker and the embedded services.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { createDatabase } from '../db/client';
import { selectLinkedinGateway } from '../integrations/linkedin';
import { loadConfig, required, type Config } from '../lib/config';
import { createLogger, type Logger } from '../lib/logger';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { createApp } from './app';
import { registerEnvironmentApiKeys } from './auth';
import { IdentityWorkflows } from './identity-workflows';
import { keyringFor } from '../worker';

export interface RunningApi {
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: Config, logger: Logger): Promise<RunningApi> {
  const db = createDatabase(required(config.databaseUrl, 'DATABASE_URL'));
  const connection = await Connection.connect({ address: required(config.temporal.address, 'TEMPORAL_ADDRESS') });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  await ensureSearchAttributes(connection, config.temporal.namespace);
  await registerEnvironmentApiKeys(db, config.environmentApiKeys);
  const linkedin = selectLinkedinGateway({ environment: config.environment, ...config.linkedinGateway }, { logger });
  const app = createApp({
    db,
    identityWorkflows: new IdentityWorkflows(client, config.temporal.taskQueue),
    logger,
    bodyLimit: config.api.bodyLimit,
    operatorApiKey: config.operatorApiKey,
    trustProxy: config.trustProxy,
    shareLinks: {
      publicBaseUrl: config.publicBaseUrl,
      linkedin,
      // The automation service hosts its sign-in pages on its own origin (the simulator's are known).
      ...(linkedin.adapter === 'http' ? { linkedinSignInOrigins: [new URL(required(config.linkedinGateway.baseUrl, 'LINKEDIN_GATEWAY_URL')).origin] } : {}),
    },
    email: { keyring: keyringFor(config), connectTimeoutMs: config.email.connectTimeoutMs, privateHostsAllowed: config.email.privateHostsAllowed },
    oauth: {
      keyring: keyringFor(config),
      stateSecret: config.email.oauthStateSecret,
      redirectBaseUrl: config.publicBaseUrl,
      google: config.email.google,
      microsoft: config.email.microsoft,
      googleAuthorizeUrl: config.email.googleAuthorizeUrl,
      returnOrigins: config.email.oauthReturnOrigins,
    },
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
