import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { defineConfig } from 'prisma/config';
import { createMigrationSafePool } from './db/pg-pool';

// Prisma 6.19 with the JavaScript engine: no native engine download (see docs/prisma.md).
// `prisma generate` and `migrate diff` need no database, but without a DATABASE_URL the CLI silently
// falls back to downloading native engines, which fails offline. A placeholder keeps it on the JS
// engine; the pool connects lazily, so commands that need a database fail on the placeholder host.
const databaseUrl = (process.env.DATABASE_URL ??= 'postgresql://database-url-not-set@localhost/unset');

export default defineConfig({
  experimental: { adapter: true },
  engine: 'js',
  schema: path.join('prisma', 'schema.prisma'),
  migrations: { path: path.join('prisma', 'migrations') },
  adapter() {
    return Promise.resolve(new PrismaPg(createMigrationSafePool(databaseUrl)));
  },
});
