/**
 * LinkedIn accounts through the API: hosted sign-in (connect, reconnect, create an identity from an
 * account), the service's notifications, and Unipile's webhooks. The LinkedIn side is the simulator
 * the API and the worker share; webhook bodies are Unipile's documented shapes.
 */
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { identityWorkflowId } from '../../workflows/identity-contract';
import { TEST_PUBLIC_BASE_URL, TEST_UNIPILE_WEBHOOK_SECRET, createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { connectLinkedin, deliverSignIn, signInOnSimulator, unipileWebhook } from '../support/linkedin';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const SECRET_HEADER = 'X-Pacer-Webhook-Secret';

let harness: ApiHarness;
let keyA: string;
let keyB: string;
let workspaceA: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey: keyA, workspaceId: workspaceA } = await createWorkspaceWithKey(harness.db, 'linkedin-a'));
  ({ apiKey: keyB } = await createWorkspaceWithKey(harness.db, 'linkedin-b'));
}, 120_000);

afterAll(() => harness?.stop());

const auth = (key = keyA) => ({ Authorization: `Bearer ${key}` });

async function newIdentity(firstName = 'Ada'): Promise<string> {
  const response = await request(harness.app).post('/identities').set(auth()).send({ firstName, lastName: 'Lovelace', workingHours: hours });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

const deliver = (notification: Parameters<typeof deliverSignIn>[1]) => deliverSignIn(harness.app, notification);
const signIn = (identityId: string) => signInOnSimulator(harness.app, harness.linkedin, auth(), identityId);
const webhook = (body: unknown, secret: string | null = TEST_UNIPILE_WEBHOOK_SECRET) => unipileWebhook(harness.app, body as object, secret);

async function connectedIdentity(): Promise<{ identityId: string; accountId: string }> {
  const identityId = await newIdentity();
  return { identityId, accountId: await connectLinkedin(harness.app, harness.linkedin, auth(), identityId) };
}

async function linkedinOf(identityId: string) {
  const shown = await request(harness.app).get(`/identities/${identityId}`).set(auth());
  expect(shown.status).toBe(200);
  return shown.body.linkedin as { status: string; since: string; reason: string | null; accountId: string | null; withdrawals: { autoWithdraw: boolean } };
}

/**
 * How many times the identity's workflow was told to re-read what is due. Temporal writes a signal
 * that arrives while a workflow task is in flight only once that task completes, so this waits (up
 * to 10 s) for no task to be in flight before counting.
 */
async function wakeUps(identityId: string): Promise<number> {
  const handle = harness.client.workflow.getHandle(identityWorkflowId(identityId));
  for (let attempt = 0; ; attempt++) {
    const events = (await handle.fetchHistory()).events ?? [];
    const last = events[events.length - 1];
    const taskInFlight = last?.workflowTaskScheduledEventAttributes != null || last?.workflowTaskStartedEventAttributes != null;
    if (!taskInFlight || attempt >= 50) return events.filter((event) => event.workflowExecutionSignaledEventAttributes?.signalName === 'campaignsChanged').length;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * An invitation pending on LinkedIn (the simulator) and in Pacer's records alike: the identity's
 * workflow runs in real time here, and its daily relation sync ends an invitation LinkedIn does not have.
 */
async function pendingInvitation(identityId: string, profileUrl: string) {
  const idempotencyKey = `test/${randomUUID()}`;
  const sentAt = Date.now();
  const sent = await harness.linkedin.sendConnectionRequest({ identityId, profileUrl, idempotencyKey, at: sentAt });
  return harness.db.linkedinInvitation.create({
    data: {
      workspaceId: workspaceA,
      identityId,
      profileUrl,
      status: 'pending',
      gatewayInvitationId: sent.invitationId,
      idempotencyKey,
      requestedAt: new Date(sentAt),
      sentAt: new Date(sentAt),
    },
  });
}

describe('an identity made by hand', () => {
  it('shows no connected account, since its creation, and automatic withdrawal off', async () => {
    const identityId = await newIdentity();
    const linkedin = await linkedinOf(identityId);
    expect(linkedin).toMatchObject({ status: 'not-connected', reason: null, accountId: null, withdrawals: { autoWithdraw: false } });
    expect(Date.parse(linkedin.since)).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('hosted sign-in for an identity', () => {
  it('connect → the service notifies → connected with the account; a repeated notification changes nothing', async () => {
    const identityId = await newIdentity();
    const { opened, notification } = await signIn(identityId);
    expect(opened).toMatchObject({ type: 'create', identityId, url: expect.stringMatching(/^https:\/\/linkedin-simulator\.invalid\/hosted-auth\//) });
    expect(notification.body).toEqual({ status: 'CREATION_SUCCESS', account_id: expect.any(String), name: opened.id });

    const first = await deliver(notification);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ identityId, accountId: notification.body.account_id, changed: true });
    const connected = await linkedinOf(identityId);
    expect(connected).toMatchObject({ status: 'connected', reason: null, accountId: notification.body.account_id });
    expect(await wakeUps(identityId)).toBe(1);

    const again = await deliver(notification);
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ changed: false });
    expect(await linkedinOf(identityId)).toEqual(connected);
    expect(await harness.db.auditEntry.count({ where: { entityId: identityId, action: 'identity.linkedin.connection-changed' } })).toBe(1);

    const followed = await request(harness.app).get(`/linkedin/hosted-auth-links/${opened.id}`).set(auth());
    expect(followed.body).toMatchObject({ id: opened.id, status: 'completed', accountId: notification.body.account_id, identityId });
    expect((await request(harness.app).get(`/linkedin/hosted-auth-links/${opened.id}`).set(auth(keyB))).status).toBe(404);
  });

  it('a lost session (AccountStatus CREDENTIALS) → needs-reconnect; a reconnect sign-in → connected again, the same account', async () => {
    const { identityId, accountId } = await connectedIdentity();
    await harness.linkedin.setAccountStatus(identityId, { status: 'needs-reconnect', reason: 'signed out' }, Date.now());
    const lost = await webhook({ AccountStatus: { account_id: accountId, account_type: 'LINKEDIN', message: 'CREDENTIALS' } });
    expect(lost.body).toEqual({ handled: true, identityId, changed: true });
    expect(await linkedinOf(identityId)).toMatchObject({ status: 'needs-reconnect', reason: expect.stringContaining('CREDENTIALS'), accountId });

    const { opened, notification } = await signIn(identityId);
    expect(opened.type).toBe('reconnect');
    expect(notification.body).toMatchObject({ status: 'RECONNECTED', account_id: accountId });
    expect((await deliver(notification)).body).toMatchObject({ changed: true });
    expect(await linkedinOf(identityId)).toMatchObject({ status: 'connected', reason: null, accountId });
    await expect(harness.linkedin.getAccountStatus({ identityId, at: Date.now() })).resolves.toMatchObject({ status: 'connected', accountId });
  });

  it('the share link opens the same sign-in, and its notification reconnects the identity', async () => {
    const { identityId, accountId } = await connectedIdentity();
    await webhook({ AccountStatus: { account_id: accountId, account_type: 'LINKEDIN', message: 'ERROR' } });
    const link = await request(harness.app).post(`/identities/${identityId}/share-links`).set(auth()).send();
    const token = (link.body.url as string).split('/').pop()!;
    const shown = await request(harness.app).get(`/share/${token}`);
    expect(shown.body.linkedin).toMatchObject({ status: 'needs-reconnect', reason: expect.stringContaining('ERROR') });
    const reconnect = await request(harness.app).post(`/share/${token}/identities/${identityId}/linkedin/reconnect`);
    expect(reconnect.status).toBe(200);
    expect(reconnect.body.type).toBe('reconnect');
    const notification = await harness.linkedin.completeHostedAuth(reconnect.body.reconnectUrl as string, { at: Date.now() });
    expect((await deliver(notification)).status).toBe(200);
    expect((await request(harness.app).get(`/share/${token}`)).body.linkedin).toMatchObject({ status: 'connected', reason: null });
  });

  it('refuses an unknown notification URL (401), a malformed body or another sign-in\'s name (422), changing nothing', async () => {
    const identityId = await newIdentity();
    const { opened, notification } = await signIn(identityId);
    const path = notification.notifyUrl.slice(TEST_PUBLIC_BASE_URL.length);
    const unknown = await request(harness.app).post(`/webhooks/linkedin/hosted-auth/${'A'.repeat(43)}`).send(notification.body);
    expect(unknown.status).toBe(401);
    expect(unknown.headers['content-type']).toMatch(/^application\/problem\+json/);
    for (const body of [{ status: 'CREATION_SUCCESS', name: opened.id }, { ...notification.body, status: 'FAILED' }, ['account']]) {
      expect((await request(harness.app).post(path).send(body as object)).status).toBe(422);
    }
    expect((await request(harness.app).post(path).send({ ...notification.body, name: randomUUID() })).status).toBe(422);
    expect(await linkedinOf(identityId)).toMatchObject({ status: 'not-connected', accountId: null });
    expect((await request(harness.app).get(`/linkedin/hosted-auth-links/${opened.id}`).set(auth())).body.status).toBe('pending');
  });

  it('an account already connected to another identity is refused (409)', async () => {
    const { accountId } = await connectedIdentity();
    const other = await newIdentity();
    const { notification } = await signIn(other);
    const refused = await deliver({ ...notification, body: { ...notification.body, account_id: accountId } });
    expect(refused.status).toBe(409);
    expect(await linkedinOf(other)).toMatchObject({ status: 'not-connected', accountId: null });
  });

  it('answers 404 for another workspace\'s identity and 422 for a redirect that is not http(s)', async () => {
    const identityId = await newIdentity();
    expect((await request(harness.app).post(`/identities/${identityId}/linkedin/connect`).set(auth(keyB)).send({})).status).toBe(404);
    const bad = await request(harness.app).post(`/identities/${identityId}/linkedin/connect`).set(auth()).send({ successRedirectUrl: 'javascript:alert(1)' });
    expect(bad.status).toBe(422);
  });
});

describe('POST /webhooks/unipile', () => {
  it('refuses a wrong or missing secret (401) and a malformed body (422), without side effects', async () => {
    const { identityId, accountId } = await connectedIdentity();
    const jane = 'https://www.linkedin.com/in/jane-doe';
    const invitation = await pendingInvitation(identityId, jane);
    const relation = { event: 'new_relation', account_id: accountId, account_type: 'LINKEDIN', webhook_name: 'pacer', user_full_name: 'Jane Doe', user_provider_id: 'ACoAAJane', user_public_identifier: 'jane-doe', user_profile_url: 'https://www.linkedin.com/in/jane-doe/' };
    const before = { identity: await linkedinOf(identityId), wakeUps: await wakeUps(identityId) };

    for (const secret of [null, '', 'wrong-secret', `${TEST_UNIPILE_WEBHOOK_SECRET}x`, TEST_UNIPILE_WEBHOOK_SECRET.slice(0, -1)]) {
      const refused = await webhook(relation, secret);
      expect(refused.status).toBe(401);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((await webhook({ AccountStatus: { account_id: accountId, message: 'CREDENTIALS' } }, secret)).status).toBe(401);
    }
    for (const body of [
      { event: 'new_relation', account_id: accountId },
      { event: 'new_relation', account_id: accountId, user_provider_id: 'ACoAAJane', user_public_identifier: 'a/b' },
      { AccountStatus: { account_id: accountId } },
      { AccountStatus: 'CREDENTIALS' },
      { hello: 'world' },
      [],
    ]) {
      const refused = await webhook(body);
      expect(refused.status).toBe(422);
    }
    const notJson = await request(harness.app).post('/webhooks/unipile').set(SECRET_HEADER, TEST_UNIPILE_WEBHOOK_SECRET).set('Content-Type', 'application/json').send('{"event":');
    expect(notJson.status).toBe(400);

    expect(await harness.db.linkedinInvitation.findUniqueOrThrow({ where: { id: invitation.id } })).toMatchObject({ status: 'pending', acceptedAt: null });
    expect({ identity: await linkedinOf(identityId), wakeUps: await wakeUps(identityId) }).toEqual(before);
  });

  it('new_relation accepts the pending invitation to that person and wakes the identity; a repeated delivery changes nothing', async () => {
    const { identityId, accountId } = await connectedIdentity();
    const jane = await pendingInvitation(identityId, 'https://www.linkedin.com/in/jane-doe');
    const lee = await pendingInvitation(identityId, 'https://www.linkedin.com/in/lee-chen');
    const wokenBefore = await wakeUps(identityId);
    const relation = {
      event: 'new_relation',
      account_id: accountId,
      account_type: 'LINKEDIN',
      webhook_name: 'pacer-users',
      user_full_name: 'Jane Doe',
      user_provider_id: 'ACoAAAh_Ffqss54sqAGQOD8u7sl5of04y9_3AwyM',
      user_public_identifier: 'Jane-Doe',
      user_profile_url: 'https://www.linkedin.com/in/jane-doe/',
      user_picture_url: 'https://media.licdn.com/dms/image/v2/jane.jpg',
    };

    const first = await webhook(relation);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ handled: true, identityId, acceptedInvitations: 1 });
    const accepted = await harness.db.linkedinInvitation.findUniqueOrThrow({ where: { id: jane.id } });
    expect(accepted).toMatchObject({ status: 'accepted', withdrawalRequestedAt: null });
    expect(accepted.acceptedAt).not.toBeNull();
    expect(await harness.db.linkedinInvitation.findUniqueOrThrow({ where: { id: lee.id } })).toMatchObject({ status: 'pending' });
    expect(await wakeUps(identityId)).toBe(wokenBefore + 1);

    const again = await webhook(relation);
    expect(again.body).toEqual({ handled: true, identityId, acceptedInvitations: 0 });
    expect(await harness.db.linkedinInvitation.findUniqueOrThrow({ where: { id: jane.id } })).toEqual(accepted);
  });

  it('account status events set the identity\'s status; the same again, or CONNECTING, changes nothing; DELETED detaches the account', async () => {
    const { identityId, accountId } = await connectedIdentity();
    const status = (message: string) => webhook({ AccountStatus: { account_id: accountId, account_type: 'LINKEDIN', message } });

    expect((await status('OK')).body).toEqual({ handled: true, identityId, changed: false });
    expect((await status('STOPPED')).body).toMatchObject({ changed: true });
    const stopped = await linkedinOf(identityId);
    expect(stopped).toMatchObject({ status: 'needs-reconnect', reason: expect.stringContaining('STOPPED') });
    expect((await status('STOPPED')).body).toMatchObject({ changed: false });
    expect((await status('CONNECTING')).body).toMatchObject({ changed: false });
    expect(await linkedinOf(identityId)).toEqual(stopped);
    expect((await status('ERROR')).body).toMatchObject({ changed: true });
    expect((await linkedinOf(identityId)).since).toBe(stopped.since);
    expect((await status('RECONNECTED')).body).toMatchObject({ changed: true });
    expect(await linkedinOf(identityId)).toMatchObject({ status: 'connected', reason: null, accountId });

    expect((await status('DELETED')).body).toMatchObject({ changed: true });
    expect(await linkedinOf(identityId)).toMatchObject({ status: 'not-connected', accountId: null });
    const { opened } = await signIn(identityId);
    expect(opened.type).toBe('create');
  });

  it('ignores other events and accounts no identity uses (200, nothing changed)', async () => {
    expect((await webhook({ event: 'message_received', account_id: 'x', chat_id: 'c', message: 'hi' })).body).toMatchObject({ handled: false });
    expect((await webhook({ AccountStatus: { account_id: `unknown-${randomUUID()}`, account_type: 'LINKEDIN', message: 'CREDENTIALS' } })).body).toMatchObject({
      handled: false,
    });
  });

  it('answers 503 while no secret is configured, whatever is sent', async () => {
    const unconfigured = harness.appWith({ linkedin: { gateway: harness.linkedin, publicBaseUrl: TEST_PUBLIC_BASE_URL } });
    const response = await request(unconfigured).post('/webhooks/unipile').set(SECRET_HEADER, 'anything').send({ event: 'new_relation' });
    expect(response.status).toBe(503);
    expect(response.body.detail).toContain('UNIPILE_WEBHOOK_SECRET');
  });
});

describe('POST /identities/from-linkedin', () => {
  async function connectAccount(key = keyA, profile = { firstName: 'Grace', lastName: 'Hopper', profileUrl: 'https://www.linkedin.com/in/grace-hopper', headline: 'Rear Admiral', email: 'grace@navy.example', salesNavigator: true }) {
    const opened = await request(harness.app).post('/linkedin/hosted-auth-links').set(auth(key)).send({});
    expect(opened.status).toBe(201);
    expect(opened.body).toMatchObject({ type: 'create', identityId: null });
    const notification = await harness.linkedin.completeHostedAuth(opened.body.url as string, { at: Date.now(), profile });
    expect((await deliver(notification)).body).toMatchObject({ identityId: null, changed: true });
    const followed = await request(harness.app).get(`/linkedin/hosted-auth-links/${opened.body.id}`).set(auth(key));
    expect(followed.body).toMatchObject({ status: 'completed', accountId: notification.body.account_id });
    return notification.body.account_id;
  }

  it('fills the contact details from the account\'s own profile; the identity is connected and its details stay editable', async () => {
    const accountId = await connectAccount();
    const created = await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: accountId, workingHours: hours });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      firstName: 'Grace',
      lastName: 'Hopper',
      linkedinUrl: 'https://www.linkedin.com/in/grace-hopper',
      jobTitle: 'Rear Admiral',
      email: 'grace@navy.example',
      linkedin: { status: 'connected', reason: null, accountId, salesNavigatorEnabled: true },
    });
    const edited = await request(harness.app).patch(`/identities/${created.body.id}`).set(auth()).send({ jobTitle: 'Admiral', email: 'grace@work.example' });
    expect(edited.body).toMatchObject({ jobTitle: 'Admiral', email: 'grace@work.example', linkedin: { status: 'connected', accountId } });
    await expect(harness.linkedin.getAccountStatus({ identityId: created.body.id, at: Date.now() })).resolves.toMatchObject({ status: 'connected', accountId });

    const twice = await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: accountId, workingHours: hours });
    expect(twice.status).toBe(409);
  });

  it('an account released by a deleted identity can make a new one; the caller\'s email and Sales Navigator choice win', async () => {
    const accountId = await connectAccount();
    const first = await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: accountId, workingHours: hours });
    expect((await request(harness.app).delete(`/identities/${first.body.id}`).set(auth())).status).toBe(204);
    const second = await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: accountId, workingHours: hours, email: 'g@x.example', salesNavigatorEnabled: false });
    expect(second.status).toBe(201);
    expect(second.body).toMatchObject({ email: 'g@x.example', linkedin: { accountId, salesNavigatorEnabled: false } });
  });

  it('only takes accounts connected through the caller\'s workspace', async () => {
    const accountId = await connectAccount(keyB);
    const refused = await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: accountId, workingHours: hours });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([expect.objectContaining({ field: 'linkedinAccountId' })]);
    expect((await request(harness.app).post('/identities/from-linkedin').set(auth()).send({ linkedinAccountId: 'never-seen', workingHours: hours })).status).toBe(422);
  });

  it.each([
    ['the pasted profile form (no longer accepted)', { profile: { profileUrl: 'https://www.linkedin.com/in/grace', firstName: 'G', lastName: 'H' }, workingHours: hours }, 'profile'],
    ['a missing account', { workingHours: hours }, 'linkedinAccountId'],
    ['missing working hours', { linkedinAccountId: 'acc' }, 'workingHours'],
    ['an unknown field', { linkedinAccountId: 'acc', workingHours: hours, followers: 5 }, 'followers'],
  ])('answers 422 for %s', async (_case, body, field) => {
    const response = await request(harness.app).post('/identities/from-linkedin').set(auth()).send(body);
    expect(response.status).toBe(422);
    expect(response.body.errors.map((problem: { field: string }) => problem.field)).toContain(field);
  });

  it('answers 401 without a key', async () => {
    expect((await request(harness.app).post('/identities/from-linkedin').send({ linkedinAccountId: 'acc', workingHours: hours })).status).toBe(401);
  });
});
