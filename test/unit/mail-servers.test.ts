import fc from 'fast-check';
import {
  MAIL_SERVER_PRESETS,
  plaintextProblems,
  plaintextWarnings,
  portForSecurity,
  presetForAddress,
  resolveMailServers,
  resolveServer,
  securityForPort,
  type Security,
} from '../../domain/mail-servers';

const securities: Security[] = ['tls', 'starttls', 'none'];

test('the port says the security: 993 TLS, 143 STARTTLS, 465 TLS, 587/25 STARTTLS', () => {
  expect(securityForPort('imap', 993)).toBe('tls');
  expect(securityForPort('imap', 143)).toBe('starttls');
  expect(securityForPort('smtp', 465)).toBe('tls');
  expect(securityForPort('smtp', 587)).toBe('starttls');
  expect(securityForPort('smtp', 25)).toBe('starttls');
  expect(securityForPort('imap', 465)).toBeUndefined();
  expect(securityForPort('smtp', 993)).toBeUndefined();
});

test('ports as people type them, with no security given', () => {
  expect(resolveServer('smtp', { host: 'mail.example.org', port: 465 }, undefined)).toEqual({ host: 'mail.example.org', port: 465, security: 'tls' });
  expect(resolveServer('imap', { host: 'mail.example.org', port: 143 }, undefined)).toEqual({ host: 'mail.example.org', port: 143, security: 'starttls' });
  expect(resolveServer('imap', { host: 'mail.example.org' }, undefined)).toEqual({ host: 'mail.example.org', port: 993, security: 'tls' });
  expect(resolveServer('smtp', { host: 'mail.example.org' }, undefined)).toEqual({ host: 'mail.example.org', port: 587, security: 'starttls' });
  // A security without a port gets that security's usual port.
  expect(resolveServer('smtp', { host: 'mail.example.org', security: 'tls' }, undefined)).toEqual({ host: 'mail.example.org', port: 465, security: 'tls' });
  expect(resolveServer('imap', { host: 'mail.example.org', security: 'starttls' }, undefined)).toEqual({ host: 'mail.example.org', port: 143, security: 'starttls' });
  // An unusual port gets the recommended security.
  expect(resolveServer('smtp', { host: 'mail.example.org', port: 2587 }, undefined)?.security).toBe('starttls');
  expect(resolveServer('imap', { host: 'mail.example.org', port: 1993 }, undefined)?.security).toBe('tls');
});

test('presets by domain: Gmail, Outlook.com / Office 365, Yahoo, iCloud, Zoho; none for a company domain', () => {
  expect(presetForAddress('ada@gmail.com')?.imap).toEqual({ host: 'imap.gmail.com', port: 993, security: 'tls' });
  expect(presetForAddress('Ada@GoogleMail.com')?.smtp.host).toBe('smtp.gmail.com');
  expect(presetForAddress('ada@hotmail.com')?.smtp).toEqual({ host: 'smtp-mail.outlook.com', port: 587, security: 'starttls' });
  expect(presetForAddress('ada@contoso.onmicrosoft.com')?.smtp).toEqual({ host: 'smtp.office365.com', port: 587, security: 'starttls' });
  expect(presetForAddress('ada@yahoo.co.uk')?.smtp).toEqual({ host: 'smtp.mail.yahoo.com', port: 465, security: 'tls' });
  expect(presetForAddress('ada@me.com')?.imap.host).toBe('imap.mail.me.com');
  expect(presetForAddress('ada@zohomail.eu')?.smtp.host).toBe('smtp.zoho.eu');
  expect(presetForAddress('ada@acme.example')).toBeUndefined();
  expect(presetForAddress('ada@yahoo.evil.example')).toBeUndefined();
  expect(presetForAddress('no-at-sign')).toBeUndefined();
});

