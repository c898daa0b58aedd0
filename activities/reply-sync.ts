/**
 * Reply sync (SPEC §3): reads an inbox's new messages over IMAP (password, or XOAUTH2 with an access
 * token from the refresh token for Google / Microsoft 365) from the last UID it examined. A reply
 * from a lead (matched by In-Reply-To/References against the Message-IDs Pacer sent, else by sender
 * address) marks the lead `replied` and stops its sequence; a bounce stops the lead with an error.
 *
 * Idempotent: each examined message is recorded once (LeadAction keyed by inbox, UIDVALIDITY and UID)
 * and the position advances after the batch, so a retry re-reads at most one batch and changes nothing.
 * The activity receives the inbox id, never a secret; it decrypts inside.
 */
import type { EmailInbox, Lead } from '@prisma/client';
import { simpleParser } from 'mailparser';
import type { Database } from '../db/client';
import type { Cidr } from '../domain/network-address';
import { isBounce, referencedMessageIds, senderAddress } from '../domain/reply-matching';
import { checkMailHost } from '../integrations/email/host-guard';
import { imapClient } from '../integrations/email/inbox-probe';
import { microsoftClient, type GoogleClientConfig, type MicrosoftClientConfig } from '../integrations/email/senders';
import { decryptSecret, inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData, type Keyring } from '../lib/secrets';
import { google } from 'googleapis';


/** At most this many messages per run; the next run continues from there. */
const BATCH = 200;
/** Larger messages are examined by their headers only. */
const MAX_SOURCE_BYTES = 512 * 1024;

export interface ReplySyncDependencies {
  db: Database;
  keyring: Keyring;
  emailProviders?: { google?: GoogleClientConfig; microsoft?: MicrosoftClientConfig };
  /** SSRF allowlist and timeout for the inbox's IMAP host (the host is checked again at every run). */
  mailHosts?: { privateHostsAllowed: readonly Cidr[]; timeoutMs: number };
}

export interface ReplySyncResult {
  examined: number;
  replies: number;
  bounces: number;
  lastUid: number;
}

