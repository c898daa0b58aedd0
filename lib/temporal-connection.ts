/**
 * The one builder of Temporal connection options, used by the API (Connection), the worker
 * (NativeConnection) and the scripts. A cluster is reached in one of three ways:
 *
 * - plaintext: the dev server, or a cluster on a private network (docker-compose.yml);
 * - TLS, optionally mutual: TEMPORAL_TLS_CERT + TEMPORAL_TLS_KEY (client certificate, PEM files),
 *   TEMPORAL_TLS_CA (the server's CA when it is not publicly trusted), TEMPORAL_TLS_SERVER_NAME
 *   (when the certificate names another host than the address, e.g. behind a proxy);
 * - Temporal Cloud with TEMPORAL_API_KEY: TLS with the public roots, `Authorization: Bearer <key>`,
 *   and the `temporal-namespace` header, by which Cloud's regional endpoints
 *   (`<region>.<cloud>.api.temporal.io:7233`) route a request. The pure-JS client does not add that
 *   header itself (temporalio/sdk-typescript#1697).
 *   Docs: https://docs.temporal.io/cloud/api-keys, https://docs.temporal.io/develop/typescript/temporal-client
 *
 * The variable names and their meaning (paths to PEM files) are the Temporal CLI's, so
 * `npm run temporal` reaches the same cluster with the same environment.
 */
import { readFile } from 'node:fs/promises';
import type { TLSConfig } from '@temporalio/client';
import { ConfigError, type TemporalConnectionConfig } from './config';

/** What both Connection.connect (client) and NativeConnection.connect (worker) accept. */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TLSConfig;
  apiKey?: string;
  metadata?: Record<string, string>;
}

async function readPem(variable: string, file: string): Promise<Buffer> {
  let contents: Buffer;
  try {
    contents = await readFile(file);
  } catch (error) {
    throw new ConfigError(`${variable}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  // A readable message here beats the TLS library's parse error at the first connection.
  if (!contents.toString('utf8').includes('-----BEGIN ')) throw new ConfigError(`${variable}: ${file} is not a PEM file (no "-----BEGIN" line)`);
  return contents;
}

export async function temporalConnectionOptions(settings: {
  address: string;
  namespace: string;
  connection: TemporalConnectionConfig;
}): Promise<TemporalConnectionOptions> {
  const { address, namespace, connection } = settings;
  if (!connection.tls) return { address };
  const tls: TLSConfig = {};
  if (connection.serverName) tls.serverNameOverride = connection.serverName;
  if (connection.serverCaPath) tls.serverRootCACertificate = await readPem('TEMPORAL_TLS_CA', connection.serverCaPath);
  if (connection.clientCertPath && connection.clientKeyPath) {
    tls.clientCertPair = {
      crt: await readPem('TEMPORAL_TLS_CERT', connection.clientCertPath),
      key: await readPem('TEMPORAL_TLS_KEY', connection.clientKeyPath),
    };
  }
  if (!connection.apiKey) return { address, tls };
  return { address, tls, apiKey: connection.apiKey, metadata: { 'temporal-namespace': namespace } };
}
