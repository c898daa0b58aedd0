/**
 * Encryption at rest for inbox credentials (SMTP/IMAP passwords, OAuth refresh tokens).
 *
 * Design
 * - AES-256-GCM (node:crypto only). Each secret is stored as one text envelope:
 *
 *     v1.<keyId>.<iv>.<tag>.<ciphertext>        (iv, tag, ciphertext: unpadded base64url)
 *
 *   with a fresh random 12-byte IV per encryption and the full 16-byte tag. Key ids are
 *   [A-Za-z0-9_-]{1,32}, so `.` never occurs inside a field.
 * - Associated data (AAD) binds a ciphertext to its owner, e.g. `email-inbox:<inboxId>:password`.
 *   The AAD fed to GCM is `v1.<keyId>.<associatedData>`, so the version and key id are authenticated
 *   too. An envelope copied onto another row, or into another column of the same row, does not
 *   decrypt there: authentication fails. The associated data is not stored; the caller derives it
 *   from the row each time.
 * - The keyring comes from PACER_ENCRYPTION_KEYS: comma-separated `<keyId>:<base64 32-byte key>`.
 *   The first key encrypts; every listed key decrypts, chosen by the envelope's key id.
 *
 * Rotation, in 3 steps
 *   1. Prepend a new key: `PACER_ENCRYPTION_KEYS=k2:<new>,k1:<old>`. New writes use k2, and k1 rows
 *      still decrypt.
 *   2. Re-encrypt: for every row where needsReencryption() is true, store reencryptSecret().
 *   3. When no row needs re-encryption, drop the old key: `PACER_ENCRYPTION_KEYS=k2:<new>`.
 *
 * Why random 96-bit IVs are fine here
 *   GCM breaks if an IV ever repeats under one key. With random 96-bit IVs the chance of any repeat
 *   after n encryptions is about n²/2⁹⁷. NIST SP 800-38D caps random-IV use at 2³² encryptions per
 *   key, which keeps that chance below 2⁻³². We encrypt once per credential write (inbox connected,
 *   password changed, token refreshed). Even 10⁹ writes under one key stay below 2³², and rotation
 *   starts the count again. No IV counter has to be kept or coordinated across workers.
 *
 * Nothing here puts key material or plaintext into an error message, and a Keyring serialises
 * (JSON, util.inspect, so also pino) without its keys.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { inspect } from 'node:util';
import { ConfigError, type Config } from './config';

/** Parsed from env PACER_ENCRYPTION_KEYS: comma-separated `<keyId>:<base64 32-byte key>`; the FIRST is the current key used to encrypt; all are accepted to decrypt (rotation: prepend a new key, re-encrypt, then drop the old one). */
export interface Keyring {
  currentKeyId: string;
  keys: ReadonlyMap<string, Buffer>;
}

/** PACER_ENCRYPTION_KEYS (or the development keyring file) cannot be used. */
export class SecretsConfigError extends Error {
  override name = 'SecretsConfigError';
}

export type SecretDecryptionFailure = 'malformed' | 'unknown-key' | 'authentication-failed';

/** An envelope could not be decrypted. The message names the key id or the reason, never a secret. */
export class SecretDecryptionError extends Error {
  override name = 'SecretDecryptionError';
  constructor(
    readonly reason: SecretDecryptionFailure,
    message: string,
    /** The envelope's key id, when it could be read. */
    readonly keyId?: string,
  ) {
    super(message);
  }
}

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const KEYS_VARIABLE = 'PACER_ENCRYPTION_KEYS';

/** Keeps keys out of JSON.stringify (pino), util.inspect (console.log) and error reporters. */
function redacted(keyring: Keyring): Keyring {
  const summary = () => ({ currentKeyId: keyring.currentKeyId, keyIds: [...keyring.keys.keys()] });
  Object.defineProperty(keyring, 'toJSON', { value: summary });
  Object.defineProperty(keyring, inspect.custom, { value: () => `Keyring ${inspect(summary())}` });
  return Object.freeze(keyring);
}

