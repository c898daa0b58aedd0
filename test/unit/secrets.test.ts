import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import fc from 'fast-check';
import {
  SecretDecryptionError,
  SecretsConfigError,
  decryptSecret,
  developmentKeyring,
  encryptSecret,
  generateKeyringEntry,
  needsReencryption,
  parseKeyring,
  reencryptSecret,
  type Keyring,
} from '../../lib/secrets';

const key1 = randomBytes(32).toString('base64');
const key2 = randomBytes(32).toString('base64');
const ringA = parseKeyring(`k1:${key1}`); // k1 current
const ringB = parseKeyring(`k2:${key2},k1:${key1}`); // k2 current, k1 still decrypts
const ringC = parseKeyring(`k2:${key2}`); // k1 dropped

const AAD = 'email-inbox:inbox_123:password';
const SECRET = 'hunter2-correct-horse-battery-staple';

/** Runs `action`, expects a SecretDecryptionError and returns it. */
const decryptionError = (action: () => unknown): SecretDecryptionError => {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(SecretDecryptionError);
    return error as SecretDecryptionError;
  }
  throw new Error('expected a SecretDecryptionError, nothing was thrown');
};

const configError = (value: string): SecretsConfigError => {
  try {
    parseKeyring(value);
  } catch (error) {
    expect(error).toBeInstanceOf(SecretsConfigError);
    return error as SecretsConfigError;
  }
  throw new Error(`expected parseKeyring to reject ${JSON.stringify(value)}`);
};

/** Envelope fields: [version, keyId, iv, tag, ciphertext]. */
const fieldsOf = (envelope: string) => envelope.split('.');
const withField = (envelope: string, index: number, value: string) => {
  const fields = fieldsOf(envelope);
  fields[index] = value;
  return fields.join('.');
};
/** Flips one bit of a base64url field, keeping it well-formed, so only authentication can catch it. */
const flipBit = (field: string, byte = 0) => {
  const bytes = Buffer.from(field, 'base64url');
  bytes[byte] = (bytes[byte] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
};

describe('encryptSecret / decryptSecret', () => {
  it('round-trips a secret', () => {
    const envelope = encryptSecret(ringA, SECRET, AAD);
    expect(decryptSecret(ringA, envelope, AAD)).toBe(SECRET);
  });

  it.each([
    ['empty string', ''],
    ['one character', 'x'],
    ['accents', 'mötörhëad-pässwörd'],
    ['CJK', '密码パスワード비밀번호'],
    ['emoji with ZWJ and skin tone', '👩🏽‍💻🔑🏳️‍🌈'],
    ['RTL and combining marks', 'كلمة‌السر e\u0301'],
    ['NUL and control characters', 'a\u0000b\nc\td\r'],
    ['an OAuth refresh token', `1//0g${randomBytes(150).toString('base64url')}`],
    ['a long secret', 'z'.repeat(100_000)],
  ])('round-trips %s', (_name, plaintext) => {
    const envelope = encryptSecret(ringA, plaintext, AAD);
    expect(decryptSecret(ringA, envelope, AAD)).toBe(plaintext);
  });

  it('produces v1.<keyId>.<iv>.<tag>.<ciphertext> with a 12-byte IV and a 16-byte tag', () => {
    const envelope = encryptSecret(ringA, SECRET, AAD);
    expect(envelope).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
    const [, , iv = '', tag = '', ciphertext = ''] = fieldsOf(envelope);
    expect(Buffer.from(iv, 'base64url')).toHaveLength(12);
    expect(Buffer.from(tag, 'base64url')).toHaveLength(16);
    expect(Buffer.from(ciphertext, 'base64url')).toHaveLength(Buffer.byteLength(SECRET)); // GCM adds no padding
  });

  it('never contains the plaintext, raw or encoded', () => {
    const envelope = encryptSecret(ringA, SECRET, AAD);
    for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('base64url'), Buffer.from(SECRET).toString('hex')]) {
      expect(envelope).not.toContain(form);
      expect(envelope).not.toContain(form.slice(0, 8));
    }
    expect(envelope).not.toContain(AAD);
  });

  it('gives a different envelope each time for the same plaintext (random IV)', () => {
    const envelopes = Array.from({ length: 50 }, () => encryptSecret(ringA, SECRET, AAD));
    expect(new Set(envelopes).size).toBe(50);
    expect(new Set(envelopes.map((envelope) => fieldsOf(envelope)[2])).size).toBe(50);
    for (const envelope of envelopes) expect(decryptSecret(ringA, envelope, AAD)).toBe(SECRET);
  });

  it('fails with other associated data: an envelope moved to another row or column does not decrypt', () => {
    const envelope = encryptSecret(ringA, SECRET, AAD);
    for (const other of ['email-inbox:inbox_124:password', 'email-inbox:inbox_123:refresh-token', `${AAD} `, AAD.toUpperCase()]) {
      const error = decryptionError(() => decryptSecret(ringA, envelope, other));
      expect(error.reason).toBe('authentication-failed');
      expect(error.keyId).toBe('k1');
      expect(error.message).toMatch(/authentication failed/);
      expect(error.message).toContain('"k1"');
    }
  });

  it('refuses empty associated data, which would bind the secret to nothing', () => {
    expect(() => encryptSecret(ringA, SECRET, '')).toThrow(/associatedData must not be empty/);
    const envelope = encryptSecret(ringA, SECRET, AAD);
    expect(() => decryptSecret(ringA, envelope, '')).toThrow(/associatedData must not be empty/);
  });

  it('refuses a string with a lone surrogate rather than storing something else', () => {
    expect(() => encryptSecret(ringA, 'abc\uD800', AAD)).toThrow(/well-formed Unicode/);
  });

  it('encrypts with the current (first) key', () => {
    expect(fieldsOf(encryptSecret(ringB, SECRET, AAD))[1]).toBe('k2');
  });

  it('keeps the plaintext, the keys and the associated data out of error messages', () => {
    const envelope = encryptSecret(ringA, SECRET, AAD);
    const errors = [
      decryptionError(() => decryptSecret(ringA, envelope, 'email-inbox:other:password')),
      decryptionError(() => decryptSecret(ringC, envelope, AAD)),
      decryptionError(() => decryptSecret(ringA, withField(envelope, 4, flipBit(fieldsOf(envelope)[4] ?? '')), AAD)),
      decryptionError(() => decryptSecret(ringA, `${envelope}!`, AAD)),
    ];
    for (const error of errors) {
      for (const secret of [SECRET, key1, key2, AAD, fieldsOf(envelope)[4] ?? '']) expect(error.message).not.toContain(secret);
    }
  });
});

