import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { ApplicationFailure } from '@temporalio/activity';
import { inboxPasswordAssociatedData } from '../../../lib/secrets';
import { createReplySyncActivities } from '../../../activities/reply-sync';
import { createDatabase, type Database } from '../../../db/client';
import { parseAllowlist } from '../../../lib/config';
import { encryptSecret, generateKeyringEntry, parseKeyring } from '../../../lib/secrets';
import { deterministicMessageId } from '../../../integrations/email/smtp-sender';
import { deliver, startDovecot, type DovecotServer } from '../../support/dovecot';
import { testKeyring } from '../../support/keyring';
import { sharedServices } from '../../support/services';

const ADDRESS = 'ada@pacer-test.example';
const PASSWORD = 'sync-pass-b81f';
let db: Database;
let dovecot: DovecotServer;
let activities: ReturnType<typeof createReplySyncActivities>;
const sync = (input: { inboxId: string }) => activities.syncInboxReplies(input);

beforeAll(async () => {
  db = createDatabase(sharedServices().databaseUrl);
  dovecot = await startDovecot({ users: { [ADDRESS]: PASSWORD } });
  activities = createReplySyncActivities({ db, keyring: testKeyring, mailHosts: { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 5_000 } });
}, 60_000);

afterAll(async () => {
  await dovecot?.stop();
  await db?.$disconnect();
});

function message(headers: Record<string, string>, body: string, contentType = 'text/plain; charset=utf-8'): string {
  const lines = Object.entries({ Date: new Date().toUTCString(), 'MIME-Version': '1.0', 'Content-Type': contentType, ...headers }).map(([name, value]) => `${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`;
}

async function fixture() {
  const workspace = await db.workspace.create({ data: { slug: `sync-${randomUUID()}`, name: 'sync' } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'Ada', lastName: 'S', timeZone: 'Europe/Paris', workingDays: ['MON'], workingStart: '09:00', workingEnd: '18:00' },
  });
  const steps = [
    { kind: 'email', delayMinutes: 0, subject: 'Hi', body: '<p>Hi</p>' },
    { kind: 'email', delayMinutes: 2880, subject: 'Follow-up', body: '<p>?</p>' },
  ];
  const campaign = await db.campaign.create({ data: { workspaceId: workspace.id, identityId: identity.id, name: 'c', status: 'active', steps } });
  const inboxId = randomUUID();
  const inbox = await db.emailInbox.create({
    data: {
      id: inboxId,
      workspaceId: workspace.id,
      identityId: identity.id,
      email: ADDRESS,
      smtpHost: '127.0.0.1',
      smtpPort: 1,
      smtpSecurity: 'none',
      imapHost: dovecot.host,
      imapPort: dovecot.port,
      imapSecurity: 'none',
      username: ADDRESS,
      passwordEnvelope: encryptSecret(testKeyring, PASSWORD, inboxPasswordAssociatedData(inboxId)),
    },
  });
  const lead = async (email: string) => {
    const created = await db.lead.create({
      data: { workspaceId: workspace.id, campaignId: campaign.id, identityId: identity.id, email, inboxId, stepIndex: 1, nextActionKind: 'email', dueAt: new Date(Date.now() + 86_400_000) },
    });
    const messageId = deterministicMessageId({ campaignId: campaign.id, leadId: created.id, stepIndex: 0, domain: 'pacer-test.example' });
    await db.leadAction.create({
      data: { leadId: created.id, identityId: identity.id, stepIndex: 0, kind: 'email', idempotencyKey: `${campaign.id}/${created.id}/0`, performedAt: new Date(), result: { state: 'sent', inboxId, messageId } },
    });
    return { lead: created, messageId };
  };
  return { inbox, replier: await lead('grace@lead.example'), byAddress: await lead('linus@lead.example'), bounced: await lead('nobody@lead.example'), quiet: await lead('quiet@lead.example') };
}

