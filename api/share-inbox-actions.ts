import { z } from 'zod';
import type { Database } from '../db/client';
import { NotFoundError } from '../lib/errors';
import { connectImapInboxSchema, type InboxConnector } from './email-inboxes';
import type { EmailOAuth } from './email-oauth';
import { isUuid } from './ids';
import { parseInput } from './problem';
import type { ShareContext, ShareInboxActions } from './share-links';

const mailServer = connectImapInboxSchema.shape.imap;

/** New credentials for an inbox already connected; the servers default to the stored ones. */
export const reconnectImapInboxSchema = z.strictObject({
  password: connectImapInboxSchema.shape.password,
  username: connectImapInboxSchema.shape.username,
  imap: mailServer.optional(),
  smtp: mailServer.optional(),
});

/**
 * What a share link lets the identity's owner do with inboxes (SPEC §4): connect an IMAP/SMTP inbox,
 * reconnect one (new password, or the provider's sign-in again), start Google or Microsoft sign-in.
 * The same validation and storage as the API's own routes; the audit entry names the link. A
 * sign-in started through a link brings the browser back to the link's page.
 */
export function shareInboxActions(db: Database, connector: InboxConnector, oauth: Pick<EmailOAuth, 'startAuthorization' | 'available' | 'microsoftApp'>): ShareInboxActions {
  const identityOf = (context: ShareContext) => ({ id: context.identityId, workspaceId: context.workspaceId });
  const by = (context: ShareContext) => ({ apiKeyId: null, shareLinkId: context.linkId });
  const signIn = async (context: ShareContext, provider: 'google' | 'microsoft') => {
    const started = await oauth.startAuthorization(provider, identityOf(context), { kind: 'share', token: context.token });
    return { status: 200, body: started, redirectTo: started.authorizationUrl };
  };

  return {
    async connectImapInbox(context, body) {
      return connector.connectImap(identityOf(context), parseInput(connectImapInboxSchema, body), by(context));
    },

    async reconnectInbox(context, accountId, body) {
      const inbox = isUuid(accountId) ? await db.emailInbox.findFirst({ where: { id: accountId, identityId: context.identityId } }) : null;
      if (!inbox) throw new NotFoundError(`No email account ${accountId} on this identity`);
      if (inbox.provider === 'google' || inbox.provider === 'microsoft') return signIn(context, inbox.provider);
      const input = parseInput(reconnectImapInboxSchema, body ?? {});
      const stored = (host: string | null, port: number | null, security: string | null) => mailServer.parse({ host, port, security });
      return connector.connectImap(
        identityOf(context),
        {
          email: inbox.email,
          displayName: inbox.displayName ?? undefined,
          username: input.username ?? inbox.username,
          password: input.password,
          imap: input.imap ?? stored(inbox.imapHost, inbox.imapPort, inbox.imapSecurity),
          smtp: input.smtp ?? stored(inbox.smtpHost, inbox.smtpPort, inbox.smtpSecurity),
        },
        by(context),
      );
    },

    async startOAuth(context, provider) {
      return signIn(context, provider);
    },

    oauthAvailable: (provider) => oauth.available(provider),
    microsoftApp: () => oauth.microsoftApp(),
  };
}
