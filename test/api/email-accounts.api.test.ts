import { simpleParser } from 'mailparser';
import request from 'supertest';
import { inboxPasswordAssociatedData } from '../../lib/secrets';
import { sendSmtpEmail } from '../../integrations/email/smtp-sender';
import { decryptSecret } from '../../lib/secrets';
import { freePort } from '../../scripts/temporal-binaries';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { deliver, imapSession, startDovecot, type DovecotServer } from '../support/dovecot';
import { testKeyring } from '../support/keyring';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const ADDRESS = 'ada@pacer-test.example';
const PASSWORD = 'imap-pass-5f0e2c-canary';
const OPERATOR_KEY = 'operator-key-email-accounts-test';

let harness: ApiHarness;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;
let smtpOtherUser: SmtpTestServer;
let apiKey: string;
let identityId: string;

beforeAll(async () => {
  [harness, dovecot, smtp, smtpOtherUser] = await Promise.all([
    startApiHarness({ operatorApiKey: OPERATOR_KEY }),
    startDovecot({ users: { [ADDRESS]: PASSWORD, 'grace@lead.example': 'grace-pass' } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD } }),
    startSmtpTestServer({ users: { 'someone-else@pacer-test.example': 'x' } }),
  ]);
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'email-accounts'));
  identityId = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'L', workingHours: hours })).body.id;
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), dovecot?.stop(), smtp?.stop(), smtpOtherUser?.stop()]);
});

function auth() {
  return { Authorization: `Bearer ${apiKey}` };
}

function connectBody(overrides: { password?: string; imapPort?: number; smtpPort?: number; imapHost?: string; smtpHost?: string; email?: string; username?: string } = {}) {
  return {
    email: overrides.email ?? ADDRESS,
    ...(overrides.username === undefined ? {} : { username: overrides.username }),
    password: overrides.password ?? PASSWORD,
    displayName: 'Ada Lovelace',
    imap: { host: overrides.imapHost ?? '127.0.0.1', port: overrides.imapPort ?? dovecot.port, security: 'none' },
    smtp: { host: overrides.smtpHost ?? '127.0.0.1', port: overrides.smtpPort ?? smtp.port, security: 'none' },
  };
}

const connect = (body: object, app = harness.app) => request(app).post(`/identities/${identityId}/email-accounts/imap`).set(auth()).send(body);

describe('POST /identities/:id/email-accounts/imap against Dovecot and a real SMTP server', () => {
  it('connects when both pass: 201, the password stored only as an envelope bound to the row, never shown', async () => {
    const response = await connect(connectBody());
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      email: ADDRESS,
      status: 'connected',
      provider: 'imap-smtp',
      imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' },
      smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' },
      rate: { dailyRate: 30, hourlyRate: 5 },
    });
    const row = await harness.db.emailInbox.findUniqueOrThrow({ where: { id: response.body.id } });
    expect(row.passwordEnvelope).toMatch(/^v1\.test\./);
    expect(decryptSecret(testKeyring, row.passwordEnvelope ?? '', inboxPasswordAssociatedData(row.id))).toBe(PASSWORD);
    const listed = await request(harness.app).get(`/identities/${identityId}/email-accounts`).set(auth());
    expect(listed.status).toBe(200);
    expect(listed.body.items).toHaveLength(1);
    for (const text of [JSON.stringify(response.body), JSON.stringify(listed.body), harness.logLines.join('\n')]) {
      expect(text).not.toContain(PASSWORD);
      expect(text).not.toContain(row.passwordEnvelope);
    }
    const audit = await harness.db.auditEntry.findMany({ where: { entityId: row.id } });
    expect(JSON.stringify(audit)).not.toContain(PASSWORD);
  });

  it('sends from the connected inbox; the message lands in the recipient mailbox on Dovecot', async () => {
    const row = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } });
    const password = decryptSecret(testKeyring, row.passwordEnvelope ?? '', inboxPasswordAssociatedData(row.id));
    await sendSmtpEmail(
      { host: row.smtpHost, port: row.smtpPort, security: 'none', username: row.username, password },
      { from: { address: ADDRESS }, to: 'grace@lead.example', subject: 'Hello Grace', html: '<p>Hi</p>', text: 'Hi', messageId: '<pacer.test-delivery@pacer-test.example>' },
    );
    const [received] = await smtp.waitForMessages(1);
    // The SMTP server's local delivery: into the recipient's INBOX on the IMAP server.
    await deliver(dovecot, 'grace@lead.example', 'grace-pass', received!.raw);
    const session = await imapSession(dovecot, 'grace@lead.example', 'grace-pass');
    try {
      await session.mailboxOpen('INBOX');
      const message = await session.fetchOne('*', { source: true });
      expect(message).not.toBe(false);
      const parsed = await simpleParser((message as { source: Buffer }).source);
      expect(parsed.messageId).toBe('<pacer.test-delivery@pacer-test.example>');
      expect(parsed.subject).toBe('Hello Grace');
    } finally {
      await session.logout();
    }
  });

  it('connecting the same address again is a reconnection: 200, connected, its error leads resume', async () => {
    const row = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } });
    const disconnected = await request(harness.app).delete(`/identities/${identityId}/email-accounts/${row.id}`).set(auth());
    expect(disconnected.body).toMatchObject({ status: 'disconnected', credentials: { erased: true, tokenRevoked: null }, warmupStopped: false });
    // The password leaves with the connection.
    expect(await harness.db.emailInbox.findUniqueOrThrow({ where: { id: row.id } })).toMatchObject({ passwordEnvelope: null, refreshTokenEnvelope: null, status: 'disconnected' });
    const response = await connect(connectBody());
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ id: row.id, status: 'connected', reconnected: true });
    expect(await harness.db.emailInbox.count({ where: { identityId } })).toBe(1);
  });
});

