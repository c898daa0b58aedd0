/**
 * Reply sync of a Google inbox through the Gmail API, against recorded exchanges shaped like Gmail's
 * documented JSON, served by a real HTTP server; the activity function runs on real PostgreSQL rows.
 */
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createReplySyncActivities } from '../../../activities/reply-sync';
import { createDatabase, type Database } from '../../../db/client';
import { MailboxApiError } from '../../../integrations/email/provider-api';
import { sharedServices } from '../../support/services';
import { testKeyring } from '../../support/keyring';
import { startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';
import { oauthInboxWithLeads } from '../../support/reply-sync-fixture';

const GRACE = '<pacer.00000000000000000000a001@outreach.example>';
const LINUS = '<pacer.00000000000000000000a002@outreach.example>';
const NOBODY = '<pacer.00000000000000000000a003@outreach.example>';
const QUIET = '<pacer.00000000000000000000a004@outreach.example>';
const REFRESH_TOKEN = '1//09gmail-sync-refresh-token-canary';

let db: Database;
let google: ProviderReplayServer;
let activities: ReturnType<typeof createReplySyncActivities>;

beforeAll(async () => {
  db = createDatabase(sharedServices().databaseUrl);
  google = await startProviderReplayServer();
  activities = createReplySyncActivities({
    db,
    keyring: testKeyring,
    emailProviders: { google: { clientId: 'client.apps.googleusercontent.com', clientSecret: 'google-secret', tokenUrl: `${google.baseUrl}/token`, gmailRootUrl: `${google.baseUrl}/` } },
    mailHosts: { privateHostsAllowed: [], timeoutMs: 5_000 },
  });
});

afterAll(async () => {
  await google?.stop();
  await db?.$disconnect();
});

beforeEach(() => google.received.splice(0));

function inbox(gmailHistoryId: string | null) {
  return oauthInboxWithLeads(db, {
    provider: 'google',
    address: 'ada@outreach.example',
    refreshToken: REFRESH_TOKEN,
    leads: { 'grace@lead.example': GRACE, 'linus@lead.example': LINUS, 'nobody@lead.example': NOBODY, 'quiet@lead.example': QUIET },
    inbox: { gmailHistoryId },
  });
}

const state = (id: string) => db.lead.findUniqueOrThrow({ where: { id } });
const requests = (path: string) => google.received.filter((received) => received.path === path);

test('history since the stored historyId: a reply (In-Reply-To), a reply found by its thread, a DSN bounce; SENT and unrelated mail change nothing; a second run finds nothing', async () => {
  const { inbox: row, leads } = await inbox('5821900');
  google.queue(
    'google-token.success',
    'gmail-history.page-1',
    'gmail-message.reply',
    'gmail-message.thread-only',
    'gmail-thread.linus',
    'gmail-history.page-2',
    'gmail-message.dsn',
    'gmail-message.dsn-raw',
    'gmail-message.newsletter',
  );

  expect(await activities.syncInboxReplies({ inboxId: row.id })).toEqual({ provider: 'google', examined: 4, replies: 2, bounces: 1, more: false });

  expect(await state(leads['grace@lead.example']!.lead.id)).toMatchObject({ state: 'replied', dueAt: null });
  expect(await state(leads['linus@lead.example']!.lead.id)).toMatchObject({ state: 'replied', dueAt: null });
  const bounced = await state(leads['nobody@lead.example']!.lead.id);
  expect(bounced).toMatchObject({ state: 'error', dueAt: null });
  expect(bounced.error).toBe('email to nobody@lead.example bounced: Delivery Status Notification (Failure)');
  expect(await state(leads['quiet@lead.example']!.lead.id)).toMatchObject({ state: 'waiting' });
  const actions = await db.leadAction.findMany({ where: { identityId: row.identityId, kind: { in: ['reply', 'bounce'] } }, orderBy: { performedAt: 'asc' } });
  expect(actions.map((action) => (action.result as { matchedBy: string }).matchedBy)).toEqual(['message-id', 'thread', 'message-id']);

  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved).toMatchObject({ gmailHistoryId: '5821990', syncStatus: 'ok', lastSyncError: null });
  expect(saved.lastSyncAt).toBeInstanceOf(Date);

  // The refresh token went to the token endpoint once; the access token, never the refresh token, to Gmail.
  const [token] = requests('/token');
  expect(new URLSearchParams(token!.body).get('grant_type')).toBe('refresh_token');
  expect(new URLSearchParams(token!.body).get('refresh_token')).toBe(REFRESH_TOKEN);
  const history = requests('/gmail/v1/users/me/history');
  expect(history).toHaveLength(2);
  const first = new URL(history[0]!.url, google.baseUrl).searchParams;
  expect(first.get('startHistoryId')).toBe('5821900');
  expect(first.get('historyTypes')).toBe('messageAdded');
  expect(new URL(history[1]!.url, google.baseUrl).searchParams.get('pageToken')).toBe('09187246813579');
  for (const call of google.received.filter((received) => received.path.startsWith('/gmail/'))) {
    expect(call.headers.authorization).toBe('Bearer ya29.a0AfH6SMBx-recorded-access-token');
  }
  // The SENT message was never fetched; metadata requests ask for the matching headers.
  expect(requests('/gmail/v1/users/me/messages/18f0b2sent')).toHaveLength(0);
  const metadata = new URL(requests('/gmail/v1/users/me/messages/18f0a1reply')[0]!.url, google.baseUrl).searchParams;
  expect(metadata.get('format')).toBe('metadata');
  expect(metadata.getAll('metadataHeaders')).toEqual(expect.arrayContaining(['In-Reply-To', 'References', 'Content-Type', 'X-Failed-Recipients']));

  google.received.splice(0);
  google.queue('google-token.success', 'gmail-history.empty');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toEqual({ provider: 'google', examined: 0, replies: 0, bounces: 0, more: false });
  expect(new URL(requests('/gmail/v1/users/me/history')[0]!.url, google.baseUrl).searchParams.get('startHistoryId')).toBe('5821990');
});