describe('tampering', () => {
  const envelope = encryptSecret(ringB, SECRET, AAD); // k2, so a k1 keyId swap has a key to try
  const [, , iv = '', tag = '', ciphertext = ''] = fieldsOf(envelope);

  it.each([
    ['iv', 2, flipBit(iv)],
    ['iv (last byte)', 2, flipBit(iv, 11)],
    ['tag', 3, flipBit(tag)],
    ['tag (last byte)', 3, flipBit(tag, 15)],
    ['ciphertext', 4, flipBit(ciphertext)],
    ['ciphertext (last byte)', 4, flipBit(ciphertext, Buffer.byteLength(SECRET) - 1)],
    ['ciphertext (one byte longer)', 4, Buffer.concat([Buffer.from(ciphertext, 'base64url'), Buffer.from([0])]).toString('base64url')],
    ['ciphertext (one byte shorter)', 4, Buffer.from(ciphertext, 'base64url').subarray(1).toString('base64url')],
    ['ciphertext (emptied)', 4, ''],
    ['keyId swapped for another known key', 1, 'k1'],
  ])('a changed %s fails authentication', (_name, index, value) => {
    const tampered = withField(envelope, index, value);
    expect(tampered).not.toBe(envelope);
    const error = decryptionError(() => decryptSecret(ringB, tampered, AAD));
    expect(error.reason).toBe('authentication-failed');
  });

  it('a keyId swapped for an unknown one fails, naming that key id', () => {
    const error = decryptionError(() => decryptSecret(ringB, withField(envelope, 1, 'k9'), AAD));
    expect(error.reason).toBe('unknown-key');
    expect(error.keyId).toBe('k9');
    expect(error.message).toContain('"k9"');
  });

  it('every single-character change anywhere in the envelope is rejected', () => {
    for (let index = 0; index < envelope.length; index++) {
      for (const replacement of ['A', 'b', '-', '.', '=', '+']) {
        if (envelope[index] === replacement) continue;
        const tampered = envelope.slice(0, index) + replacement + envelope.slice(index + 1);
        expect(() => decryptSecret(ringB, tampered, AAD)).toThrow(SecretDecryptionError);
      }
    }
  });

  it('every truncation of the envelope is rejected', () => {
    for (let length = 0; length < envelope.length; length++) {
      expect(() => decryptSecret(ringB, envelope.slice(0, length), AAD)).toThrow(SecretDecryptionError);
    }
  });

  it.each([
    ['empty', ''],
    ['not an envelope', SECRET],
    ['too few fields', `v1.k2.${iv}.${tag}`],
    ['too many fields', `${envelope}.extra`],
    ['unknown version', withField(envelope, 0, 'v2')],
    ['invalid key id', withField(envelope, 1, 'k 2')],
    ['short IV', withField(envelope, 2, Buffer.from(iv, 'base64url').subarray(1).toString('base64url'))],
    ['truncated tag (GCM would otherwise accept short tags)', withField(envelope, 3, Buffer.from(tag, 'base64url').subarray(0, 12).toString('base64url'))],
    ['padded base64', withField(envelope, 3, `${tag}==`)],
    ['standard base64 alphabet', withField(envelope, 4, `${ciphertext.slice(1)}+`)],
    ['non-canonical base64url (spare bits set)', withField(envelope, 3, tag.slice(0, -1) + (tag.endsWith('B') ? 'C' : 'B'))],
  ])('a malformed envelope (%s) is reported as malformed', (_name, value) => {
    const error = decryptionError(() => decryptSecret(ringB, value, AAD));
    expect(error.reason).toBe('malformed');
    expect(error.message).toMatch(/^malformed secret envelope/);
  });
});

