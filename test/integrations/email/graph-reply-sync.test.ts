/**
 * Reply sync of a Microsoft 365 inbox through Microsoft Graph (inbox messages delta and
 * internetMessageHeaders), against recorded exchanges shaped like Graph's documented JSON, served by
 * a real HTTP server; msal-node redeems the refresh token at the same server. The activity function
 * runs on real PostgreSQL rows.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { createReplySyncActivities } from '../../../activities/reply-sync';
import { createDatabase, type Database } from '../../../db/client';
import { sharedServices } from '../../support/services';
import { testKeyring } from '../../support/keyring';
import { startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';
import { oauthInboxWithLeads } from '../../support/reply-sync-fixture';

const GRACE = '<pacer.00000000000000000000b001@contoso.example>';
const NOBODY = '<pacer.00000000000000000000b003@contoso.example>';
const QUIET = '<pacer.00000000000000000000b004@contoso.example>';
const DELTA = '/v1.0/me/mailFolders/inbox/messages/delta';

let db: Database;
let microsoft: ProviderReplayServer;
let activities: ReturnType<typeof createReplySyncActivities>;

beforeAll(async () => {
  db = createDatabase(sharedServices().databaseUrl);
  microsoft = await startProviderReplayServer();
  activities = createReplySyncActivities({
    db,
    keyring: testKeyring,
    emailProviders: { microsoft: { clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'ms-secret', loginBaseUrl: microsoft.baseUrl, graphBaseUrl: microsoft.baseUrl } },
    mailHosts: { privateHostsAllowed: [], timeoutMs: 5_000 },
  });
});

afterAll(async () => {
  await microsoft?.stop();
  await db?.$disconnect();
});

beforeEach(() => microsoft.received.splice(0));

function inbox(graphDeltaLink: string | null = null) {
  return oauthInboxWithLeads(db, {
    provider: 'microsoft',
    address: 'ada@contoso.example',
    refreshToken: '0.AAAA-graph-sync-refresh-token',
    leads: { 'grace@lead.example': GRACE, 'nobody@lead.example': NOBODY, 'quiet@lead.example': QUIET },
    inbox: { graphDeltaLink },
  });
}

const state = (id: string) => db.lead.findUniqueOrThrow({ where: { id } });
const requests = (path: string) => microsoft.received.filter((received) => received.path === path);

test('a delta round: a reply stops its lead, a Microsoft bounce stops its lead with an error naming the bounce; the delta link is kept for the next round', async () => {
  const { inbox: row, leads } = await inbox();
  microsoft.queue('microsoft-token.success', 'graph-delta.page-1', 'graph-message.reply', 'graph-delta.page-2', 'graph-message.ndr', 'graph-message.ndr-body');

  expect(await activities.syncInboxReplies({ inboxId: row.id })).toEqual({ provider: 'microsoft', examined: 2, replies: 1, bounces: 1, more: false });

  expect(await state(leads['grace@lead.example']!.lead.id)).toMatchObject({ state: 'replied', dueAt: null });
  const bounced = await state(leads['nobody@lead.example']!.lead.id);
  expect(bounced).toMatchObject({ state: 'error', dueAt: null, error: 'email to nobody@lead.example bounced: Undeliverable: Hi' });
  expect(await state(leads['quiet@lead.example']!.lead.id)).toMatchObject({ state: 'waiting' });

  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved.graphDeltaLink).toBe(`${microsoft.baseUrl}${DELTA}?$deltatoken=LztZwWjo5IivWBhyxw5rAKpNOkNz7B5`);
  expect(saved).toMatchObject({ syncStatus: 'ok', lastSyncError: null });

  // msal redeemed the refresh token for Mail.Read; Graph got the access token.
  const token = new URLSearchParams(requests('/common/oauth2/v2.0/token')[0]!.body);
  expect(token.get('grant_type')).toBe('refresh_token');
  expect(token.get('refresh_token')).toBe('0.AAAA-graph-sync-refresh-token');
  expect(token.get('scope')).toContain('https://graph.microsoft.com/Mail.Read');
  const [first, second] = requests(DELTA);
  const start = new URL(first!.url, microsoft.baseUrl).searchParams;
  expect(start.get('$filter')).toMatch(/^receivedDateTime ge \d{4}-\d\d-\d\dT/);
  expect(first!.headers.prefer).toBe('odata.maxpagesize=50');
  expect(new URL(second!.url, microsoft.baseUrl).searchParams.get('$skiptoken')).toBe('MSZYeUNPVzZTQ1dqVXNORnBheGtEM2hVNGlV');
  expect(first!.headers.authorization).toBe('Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6InJlY29yZGVkIn0.recorded.access');
  expect(new URL(requests('/v1.0/me/messages/AAMkAGI2TGracereply')[0]!.url, microsoft.baseUrl).searchParams.get('$select')).toContain('internetMessageHeaders');
  // The removed item was never fetched; the NDR's body was read as text to find what bounced.
  expect(requests('/v1.0/me/messages/AAMkAGI2Tremoved')).toHaveLength(0);
  expect(requests('/v1.0/me/messages/AAMkAGI2Tndr')[1]!.headers.prefer).toBe('outlook.body-content-type="text"');

  microsoft.received.splice(0);
  microsoft.queue('microsoft-token.success', 'graph-delta.no-changes');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toMatchObject({ examined: 0 });
  expect(new URL(requests(DELTA)[0]!.url, microsoft.baseUrl).searchParams.get('$deltatoken')).toBe('LztZwWjo5IivWBhyxw5rAKpNOkNz7B5');
  expect((await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).graphDeltaLink).toContain('$deltatoken=Round2NothingNew');
});

test('an expired delta link (410 syncStateNotFound) starts a new round from the date', async () => {
  const { inbox: row, leads } = await inbox(`${microsoft.baseUrl}${DELTA}?$deltatoken=long-gone`);
  microsoft.queue('microsoft-token.success', 'graph-delta.expired', 'graph-delta.page-1', 'graph-message.reply', 'graph-delta.page-2', 'graph-message.ndr', 'graph-message.ndr-body');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toMatchObject({ examined: 2, replies: 1, bounces: 1 });
  expect(await state(leads['grace@lead.example']!.lead.id)).toMatchObject({ state: 'replied' });
  const [expired, fresh] = requests(DELTA);
  expect(new URL(expired!.url, microsoft.baseUrl).searchParams.get('$deltatoken')).toBe('long-gone');
  expect(new URL(fresh!.url, microsoft.baseUrl).searchParams.get('$filter')).toMatch(/^receivedDateTime ge /);
});

test('a stored link to another host is never followed with the token: a new round starts here', async () => {
  const { inbox: row } = await inbox(`https://attacker.example${DELTA}?$deltatoken=x`);
  microsoft.queue('microsoft-token.success', 'graph-delta.no-changes');
  expect(await activities.syncInboxReplies({ inboxId: row.id })).toMatchObject({ examined: 0 });
  expect(new URL(requests(DELTA)[0]!.url, microsoft.baseUrl).searchParams.get('$filter')).toMatch(/^receivedDateTime ge /);
});

test('an expired refresh token (AADSTS70008): needs-reconnect on the inbox, no retry', async () => {
  const { inbox: row } = await inbox();
  microsoft.queue('microsoft-token.aadsts70008');
  const failure = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'ReplySyncError', nonRetryable: true, details: [{ code: 'needs-reconnect' }] });
  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved.syncStatus).toBe('needs-reconnect');
  expect(saved.lastSyncError).toMatch(/AADSTS70008/);
});

test("AADSTS7000215 (Pacer's client secret is wrong): the inbox is not blamed (failing, not needs-reconnect)", async () => {
  const { inbox: row } = await inbox();
  microsoft.queue('microsoft-token.aadsts7000215');
  const failure = await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error);
  expect(failure).toMatchObject({ type: 'ReplySyncError', nonRetryable: true });
  const saved = await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } });
  expect(saved.syncStatus).toBe('failing');
  expect(saved.lastSyncError).toMatch(/AADSTS7000215.*MICROSOFT_CLIENT_SECRET/);
});

test('Graph throttling (429) and a connection closed mid-request: failing, retryable, the delta position is unchanged', async () => {
  const stored = `${microsoft.baseUrl}${DELTA}?$deltatoken=kept`;
  const { inbox: row } = await inbox(stored);
  microsoft.queue('microsoft-token.success', 'graph-delta.throttled');
  expect(await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error)).toMatchObject({ name: 'MailboxApiError', code: 'rate-limited', retryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing', graphDeltaLink: stored });

  microsoft.queue('microsoft-token.success', 'graph-delta.page-1', 'graph-message.dropped');
  expect(await activities.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error)).toMatchObject({ name: 'MailboxApiError', code: 'unavailable', retryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing', graphDeltaLink: stored });
});

test('the Microsoft token endpoint unreachable (nothing listens): failing and retryable', async () => {
  const { inbox: row } = await inbox();
  const closed = await startProviderReplayServer();
  await closed.stop();
  const offline = createReplySyncActivities({ db, keyring: testKeyring, emailProviders: { microsoft: { clientId: 'c', clientSecret: 's', loginBaseUrl: closed.baseUrl, graphBaseUrl: closed.baseUrl } } });
  expect(await offline.syncInboxReplies({ inboxId: row.id }).catch((error: unknown) => error)).toMatchObject({ name: 'MailboxApiError', code: 'unavailable', retryable: true });
  expect(await db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ syncStatus: 'failing' });
});
