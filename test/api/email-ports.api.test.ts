/**
 * Ports as people type them (SPEC §3): the connection is validated against real servers on the
 * well-known ports, with no security given. Dovecot speaks STARTTLS on 143 and implicit TLS on 993;
 * smtp-server speaks implicit TLS on 465 and STARTTLS on 587. Each pair listens on a loopback address
 * of its own (127.x.y.z) so the fixed ports collide with nothing; binding them needs root, as the
 * tests run. The servers' self-signed certificate is trusted by this test only.
 */
import { randomInt } from 'node:crypto';
import request from 'supertest';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { startDovecot, type DovecotServer } from '../support/dovecot';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { selfSignedCertificate } from '../support/tls';

const HOST = 'mail.pacer-test.example';
const ADDRESS = 'ada@pacer-test.example';
const PASSWORD = 'tls-pass-3c81';
const hours = { timeZone: 'Europe/Paris', days: ['MON'], start: '09:00', end: '18:00' };
const loopback = `127.${randomInt(16, 250)}.${randomInt(1, 250)}.${randomInt(1, 250)}`;

let harness: ApiHarness;
let dovecot: DovecotServer;
let implicitSmtp: SmtpTestServer;
let starttlsSmtp: SmtpTestServer;
let certificate: { cert: string; key: string };
let apiKey: string;
let identityId: string;

beforeAll(async () => {
  certificate = await selfSignedCertificate(HOST);
  [harness, dovecot, implicitSmtp, starttlsSmtp] = await Promise.all([
    startApiHarness(),
    startDovecot({ users: { [ADDRESS]: PASSWORD }, tls: certificate, listen: { address: loopback, port: 143, tlsPort: 993 } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD }, tls: { ...certificate, implicit: true }, listen: { address: loopback, port: 465 } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD }, tls: { ...certificate, implicit: false }, listen: { address: loopback, port: 587 } }),
  ]);
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'email-ports'));
  identityId = (await request(harness.app).post('/identities').set({ Authorization: `Bearer ${apiKey}` }).send({ firstName: 'Ada', lastName: 'T', workingHours: hours })).body.id;
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), dovecot?.stop(), implicitSmtp?.stop(), starttlsSmtp?.stop()]);
});

/** The API as deployed (plain text refused), resolving the mail host to the test servers' loopback address. */
function app(trusted: boolean) {
  return harness.appWithEmail({
    allowPlaintext: false,
    resolve: (host) => Promise.resolve(host === HOST ? [loopback] : []),
    ...(trusted ? { trustedCertificates: [certificate.cert] } : {}),
  });
}

const connect = (body: object, trusted = true) => request(app(trusted)).post(`/identities/${identityId}/email-accounts/imap`).set({ Authorization: `Bearer ${apiKey}` }).send(body);

test('IMAP {host, port: 143} and SMTP {host, port: 465}, no security given: STARTTLS and implicit TLS, both validated', async () => {
  const response = await connect({ email: ADDRESS, password: PASSWORD, imap: { host: HOST, port: 143 }, smtp: { host: HOST, port: 465 } });
  expect(response.status).toBe(201);
  expect(response.body).toMatchObject({ imap: { host: HOST, port: 143, security: 'starttls' }, smtp: { host: HOST, port: 465, security: 'tls' } });
  expect(response.body.warnings).toBeUndefined();
  expect(implicitSmtp.authAttempts).toBe(1);
});

test('IMAP {host, port: 993} and SMTP {host, port: 587}, no security given: implicit TLS and STARTTLS', async () => {
  const response = await connect({ email: ADDRESS, password: PASSWORD, imap: { host: HOST, port: 993 }, smtp: { host: HOST, port: 587 } });
  expect(response.status).toBe(200); // the same address again: a reconnection
  expect(response.body).toMatchObject({ imap: { port: 993, security: 'tls' }, smtp: { port: 587, security: 'starttls' } });
  expect(starttlsSmtp.authAttempts).toBe(1);
});

test('the certificate is really checked: a server Pacer does not trust is cannot-connect', async () => {
  const response = await connect({ email: ADDRESS, password: PASSWORD, imap: { host: HOST, port: 143 }, smtp: { host: HOST, port: 465 } }, false);
  expect(response.status).toBe(422);
  expect(response.body).toMatchObject({ code: 'cannot-connect', failedStep: 'imap' });
  expect(response.body.detail).toMatch(/certificate/i);
});