describe('plain text, and one address for one identity', () => {
  it('security "none" is refused unless the operator allows it, and warned about when allowed', async () => {
    const strict = harness.appWithEmail({ allowPlaintext: false });
    const refused = await connect(connectBody({ email: 'plain@pacer-test.example' }), strict);
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { field: 'imap.security', message: expect.stringMatching(/EMAIL_ALLOW_PLAINTEXT=true/) },
      { field: 'smtp.security', message: expect.stringMatching(/clear text/) },
    ]);
    expect(await harness.db.emailInbox.count({ where: { email: 'plain@pacer-test.example' } })).toBe(0);

    const row = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } });
    const allowed = await connect(connectBody());
    expect(allowed.status).toBe(200);
    expect(allowed.body.id).toBe(row.id);
    expect(allowed.body.warnings).toEqual([expect.stringMatching(/^IMAP 127\.0\.0\.1:\d+ uses security "none"/), expect.stringMatching(/^SMTP 127\.0\.0\.1:\d+ uses security "none"/)]);
  });

  it('a domain without a preset and no host: 422 naming the fields', async () => {
    const response = await connect({ email: 'ada@no-preset.example', password: 'x' });
    expect(response.status).toBe(422);
    expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['imap.host', 'smtp.host']);
  });

  it('an address another identity of the workspace holds is 409 naming that identity; free again once disconnected there', async () => {
    const other = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Grace', lastName: 'Hopper', workingHours: hours })).body.id as string;
    const holder = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } });
    const attemptsBefore = smtp.authAttempts;
    const taken = await request(harness.app).post(`/identities/${other}/email-accounts/imap`).set(auth()).send(connectBody());
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ code: 'address-in-use', identityId, identityName: 'Ada L' });
    expect(taken.body.detail).toContain(`${ADDRESS} is already connected to identity Ada L (${identityId})`);
    expect(smtp.authAttempts).toBe(attemptsBefore); // refused before the servers were tried

    await request(harness.app).delete(`/identities/${identityId}/email-accounts/${holder.id}`).set(auth()).expect(200);
    const moved = await request(harness.app).post(`/identities/${other}/email-accounts/imap`).set(auth()).send(connectBody());
    expect(moved.status).toBe(201);
    // Back to the first identity for the tests that follow.
    await request(harness.app).delete(`/identities/${other}/email-accounts/${moved.body.id}`).set(auth()).expect(200);
    expect((await connect(connectBody())).status).toBe(200);
  });

  it('deleting an identity erases the envelopes of its inboxes', async () => {
    const doomed = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Temp', lastName: 'Orary', workingHours: hours })).body.id as string;
    const connected = await request(harness.app).post(`/identities/${doomed}/email-accounts/imap`).set(auth()).send(connectBody({ email: 'temp@pacer-test.example', username: ADDRESS }));
    expect(connected.status).toBe(201);
    expect((await harness.db.emailInbox.findUniqueOrThrow({ where: { id: connected.body.id } })).passwordEnvelope).toMatch(/^v1\./);
    await request(harness.app).delete(`/identities/${doomed}`).set(auth()).expect(204);
    expect(await harness.db.emailInbox.findUniqueOrThrow({ where: { id: connected.body.id } })).toMatchObject({ passwordEnvelope: null, refreshTokenEnvelope: null, status: 'disconnected' });
  });

  it('the inbox view shows reply sync status', async () => {
    const row = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } });
    await harness.db.emailInbox.update({ where: { id: row.id }, data: { syncStatus: 'failing', lastSyncError: 'Gmail API failed on users.history.list (HTTP 500)', lastSyncAt: new Date('2026-01-05T10:00:00Z') } });
    const listed = await request(harness.app).get(`/identities/${identityId}/email-accounts`).set(auth());
    expect(listed.body.items.find((item: { id: string }) => item.id === row.id).sync).toEqual({
      status: 'failing',
      lastSyncAt: '2026-01-05T10:00:00.000Z',
      lastError: 'Gmail API failed on users.history.list (HTTP 500)',
    });
  });
});