test('replies (by Message-ID, then by sender) stop their leads, a bounce stops its lead with an error, and a second run changes nothing', async () => {
  const { inbox, replier, byAddress, bounced, quiet } = await fixture();
  await deliver(dovecot, ADDRESS, PASSWORD, message({ From: 'Grace <grace.personal@elsewhere.example>', To: ADDRESS, Subject: 'Re: Hi', 'Message-ID': '<r1@elsewhere.example>', 'In-Reply-To': replier.messageId, References: replier.messageId }, 'Sounds good, let us talk.'));
  await deliver(dovecot, ADDRESS, PASSWORD, message({ From: 'Linus <Linus@Lead.Example>', To: ADDRESS, Subject: 'Question', 'Message-ID': '<r2@lead.example>' }, 'Who are you?'));
  await deliver(
    dovecot,
    ADDRESS,
    PASSWORD,
    message(
      { From: 'Mail Delivery Subsystem <mailer-daemon@lead.example>', To: ADDRESS, Subject: 'Undelivered Mail Returned to Sender', 'Message-ID': '<dsn1@lead.example>' },
      `--b1\nContent-Type: text/plain\n\nThe mail system could not deliver to nobody@lead.example.\n\n--b1\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.lead.example\n\nFinal-Recipient: rfc822; nobody@lead.example\nAction: failed\nStatus: 5.1.1\n\n--b1\nContent-Type: text/rfc822-headers\n\nFrom: ${ADDRESS}\nTo: nobody@lead.example\nMessage-ID: ${bounced.messageId}\nSubject: Hi\n\n--b1--`,
      'multipart/report; report-type=delivery-status; boundary="b1"',
    ),
  );
  await deliver(dovecot, ADDRESS, PASSWORD, message({ From: 'newsletter@unrelated.example', To: ADDRESS, Subject: 'Weekly digest', 'Message-ID': '<n1@unrelated.example>' }, 'Nothing to do with leads.'));

  expect(await sync({ inboxId: inbox.id })).toEqual({ provider: 'imap-smtp', examined: 4, replies: 2, bounces: 1, more: false, lastUid: 4 });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } })).toMatchObject({ syncStatus: 'ok', lastSyncError: null });

  const state = async (id: string) => db.lead.findUniqueOrThrow({ where: { id } });
  expect(await state(replier.lead.id)).toMatchObject({ state: 'replied', dueAt: null });
  expect(await state(byAddress.lead.id)).toMatchObject({ state: 'replied', dueAt: null });
  const bouncedLead = await state(bounced.lead.id);
  expect(bouncedLead).toMatchObject({ state: 'error', dueAt: null });
  expect(bouncedLead.error).toMatch(/bounced/);
  expect(await state(quiet.lead.id)).toMatchObject({ state: 'waiting' });
  const replyAction = await db.leadAction.findFirstOrThrow({ where: { leadId: replier.lead.id, kind: 'reply' } });
  expect(replyAction.result).toMatchObject({ matchedBy: 'message-id', messageId: '<r1@elsewhere.example>' });

  expect(await sync({ inboxId: inbox.id })).toEqual({ provider: 'imap-smtp', examined: 0, replies: 0, bounces: 0, more: false, lastUid: 4 });

  await deliver(dovecot, ADDRESS, PASSWORD, message({ From: 'quiet@lead.example', To: ADDRESS, Subject: 'Re: Hi', 'Message-ID': '<r3@lead.example>', 'In-Reply-To': quiet.messageId }, 'Not interested.'));
  expect(await sync({ inboxId: inbox.id })).toEqual({ provider: 'imap-smtp', examined: 1, replies: 1, bounces: 0, more: false, lastUid: 5 });
  expect(await state(quiet.lead.id)).toMatchObject({ state: 'replied' });
});

test('cancelled while the IMAP server stays silent: the connection is closed and the run ends at once', async () => {
  const sockets: net.Socket[] = [];
  const silent = net.createServer((socket) => sockets.push(socket)); // accepts, never greets
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  try {
    const { inbox } = await fixture();
    await db.emailInbox.update({ where: { id: inbox.id }, data: { imapPort: (silent.address() as net.AddressInfo).port } });
    const patient = createReplySyncActivities({ db, keyring: testKeyring, mailHosts: { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 60_000 } });
    const cancel = new AbortController();
    const started = Date.now();
    const run = patient.syncInboxReplies({ inboxId: inbox.id }, cancel.signal).catch((error: unknown) => error);
    while (sockets.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    cancel.abort(new Error('activity cancelled'));
    expect(((await run) as Error).message).toBe('activity cancelled');
    expect(Date.now() - started).toBeLessThan(10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sockets[0]!.destroyed || sockets[0]!.readableEnded).toBe(true);
  } finally {
    for (const socket of sockets) socket.destroy();
    silent.close();
  }
});

test('an IMAP host that now resolves to a refused address, or a password no key opens: shown on the inbox, not retried', async () => {
  const { inbox } = await fixture();
  const strict = createReplySyncActivities({ db, keyring: testKeyring, mailHosts: { privateHostsAllowed: [], timeoutMs: 5_000 } });
  expect(await strict.syncInboxReplies({ inboxId: inbox.id }).catch((error: unknown) => error)).toMatchObject({ type: 'ReplySyncError', nonRetryable: true, details: [{ code: 'needs-reconnect' }] });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } })).toMatchObject({ syncStatus: 'needs-reconnect', lastSyncError: expect.stringMatching(/cannot be used as a mail server host/) });

  const otherKey = createReplySyncActivities({ db, keyring: parseKeyring(generateKeyringEntry('other')), mailHosts: { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 5_000 } });
  expect(await otherKey.syncInboxReplies({ inboxId: inbox.id }).catch((error: unknown) => error)).toMatchObject({ type: 'ReplySyncError', nonRetryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } })).toMatchObject({ syncStatus: 'failing', lastSyncError: expect.stringMatching(/key id "test"/) });
});

// Last: Dovecot delays the next login from 127.0.0.1 after a refused one.
test('a password that no longer works: the inbox shows needs-reconnect and the activity fails without retry', async () => {
  const { inbox } = await fixture();
  await db.emailInbox.update({ where: { id: inbox.id }, data: { passwordEnvelope: encryptSecret(testKeyring, 'changed-elsewhere', inboxPasswordAssociatedData(inbox.id)) } });
  const failure = await sync({ inboxId: inbox.id }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'ReplySyncError', nonRetryable: true, details: [{ code: 'needs-reconnect' }] });
  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } });
  expect(saved.syncStatus).toBe('needs-reconnect');
  expect(saved.lastSyncError).toMatch(/IMAP login refused/);
  expect(saved.lastSyncError).not.toContain('changed-elsewhere');
});