test('hosts omitted: the preset fills them; what the caller typed wins field by field', () => {
  const gmail = resolveMailServers('ada@gmail.com', {});
  expect(gmail).toEqual({
    ok: true,
    servers: { imap: { host: 'imap.gmail.com', port: 993, security: 'tls' }, smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' }, preset: 'Gmail' },
  });
  const yahooOn587 = resolveMailServers('ada@yahoo.com', { smtp: { port: 587 } });
  expect(yahooOn587.ok && yahooOn587.servers.smtp).toEqual({ host: 'smtp.mail.yahoo.com', port: 587, security: 'starttls' });
  const own = resolveMailServers('ada@gmail.com', { imap: { host: 'imap.own.example' }, smtp: { host: 'smtp.own.example', port: 465 } });
  expect(own).toEqual({
    ok: true,
    servers: { imap: { host: 'imap.own.example', port: 993, security: 'tls' }, smtp: { host: 'smtp.own.example', port: 465, security: 'tls' }, preset: null },
  });
});

test('a domain without a preset needs its hosts, named field by field', () => {
  const result = resolveMailServers('ada@acme.example', { imap: { host: 'imap.acme.example' } });
  expect(result.ok).toBe(false);
  if (!result.ok) {
    expect(result.problems).toHaveLength(1);
    expect(result.problems[0]).toMatchObject({ field: 'smtp.host' });
    expect(result.problems[0]?.message).toMatch(/no preset is known for acme\.example/);
  }
});

test('plain text: refused unless allowed, and always warned about', () => {
  const servers = { imap: { host: 'a', port: 143, security: 'none' as const }, smtp: { host: 'b', port: 587, security: 'starttls' as const } };
  expect(plaintextProblems(servers, false)).toEqual([{ field: 'imap.security', message: expect.stringMatching(/EMAIL_ALLOW_PLAINTEXT=true/) }]);
  expect(plaintextProblems(servers, true)).toEqual([]);
  expect(plaintextWarnings(servers)).toEqual([expect.stringMatching(/^IMAP a:143 uses security "none"/)]);
  expect(plaintextWarnings({ ...servers, imap: { ...servers.imap, security: 'tls' } })).toEqual([]);
});

const hostArbitrary = fc.constantFrom('mail.example.org', 'imap.example.net', '192.0.2.7');
const portArbitrary = fc.integer({ min: 1, max: 65535 });
const inputArbitrary = fc.record({ host: fc.option(hostArbitrary, { nil: undefined }), port: fc.option(portArbitrary, { nil: undefined }), security: fc.option(fc.constantFrom(...securities), { nil: undefined }) });
const protocolArbitrary = fc.constantFrom('imap' as const, 'smtp' as const);
const addressArbitrary = fc.constantFrom('ada@gmail.com', 'ada@yahoo.fr', 'ada@acme.example', 'ada@icloud.com', 'ada@zoho.com', 'ada@live.com');

test('inference never chooses plain text: "none" only when the caller asked for it', () => {
  fc.assert(
    fc.property(protocolArbitrary, inputArbitrary, addressArbitrary, (protocol, input, address) => {
      const preset = presetForAddress(address)?.[protocol];
      const resolved = resolveServer(protocol, input, preset);
      if (resolved?.security === 'none') expect(input.security).toBe('none');
    }),
  );
});

test('every field the caller gives is kept as given, and a host is always there when the caller or a preset has one', () => {
  fc.assert(
    fc.property(protocolArbitrary, inputArbitrary, addressArbitrary, (protocol, input, address) => {
      const preset = presetForAddress(address)?.[protocol];
      const resolved = resolveServer(protocol, input, preset);
      if (input.host === undefined && preset === undefined) {
        expect(resolved).toBeUndefined();
        return;
      }
      expect(resolved).toBeDefined();
      if (input.host !== undefined) expect(resolved?.host).toBe(input.host);
      if (input.port !== undefined) expect(resolved?.port).toBe(input.port);
      if (input.security !== undefined) expect(resolved?.security).toBe(input.security);
      // A well-known port given without a security speaks the port's security.
      if (input.port !== undefined && input.security === undefined && securityForPort(protocol, input.port) !== undefined) {
        expect(resolved?.security).toBe(securityForPort(protocol, input.port));
      }
    }),
  );
});

test('a security given without a port gets a port that speaks it', () => {
  fc.assert(
    fc.property(protocolArbitrary, fc.constantFrom<Security>('tls', 'starttls'), (protocol, security) => {
      expect(securityForPort(protocol, portForSecurity(protocol, security))).toBe(security);
    }),
  );
});

// ----- The preset table the API and the share page share -----


test('well-known domains give their servers, whatever the case; other domains give none', () => {
  expect(presetForAddress('Ada.Lovelace@GMail.com')).toMatchObject({ imap: { host: 'imap.gmail.com', port: 993, security: 'tls' }, smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' } });
  expect(presetForAddress('someone@icloud.com')?.smtp).toEqual({ host: 'smtp.mail.me.com', port: 587, security: 'starttls' });
  expect(presetForAddress('someone@corp.example')).toBeUndefined();
  expect(presetForAddress('no-at-sign')).toBeUndefined();
  // Object's own keys are not mail domains.
  expect(presetForAddress('x@constructor')).toBeUndefined();
  expect(presetForAddress('x@__proto__')).toBeUndefined();
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
      expect(presetForAddress(`${local}@${domain}`)).toBe(MAIL_SERVER_PRESETS[domain]);
      expect(presetForAddress(`${local}@${domain.toUpperCase()}`)).toBe(MAIL_SERVER_PRESETS[domain]);
    }),
  );
});