/** `source` names where the value came from in error messages (the variable, or the development file). */
export function parseKeyring(value: string, source = KEYS_VARIABLE): Keyring {
  const entries = value.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) {
    throw new SecretsConfigError(`${source} is empty: it must hold <keyId>:<base64 32-byte key>[,...]`);
  }
  const keys = new Map<string, Buffer>();
  entries.forEach((entry, index) => {
    // Positions, not contents: a malformed entry may be a pasted key.
    const where = `${source} entry ${index + 1}`;
    if (entry === '') throw new SecretsConfigError(`${where} is empty (stray comma?)`);
    const parts = entry.split(':');
    if (parts.length !== 2) {
      throw new SecretsConfigError(`${where} must have the form <keyId>:<base64 32-byte key> (exactly one ':')`);
    }
    const [keyId = '', encoded = ''] = parts.map((part) => part.trim());
    if (!KEY_ID.test(keyId)) {
      throw new SecretsConfigError(`${where}: the key id must be 1 to 32 characters among A-Z a-z 0-9 _ -`);
    }
    if (keys.has(keyId)) throw new SecretsConfigError(`${where}: duplicate key id "${keyId}"`);
    const key = Buffer.from(encoded, 'base64');
    // Buffer.from skips characters it does not understand, so insist on the canonical encoding.
    if (key.length !== KEY_BYTES || key.toString('base64') !== encoded) {
      throw new SecretsConfigError(
        `${where} (key id "${keyId}"): the key must be the base64 encoding of exactly ${KEY_BYTES} bytes (e.g. \`openssl rand -base64 32\`)`,
      );
    }
    keys.set(keyId, key);
  });
  const currentKeyId = keys.keys().next().value as string;
  return redacted({ currentKeyId, keys });
}

