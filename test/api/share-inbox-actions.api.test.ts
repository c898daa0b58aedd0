import request from 'supertest';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { startDovecot, type DovecotServer } from '../support/dovecot';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const ADDRESS = 'owner@share-test.example';
const PASSWORD = 'share-owner-pass-7c1d';
const STATE_SECRET = 'oauth-state-secret-for-share-tests-0123456789';

let harness: ApiHarness;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;
let apiKey: string;

beforeAll(async () => {
  [harness, dovecot, smtp] = await Promise.all([
    startApiHarness({
      oauth: {
        stateSecret: STATE_SECRET,
        redirectBaseUrl: 'https://pacer.example',
        google: { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret', tokenUrl: 'http://127.0.0.1:9/token', gmailRootUrl: 'http://127.0.0.1:9/' },
        microsoft: undefined,
      },
    }),
    startDovecot({ users: { [ADDRESS]: PASSWORD } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD } }),
  ]);
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'share-inbox-actions'));
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), dovecot?.stop(), smtp?.stop()]);
});

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function identityWithLink(name: string): Promise<{ identityId: string; base: string; linkId: string }> {
  const identity = await request(harness.app).post('/identities').set(auth()).send({ firstName: name, lastName: 'Owner', workingHours: hours });
  const link = await request(harness.app).post(`/identities/${identity.body.id}/share-links`).set(auth()).send();
  expect(link.status).toBe(201);
  const url = link.body.url as string;
  return { identityId: identity.body.id, base: `/share/${url.slice(url.lastIndexOf('/') + 1)}/identities/${identity.body.id}`, linkId: link.body.id };
}

const imapBody = (password = PASSWORD) => ({
  email: ADDRESS,
  password,
  imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' },
  smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
});

test('through a share link the owner connects an IMAP inbox (validated on Dovecot and SMTP), then reconnects it with a new password', async () => {
  const { identityId, base, linkId } = await identityWithLink('Connect');
  const connected = await request(harness.app).post(`${base}/email-accounts`).send(imapBody());
  expect(connected.status).toBe(201);
  expect(connected.headers['cache-control']).toBe('no-store');
  expect(connected.body).toMatchObject({ identityId, email: ADDRESS, status: 'connected', provider: 'imap-smtp' });
  expect(JSON.stringify(connected.body)).not.toContain(PASSWORD);
  const audit = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: connected.body.id, action: 'email-inbox.connected' } });
  expect(audit.apiKeyId).toBeNull();
  expect(audit.after).toMatchObject({ shareLinkId: linkId });

  // The stored servers are kept: a reconnection only needs the password.
  await harness.db.emailInbox.update({ where: { id: connected.body.id }, data: { status: 'needs-reconnect', statusReason: '535 authentication failed' } });
  const reconnected = await request(harness.app).post(`${base}/email-accounts/${connected.body.id}/reconnect`).send({ password: PASSWORD });
  expect(reconnected.status).toBe(200);
  expect(reconnected.body).toMatchObject({ id: connected.body.id, status: 'connected', reconnected: true });
  expect(await harness.db.emailInbox.findUniqueOrThrow({ where: { id: connected.body.id } })).toMatchObject({ status: 'connected', statusReason: null });
});

test("an account of another identity is not reachable through a link, and bad input is refused before any server is tried", async () => {
  const owner = await identityWithLink('Holder');
  const other = await identityWithLink('Other');
  const connected = await request(harness.app).post(`${other.base}/email-accounts`).send(imapBody());
  expect(connected.status).toBe(201);
  const foreign = await request(harness.app).post(`${owner.base}/email-accounts/${connected.body.id}/reconnect`).send({ password: PASSWORD });
  expect(foreign.status).toBe(404);
  const invalid = await request(harness.app).post(`${owner.base}/email-accounts`).send({ email: 'not-an-address', password: '' });
  expect(invalid.status).toBe(422);
  expect(invalid.body.errors.map((problem: { field: string }) => problem.field)).toEqual(expect.arrayContaining(['email', 'password', 'imap', 'smtp']));
});

test('the link starts Google sign-in for its own identity; a Google inbox reconnects through the provider again', async () => {
  const { identityId, base } = await identityWithLink('Google');
  const started = await request(harness.app).post(`${base}/oauth/google/start`).send({});
  expect(started.status).toBe(200);
  const url = new URL(started.body.authorizationUrl);
  expect(url.searchParams.get('client_id')).toBe('google-client.apps.googleusercontent.com');
  expect(url.searchParams.get('redirect_uri')).toBe('https://pacer.example/oauth/google/callback');
  expect(await harness.db.oAuthState.count({ where: { identityId, provider: 'google', usedAt: null } })).toBe(1);

  const inbox = await harness.db.emailInbox.create({
    data: { workspaceId: (await harness.db.identity.findUniqueOrThrow({ where: { id: identityId } })).workspaceId, identityId, email: 'owner@gmail.example', provider: 'google', smtpHost: 'smtp.gmail.com', smtpPort: 465, smtpSecurity: 'tls', username: 'owner@gmail.example', passwordEnvelope: '', status: 'needs-reconnect' },
  });
  const again = await request(harness.app).post(`${base}/email-accounts/${inbox.id}/reconnect`).send({});
  expect(again.status).toBe(200);
  expect(new URL(again.body.authorizationUrl).hostname).toBe('accounts.google.com');

  // Not configured: plain words for the link holder, the details for the operator's log.
  const microsoft = await request(harness.app).post(`${base}/oauth/microsoft/start`).send({});
  expect(microsoft.status).toBe(503);
  expect(microsoft.body.detail).toMatch(/Microsoft sign-in is not available right now/);
  expect(microsoft.text).not.toContain('MICROSOFT_');
});

test('a wrong password through the link gets the same classified 422 as the API, and stores nothing', async () => {
  const { identityId, base } = await identityWithLink('Wrong');
  const refused = await request(harness.app).post(`${base}/email-accounts`).send(imapBody('not-the-password'));
  expect(refused.status).toBe(422);
  expect(refused.body).toMatchObject({ code: 'auth-failed' });
  expect(refused.body.guidance).toEqual(expect.any(String));
  expect(await harness.db.emailInbox.count({ where: { identityId } })).toBe(0);
});