describe('SSRF guard', () => {
  it('refuses private, loopback and metadata hosts with one identical answer when no allowlist permits them', async () => {
    const strict = harness.appWithEmail({
      privateHostsAllowed: [],
      resolve: (host) => Promise.resolve(host === 'internal.pacer-test.example' ? ['8.8.8.8', '10.0.0.7'] : ['127.0.0.1']),
    });
    const answers: Record<string, unknown>[] = [];
    for (const host of ['127.0.0.1', '169.254.169.254', '[::1]', 'internal.pacer-test.example', 'localhost.pacer-test.example']) {
      const response = await connect(connectBody({ imapHost: host, smtpHost: host, email: 'ssrf@pacer-test.example' }), strict);
      expect(response.status).toBe(422);
      answers.push({ ...response.body, detail: String(response.body.detail).replace(host, '<host>') });
    }
    expect(answers.map((answer) => JSON.stringify(answer))).toEqual(answers.map(() => JSON.stringify(answers[0])));
    expect(answers[0]).toMatchObject({ code: 'host-not-allowed', type: 'urn:pacer:problem:host-not-allowed' });
    expect(await harness.db.emailInbox.count({ where: { email: 'ssrf@pacer-test.example' } })).toBe(0);
  });
});

describe('rates', () => {
  const rateOf = async () => (await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: ADDRESS } })).id;

  it('accepts up to 80/10 with warnings above 30/5 and refuses more', async () => {
    const id = await rateOf();
    const ok = await request(harness.app).put(`/identities/${identityId}/email-accounts/${id}/rate`).set(auth()).send({ dailyRate: 80, hourlyRate: 10 });
    expect(ok.status).toBe(200);
    expect(ok.body.effectiveRate).toEqual({ dailyRate: 80, hourlyRate: 10 });
    expect(ok.body.warnings).toHaveLength(2);
    const tooMuch = await request(harness.app).put(`/identities/${identityId}/email-accounts/${id}/rate`).set(auth()).send({ dailyRate: 81, hourlyRate: 11 });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.body.errors.map((problem: { field: string }) => problem.field)).toEqual(['dailyRate', 'hourlyRate']);
  });

  it('an operator override above the maximum is recorded with its reason and expiry; the own rate stays underneath', async () => {
    const id = await rateOf();
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const refused = await request(harness.app).put(`/admin/email-accounts/${id}/rate-override`).set(auth()).send({ dailyRate: 150, hourlyRate: 20, reason: 'x', expiresAt });
    expect(refused.status).toBe(401);
    const response = await request(harness.app)
      .put(`/admin/email-accounts/${id}/rate-override`)
      .set({ Authorization: `Bearer ${OPERATOR_KEY}` })
      .send({ dailyRate: 150, hourlyRate: 20, reason: 'ticket 4411: dedicated IP, warmed', expiresAt });
    expect(response.status).toBe(200);
    expect(response.body.effectiveRate).toEqual({ dailyRate: 150, hourlyRate: 20 });
    expect(response.body.rate).toEqual({ dailyRate: 80, hourlyRate: 10 });
    expect(response.body.rateOverride).toMatchObject({ reason: 'ticket 4411: dedicated IP, warmed', expiresAt });
    const audit = await harness.db.auditEntry.findFirstOrThrow({ where: { entityId: id, action: 'email-inbox.rate-override' } });
    expect(audit.after).toMatchObject({ reason: 'ticket 4411: dedicated IP, warmed' });
    const past = await request(harness.app)
      .put(`/admin/email-accounts/${id}/rate-override`)
      .set({ Authorization: `Bearer ${OPERATOR_KEY}` })
      .send({ dailyRate: 150, hourlyRate: 20, reason: 'late', expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(past.status).toBe(422);
  });
});

/** Last: Dovecot delays logins from an address after a failed one (its auth penalty). */
describe('connection failures', () => {
  /** Another address logging in as Ada: nothing may be saved for it. */
  const FAILING = { email: 'failing@pacer-test.example', username: ADDRESS };

  it('answers cannot-connect for a port nothing listens on', async () => {
    const response = await connect(connectBody({ ...FAILING, imapPort: await freePort() }));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'cannot-connect', failedStep: 'imap' });
    expect(response.body.guidance).toMatch(/host, the port/);
  });

  it('answers smtp-failed-imap-ok when IMAP accepts the login and SMTP refuses it', async () => {
    const response = await connect(connectBody({ ...FAILING, smtpPort: smtpOtherUser.port }));
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'smtp-failed-imap-ok', failedStep: 'smtp' });
    expect(response.body.detail).toMatch(/535/);
    expect(await harness.db.emailInbox.count({ where: { email: FAILING.email } })).toBe(0);
  });

  it('refuses a wrong password with auth-failed and its guidance, and saves nothing', async () => {
    const response = await connect(connectBody({ ...FAILING, password: 'wrong-password' }));
    expect(response.status).toBe(422);
    expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(response.body).toMatchObject({ type: 'urn:pacer:problem:auth-failed', code: 'auth-failed', failedStep: 'imap', status: 422 });
    expect(response.body.guidance).toMatch(/app password/);
    expect(response.body.detail).toMatch(/Authentication failed/);
    expect(JSON.stringify(response.body)).not.toContain('wrong-password');
    expect(await harness.db.emailInbox.count({ where: { email: FAILING.email } })).toBe(0);
  });

});
