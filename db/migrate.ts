import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const PROJECT_ROOT = path.resolve(__dirname, '..');

/**
 * Applies `prisma/migrations` with `prisma migrate deploy` (JS engine; see prisma.config.ts).
 * Idempotent: already-applied migrations are skipped.
 */
export async function applyMigrations(databaseUrl: string): Promise<void> {
  const prismaCli = require.resolve('prisma/build/index.js', { paths: [PROJECT_ROOT] });
  try {
    await run(process.execPath, [prismaCli, 'migrate', 'deploy'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
    // Prisma echoes no connection string, so its output is safe to show.
    throw new Error(`Database migrations failed:\n${stdout}${stderr}`.trim());
  }
}
