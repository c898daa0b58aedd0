import { temporal } from '@temporalio/proto';
import request from 'supertest';
import { startDovecot, type DovecotServer } from '../support/dovecot';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

/** A password nobody would write by accident: it must appear nowhere but inside its envelope (encrypted). */
const CANARY = 'Canary-7f3e9d2b-Pa55w0rd!';
const ADDRESS = 'canary@pacer-test.example';

jest.setTimeout(120_000);

let harness: TimeSkippingHarness;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;

beforeAll(async () => {
  [harness, dovecot, smtp] = await Promise.all([
    startTimeSkippingHarness('secret-canary-test'),
    startDovecot({ users: { [ADDRESS]: CANARY } }),
    startSmtpTestServer({ users: { [ADDRESS]: CANARY } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([smtp?.stop(), dovecot?.stop()]);
  await harness?.stop();
});

/** The canary in clear and in the encodings it would take on the wire or in a payload. */
const forms = [CANARY, Buffer.from(CANARY).toString('base64'), Buffer.from(CANARY).toString('base64url'), Buffer.from(`\u0000${ADDRESS}\u0000${CANARY}`).toString('base64')];

function expectAbsent(where: string, text: string) {
  for (const form of forms) {
    if (text.includes(form)) throw new Error(`the canary password (${form === CANARY ? 'clear' : 'encoded'}) appears in ${where}`);
  }
}

test('a password used to connect and send appears in no API response, log line, Temporal history or database column', async () => {
  const { app, db, env } = harness;
  const responses: string[] = [];
  const call = async (test: request.Test) => {
    const response = await test;
    responses.push(JSON.stringify({ headers: response.headers, body: response.body, text: response.text }));
    return response;
  };
  const allDay = { timeZone: 'UTC', days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '24:00' };
  const identity = (await call(request(app).post('/identities').set(harness.auth()).send({ firstName: 'Canary', lastName: 'Test', workingHours: allDay }))).body;
  const connected = await call(
    request(app)
      .post(`/identities/${identity.id}/email-accounts/imap`)
      .set(harness.auth())
      .send({ email: ADDRESS, password: CANARY, imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' } }),
  );
  expect(connected.status).toBe(201);
  await call(request(app).get(`/identities/${identity.id}/email-accounts`).set(harness.auth()));
  const campaign = await call(
    request(app)
      .post('/campaigns')
      .set(harness.auth())
      .send({ identityId: identity.id, name: 'Canary', emailInbox: connected.body.id, steps: [{ kind: 'email', delayMinutes: 0, subject: 'Hello', body: '<p>Hello</p>' }] }),
  );
  await call(request(app).post(`/campaigns/${campaign.body.id}/leads`).set(harness.auth()).send({ leads: [{ email: 'lead@prospects.example' }] }));
  await call(request(app).post(`/campaigns/${campaign.body.id}/start`).set(harness.auth()));

  await env.sleep('1 day');

  expect(smtp.messages).toHaveLength(1);
  expect(smtp.messages[0]?.authenticatedUser).toBe(ADDRESS);
  await call(request(app).get(`/campaigns/${campaign.body.id}/leads`).set(harness.auth()));
  await call(request(app).get(`/identities/${identity.id}`).set(harness.auth()));

  expectAbsent('API responses', responses.join('\n'));
  expectAbsent('API logs', harness.logLines.join('\n'));

  // Every byte of the workflow's history: inputs, results, signals, failures, markers.
  const history = await env.client.workflow.getHandle(`identity/${identity.id}`).fetchHistory();
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  expect(bytes.length).toBeGreaterThan(0);
  expectAbsent('the Temporal history', bytes.toString('latin1'));
  expect(bytes.toString('latin1')).toContain(identity.id); // the search is over real content

  // Every column of every table, the envelope included (it holds ciphertext only).
  const tables = await db.$queryRawUnsafe<{ tablename: string }[]>(`SELECT tablename::text AS tablename FROM pg_tables WHERE schemaname = 'public'`);
  let dump = '';
  for (const { tablename } of tables) {
    const rows = await db.$queryRawUnsafe<{ row: unknown }[]>(`SELECT row_to_json(t)::text AS row FROM "${tablename}" t`);
    dump += rows.map((row) => String(row.row)).join('\n');
  }
  expect(dump).toContain(ADDRESS);
  expectAbsent('the database', dump);
});