export function createReplySyncActivities({ db, keyring, emailProviders = {}, mailHosts: imap = { privateHostsAllowed: [], timeoutMs: 10_000 } }: ReplySyncDependencies) {
  async function authFor(inbox: EmailInbox): Promise<{ user: string; pass?: string; accessToken?: string }> {
    if (inbox.provider === 'imap-smtp') return { user: inbox.username, pass: decryptSecret(keyring, inbox.passwordEnvelope, inboxPasswordAssociatedData(inbox.id)) };
    const refreshToken = decryptSecret(keyring, inbox.refreshTokenEnvelope ?? '', inboxRefreshTokenAssociatedData(inbox.id));
    if (inbox.provider === 'google' && emailProviders.google) {
      const { clientId, clientSecret, tokenUrl } = emailProviders.google;
      const oauth = new google.auth.OAuth2({ clientId, clientSecret, endpoints: { oauth2TokenUrl: tokenUrl }, transporterOptions: { fetchImplementation: fetch } });
      oauth.setCredentials({ refresh_token: refreshToken });
      const { token } = await oauth.getAccessToken();
      return { user: inbox.email, accessToken: token ?? '' };
    }
    if (inbox.provider === 'microsoft' && emailProviders.microsoft) {
      const result = await microsoftClient(emailProviders.microsoft).acquireTokenByRefreshToken({
        refreshToken,
        scopes: ['https://outlook.office.com/IMAP.AccessAsUser.All'],
      });
      return { user: inbox.email, accessToken: result?.accessToken ?? '' };
    }
    throw new Error(`${inbox.provider} inboxes need their OAuth client configured on the worker`);
  }

  async function leadFor(inbox: EmailInbox, ids: string[], from: string | undefined): Promise<Lead | null> {
    if (ids.length > 0) {
      const action = await db.leadAction.findFirst({
        where: { kind: 'email', identityId: inbox.identityId, OR: ids.map((id) => ({ result: { path: ['messageId'], equals: id } })) },
        include: { lead: true },
      });
      if (action) return action.lead;
    }
    if (!from) return null;
    return db.lead.findFirst({ where: { identityId: inbox.identityId, email: from, state: { in: ['waiting', 'done'] } }, orderBy: { createdAt: 'desc' } });
  }

  return {
    async syncInboxReplies(input: { inboxId: string }): Promise<ReplySyncResult> {
      const inbox = await db.emailInbox.findUniqueOrThrow({ where: { id: input.inboxId } });
      if (inbox.imapHost === null || inbox.imapPort === null || inbox.status !== 'connected') {
        return { examined: 0, replies: 0, bounces: 0, lastUid: inbox.syncLastUid ?? 0 };
      }
      const checked = await checkMailHost(inbox.imapHost, imap.privateHostsAllowed);
      const client = imapClient(checked, { host: inbox.imapHost, port: inbox.imapPort, security: (inbox.imapSecurity ?? 'tls') as 'tls' | 'starttls' | 'none' }, await authFor(inbox), imap.timeoutMs);
      client.on('error', () => undefined);
      await client.connect();
      let result: ReplySyncResult;
      try {
        const mailbox = await client.mailboxOpen('INBOX', { readOnly: true });
        const validity = BigInt(mailbox.uidValidity);
        const from = inbox.syncUidValidity === validity ? (inbox.syncLastUid ?? 0) : 0;
        result = { examined: 0, replies: 0, bounces: 0, lastUid: from };
        if (mailbox.exists === 0) return result;
        for await (const message of client.fetch(`${from + 1}:*`, { uid: true, size: true, headers: true, source: { maxLength: MAX_SOURCE_BYTES } }, { uid: true })) {
          if (message.uid <= from) continue; // `n:*` always includes the last message
          if (result.examined >= BATCH) break;
          result.examined += 1;
          result.lastUid = Math.max(result.lastUid, message.uid);
          const parsed = await simpleParser(message.source ?? message.headers ?? Buffer.alloc(0));
          const fromAddress = senderAddress(parsed.from?.text);
          const contentType = parsed.headers.get('content-type') as { value?: string; params?: Record<string, string> } | undefined;
          const typeText = contentType ? `${contentType.value ?? ''}; ${Object.entries(contentType.params ?? {}).map(([k, v]) => `${k}=${v}`).join('; ')}` : undefined;
          const bounce = isBounce({ contentType: typeText, from: fromAddress });
          const references = Array.isArray(parsed.references) ? parsed.references.join(' ') : parsed.references;
          const ids = referencedMessageIds({ inReplyTo: parsed.inReplyTo, references, bounceBody: bounce ? (message.source?.toString('utf8') ?? '') : undefined });
          const lead = await leadFor(inbox, ids, bounce ? undefined : fromAddress);
          if (!lead || lead.state === 'replied' || lead.state === 'error') continue;
          const key = `reply/${inbox.id}/${validity}/${message.uid}`;
          if (await db.leadAction.findUnique({ where: { idempotencyKey: key } })) continue;
          const detail = { kind: bounce ? 'bounce' : 'reply', inboxId: inbox.id, uid: message.uid, messageId: parsed.messageId ?? null, matchedBy: ids.length > 0 ? 'message-id' : 'sender' };
          await db.$transaction([
            db.leadAction.create({ data: { leadId: lead.id, identityId: lead.identityId, stepIndex: lead.stepIndex, kind: bounce ? 'bounce' : 'reply', idempotencyKey: key, performedAt: parsed.date ?? new Date(), result: detail } }),
            db.lead.update({
              where: { id: lead.id },
              data: bounce
                ? { state: 'error', error: `email to ${lead.email ?? 'the lead'} bounced: ${(parsed.subject ?? 'delivery failure').slice(0, 200)}`, dueAt: null, waitingReason: null }
                : { state: 'replied', dueAt: null, waitingReason: null },
            }),
          ]);
          if (bounce) result.bounces += 1;
          else result.replies += 1;
        }
        await db.emailInbox.update({ where: { id: inbox.id }, data: { syncUidValidity: validity, syncLastUid: result.lastUid } });
      } finally {
        await client.logout().catch(() => client.close());
      }
      return result;
    },
  };
}
