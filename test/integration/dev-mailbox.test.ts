import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { CATCH_ALL, DEV_INBOX, startDevMailbox, type DevMailbox } from '../../scripts/dev-mailbox';
import { freePort } from '../../scripts/temporal-binaries';
import { imapSession } from '../support/dovecot';

let dir: string;
let imapPort: number;
let smtpPort: number;
let mailbox: DevMailbox;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'pacer-dev-mailbox-'));
  imapPort = await freePort();
  smtpPort = await freePort();
  mailbox = await startDevMailbox({ dir, imapPort, smtpPort });
}, 60_000);

afterAll(async () => {
  await mailbox?.stop();
  await rm(dir, { recursive: true, force: true });
});

function transport(auth?: { user: string; pass: string }) {
  return nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true, ...(auth ? { auth } : {}) });
}

async function subjectsIn(user: string): Promise<string[]> {
  const session = await imapSession({ host: mailbox.host, port: mailbox.imapPort, dir, stop: () => Promise.resolve() }, user, mailbox.password);
  try {
    await session.mailboxOpen('INBOX');
    const subjects: string[] = [];
    for await (const message of session.fetch('1:*', { envelope: true })) subjects.push(message.envelope?.subject ?? '');
    return subjects;
  } finally {
    await session.logout();
  }
}

test('mail sent through its SMTP server lands in the recipient mailbox, or in the catch-all for any other address', async () => {
  await transport({ user: DEV_INBOX, pass: mailbox.password }).sendMail({ from: DEV_INBOX, to: 'lead@example.com', subject: 'first step', text: 'Hello' });
  // A lead's reply, sent by hand without authenticating.
  await transport().sendMail({ from: 'lead@example.com', to: DEV_INBOX, subject: 'Re: first step', text: 'Thanks', inReplyTo: '<m1@pacer>' });
  expect(await subjectsIn(CATCH_ALL)).toEqual(['first step']);
  expect(await subjectsIn(DEV_INBOX)).toEqual(['Re: first step']);
});

test('a client that authenticates with a wrong password is refused, as a real server would', async () => {
  await expect(transport({ user: DEV_INBOX, pass: 'wrong' }).verify()).rejects.toMatchObject({ responseCode: 535 });
  await expect(transport({ user: DEV_INBOX, pass: mailbox.password }).verify()).resolves.toBe(true);
});

test('a port already taken is refused by name; the password and the mail survive a restart', async () => {
  const taken = net.createServer();
  const port = await freePort();
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', () => resolve()));
  try {
    await expect(startDevMailbox({ dir: path.join(dir, 'other'), imapPort: port, smtpPort: await freePort() })).rejects.toThrow(`DEV_MAILBOX_IMAP_PORT ${port} is not free`);
  } finally {
    taken.close();
  }

  const password = mailbox.password;
  await mailbox.stop();
  mailbox = await startDevMailbox({ dir, imapPort, smtpPort });
  expect(mailbox.password).toBe(password);
  expect(await subjectsIn(DEV_INBOX)).toEqual(['Re: first step']);
}, 60_000);
