import net from 'node:net';
import {
  type OutgoingEmail,
  type SmtpConnection,
  EmailSendError,
  composeEmail,
  deterministicMessageId,
  openSmtpSession,
  sendSmtpEmail,
} from '../../../integrations/email/smtp-sender';
import { type SmtpTestServer, startSmtpTestServer } from '../../support/smtp-test-server';

const USERNAME = 'ada@pacer-test.example';
/** Must never surface in an error, in clear or in the base64 forms AUTH sends it in. */
const PASSWORD = 'app-pass-9c41e7d2-never-shown';
const CAMPAIGN = 'campaign-3b7f0c2a';
const LEAD = 'lead-81d4e9f6';

function connectionTo(server: { host: string; port: number }, password = PASSWORD): SmtpConnection {
  return { host: server.host, port: server.port, security: 'none', username: USERNAME, password };
}

function email(overrides: Partial<OutgoingEmail> = {}): OutgoingEmail {
  return {
    from: { address: USERNAME, name: 'Ada Lovelace' },
    to: 'grace@lead.example',
    subject: 'Quick question',
    html: '<p>Hello Grace</p>',
    text: 'Hello Grace',
    messageId: deterministicMessageId({ campaignId: CAMPAIGN, leadId: LEAD, stepIndex: 0, domain: 'pacer-test.example' }),
    ...overrides,
  };
}

