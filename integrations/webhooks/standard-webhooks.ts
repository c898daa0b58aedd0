/**
 * Standard Webhooks 1.0 signatures, symmetric scheme
 * (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
 * "Signature scheme" and "Webhook headers"):
 *
 * - the secret is random, 24 to 64 bytes, shown to its owner as `whsec_<base64>`; the HMAC key is
 *   the base64-decoded part after the prefix. Pacer draws 32 bytes per endpoint;
 * - the signed content is `<webhook-id>.<webhook-timestamp>.<body>` (the exact bytes sent);
 * - `webhook-signature` is `v1,<base64 HMAC-SHA256>`, a space-delimited list (several signatures
 *   during a secret rotation; Pacer sends one);
 * - `webhook-timestamp` is the attempt's time in integer Unix seconds (a retry is signed again with
 *   its own), and receivers refuse timestamps too far from their clock (5 minutes here).
 *
 * `verifyWebhook` is what a receiver does; Pacer uses it only in tests and documents it in
 * docs/webhooks.md.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
const SECRET_BYTES = 32;
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 64;
/** How far a receiver lets `webhook-timestamp` be from its clock (the reference libraries' default). */
export const WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

/** A new endpoint secret, `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `${WEBHOOK_SECRET_PREFIX}${randomBytes(SECRET_BYTES).toString('base64')}`;
}

/** The HMAC key of a `whsec_…` secret (the prefix is optional, as in the reference libraries). */
function secretKey(secret: string): Buffer {
  const encoded = secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret;
  const key = Buffer.from(encoded, 'base64');
  // Buffer.from skips characters it does not understand: only the canonical encoding is a secret.
  if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES || key.toString('base64') !== encoded) {
    throw new TypeError(`a webhook secret is ${WEBHOOK_SECRET_PREFIX} followed by the base64 of ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} bytes`);
  }
  return key;
}

function signature(key: Buffer, id: string, timestampSeconds: number, body: string): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`, 'utf8').digest();
}

/** The `webhook-signature` value: `v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`. */
export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): string {
  if (id.includes('.')) throw new TypeError('a webhook id must not contain "."');
  if (!Number.isSafeInteger(timestampSeconds)) throw new TypeError('a webhook timestamp is whole Unix seconds');
  return `v1,${signature(secretKey(secret), id, timestampSeconds, body).toString('base64')}`;
}

/** The three headers of one attempt. */
export function webhookHeaders(secret: string, id: string, timestampSeconds: number, body: string): Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(timestampSeconds), 'webhook-signature': signWebhook(secret, id, timestampSeconds, body) };
}

export type WebhookVerification = { valid: true } | { valid: false; reason: 'missing-headers' | 'bad-timestamp' | 'timestamp-out-of-tolerance' | 'no-matching-signature' };

/**
 * A receiver's check: the headers are present, the timestamp is within tolerance of `nowSeconds`,
 * and one `v1` signature of the list matches (compared in constant time).
 */
export function verifyWebhook(
  secret: string,
  headers: { 'webhook-id'?: string; 'webhook-timestamp'?: string; 'webhook-signature'?: string },
  body: string,
  nowSeconds: number,
  toleranceSeconds = WEBHOOK_TIMESTAMP_TOLERANCE_SECONDS,
): WebhookVerification {
  const id = headers['webhook-id'];
  const timestamp = headers['webhook-timestamp'];
  const signatures = headers['webhook-signature'];
  if (!id || !timestamp || !signatures) return { valid: false, reason: 'missing-headers' };
  if (!/^[0-9]{1,12}$/.test(timestamp)) return { valid: false, reason: 'bad-timestamp' };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { valid: false, reason: 'timestamp-out-of-tolerance' };
  const expected = signature(secretKey(secret), id, Number(timestamp), body);
  const matches = signatures.split(' ').some((entry) => {
    const [version, encoded] = entry.split(',', 2);
    if (version !== 'v1' || !encoded) return false;
    const given = Buffer.from(encoded, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { valid: true } : { valid: false, reason: 'no-matching-signature' };
}
