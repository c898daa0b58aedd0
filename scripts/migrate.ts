/** `npm run migrate`: apply migrations to DATABASE_URL. */
import { applyMigrations } from '../db/migrate';
import { loadConfig, required } from '../lib/config';

applyMigrations(required(loadConfig().databaseUrl, 'DATABASE_URL')).then(
  () => console.log('Migrations applied.'),
  (error: unknown) => {
    console.error((error as Error).message);
    process.exitCode = 1;
  },
);