describe('key rotation', () => {
  it('k1 → k2,k1 → re-encrypt → k2 alone', () => {
    const original = encryptSecret(ringA, SECRET, AAD);
    expect(needsReencryption(ringA, original)).toBe(false);

    // Step 1: prepend k2. Old rows still decrypt and are flagged.
    expect(decryptSecret(ringB, original, AAD)).toBe(SECRET);
    expect(needsReencryption(ringB, original)).toBe(true);

    // Step 2: re-encrypt with the current key.
    const rotated = reencryptSecret(ringB, original, AAD);
    expect(fieldsOf(rotated)[1]).toBe('k2');
    expect(needsReencryption(ringB, rotated)).toBe(false);
    expect(decryptSecret(ringB, rotated, AAD)).toBe(SECRET);

    // Step 3: drop k1. Re-encrypted rows decrypt; a row that was missed fails naming k1.
    expect(decryptSecret(ringC, rotated, AAD)).toBe(SECRET);
    const missed = decryptionError(() => decryptSecret(ringC, original, AAD));
    expect(missed.reason).toBe('unknown-key');
    expect(missed.message).toContain('"k1"');
  });

  it('re-encryption keeps the binding: it needs the right associated data, and so does the result', () => {
    const original = encryptSecret(ringA, SECRET, AAD);
    expect(() => reencryptSecret(ringB, original, 'email-inbox:other:password')).toThrow(SecretDecryptionError);
    const rotated = reencryptSecret(ringB, original, AAD);
    expect(() => decryptSecret(ringC, rotated, 'email-inbox:other:password')).toThrow(SecretDecryptionError);
  });

  it('needsReencryption flags unknown keys too, and rejects malformed envelopes', () => {
    expect(needsReencryption(ringC, encryptSecret(ringA, SECRET, AAD))).toBe(true);
    expect(() => needsReencryption(ringB, 'garbage')).toThrow(SecretDecryptionError);
  });
});

