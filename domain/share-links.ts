/**
 * Share identity link rules (SPEC §4): pure, used by the API's share-link service.
 */

/** A share link is valid for 24 hours from its creation. */
export const SHARE_LINK_TTL_MS = 24 * 3600 * 1000;
/** The only scope: reconnect the identity's LinkedIn and inboxes. */
export const SHARE_LINK_SCOPE = 'reconnect';

export type ShareLinkValidity = 'valid' | 'expired' | 'revoked';

export function shareLinkExpiresAt(createdAt: number): number {
  return createdAt + SHARE_LINK_TTL_MS;
}

/**
 * A link is valid strictly before its expiry instant and while not revoked. Revocation wins over
 * expiry (both are refused the same way; the reason is for logs).
 */
export function shareLinkValidity(link: { expiresAt: number; revokedAt: number | null }, now: number): ShareLinkValidity {
  if (link.revokedAt !== null && link.revokedAt <= now) return 'revoked';
  if (now >= link.expiresAt) return 'expired';
  return 'valid';
}

/** Tokens are 43 base64url characters (256 bits); anything else is refused before any lookup. */
export function looksLikeShareToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}
