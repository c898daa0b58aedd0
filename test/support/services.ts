import type { EmbeddedPostgres } from '../../db/embedded-postgres';
import type { RunningServer } from '../../scripts/temporal-binaries';

export interface SharedTestServices {
  root: string;
  postgres: EmbeddedPostgres;
  temporal: RunningServer;
}

/** Addresses of the real services started by global-setup.ts. */
export function sharedServices(): { databaseUrl: string; temporalAddress: string } {
  const databaseUrl = process.env.PACER_TEST_DATABASE_URL;
  const temporalAddress = process.env.PACER_TEST_TEMPORAL_ADDRESS;
  if (!databaseUrl || !temporalAddress) throw new Error('test/support/global-setup.ts did not run');
  return { databaseUrl, temporalAddress };
}
