/**
 * `npm run rotate-keys`: step 2 of key rotation (lib/secrets): every credential envelope not yet under
 * the first key of PACER_ENCRYPTION_KEYS is decrypted with its own key and encrypted again under the
 * first one. It reports counts; once it reports no failure and nothing left under an old key, the old
 * key can be dropped from PACER_ENCRYPTION_KEYS.
 *
 * Envelopes: EmailInbox.passwordEnvelope and EmailInbox.refreshTokenEnvelope (the only secrets stored).
 * Each row is rewritten only if its envelope is still the one read (a connection that stored new
 * credentials meanwhile already used the current key). Running it twice changes nothing the second time.
 * Exit code 1 when an envelope could not be decrypted (its key is missing from PACER_ENCRYPTION_KEYS,
 * or it was tampered with): nothing is lost, the report names the inbox and the key id.
 */
import { createDatabase, type Database } from '../db/client';
import { loadConfig, required } from '../lib/config';
import { inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, keyringFor, needsReencryption, reencryptSecret, SecretDecryptionError, type Keyring } from '../lib/secrets';

export interface RotationReport {
  currentKeyId: string;
  examined: number;
  reencrypted: number;
  alreadyCurrent: number;
  failed: { inboxId: string; column: 'passwordEnvelope' | 'refreshTokenEnvelope'; keyId: string | null; reason: string }[];
}

const COLUMNS = [
  { column: 'passwordEnvelope', associatedData: inboxPasswordAssociatedData },
  { column: 'refreshTokenEnvelope', associatedData: inboxRefreshTokenAssociatedData },
] as const;

/** Re-encrypts every envelope under the keyring's first key; reads in pages of `pageSize` rows. */
export async function rotateEnvelopes(db: Database, keyring: Keyring, pageSize = 200): Promise<RotationReport> {
  const report: RotationReport = { currentKeyId: keyring.currentKeyId, examined: 0, reencrypted: 0, alreadyCurrent: 0, failed: [] };
  let after: string | undefined;
  for (;;) {
    const rows = await db.emailInbox.findMany({
      where: { OR: [{ passwordEnvelope: { not: null } }, { refreshTokenEnvelope: { not: null } }], ...(after ? { id: { gt: after } } : {}) },
      select: { id: true, passwordEnvelope: true, refreshTokenEnvelope: true },
      orderBy: { id: 'asc' },
      take: pageSize,
    });
    if (rows.length === 0) return report;
    for (const row of rows) {
      for (const { column, associatedData } of COLUMNS) {
        const envelope = row[column];
        if (envelope === null) continue;
        report.examined += 1;
        try {
          if (!needsReencryption(keyring, envelope)) {
            report.alreadyCurrent += 1;
            continue;
          }
          const rewritten = reencryptSecret(keyring, envelope, associatedData(row.id));
          const { count } = await db.emailInbox.updateMany({ where: { id: row.id, [column]: envelope }, data: { [column]: rewritten } });
          // 0: new credentials were stored meanwhile, under the current key.
          if (count === 1) report.reencrypted += 1;
          else report.alreadyCurrent += 1;
        } catch (error) {
          if (!(error instanceof SecretDecryptionError)) throw error;
          report.failed.push({ inboxId: row.id, column, keyId: error.keyId ?? null, reason: error.reason });
        }
      }
    }
    after = rows[rows.length - 1]!.id;
  }
}

export function formatReport(report: RotationReport): string {
  const lines = [
    `Current key: ${report.currentKeyId}`,
    `Envelopes examined: ${report.examined}`,
    `Re-encrypted under ${report.currentKeyId}: ${report.reencrypted}`,
    `Already under ${report.currentKeyId}: ${report.alreadyCurrent}`,
    `Failed: ${report.failed.length}`,
    ...report.failed.map((failure) => `  inbox ${failure.inboxId} ${failure.column}: ${failure.reason}${failure.keyId ? ` (key id ${failure.keyId})` : ''}`),
    report.failed.length === 0
      ? 'Every envelope is under the current key: older keys can be removed from PACER_ENCRYPTION_KEYS.'
      : 'Keep the older keys in PACER_ENCRYPTION_KEYS until these envelopes are readable (add the missing key) or their inboxes are reconnected.',
  ];
  return lines.join('\n');
}

if (require.main === module) {
  const config = loadConfig();
  const db = createDatabase(required(config.databaseUrl, 'DATABASE_URL'));
  rotateEnvelopes(db, keyringFor(config))
    .then((report) => {
      process.stdout.write(`${formatReport(report)}\n`);
      if (report.failed.length > 0) process.exitCode = 1;
    })
    .catch((error: unknown) => {
      process.stderr.write(`rotate-keys failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    })
    .finally(() => void db.$disconnect());
}
