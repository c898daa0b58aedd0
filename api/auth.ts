import { createHash, randomBytes } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import type { Database } from '../db/client';
import { UnauthorizedError } from '../lib/errors';

export interface Caller {
  workspaceId: string;
  apiKeyId: string;
}

const DEFAULT_WORKSPACE_SLUG = 'default';
/** lastUsedAt is informational; writing it at most once a minute keeps reads cheap. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** Keys are 256 random bits, so one SHA-256 is enough: there is nothing to brute-force. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export function generateApiKey(): string {
  return `pacer_${randomBytes(32).toString('base64url')}`;
}

/**
 * API_KEYS from the environment belong to the default workspace (created on first start), so a
 * single-workspace deployment needs no other setup. Only their hashes are stored.
 */
export async function registerEnvironmentApiKeys(db: Database, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const workspace = await db.workspace.upsert({
    where: { slug: DEFAULT_WORKSPACE_SLUG },
    create: { slug: DEFAULT_WORKSPACE_SLUG, name: 'Default workspace' },
    update: {},
  });
  for (const [index, key] of keys.entries()) {
    const keyHash = hashApiKey(key);
    await db.apiKey.upsert({
      where: { keyHash },
      create: { keyHash, workspaceId: workspace.id, name: `API_KEYS #${index + 1}` },
      update: {},
    });
  }
}

export function callerOf(request: Request): Caller {
  const caller = request.res?.locals.caller as Caller | undefined;
  if (!caller) throw new UnauthorizedError('This route requires an API key');
  return caller;
}

/** The key of `Authorization: Bearer <key>`, if the header has that shape. */
export function bearerToken(request: Request): string | undefined {
  return /^Bearer ([^\s]+)$/.exec(request.headers.authorization ?? '')?.[1];
}

/** `Authorization: Bearer <key>` → the caller's workspace; a revoked or unknown key is refused at once. */
export function authenticate(db: Database): RequestHandler {
  return async (request, response, next) => {
    const key = bearerToken(request);
    if (!key) throw new UnauthorizedError('Send an API key as "Authorization: Bearer <key>"');
    const apiKey = await db.apiKey.findUnique({ where: { keyHash: hashApiKey(key) } });
    if (!apiKey || apiKey.revokedAt) throw new UnauthorizedError('The API key is unknown or revoked');
    const now = new Date();
    if (!apiKey.lastUsedAt || now.getTime() - apiKey.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      await db.apiKey.update({ where: { id: apiKey.id }, data: { lastUsedAt: now } });
    }
    response.locals.caller = { workspaceId: apiKey.workspaceId, apiKeyId: apiKey.id } satisfies Caller;
    next();
  };
}