describe('parseKeyring', () => {
  it('reads id:key entries in order, the first being current, tolerating spaces', () => {
    const ring = parseKeyring(` k2:${key2} , k1 : ${key1} `);
    expect(ring.currentKeyId).toBe('k2');
    expect([...ring.keys.keys()]).toEqual(['k2', 'k1']);
    expect(ring.keys.get('k1')).toEqual(Buffer.from(key1, 'base64'));
    expect(ring.keys.get('k2')).toHaveLength(32);
  });

  it('accepts key ids of 1 to 32 characters among A-Z a-z 0-9 _ -', () => {
    for (const id of ['a', 'K_2024-01', 'x'.repeat(32), '0']) expect(parseKeyring(`${id}:${key1}`).currentKeyId).toBe(id);
  });

  it('does not reveal keys when logged or inspected', () => {
    const ring = parseKeyring(`k2:${key2},k1:${key1}`);
    for (const rendered of [JSON.stringify(ring), JSON.stringify({ nested: ring }), inspect(ring), inspect({ nested: ring }, { depth: 5 })]) {
      expect(rendered).toContain('k2');
      for (const key of [key1, key2]) {
        expect(rendered).not.toContain(key);
        expect(rendered).not.toContain(Buffer.from(key, 'base64').toString('hex').slice(0, 8));
      }
    }
    expect(JSON.parse(JSON.stringify(ring))).toEqual({ currentKeyId: 'k2', keyIds: ['k2', 'k1'] });
  });

  const pastedKey = randomBytes(32).toString('base64');
  const urlSafeKey = Buffer.alloc(32, 0xfb).toString('base64url'); // '-' and '_' only appear in base64url
  const cases: [string, string, RegExp][] = [
    ['empty', '', /PACER_ENCRYPTION_KEYS is empty/],
    ['only blanks and commas', ' , ,', /PACER_ENCRYPTION_KEYS is empty/],
    ['stray comma', `k1:${key1},`, /entry 2 is empty/],
    ['a key without an id', pastedKey, /entry 1 must have the form <keyId>:<base64 32-byte key>/],
    ['two colons', `k1:${pastedKey}:extra`, /entry 1 must have the form/],
    ['an empty key id', `:${pastedKey}`, /entry 1: the key id must be 1 to 32 characters/],
    ['a key id of 33 characters', `${'x'.repeat(33)}:${pastedKey}`, /entry 1: the key id must be 1 to 32/],
    ['a key id with a dot', `k.1:${pastedKey}`, /the key id must be/],
    ['a key id with a space', `k 1:${pastedKey}`, /the key id must be/],
    ['a key id with non-ASCII', `clé:${pastedKey}`, /the key id must be/],
    ['a duplicate key id', `k1:${key1},k1:${pastedKey}`, /entry 2: duplicate key id "k1"/],
    ['an empty key', 'k1:', /entry 1 \(key id "k1"\): the key must be the base64 encoding of exactly 32 bytes/],
    ['a key that is not base64', `k1:${pastedKey.slice(0, 40)}$%^&`, /exactly 32 bytes/],
    ['a 31-byte key', `k1:${randomBytes(31).toString('base64')}`, /exactly 32 bytes/],
    ['a 33-byte key', `k1:${randomBytes(33).toString('base64')}`, /exactly 32 bytes/],
    ['a 16-byte key (AES-128)', `k1:${randomBytes(16).toString('base64')}`, /exactly 32 bytes/],
    ['a hex key', `k1:${randomBytes(32).toString('hex')}`, /exactly 32 bytes/],
    ['a base64url key', `k1:${urlSafeKey}`, /exactly 32 bytes/],
    ['a key without padding', `k1:${pastedKey.replace(/=+$/, '')}`, /exactly 32 bytes/],
    ['a key with a space inside', `k1:${pastedKey.slice(0, 20)} ${pastedKey.slice(20)}`, /exactly 32 bytes/],
  ];

  it.each(cases)('rejects %s with a readable SecretsConfigError', (_name, value, message) => {
    const error = configError(value);
    expect(error.name).toBe('SecretsConfigError');
    expect(error).toBeInstanceOf(Error);
    expect(error.message).toMatch(message);
  });

  it.each(cases)('never puts key material in the message (%s)', (_name, value) => {
    const { message } = configError(value);
    const material = value
      .split(/[,:\s]/)
      .map((part) => part.replace(/=+$/, ''))
      .filter((part) => part.length >= 12); // key ids are short; everything this long is (part of) a key
    for (const part of [...material, pastedKey, key1, urlSafeKey]) {
      expect(message).not.toContain(part);
      expect(message).not.toContain(part.slice(0, 12));
    }
  });
});