async function sendError(promise: Promise<unknown>): Promise<EmailSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EmailSendError);
    return error as EmailSendError;
  }
  throw new Error('expected the send to fail');
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('sendSmtpEmail against a real SMTP server', () => {
  let server: SmtpTestServer;

  beforeEach(async () => {
    server = await startSmtpTestServer({ users: { [USERNAME]: PASSWORD } });
  });
  afterEach(async () => {
    await server.stop();
  });

  it('delivers the exact subject, from, to, html, text, threading headers and the deterministic Message-ID', async () => {
    const messageId = deterministicMessageId({ campaignId: CAMPAIGN, leadId: LEAD, stepIndex: 2, domain: 'pacer-test.example' });
    const { html, text } = composeEmail({
      bodyHtml: '<p>Hi Grace,</p><p>Would a short call on Thursday work? — Ada</p>',
      signatureHtml: '<p><strong>Ada Lovelace</strong><br>Analytical Engines Ltd</p>',
    });
    const sent = email({
      subject: 'Re: Thursday — une question rapide',
      html,
      text,
      messageId,
      inReplyTo: '<original-1@lead.example>',
      references: ['<original-0@lead.example>', '<original-1@lead.example>'],
      headers: { 'List-Unsubscribe': '<mailto:unsubscribe@pacer-test.example>' },
    });

    const result = await sendSmtpEmail(connectionTo(server), sent);

    expect(result).toEqual({ messageId, providerMessageId: expect.stringMatching(/^250 /) });
    const [received] = await server.waitForMessages(1);
    expect(server.messages).toHaveLength(1);
    expect(received).toMatchObject({
      from: { address: USERNAME, name: 'Ada Lovelace' },
      to: ['grace@lead.example'],
      subject: 'Re: Thursday — une question rapide',
      messageId,
      inReplyTo: '<original-1@lead.example>',
      references: ['<original-0@lead.example>', '<original-1@lead.example>'],
      envelope: { mailFrom: USERNAME, rcptTo: ['grace@lead.example'] },
      authenticatedUser: USERNAME,
    });
    expect(received!.html).toBe(html);
    expect(received!.text).toBe(text);
    expect(received!.raw).toMatch(/^List-Unsubscribe: <mailto:unsubscribe@pacer-test\.example>\r$/m);
    expect(received!.headers.get('list')).toMatchObject({ unsubscribe: expect.anything() });
    // The signature reached both parts.
    expect(received!.html).toContain('<div class="pacer-signature"><p><strong>Ada Lovelace</strong><br>Analytical Engines Ltd</p></div>');
    expect(received!.text).toContain('\n\n-- \nAda Lovelace\nAnalytical Engines Ltd');
  });

  it('fails with auth-failed, not retryable, on a wrong password, and never shows the password', async () => {
    const wrong = `${PASSWORD}-but-wrong`;
    const error = await sendError(sendSmtpEmail(connectionTo(server, wrong), email()));

    expect(error).toMatchObject({ name: 'EmailSendError', code: 'auth-failed', retryable: false, delivery: 'not-delivered', responseCode: 535, providerCode: 'EAUTH' });
    expect(error.smtpResponse).toMatch(/^535 /);
    const base64 = (value: string) => Buffer.from(value).toString('base64');
    const everything = [error.message, error.stack, error.smtpResponse, String(error), JSON.stringify(error)].join('\n');
    for (const secret of [wrong, PASSWORD, base64(wrong), base64(`\u0000${USERNAME}\u0000${wrong}`)]) {
      expect(everything).not.toContain(secret);
    }
    expect(server.messages).toHaveLength(0);
  });

  it('fails with rejected, not retryable, when the server refuses the recipient with 550', async () => {
    await server.stop();
    server = await startSmtpTestServer({
      onRcptTo: (address) => (address === 'gone@lead.example' ? { responseCode: 550, message: '5.1.1 No such user' } : undefined),
    });

    const error = await sendError(sendSmtpEmail(connectionTo(server), email({ to: 'gone@lead.example' })));

    expect(error).toMatchObject({ code: 'rejected', retryable: false, responseCode: 550, delivery: 'not-delivered' });
    expect(error.smtpResponse).toContain('No such user');
    expect(server.messages).toHaveLength(0);
  });

  it('fails with rejected but retryable when the server defers the recipient with 450', async () => {
    await server.stop();
    server = await startSmtpTestServer({ onRcptTo: () => ({ responseCode: 450, message: '4.2.1 Mailbox busy, try later' }) });

    const error = await sendError(sendSmtpEmail(connectionTo(server), email()));

    expect(error).toMatchObject({ code: 'rejected', retryable: true, responseCode: 450, delivery: 'not-delivered' });
  });

  it.each(['close', 'reset'] as const)('a connection lost after the message data (%s) may have delivered it: delivery unknown, whatever the error code', async (dropWith) => {
    server.faults.dropAfterData = 1;
    server.faults.dropWith = dropWith;

    const error = await sendError(sendSmtpEmail(connectionTo(server), email()));

    // A reset surfaces as ESOCKET (read ECONNRESET), a close as ECONNECTION: the stage decides, not the code.
    expect(error).toMatchObject({ code: 'connection-failed', retryable: true, delivery: 'unknown', providerCode: dropWith === 'reset' ? 'ESOCKET' : 'ECONNECTION' });
    expect(server.messages).toHaveLength(1); // it did arrive, although the sender could not know
  });

  it('an explicit refusal of the message after DATA delivered nothing', async () => {
    server.faults.replyToData = { responseCode: 554, message: '5.7.1 Message rejected as spam' };

    const error = await sendError(sendSmtpEmail(connectionTo(server), email()));

    expect(error).toMatchObject({ code: 'rejected', retryable: false, responseCode: 554, delivery: 'not-delivered' });
    expect(server.messages).toHaveLength(0);
  });

  it('a server that refuses connections (421 greeting) delivered nothing and can be retried', async () => {
    server.faults.refuseConnections = { responseCode: 421, message: '4.3.2 Service not available, closing channel' };

    const error = await sendError(sendSmtpEmail(connectionTo(server), email()));

    expect(error).toMatchObject({ code: 'connection-failed', retryable: true, responseCode: 421, delivery: 'not-delivered' });
  });

  it('opening a session does everything that can fail before the message: a wrong password fails there, with nothing handed over', async () => {
    await expect(openSmtpSession(connectionTo(server, 'wrong'))).rejects.toMatchObject({ code: 'auth-failed', delivery: 'not-delivered' });
    const session = await openSmtpSession(connectionTo(server));
    expect(server.authAttempts).toBe(2);
    expect(server.messages).toHaveLength(0);
    await session.send(email());
    session.close();
    expect(server.messages).toHaveLength(1);
  });

  it('refuses a header that one of its own fields sets', async () => {
    await expect(sendSmtpEmail(connectionTo(server), email({ headers: { 'Message-ID': '<other@x.example>' } }))).rejects.toThrow(RangeError);
    expect(server.messages).toHaveLength(0);
  });
});

