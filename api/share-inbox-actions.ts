import { z } from 'zod';
import type { Database } from '../db/client';
import { ConflictError, NotFoundError } from '../lib/errors';
import { ADDRESS_IN_USE, connectImapInboxSchema, mailServerSchema, type InboxConnector } from './email-inboxes';
import type { EmailOAuth } from './email-oauth';
import { isUuid } from './ids';
import { parseInput } from './problem';
import type { ShareContext, ShareInboxActions } from './share-links';

const mailServer = mailServerSchema;
type MailServerInput = z.infer<typeof mailServerSchema>;

/** A server given on reconnection, completed from the stored one: the stored host, and the stored port and security unless either is given. */
function withStored(given: MailServerInput | undefined, saved: MailServerInput): MailServerInput {
  if (given === undefined) return saved;
  const keepPort = given.port === undefined && given.security === undefined;
  return { ...(keepPort ? { port: saved.port, security: saved.security } : {}), host: given.host ?? saved.host, ...given };
}

/** New credentials for an inbox already connected; the servers default to the stored ones. */
export const reconnectImapInboxSchema = z.strictObject({
  password: connectImapInboxSchema.shape.password,
  username: connectImapInboxSchema.shape.username,
  imap: mailServer.optional(),
  smtp: mailServer.optional(),
});

/**
 * The link holder is no API caller: an address another identity holds is refused without naming
 * that identity (the API's own 409 names it for the workspace).
 */
async function withoutHolder<T>(connecting: Promise<T>): Promise<T> {
  try {
    return await connecting;
  } catch (error) {
    if (error instanceof ConflictError && error.extensions.code === ADDRESS_IN_USE) {
      throw new ConflictError('This address is already connected to another identity of this workspace', { code: ADDRESS_IN_USE });
    }
    throw error;
  }
}

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
      return withoutHolder(connector.connectImap(identityOf(context), parseInput(connectImapInboxSchema, body), by(context)));
    },

    async reconnectInbox(context, accountId, body) {
      const inbox = isUuid(accountId) ? await db.emailInbox.findFirst({ where: { id: accountId, identityId: context.identityId } }) : null;
      if (!inbox) throw new NotFoundError(`No email account ${accountId} on this identity`);
      if (inbox.provider === 'google' || inbox.provider === 'microsoft') return signIn(context, inbox.provider);
      const input = parseInput(reconnectImapInboxSchema, body ?? {});
      const stored = (host: string | null, port: number | null, security: string | null) =>
        mailServer.parse({ ...(host === null ? {} : { host }), ...(port === null ? {} : { port }), ...(security === null ? {} : { security }) });
      return withoutHolder(connector.connectImap(
        identityOf(context),
        {
          email: inbox.email,
          displayName: inbox.displayName ?? undefined,
          username: input.username ?? inbox.username,
          password: input.password,
          imap: withStored(input.imap, stored(inbox.imapHost, inbox.imapPort, inbox.imapSecurity)),
          smtp: withStored(input.smtp, stored(inbox.smtpHost, inbox.smtpPort, inbox.smtpSecurity)),
        },
        by(context),
      ));
    },

    async startOAuth(context, provider) {
      return signIn(context, provider);
    },

    oauthAvailable: (provider) => oauth.available(provider),
    microsoftApp: () => oauth.microsoftApp(),
  };
}
