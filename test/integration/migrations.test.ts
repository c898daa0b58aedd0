import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { applyMigrations } from '../../db/migrate';
import { sharedServices } from '../support/services';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');

function databaseUrl(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withClient<T>(url: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/** Everything the schema defines, as PostgreSQL's catalog reports it. */
async function catalogSnapshot(url: string) {
  return withClient(url, async (client) => {
    const columns = await client.query(
      `SELECT table_name, column_name, udt_name, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> '_prisma_migrations' ORDER BY 1, 2`,
    );
    const indexes = await client.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <> '_prisma_migrations' ORDER BY 1`,
    );
    const constraints = await client.query(
      `SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint
       WHERE connamespace = 'public'::regnamespace AND conrelid::regclass::text <> '_prisma_migrations' ORDER BY 1`,
    );
    return { columns: columns.rows, indexes: indexes.rows, constraints: constraints.rows };
  });
}

/**
 * Migrations are authored offline with `prisma migrate diff` (migrate dev's shadow database crashes
 * Prisma's wasm engine here, and URL diffs are refused with an adapter), so this guards drift: a
 * database built by every migration must equal one built straight from prisma/schema.prisma.
 */
test('the migrations produce exactly the schema in prisma/schema.prisma', async () => {
  const { databaseUrl: sharedUrl } = sharedServices();
  const suffix = randomBytes(4).toString('hex');
  const [migrated, fromSchema] = [`drift_migrated_${suffix}`, `drift_schema_${suffix}`];
  await withClient(sharedUrl, async (admin) => {
    await admin.query(`CREATE DATABASE ${migrated}`);
    await admin.query(`CREATE DATABASE ${fromSchema}`);
  });
  try {
    await applyMigrations(databaseUrl(sharedUrl, migrated));
    const prisma = require.resolve('prisma/build/index.js', { paths: [ROOT] });
    const { stdout: schemaSql } = await run(
      process.execPath,
      [prisma, 'migrate', 'diff', '--from-empty', '--to-schema-datamodel', 'prisma/schema.prisma', '--script'],
      { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl(sharedUrl, fromSchema) } },
    );
    await withClient(databaseUrl(sharedUrl, fromSchema), (client) => client.query(schemaSql));

    const expected = await catalogSnapshot(databaseUrl(sharedUrl, fromSchema));
    expect(expected.columns.length).toBeGreaterThan(0);
    expect(await catalogSnapshot(databaseUrl(sharedUrl, migrated))).toEqual(expected);
  } finally {
    await withClient(sharedUrl, async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${migrated} WITH (FORCE)`);
      await admin.query(`DROP DATABASE IF EXISTS ${fromSchema} WITH (FORCE)`);
    });
  }
});
