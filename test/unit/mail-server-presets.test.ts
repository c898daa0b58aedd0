import fc from 'fast-check';
import { MAIL_SERVER_PRESETS, mailServerPresetFor } from '../../domain/mail-server-presets';

test('well-known domains give their servers, whatever the case; other domains give none', () => {
  expect(mailServerPresetFor('Ada.Lovelace@GMail.com')).toMatchObject({ imap: { host: 'imap.gmail.com', port: 993, security: 'tls' }, smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' } });
  expect(mailServerPresetFor('someone@icloud.com')?.smtp).toEqual({ host: 'smtp.mail.me.com', port: 587, security: 'starttls' });
  expect(mailServerPresetFor('someone@corp.example')).toBeUndefined();
  expect(mailServerPresetFor('no-at-sign')).toBeUndefined();
  // Object's own keys are not mail domains.
  expect(mailServerPresetFor('x@constructor')).toBeUndefined();
  expect(mailServerPresetFor('x@__proto__')).toBeUndefined();
});

test('every preset uses the ports and security the SPEC recommends (IMAP 993 TLS; SMTP 587 STARTTLS or 465 TLS)', () => {
  for (const preset of Object.values(MAIL_SERVER_PRESETS)) {
    expect(preset.imap).toMatchObject({ port: 993, security: 'tls' });
    expect([`${preset.smtp.port}/${preset.smtp.security}`]).toEqual([expect.stringMatching(/^(587\/starttls|465\/tls)$/)]);
    expect(preset.passwordHint.length).toBeGreaterThan(20);
  }
});

test('the preset depends only on the domain (property)', () => {
  const domains = Object.keys(MAIL_SERVER_PRESETS);
  fc.assert(
    fc.property(fc.stringMatching(/^[a-z0-9._-]{1,30}$/), fc.constantFrom(...domains), (local, domain) => {
      expect(mailServerPresetFor(`${local}@${domain}`)).toBe(MAIL_SERVER_PRESETS[domain]);
      expect(mailServerPresetFor(`${local}@${domain.toUpperCase()}`)).toBe(MAIL_SERVER_PRESETS[domain]);
    }),
  );
});
