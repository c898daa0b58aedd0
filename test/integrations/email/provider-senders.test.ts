import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser } from 'mailparser';
import { gmailSender, graphSender, type EmailSender } from '../../../integrations/email/senders';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../../../lib/config';
import { deterministicMessageId, EmailSendError, type OutgoingEmail } from '../../../integrations/email/smtp-sender';
import { providerFixture, startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';

const REFRESH_TOKEN = '1//refresh-token-canary-4c7d';
let server: ProviderReplayServer;
let google: GoogleClientConfig;
let microsoft: MicrosoftClientConfig;

beforeAll(async () => {
  server = await startProviderReplayServer();
  google = { clientId: 'google-client', clientSecret: 'google-secret', tokenUrl: `${server.baseUrl}/token`, gmailRootUrl: `${server.baseUrl}/` };
  microsoft = { clientId: 'ms-client', clientSecret: 'ms-secret', loginBaseUrl: server.baseUrl, graphBaseUrl: server.baseUrl };
});
afterAll(() => server?.stop());
beforeEach(() => server.received.splice(0));

const email: OutgoingEmail = {
  from: { address: 'ada@pacer-test.example', name: 'Ada Lovelace' },
  to: 'grace@lead.example',
  subject: 'Quick question',
  html: '<p>Hello Grace</p>',
  text: 'Hello Grace',
  messageId: deterministicMessageId({ campaignId: 'c1', leadId: 'l1', stepIndex: 0, domain: 'pacer-test.example' }),
};

/** Opens a session and sends the test email through it, as the email activity does. */
async function sendWith(sender: EmailSender) {
  return (await sender.open()).send(email);
}

async function failure(promise: Promise<unknown>): Promise<EmailSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(EmailSendError);
    return error as EmailSendError;
  }
  throw new Error('expected a failure');
}

describe('Gmail API sender', () => {
  it('refreshes the token, then sends the raw message with our Message-ID', async () => {
    server.queue('google-token.success', 'gmail-send.success');
    const sent = await sendWith(gmailSender(google, REFRESH_TOKEN));
    expect(sent).toEqual({ messageId: email.messageId, providerMessageId: '18c2f0a4b9e1d7f3' });
    const [token, send] = server.received;
    expect(new URLSearchParams(token!.body).get('grant_type')).toBe('refresh_token');
    expect(new URLSearchParams(token!.body).get('refresh_token')).toBe(REFRESH_TOKEN);
    expect(send!.headers.authorization).toBe('Bearer ya29.a0AfH6SMBx-recorded-access-token');
    const raw = Buffer.from(JSON.parse(send!.body).raw, 'base64url');
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe(email.messageId);
    expect(parsed.subject).toBe('Quick question');
    expect(parsed.to).toMatchObject({ text: 'grace@lead.example' });
  });

  it('a revoked refresh token (invalid_grant) is auth-failed, not retryable: the inbox needs reconnecting', async () => {
    server.queue('google-token.invalid-grant');
    const error = await failure(sendWith(gmailSender(google, REFRESH_TOKEN)));
    expect(error).toMatchObject({ code: 'auth-failed', retryable: false });
    expect(error.message).not.toContain(REFRESH_TOKEN);
    expect(server.received.map((request) => request.path)).toEqual(['/token']);
  });

  it("Pacer's own client refused (invalid_client) is a configuration failure: no inbox is to blame, nothing was sent", async () => {
    server.queue('google-token.invalid-client');
    expect(await failure(sendWith(gmailSender(google, REFRESH_TOKEN)))).toMatchObject({ code: 'configuration', retryable: false, delivery: 'not-delivered', responseCode: 401 });
  });

  it('a token without the send scope (403 insufficientPermissions) needs reconnecting too', async () => {
    server.queue('google-token.success', 'gmail-send.insufficient-scope');
    expect(await failure(sendWith(gmailSender(google, REFRESH_TOKEN)))).toMatchObject({ code: 'auth-failed', retryable: false, responseCode: 403 });
  });
});

