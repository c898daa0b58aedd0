/**
 * Makes sure Dovecot (the tests' real IMAP server) is available, fetching Debian's packages into the cache if
 * needed (scripts/dovecot.ts), and prints where it is. Exits non-zero with a readable message otherwise.
 *
 *   npx tsx scripts/provision-dovecot.ts
 */
import { resolveDovecot } from './dovecot';

resolveDovecot().then(
  (installation) => console.log(installation.kind === 'installed' ? `dovecot: ${installation.executable}` : `dovecot: ${installation.root} (extracted)`),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  },
);
