/**
 * `npm run rotate-keys` on a database of its own (it rewrites every envelope it finds): envelopes
 * under an older key are re-encrypted under the first key, counted, and readable without the old key.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { decryptSecret, encryptSecret, generateKeyringEntry, inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, parseKeyring } from '../../lib/secrets';
import { createDatabase, type Database } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { formatReport, rotateEnvelopes } from '../../scripts/rotate-keys';
import { sharedServices } from '../support/services';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const OLD = generateKeyringEntry('old');
const NEW = generateKeyringEntry('new');
const oldKeyring = parseKeyring(OLD);
const rotating = parseKeyring(`${NEW},${OLD}`);
const newOnly = parseKeyring(NEW);

let url: string;
let admin: pg.Client;
let db: Database;
const name = `rotate_${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  const shared = sharedServices().databaseUrl;
  admin = new pg.Client({ connectionString: shared });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const target = new URL(shared);
  target.pathname = `/${name}`;
  url = target.toString();
  await applyMigrations(url);
  db = createDatabase(url);
}, 60_000);

afterAll(async () => {
  await db?.$disconnect();
  await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin?.end();
});

async function inbox(provider: 'imap-smtp' | 'google', secret: string, keyring = oldKeyring) {
  const workspace = await db.workspace.create({ data: { slug: `rotate-${randomUUID()}`, name: 'rotate' } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'A', lastName: 'B', timeZone: 'UTC', workingDays: ['MON'], workingStart: '09:00', workingEnd: '17:00' },
  });
  const id = randomUUID();
  await db.emailInbox.create({
    data: {
      id,
      workspaceId: workspace.id,
      identityId: identity.id,
      email: `${randomUUID()}@rotate.example`,
      provider,
      smtpHost: 'smtp.rotate.example',
      smtpPort: 587,
      smtpSecurity: 'starttls',
      username: 'u',
      passwordEnvelope: provider === 'imap-smtp' ? encryptSecret(keyring, secret, inboxPasswordAssociatedData(id)) : null,
      refreshTokenEnvelope: provider === 'google' ? encryptSecret(keyring, secret, inboxRefreshTokenAssociatedData(id)) : null,
    },
  });
  return id;
}

test('re-encrypts every envelope under the first key, reports counts, and a second run finds nothing to do', async () => {
  const password = await inbox('imap-smtp', 'password-under-old-key');
  const token = await inbox('google', 'refresh-token-under-old-key');
  await inbox('imap-smtp', 'already-new', rotating);

  const report = await rotateEnvelopes(db, rotating, 2);
  expect(report).toEqual({ currentKeyId: 'new', examined: 3, reencrypted: 2, alreadyCurrent: 1, failed: [] });
  expect(formatReport(report)).toContain('older keys can be removed');

  const rows = await db.emailInbox.findMany();
  for (const row of rows) for (const envelope of [row.passwordEnvelope, row.refreshTokenEnvelope]) if (envelope) expect(envelope.startsWith('v1.new.')).toBe(true);
  const passwordRow = rows.find((row) => row.id === password)!;
  const tokenRow = rows.find((row) => row.id === token)!;
  // Readable with the new key alone: the old one can be dropped.
  expect(decryptSecret(newOnly, passwordRow.passwordEnvelope!, inboxPasswordAssociatedData(password))).toBe('password-under-old-key');
  expect(decryptSecret(newOnly, tokenRow.refreshTokenEnvelope!, inboxRefreshTokenAssociatedData(token))).toBe('refresh-token-under-old-key');

  expect(await rotateEnvelopes(db, rotating)).toMatchObject({ examined: 3, reencrypted: 0, alreadyCurrent: 3 });
});

test('npm run rotate-keys prints the report; an envelope whose key is missing fails it (exit 1) and is left as it was', async () => {
  const orphan = await inbox('imap-smtp', 'lost', parseKeyring(generateKeyringEntry('gone')));
  const env = { ...process.env, DATABASE_URL: url, PACER_ENCRYPTION_KEYS: `${NEW},${OLD}`, NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://pacer.example' };
  const result = await run('npm', ['run', '--silent', 'rotate-keys'], { cwd: ROOT, env }).then(
    (done) => ({ code: 0, stdout: done.stdout }),
    (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
  );
  expect(result.code).toBe(1);
  expect(result.stdout).toContain('Current key: new');
  expect(result.stdout).toContain('Failed: 1');
  expect(result.stdout).toContain(`inbox ${orphan} passwordEnvelope: unknown-key (key id gone)`);
  expect((await db.emailInbox.findUniqueOrThrow({ where: { id: orphan } })).passwordEnvelope).toMatch(/^v1\.gone\./);
  expect(result.stdout).not.toContain('lost');
}, 60_000);