describe('Microsoft Graph sender', () => {
  it('gets an access token with msal-node from the refresh token, then POSTs the MIME message to /me/sendMail', async () => {
    server.queue('microsoft-token.success', 'graph-sendmail.accepted');
    const sent = await sendWith(graphSender(microsoft, REFRESH_TOKEN));
    expect(sent).toEqual({ messageId: email.messageId });
    const [token, send] = server.received;
    expect(token!.path).toBe('/common/oauth2/v2.0/token');
    const form = new URLSearchParams(token!.body);
    expect(form.get('grant_type')).toBe('refresh_token');
    expect(form.get('refresh_token')).toBe(REFRESH_TOKEN);
    expect(form.get('scope')).toContain('https://graph.microsoft.com/Mail.Send');
    expect(send!.headers.authorization).toBe('Bearer eyJ0eXAiOiJKV1QiLCJub25jZSI6InJlY29yZGVkIn0.recorded.access');
    expect(send!.headers['content-type']).toBe('text/plain');
    const parsed = await simpleParser(Buffer.from(send!.body, 'base64'));
    expect(parsed.messageId).toBe(email.messageId);
  });

  it('AADSTS70008 (expired refresh token) is auth-failed, not retryable', async () => {
    server.queue('microsoft-token.aadsts70008');
    const error = await failure(sendWith(graphSender(microsoft, REFRESH_TOKEN)));
    expect(error).toMatchObject({ code: 'auth-failed', retryable: false });
    expect(error.message).toContain('AADSTS70008');
    expect(error.message).not.toContain(REFRESH_TOKEN);
  });

  it("AADSTS7000215 (Pacer's client secret is wrong) is a configuration failure, not the inbox's", async () => {
    server.queue('microsoft-token.aadsts7000215');
    const error = await failure(sendWith(graphSender(microsoft, REFRESH_TOKEN)));
    expect(error).toMatchObject({ code: 'configuration', retryable: false, delivery: 'not-delivered' });
    expect(error.message).toContain('AADSTS7000215');
  });

  it('a refused message is rejected, not retryable', async () => {
    server.queue('microsoft-token.success', 'graph-sendmail.invalid-mime');
    expect(await failure(sendWith(graphSender(microsoft, REFRESH_TOKEN)))).toMatchObject({ code: 'rejected', retryable: false, responseCode: 400, providerCode: 'ErrorMimeContentInvalidBase64String' });
  });
});

describe('what an HTTP provider may hold after a failure (the stage decides)', () => {
  /** A server that answers the token endpoint from the recordings and treats the send as `onSend` says. */
  async function faultyGmail(onSend: (response: http.ServerResponse) => void): Promise<{ config: GoogleClientConfig; sends: () => number; stop: () => Promise<void> }> {
    let sends = 0;
    const server = http.createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        if (request.url === '/token') {
          response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(providerFixture('google-token.success').response.body));
          return;
        }
        sends += 1;
        onSend(response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      config: { ...google, tokenUrl: `${base}/token`, gmailRootUrl: `${base}/` },
      sends: () => sends,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it('a token endpoint that cannot be reached fails the opening: nothing was sent, retry later', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await failure(gmailSender({ ...google, tokenUrl: `http://127.0.0.1:${port}/token` }, REFRESH_TOKEN).open());
    expect(error).toMatchObject({ code: 'connection-failed', retryable: true, delivery: 'not-delivered', message: expect.stringContaining('ECONNREFUSED') });
  });

  it('a connection reset after the send request went out: the message may have arrived', async () => {
    const gmail = await faultyGmail((response) => response.socket?.resetAndDestroy());
    try {
      const error = await failure(sendWith(gmailSender(gmail.config, REFRESH_TOKEN)));
      expect(error).toMatchObject({ code: 'connection-failed', delivery: 'unknown' });
      expect(gmail.sends()).toBe(1);
    } finally {
      await gmail.stop();
    }
  });

  it('a 5xx from the provider: it may have sent it; a 4xx: it refused it', async () => {
    const failing = await faultyGmail((response) => response.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 503, message: 'backendError', status: 'UNAVAILABLE' } })));
    try {
      expect(await failure(sendWith(gmailSender(failing.config, REFRESH_TOKEN)))).toMatchObject({ code: 'connection-failed', retryable: true, delivery: 'unknown', responseCode: 503 });
    } finally {
      await failing.stop();
    }
    server.queue('google-token.success', 'gmail-send.insufficient-scope');
    expect(await failure(sendWith(gmailSender(google, REFRESH_TOKEN)))).toMatchObject({ delivery: 'not-delivered', responseCode: 403 });
  });
});
