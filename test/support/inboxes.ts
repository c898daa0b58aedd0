/**
 * Inbox rows as connecting one stores them, for tests that need an inbox without going through the
 * connect flow: secrets only as envelopes bound to their row.
 */
import { randomUUID } from 'node:crypto';
import type { EmailInbox, Prisma } from '@prisma/client';
import type { Database } from '../../db/client';
import { encryptSecret, inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, type Keyring } from '../../lib/secrets';
import { testKeyring } from './keyring';

type Owner = { identityId: string; workspaceId: string };

/** A password inbox sending through a local SMTP test server, in plain text (the test servers speak no TLS). */
export async function addSmtpInbox(
  db: Database,
  owner: Owner,
  email: string,
  server: { host: string; port: number },
  options: { password?: string; keyring?: Keyring } = {},
): Promise<EmailInbox> {
  const id = randomUUID();
  return db.emailInbox.create({
    data: {
      id,
      ...owner,
      email,
      smtpHost: server.host,
      smtpPort: server.port,
      smtpSecurity: 'none',
      username: email,
      passwordEnvelope: encryptSecret(options.keyring ?? testKeyring, options.password ?? 'inbox-password', inboxPasswordAssociatedData(id)),
    },
  });
}

const OAUTH_HOSTS = {
  google: { smtpHost: 'smtp.gmail.com', imapHost: 'imap.gmail.com' },
  microsoft: { smtpHost: 'smtp.office365.com', imapHost: 'outlook.office365.com' },
} as const;

/**
 * A Google or Microsoft 365 inbox as the OAuth callback stores it (api/email-oauth.ts): the provider's
 * hosts, no password, the refresh token only as an envelope bound to its row. `fields` adds to it
 * (a stored sync position, a status).
 */
export async function addOAuthInbox(
  db: Database,
  owner: Owner,
  provider: 'google' | 'microsoft',
  email: string,
  options: { refreshToken?: string; fields?: Partial<Prisma.EmailInboxUncheckedCreateInput> } = {},
): Promise<EmailInbox> {
  const id = randomUUID();
  return db.emailInbox.create({
    data: {
      id,
      ...owner,
      email,
      provider,
      ...OAUTH_HOSTS[provider],
      smtpPort: 587,
      smtpSecurity: 'starttls',
      imapPort: 993,
      imapSecurity: 'tls',
      username: email,
      refreshTokenEnvelope: encryptSecret(testKeyring, options.refreshToken ?? `refresh-token-of-${provider}`, inboxRefreshTokenAssociatedData(id)),
      ...options.fields,
    },
  });
}
