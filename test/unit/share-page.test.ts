import { ServerSettingsNeeded, connectFormSchema, connectInputFromForm, csrfTokenFor, resultBanner, resultOf, resultQueryString, validUntilText } from '../../api/share-page';
import { connectImapInboxSchema } from '../../api/email-inboxes';

describe('the connect form', () => {
  it('takes the well-known servers when the server fields are left empty', () => {
    const input = connectInputFromForm({ email: ' ada@gmail.com ', password: 'app-password', imapHost: '', smtpHost: '' });
    expect(input).toEqual({
      email: 'ada@gmail.com',
      password: 'app-password',
      imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
      smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
    });
    expect(connectImapInboxSchema.safeParse(input).success).toBe(true);
  });

  it('keeps servers the person typed, with the usual port for the chosen security when the port is empty', () => {
    const input = connectInputFromForm({ email: 'ada@corp.example', password: 'p', username: 'ada', imapHost: 'mail.corp.example', imapPort: '', imapSecurity: 'starttls', smtpHost: 'mail.corp.example', smtpPort: '', smtpSecurity: 'tls' });
    expect(input).toMatchObject({ username: 'ada', imap: { host: 'mail.corp.example', port: 143, security: 'starttls' }, smtp: { host: 'mail.corp.example', port: 465, security: 'tls' } });
  });

  it('reads any body without failing: repeated or missing fields are empty', () => {
    expect(connectFormSchema.parse({ email: ['a@gmail.com', 'b@gmail.com'], password: 'p', extra: 'x' })).toEqual({ email: undefined, password: 'p' });
    expect(connectFormSchema.parse(undefined)).toEqual({});
  });

  it('asks for the servers of an unknown domain, and leaves bad values to the API validation (which names the field)', () => {
    expect(() => connectInputFromForm({ email: 'ada@corp.example', password: 'p' })).toThrow(ServerSettingsNeeded);
    const bad = connectInputFromForm({ email: 'ada@corp.example', password: 'p', imapHost: 'mail.corp.example', imapPort: 'ninety', smtpHost: 'mail.corp.example', smtpPort: '587' });
    const parsed = connectImapInboxSchema.safeParse(bad);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toEqual(['imap.port']);
  });
});

describe('results and banners', () => {
  it('a result survives the redirect query, and anything malformed is ignored', () => {
    const result = { status: 'failed', code: 'auth-failed', provider: 'imap' } as const;
    expect(resultOf(Object.fromEntries(new URLSearchParams(resultQueryString(result))))).toEqual(result);
    expect(resultOf({ status: 'failed', code: '<script>' })).toBeUndefined();
    expect(resultOf({ status: 'hacked', code: 'ok' })).toBeUndefined();
  });

  it('a connection failure shows its guidance; an approval the tenant requires says what to send the administrator', () => {
    expect(resultBanner({ status: 'failed', code: 'app-password-required', provider: 'imap' }, {})).toMatchObject({ tone: 'error', title: 'An app password is required' });
    const approval = resultBanner({ status: 'failed', code: 'admin-approval-required', provider: 'microsoft' }, { microsoftClientId: '11111111-2222-3333-4444-555555555555', microsoftScopes: ['SMTP.Send', 'Mail.Send'] });
    expect(approval.paragraphs.join(' ')).toMatch(/IT administrator/);
    expect(approval.steps.join(' ')).toContain('11111111-2222-3333-4444-555555555555');
    expect(approval.steps.join(' ')).toContain('SMTP.Send, Mail.Send');
    expect(resultBanner({ status: 'failed', code: 'invalid-input' }, { invalidFields: ['email', 'imap.port'] }).paragraphs).toEqual(['Check: Email address, Incoming port.']);
    expect(resultBanner({ status: 'failed', code: 'no-such-code' }, {}).title).toBe('Something went wrong');
    expect(resultBanner({ status: 'reconnected', code: 'ok', inbox: 'x' }, { inboxAddress: 'ada@corp.example' }).paragraphs[0]).toContain('ada@corp.example works again');
  });
});

test('the expiry is shown in the identity time zone', () => {
  const at = Date.parse('2026-03-03T09:00:00Z');
  expect(validUntilText(at, 'Europe/Paris')).toBe('Tuesday 3 March 2026, 10:00 (Europe/Paris time)');
  expect(validUntilText(at, 'Asia/Kathmandu')).toBe('Tuesday 3 March 2026, 14:45 (Asia/Kathmandu time)');
});

test('a CSRF token is bound to the browser secret and to the link', () => {
  const secret = 'a'.repeat(43);
  expect(csrfTokenFor(secret, 'link-1')).toBe(csrfTokenFor(secret, 'link-1'));
  expect(csrfTokenFor(secret, 'link-1')).not.toBe(csrfTokenFor(secret, 'link-2'));
  expect(csrfTokenFor(secret, 'link-1')).not.toBe(csrfTokenFor('b'.repeat(43), 'link-1'));
});
