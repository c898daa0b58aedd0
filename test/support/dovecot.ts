import { ImapFlow } from 'imapflow';
import { startDovecot, type DovecotServer } from '../../scripts/dovecot';

export { startDovecot, type DovecotServer };

/** An IMAP session as `user` on the test Dovecot (plain text on loopback). */
export async function imapSession(server: DovecotServer, user: string, pass: string): Promise<ImapFlow> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user, pass }, logger: false });
  await client.connect();
  return client;
}

/** Delivers a raw RFC 822 message into `user`'s INBOX, as a mail server's local delivery would. */
export async function deliver(server: DovecotServer, user: string, pass: string, raw: string): Promise<void> {
  const client = await imapSession(server, user, pass);
  try {
    await client.append('INBOX', raw);
  } finally {
    await client.logout();
  }
}
