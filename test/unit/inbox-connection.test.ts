import fc from 'fast-check';
import { CONNECTION_FAILURE_CODES, classifyConnection, classifyProbe, type ProbeOutcome } from '../../domain/inbox-connection';

type Failure = Extract<ProbeOutcome, { ok: false }>;
const OK: ProbeOutcome = { ok: true };

describe('classifyProbe: real server replies', () => {
  const cases: [string, Failure, string][] = [
    [
      'Gmail SMTP, 2FA account with its normal password',
      { ok: false, errorCode: 'EAUTH', responseCode: 534, text: '534-5.7.9 Application-specific password required. For more information, go to 534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor' },
      'app-password-required',
    ],
    [
      'Gmail SMTP, wrong password',
      { ok: false, errorCode: 'EAUTH', responseCode: 535, text: '535-5.7.8 Username and Password not accepted. For more information, go to 535 5.7.8  https://support.google.com/mail/?p=BadCredentials' },
      'auth-failed',
    ],
    [
      'Microsoft 365 SMTP AUTH disabled for the tenant',
      {
        ok: false,
        errorCode: 'EAUTH',
        responseCode: 535,
        text: '535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.',
      },
      'basic-auth-disabled',
    ],
    [
      'Microsoft 365 basic auth blocked',
      { ok: false, errorCode: 'EAUTH', responseCode: 535, text: '535 5.7.139 Authentication unsuccessful, basic authentication is disabled.' },
      'basic-auth-disabled',
    ],
    ['Microsoft 365 IMAP, refused login', { ok: false, text: 'AUTHENTICATE failed. — Command failed', authenticationFailed: true }, 'auth-failed'],
    ['IMAP NO AUTHENTICATE failed. without flags', { ok: false, text: 'NO AUTHENTICATE failed.' }, 'auth-failed'],
    ['Dovecot refused login', { ok: false, text: 'Authentication failed. — Command failed', imapResponseCode: 'AUTHENTICATIONFAILED', authenticationFailed: true }, 'auth-failed'],
    ['Gmail IMAP disabled', { ok: false, text: '[ALERT] Your account is not enabled for IMAP use. Please visit your Gmail settings page and enable your account for IMAP access.' }, 'imap-disabled'],
    ['Microsoft 365 IMAP disabled for the mailbox', { ok: false, text: 'User is authenticated but not connected.' }, 'imap-disabled'],
    ['Gmail too many logins', { ok: false, text: '[ALERT] Too many login attempts, please try again later.' }, 'too-many-attempts'],
    ['SMTP 454 too many attempts', { ok: false, errorCode: 'EAUTH', responseCode: 454, text: '454-4.7.0 Too many login attempts, please try again later.' }, 'too-many-attempts'],
    ['IMAP [LIMIT]', { ok: false, text: 'Connection limit reached', imapResponseCode: 'LIMIT' }, 'too-many-attempts'],
    ['imapflow throttling', { ok: false, errorCode: 'ETHROTTLE', text: 'Request rate limit exceeded' }, 'too-many-attempts'],
    ['connection refused (wrong port)', { ok: false, errorCode: 'ECONNREFUSED', text: 'connect ECONNREFUSED 127.0.0.1:1' }, 'cannot-connect'],
    ['unknown host', { ok: false, errorCode: 'ENOTFOUND', text: 'mail.example could not be resolved (ENOTFOUND)' }, 'cannot-connect'],
    ['nodemailer ESOCKET (TLS on a plain port)', { ok: false, errorCode: 'ESOCKET', text: 'wrong version number' }, 'cannot-connect'],
    ['nodemailer timeout', { ok: false, errorCode: 'ETIMEDOUT', text: 'Connection timeout' }, 'timeout'],
    ['imapflow connect timeout', { ok: false, errorCode: 'CONNECT_TIMEOUT', text: 'Failed to establish connection in required time' }, 'timeout'],
    ['imapflow greeting timeout', { ok: false, errorCode: 'GREETING_TIMEOUT', text: 'Greeting never received' }, 'timeout'],
    ['SMTP 530 authentication required', { ok: false, responseCode: 530, text: '530 5.7.0 Authentication Required' }, 'auth-failed'],
    ['nodemailer EAUTH without a reply', { ok: false, errorCode: 'EAUTH', text: 'Invalid login' }, 'auth-failed'],
  ];
  it.each(cases)('%s', (_name, outcome, expected) => {
    expect(classifyProbe(outcome)).toBe(expected);
  });
});

describe('classifyConnection', () => {
  const refused: Failure = { ok: false, errorCode: 'ECONNREFUSED', text: 'connect ECONNREFUSED' };
  const badLogin: Failure = { ok: false, errorCode: 'EAUTH', responseCode: 535, text: '535 5.7.8 Authentication credentials invalid' };
  const appPassword: Failure = { ok: false, errorCode: 'EAUTH', responseCode: 534, text: '534-5.7.9 Application-specific password required.' };

  it('is null when both sides work', () => {
    expect(classifyConnection({ imap: OK, smtp: OK })).toBeNull();
  });
  it('reports IMAP first', () => {
    expect(classifyConnection({ imap: refused, smtp: badLogin })).toMatchObject({ code: 'cannot-connect', side: 'imap' });
  });
  it('IMAP fine, SMTP login refused: smtp-failed-imap-ok', () => {
    expect(classifyConnection({ imap: OK, smtp: badLogin })).toMatchObject({ code: 'smtp-failed-imap-ok', side: 'smtp' });
  });
  it('IMAP fine, SMTP unreachable: smtp-failed-imap-ok', () => {
    expect(classifyConnection({ imap: OK, smtp: refused })).toMatchObject({ code: 'smtp-failed-imap-ok', side: 'smtp' });
  });
  it('IMAP fine, SMTP wants an app password: the specific reason stays', () => {
    expect(classifyConnection({ imap: OK, smtp: appPassword })).toMatchObject({ code: 'app-password-required', side: 'smtp' });
  });
  it('every code has a title and guidance', () => {
    const failures: Failure[] = [refused, badLogin, appPassword];
    for (const imap of [OK, ...failures]) {
      for (const smtp of [OK, ...failures]) {
        const failure = classifyConnection({ imap, smtp });
        if (failure) {
          expect(CONNECTION_FAILURE_CODES).toContain(failure.code);
          expect(failure.title.length).toBeGreaterThan(5);
          expect(failure.guidance.length).toBeGreaterThan(40);
        }
      }
    }
  });

  it('property: a failure on either side is never reported as success, and IMAP failures win', () => {
    const failure = fc.record({
      ok: fc.constant(false as const),
      text: fc.string(),
      errorCode: fc.option(fc.constantFrom('EAUTH', 'ECONNREFUSED', 'ETIMEDOUT', 'ESOCKET', 'ETHROTTLE', 'NoConnection'), { nil: undefined }),
      responseCode: fc.option(fc.integer({ min: 200, max: 599 }), { nil: undefined }),
    });
    const outcome = fc.oneof(fc.constant(OK), failure.map((f) => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Failure));
    fc.assert(
      fc.property(outcome, outcome, (imap, smtp) => {
        const result = classifyConnection({ imap, smtp });
        if (imap.ok && smtp.ok) return result === null;
        if (!imap.ok) return result !== null && result.side === 'imap' && result.code === classifyProbe(imap);
        return result !== null && result.side === 'smtp' && CONNECTION_FAILURE_CODES.includes(result.code);
      }),
    );
  });
});