describe('generateKeyringEntry', () => {
  it('produces <keyId>:<base64 of 32 random bytes> that parseKeyring accepts', () => {
    const entry = generateKeyringEntry('k2026');
    expect(entry).toMatch(/^k2026:[A-Za-z0-9+/]{43}=$/);
    const ring = parseKeyring(entry);
    expect(ring.currentKeyId).toBe('k2026');
    expect(decryptSecret(ring, encryptSecret(ring, SECRET, AAD), AAD)).toBe(SECRET);
  });

  it('draws a fresh key each time and can be prepended for rotation', () => {
    const a = generateKeyringEntry('a');
    const b = generateKeyringEntry('a');
    expect(a).not.toBe(b);
    expect(parseKeyring(`${generateKeyringEntry('new')},k1:${key1}`).currentKeyId).toBe('new');
  });

  it('rejects an invalid key id', () => {
    expect(() => generateKeyringEntry('bad id')).toThrow(SecretsConfigError);
    expect(() => generateKeyringEntry('')).toThrow(SecretsConfigError);
  });
});

describe('developmentKeyring', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'pacer-secrets-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates the file (and its folder) with mode 0600, then returns the same key every time', () => {
    const file = path.join(dir, 'nested', 'dev-encryption-keys');
    const first = developmentKeyring(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.currentKeyId).toBe('dev');
    expect(first.keys.get('dev')).toHaveLength(32);

    const envelope = encryptSecret(first, SECRET, AAD);
    const contents = readFileSync(file, 'utf8');
    const second = developmentKeyring(file);
    expect(readFileSync(file, 'utf8')).toBe(contents);
    expect(second.keys.get('dev')).toEqual(first.keys.get('dev'));
    expect(decryptSecret(second, envelope, AAD)).toBe(SECRET);
  });

  it('uses a keyring already in the file, rotation included', () => {
    const file = path.join(dir, 'keys');
    writeFileSync(file, `k2:${key2},k1:${key1}\n`, { mode: 0o600 });
    const ring = developmentKeyring(file);
    expect(ring.currentKeyId).toBe('k2');
    expect(decryptSecret(ring, encryptSecret(ringA, SECRET, AAD), AAD)).toBe(SECRET);
  });

  it('reports a broken file by name without overwriting it or echoing its contents', () => {
    const file = path.join(dir, 'keys');
    const broken = `dev:${key1.slice(0, 30)}`;
    writeFileSync(file, broken, { mode: 0o600 });
    expect(() => developmentKeyring(file)).toThrow(SecretsConfigError);
    expect(() => developmentKeyring(file)).toThrow(file);
    try {
      developmentKeyring(file);
    } catch (error) {
      expect((error as Error).message).not.toContain(key1.slice(0, 30));
    }
    expect(readFileSync(file, 'utf8')).toBe(broken);
  });
});

describe('properties', () => {
  const plaintexts = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme', maxLength: 200 }));
  const associatedData = fc.oneof(fc.string({ minLength: 1 }), fc.string({ unit: 'binary', minLength: 1 }));
  const keyrings = fc.constantFrom<Keyring>(ringA, ringB, ringC);

  it('decrypt(encrypt(x)) === x, and any other associated data fails', () => {
    fc.assert(
      fc.property(keyrings, plaintexts, associatedData, associatedData, (ring, plaintext, aad, otherAad) => {
        fc.pre(aad !== otherAad);
        const envelope = encryptSecret(ring, plaintext, aad);
        expect(decryptSecret(ring, envelope, aad)).toBe(plaintext);
        expect(() => decryptSecret(ring, envelope, otherAad)).toThrow(SecretDecryptionError);
      }),
      { numRuns: 500 },
    );
  });

  it('survives rotation: k1 envelopes re-encrypted under k2,k1 decrypt with k2 alone', () => {
    fc.assert(
      fc.property(plaintexts, associatedData, (plaintext, aad) => {
        const rotated = reencryptSecret(ringB, encryptSecret(ringA, plaintext, aad), aad);
        expect(needsReencryption(ringC, rotated)).toBe(false);
        expect(decryptSecret(ringC, rotated, aad)).toBe(plaintext);
      }),
    );
  });
});
