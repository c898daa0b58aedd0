/**
 * npm start's local mailbox, so connecting an inbox, sending and reply sync can be tried with no
 * mail provider: Dovecot (IMAP, the server the tests use, scripts/dovecot.ts) and an SMTP server
 * (smtp-server) that delivers every message it accepts into Dovecot with IMAP APPEND, as a mail
 * server's local delivery would. Both listen on 127.0.0.1 only, without TLS.
 *
 * - `ada@pacer.test` is the ready inbox to connect to an identity;
 * - mail to any address without a mailbox of its own (campaign leads) lands in `catch-all@pacer.test`,
 *   so what Pacer sent can be read there;
 * - SMTP accepts mail without AUTH (so a reply can be sent with curl), and checks the password when a
 *   client authenticates (so a wrong password is refused as a real server would).
 *
 * The mail and the password are kept in `<PACER_DATA_DIR>/mailbox`.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { ImapFlow } from 'imapflow';
import { SMTPServer, type SMTPServerDataStream } from 'smtp-server';
import { startDovecot } from './dovecot';

export const DEV_INBOX = 'ada@pacer.test';
export const CATCH_ALL = 'catch-all@pacer.test';
const HOST = '127.0.0.1';

export interface DevMailbox {
  host: string;
  imapPort: number;
  smtpPort: number;
  inbox: string;
  catchAll: string;
  /** The password of both mailboxes (development only; kept in the data folder, shown in the banner). */
  password: string;
  stop(): Promise<void>;
}

async function mailboxPassword(dir: string): Promise<string> {
  const file = path.join(dir, 'password');
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing) return existing;
  const password = randomBytes(12).toString('base64url');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/** Fixed ports are stored with the inbox, so a port already taken is an error, not another port. */
function ensurePortFree(port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => reject(new Error(`${variable} ${port} is not free (${error.code ?? error.message}): set another port or DEV_MAILBOX=off`)));
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

async function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startDevMailbox(options: { dir: string; imapPort: number; smtpPort: number }): Promise<DevMailbox> {
  await mkdir(options.dir, { recursive: true });
  // Dovecot's mail processes run unprivileged (as `nobody` under root): they must traverse to the maildirs.
  await chmod(options.dir, 0o755);
  await ensurePortFree(options.imapPort, 'DEV_MAILBOX_IMAP_PORT');
  await ensurePortFree(options.smtpPort, 'DEV_MAILBOX_SMTP_PORT');
  const password = await mailboxPassword(options.dir);
  const users: Record<string, string> = { [DEV_INBOX]: password, [CATCH_ALL]: password };
  const dovecot = await startDovecot({ users, dir: path.join(options.dir, 'dovecot'), port: options.imapPort });

  const deliver = async (recipient: string, raw: Buffer): Promise<void> => {
    const user = Object.hasOwn(users, recipient.toLowerCase()) ? recipient.toLowerCase() : CATCH_ALL;
    const client = new ImapFlow({ host: HOST, port: dovecot.port, secure: false, doSTARTTLS: false, auth: { user, pass: password }, logger: false });
    await client.connect();
    try {
      await client.append('INBOX', raw);
    } finally {
      await client.logout();
    }
  };

  const smtp = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authOptional: true,
    authMethods: ['PLAIN', 'LOGIN'],
    logger: false,
    // Stopping must not wait for idle clients (the default waits 30 s).
    closeTimeout: 1_000,
    onAuth(auth, _session, callback) {
      const expected = auth.username !== undefined && Object.hasOwn(users, auth.username) ? users[auth.username] : undefined;
      if (expected === undefined || auth.password !== expected) {
        callback(Object.assign(new Error('5.7.8 Authentication credentials invalid'), { responseCode: 535 }));
        return;
      }
      callback(null, { user: auth.username });
    },
    onData(stream, session, callback) {
      readAll(stream)
        .then(async (raw) => {
          for (const recipient of session.envelope.rcptTo) await deliver(recipient.address, raw);
          callback(null, 'OK: delivered');
        })
        .catch((error: unknown) => {
          // imapflow puts the server's words in responseText; "Command failed" alone says nothing.
          const { message, responseText } = error as { message?: string; responseText?: string };
          callback(Object.assign(new Error(`4.3.0 local delivery failed: ${message ?? String(error)}${responseText ? ` (${responseText})` : ''}`), { responseCode: 451 }));
        });
    },
  });
  // Clients that hang up mid-session surface here; they concern the client only.
  smtp.on('error', () => undefined);
  try {
    await new Promise<void>((resolve, reject) => {
      smtp.server.once('error', reject);
      smtp.listen(options.smtpPort, HOST, () => resolve());
    });
  } catch (error) {
    await dovecot.stop();
    throw error;
  }

  return {
    host: HOST,
    imapPort: dovecot.port,
    smtpPort: options.smtpPort,
    inbox: DEV_INBOX,
    catchAll: CATCH_ALL,
    password,
    async stop() {
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
      await dovecot.stop();
    },
  };
}