/** `<keyId>:<base64 random 32 bytes>`, for docs and development. */
export function generateKeyringEntry(keyId: string): string {
  if (!KEY_ID.test(keyId)) throw new SecretsConfigError('key id must be 1 to 32 characters among A-Z a-z 0-9 _ -');
  return `${keyId}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/** What GCM authenticates besides the ciphertext: the envelope header and the caller's binding. */
function additionalData(keyId: string, associatedData: string): Buffer {
  if (associatedData === '') {
    // An empty binding would let an envelope be moved between rows unnoticed: a caller bug.
    throw new TypeError('associatedData must not be empty: it binds the secret to its row, e.g. email-inbox:<id>:password');
  }
  return Buffer.from(`${VERSION}.${keyId}.${associatedData}`, 'utf8');
}

function keyFor(keyring: Keyring, keyId: string): Buffer {
  const key = keyring.keys.get(keyId);
  if (key === undefined) {
    throw new SecretDecryptionError('unknown-key', `secret was encrypted with key id "${keyId}", which is not in ${KEYS_VARIABLE}`, keyId);
  }
  return key;
}

export function encryptSecret(keyring: Keyring, plaintext: string, associatedData: string): string {
  const keyId = keyring.currentKeyId;
  const key = keyring.keys.get(keyId);
  if (key === undefined) throw new SecretsConfigError(`current key id "${keyId}" is not in the keyring`);
  const aad = additionalData(keyId, associatedData);
  const data = Buffer.from(plaintext, 'utf8');
  // A lone UTF-16 surrogate would come back as U+FFFD: refuse rather than store something else.
  if (data.toString('utf8') !== plaintext) throw new TypeError('secret is not well-formed Unicode (lone surrogate)');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(data), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [VERSION, keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

interface Envelope {
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

function malformed(problem: string, keyId?: string): SecretDecryptionError {
  return new SecretDecryptionError('malformed', `malformed secret envelope: ${problem}`, keyId);
}

/** Strict base64url: Buffer.from ignores stray characters, so only the canonical encoding is accepted. */
function decodeField(field: string, name: string, keyId: string, bytes?: number): Buffer {
  const decoded = Buffer.from(field, 'base64url');
  if (!BASE64URL.test(field) || decoded.toString('base64url') !== field) throw malformed(`${name} is not base64url`, keyId);
  if (bytes !== undefined && decoded.length !== bytes) throw malformed(`${name} must be ${bytes} bytes`, keyId);
  return decoded;
}

function parseEnvelope(envelope: string): Envelope {
  if (typeof envelope !== 'string') throw malformed('not a string');
  const fields = envelope.split('.');
  if (fields.length !== 5) throw malformed(`expected 5 dot-separated fields, found ${fields.length}`);
  const [version = '', keyId = '', iv = '', tag = '', ciphertext = ''] = fields;
  if (version !== VERSION) throw malformed(`unsupported version (expected ${VERSION})`);
  if (!KEY_ID.test(keyId)) throw malformed('invalid key id');
  return {
    keyId,
    iv: decodeField(iv, 'iv', keyId, IV_BYTES),
    tag: decodeField(tag, 'tag', keyId, TAG_BYTES),
    ciphertext: decodeField(ciphertext, 'ciphertext', keyId),
  };
}

export function decryptSecret(keyring: Keyring, envelope: string, associatedData: string): string {
  const { keyId, iv, tag, ciphertext } = parseEnvelope(envelope);
  const key = keyFor(keyring, keyId);
  const aad = additionalData(keyId, associatedData);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  let plaintext: Buffer;
  try {
    plaintext = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new SecretDecryptionError(
      'authentication-failed',
      `secret authentication failed with key id "${keyId}": wrong associated data, wrong key or tampered envelope`,
      keyId,
    );
  }
  return plaintext.toString('utf8');
}

/** True when the envelope was not encrypted with the current key (rotation step 2). */
export function needsReencryption(keyring: Keyring, envelope: string): boolean {
  return parseEnvelope(envelope).keyId !== keyring.currentKeyId;
}

/** Decrypts with the envelope's own key and encrypts again with the current key. */
export function reencryptSecret(keyring: Keyring, envelope: string, associatedData: string): string {
  return encryptSecret(keyring, decryptSecret(keyring, envelope, associatedData), associatedData);
}

/** For development without PACER_ENCRYPTION_KEYS: a keyring persisted in a file (created with mode 0600 if missing), so `npm start` works with no setup. */
export function developmentKeyring(file: string): Keyring {
  let contents: string;
  try {
    contents = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    contents = `${generateKeyringEntry('dev')}\n`;
    try {
      // 'wx': never overwrite a keyring another process has just written; secrets may depend on it.
      writeFileSync(file, contents, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      if ((writeError as NodeJS.ErrnoException).code !== 'EEXIST') throw writeError;
      contents = readFileSync(file, 'utf8');
    }
  }
  // A broken file is reported, never regenerated: rows encrypted with the lost key could not be read.
  return parseKeyring(contents.trim(), file);
}

/** The associated data binding an inbox's password envelope to its row. */
export function inboxPasswordAssociatedData(inboxId: string): string {
  return `email-inbox:${inboxId}:password`;
}

/** The associated data binding an inbox's OAuth refresh-token envelope to its row. */
export function inboxRefreshTokenAssociatedData(inboxId: string): string {
  return `email-inbox:${inboxId}:refresh-token`;
}

/** The associated data binding a webhook endpoint's signing-secret envelope to its row. */
export function webhookSecretAssociatedData(endpointId: string): string {
  return `webhook-endpoint:${endpointId}:secret`;
}

/** The process's keyring: PACER_ENCRYPTION_KEYS, or outside production a development key kept in the data folder. */
export function keyringFor(config: Pick<Config, 'encryptionKeys' | 'environment' | 'dataDir'>): Keyring {
  if (config.encryptionKeys) return parseKeyring(config.encryptionKeys);
  if (config.environment === 'production') {
    throw new ConfigError('PACER_ENCRYPTION_KEYS must be set in production (see docs/secrets.md)');
  }
  return developmentKeyring(path.resolve(config.dataDir, 'encryption-keys'));
}