test('an expired historyId (404) falls back to messages.list with a date query, then tracks from the profile historyId', async () => {
  const { inbox: row, leads } = await inbox('100');
  google.queue('google-token.success', 'gmail-history.expired', 'gmail-profile.sync', 'gmail-list.since', 'gmail-message.reply');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toEqual({ provider: 'google', examined: 1, replies: 1, bounces: 0, more: false });
  expect(await state(leads['grace@lead.example']!.lead.id)).toMatchObject({ state: 'replied' });
  const query = new URL(requests('/gmail/v1/users/me/messages')[0]!.url, google.baseUrl).searchParams.get('q') ?? '';
  const after = Number(/after:(\d+)/.exec(query)?.[1]);
  // A day before the connection (the inbox was just created), never more than 30 days back.
  expect(after * 1000).toBeGreaterThan(row.createdAt.getTime() - 86_400_000 - 5_000);
  expect(after * 1000).toBeLessThanOrEqual(row.createdAt.getTime() - 86_400_000 + 1_000);
  expect(query).toContain('-in:sent');
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ gmailHistoryId: '5830000', syncStatus: 'ok' });
});

test('a first sync (no historyId yet) reads by date without calling history.list', async () => {
  const { inbox: row } = await inbox(null);
  google.queue('google-token.success', 'gmail-profile.sync', 'gmail-list.since', 'gmail-message.reply');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toMatchObject({ examined: 1, replies: 1 });
  expect(requests('/gmail/v1/users/me/history')).toHaveLength(0);
});

test('a revoked refresh token: the inbox shows needs-reconnect and the activity fails without retry', async () => {
  const { inbox: row } = await inbox('5821900');
  google.queue('google-token.invalid-grant');
  const failure = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'ReplySyncError', nonRetryable: true, details: [{ code: 'needs-reconnect' }] });
  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved).toMatchObject({ syncStatus: 'needs-reconnect', gmailHistoryId: '5821900', lastSyncAt: null });
  expect(saved.lastSyncError).toMatch(/invalid_grant/);
  expect(saved.lastSyncError).not.toContain(REFRESH_TOKEN);
});