describe('sendSmtpEmail when the server cannot be reached', () => {
  it('fails with connection-failed, retryable, on a closed port', async () => {
    const port = await closedPort();
    const error = await sendError(sendSmtpEmail({ host: '127.0.0.1', port, security: 'none', username: USERNAME, password: PASSWORD }, email()));

    expect(error).toMatchObject({ code: 'connection-failed', retryable: true, delivery: 'not-delivered' });
    expect(error.message).not.toContain(PASSWORD);
  });

  it('fails retryably (timeout) when the server accepts the connection but never greets', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const error = await sendError(
        sendSmtpEmail({ host: '127.0.0.1', port, security: 'none', username: USERNAME, password: PASSWORD }, email(), { timeoutMs: 500 }),
      );
      // nodemailer reports the missing greeting as ETIMEDOUT (GREETING_TIMEOUT).
      expect(error).toMatchObject({ code: 'timeout', retryable: true, providerCode: 'ETIMEDOUT', delivery: 'not-delivered' });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('composeEmail', () => {
  it('appends the signature to both parts, after a separator and the "-- " delimiter', () => {
    const composed = composeEmail({
      bodyHtml: '<p>Hello Grace,</p><p>See <a href="https://pacer.example/demo">the demo</a>.</p>',
      signatureHtml: '<p>Ada Lovelace<br>+44 20 7946 0000</p>',
    });

    expect(composed.html).toBe(
      '<p>Hello Grace,</p><p>See <a href="https://pacer.example/demo">the demo</a>.</p>' +
        '<br><br><div class="pacer-signature"><p>Ada Lovelace<br>+44 20 7946 0000</p></div>',
    );
    expect(composed.text).toBe('Hello Grace,\nSee the demo (https://pacer.example/demo).\n\n-- \nAda Lovelace\n+44 20 7946 0000');
  });

  it('adds nothing for an empty signature', () => {
    for (const signatureHtml of ['', '  \n ']) {
      expect(composeEmail({ bodyHtml: '<p>Hello Grace</p>', signatureHtml })).toEqual({ html: '<p>Hello Grace</p>', text: 'Hello Grace' });
    }
  });

  it('appends a signature without text (a logo) to the HTML part only', () => {
    const logo = '<img src="https://pacer.example/logo.png" alt="">';
    expect(composeEmail({ bodyHtml: '<p>Hi</p>', signatureHtml: logo })).toEqual({
      html: `<p>Hi</p><br><br><div class="pacer-signature">${logo}</div>`,
      text: 'Hi',
    });
  });
});

describe('deterministicMessageId', () => {
  const base = { campaignId: CAMPAIGN, leadId: LEAD, stepIndex: 0, domain: 'Pacer-Test.example' };

  it('is stable for the same input and has the documented shape', () => {
    const id = deterministicMessageId(base);
    expect(deterministicMessageId({ ...base })).toBe(id);
    expect(id).toMatch(/^<pacer\.[0-9a-f]{24}@pacer-test\.example>$/);
  });

  it('differs across steps, leads and campaigns', () => {
    const ids = new Set([
      deterministicMessageId(base),
      deterministicMessageId({ ...base, stepIndex: 1 }),
      deterministicMessageId({ ...base, stepIndex: 2 }),
      deterministicMessageId({ ...base, leadId: 'lead-other' }),
      deterministicMessageId({ ...base, campaignId: 'campaign-other' }),
      // "a/b" + "c" and "a" + "b/c" must not collide.
      deterministicMessageId({ ...base, campaignId: 'x/y', leadId: 'z' }),
      deterministicMessageId({ ...base, campaignId: 'x', leadId: 'y/z' }),
    ]);
    expect(ids.size).toBe(7);
  });

  it('shows no id in clear', () => {
    const id = deterministicMessageId({ ...base, stepIndex: 7 });
    for (const part of [CAMPAIGN, LEAD, '3b7f0c2a', '81d4e9f6']) expect(id).not.toContain(part);
  });

  it('refuses input it cannot make a valid Message-ID from', () => {
    expect(() => deterministicMessageId({ ...base, stepIndex: -1 })).toThrow(RangeError);
    expect(() => deterministicMessageId({ ...base, stepIndex: 1.5 })).toThrow(RangeError);
    expect(() => deterministicMessageId({ ...base, campaignId: '' })).toThrow(RangeError);
    expect(() => deterministicMessageId({ ...base, domain: 'bad domain>' })).toThrow(RangeError);
  });
});
