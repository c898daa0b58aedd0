/** Input checks shared by both adapters, so the simulator refuses exactly what the HTTP adapter refuses. */
import { CONNECTION_NOTE_MAX_LENGTH, type HostedAuthInput, LinkedinGatewayError, MESSAGE_MAX_LENGTH, normaliseProfileUrl } from './gateway';

export function invalidRequest(why: string): LinkedinGatewayError {
  return new LinkedinGatewayError(`Invalid LinkedIn gateway request: ${why}`, { code: 'invalid-request', retryable: false });
}

export function canonicalProfileUrl(profileUrl: string): string {
  try {
    return normaliseProfileUrl(profileUrl);
  } catch (error) {
    throw invalidRequest((error as Error).message);
  }
}

/** 1 to 255 printable ASCII characters, no spaces (CONTRACT.md, `Idempotency-Key`). */
export function checkIdempotencyKey(key: string): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw invalidRequest('the idempotency key must be 1 to 255 printable ASCII characters without spaces');
  }
  return key;
}

export function checkAt(at: number): number {
  if (typeof at !== 'number' || !Number.isFinite(at)) throw invalidRequest('`at` must be a finite epoch-millisecond time');
  return at;
}

export function checkNote(note: string | undefined): void {
  if (note !== undefined && note.length > CONNECTION_NOTE_MAX_LENGTH) {
    throw invalidRequest(`the note is ${note.length} characters; LinkedIn allows ${CONNECTION_NOTE_MAX_LENGTH}`);
  }
}

export function checkMessageText(text: string): void {
  if (text.trim() === '') throw invalidRequest('the message is empty');
  if (text.length > MESSAGE_MAX_LENGTH) {
    throw invalidRequest(`the message is ${text.length} characters; LinkedIn allows ${MESSAGE_MAX_LENGTH}`);
  }
}

export function checkId(name: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) throw invalidRequest(`${name} is empty`);
  return value;
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/** A hosted sign-in request every adapter accepts: the same refusals whichever service is behind. */
export function checkHostedAuth(input: HostedAuthInput): void {
  const at = checkAt(input.at);
  if (input.type !== 'create' && input.type !== 'reconnect') throw invalidRequest('the hosted sign-in type must be "create" or "reconnect"');
  if (input.type === 'reconnect' && (typeof input.identityId !== 'string' || input.identityId === '')) {
    throw invalidRequest('a reconnect names the identity whose account signs in again');
  }
  if (typeof input.name !== 'string' || input.name === '' || input.name.length > 255) throw invalidRequest('the hosted sign-in name must be 1 to 255 characters');
  if (!isHttpUrl(input.notifyUrl)) throw invalidRequest('the notification URL must be an http(s) URL');
  for (const [name, url] of [
    ['success', input.successRedirectUrl],
    ['failure', input.failureRedirectUrl],
  ] as const) {
    if (url !== null && !isHttpUrl(url)) throw invalidRequest(`the ${name} redirect URL must be an http(s) URL`);
  }
  if (typeof input.expiresAt !== 'number' || !Number.isFinite(input.expiresAt) || input.expiresAt <= at) {
    throw invalidRequest('the hosted sign-in must expire after `at`');
  }
}