test("Pacer's own client refused (invalid_client): the inbox is not blamed (failing, not needs-reconnect), the error names the configuration", async () => {
  const { inbox: row } = await inbox('5821900');
  google.queue('google-token.invalid-client');
  const failure = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(failure).toMatchObject({ type: 'ReplySyncError', nonRetryable: true });
  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved).toMatchObject({ syncStatus: 'failing', gmailHistoryId: '5821900' });
  expect(saved.lastSyncError).toMatch(/refused Pacer's OAuth client .*HTTP 401 invalid_client/);
});

test('Gmail failing (500), or closing the connection after the request arrived: the inbox shows failing, the error is retryable, the position stays', async () => {
  const { inbox: row } = await inbox('5821900');
  google.queue('google-token.success', 'gmail-history.unavailable');
  const backend = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(backend).toBeInstanceOf(MailboxApiError);
  expect(backend).toMatchObject({ code: 'unavailable', retryable: true, status: 500 });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing', gmailHistoryId: '5821900' });

  google.queue('google-token.success', 'gmail-history.page-1', 'gmail-message.dropped');
  const dropped = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(dropped).toMatchObject({ code: 'unavailable', retryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing', gmailHistoryId: '5821900' });
});

test('Gmail unreachable (nothing listens): failing and retryable', async () => {
  const { inbox: row } = await inbox('5821900');
  const closed = await startProviderReplayServer();
  await closed.stop();
  const offline = createReplySyncActivities({
    db,
    keyring: testKeyring,
    emailProviders: { google: { clientId: 'c', clientSecret: 's', tokenUrl: `${closed.baseUrl}/token`, gmailRootUrl: `${closed.baseUrl}/` } },
  });
  const failure = await offline.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(failure).toMatchObject({ name: 'MailboxApiError', code: 'unavailable', retryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing' });
});

test('cancellation stops between messages and aborts the request in flight; the position reached is kept', async () => {
  const { inbox: row, leads } = await inbox('5821900');
  google.queue('google-token.success', 'gmail-history.page-1', 'gmail-message.reply', 'gmail-message.slow');
  const cancel = new AbortController();
  const started = Date.now();
  const run = activities.syncInboxReplies({ inboxId: row.id }, cancel.signal).catch((error: unknown) => error);
  while (requests('/gmail/v1/users/me/messages/18f0c3linus').length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  cancel.abort(new Error('activity cancelled'));
  const failure = await run;
  expect((failure as Error).message).toBe('activity cancelled');
  expect(Date.now() - started).toBeLessThan(20_000); // the slow answer (30 s) was not awaited
  expect(await state(leads['grace@lead.example']!.lead.id)).toMatchObject({ state: 'replied' });
  // The first record (the reply) and the SENT one are done: the next run starts after them.
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ gmailHistoryId: '5821915', syncStatus: null });
});

test('as a regular activity it heartbeats after each message and stops when the activity is cancelled; as a local activity it does not heartbeat', async () => {
  const { inbox: row } = await inbox('5821900');
  google.queue('google-token.success', 'gmail-history.page-1', 'gmail-message.reply', 'gmail-message.slow');
  const regular = new MockActivityEnvironment({ isLocal: false });
  const beats: unknown[] = [];
  regular.on('heartbeat', (details: unknown) => beats.push(details));
  const run = regular.run((input: { inboxId: string }) => activities.syncInboxReplies(input), { inboxId: row.id }).catch((error: unknown) => error);
  while (requests('/gmail/v1/users/me/messages/18f0c3linus').length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
  regular.cancel('CANCELLED');
  expect(await run).toBeInstanceOf(CancelledFailure);
  expect(beats.length).toBeGreaterThanOrEqual(2);
  expect(beats[0]).toEqual({ examined: 0 });

  const { inbox: other } = await inbox('5821900');
  google.queue('google-token.success', 'gmail-history.empty');
  const local = new MockActivityEnvironment({ isLocal: true });
  let localBeats = 0;
  local.on('heartbeat', () => (localBeats += 1));
  expect(await local.run((input: { inboxId: string }) => activities.syncInboxReplies(input), { inboxId: other.id })).toMatchObject({ examined: 0 });
  expect(localBeats).toBe(0);
});
