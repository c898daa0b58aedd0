import { simpleParser } from 'mailparser';
import { gmailSender, graphSender, type GoogleClientConfig, type MicrosoftClientConfig } from '../../../integrations/email/senders';
import { deterministicMessageId, SmtpSendError, type OutgoingEmail } from '../../../integrations/email/smtp-sender';
import { startProviderReplayServer, type ProviderReplayServer } from '../../support/provider-replay-server';

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

async function failure(promise: Promise<unknown>): Promise<SmtpSendError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SmtpSendError);
    return error as SmtpSendError;
  }
  throw new Error('expected a failure');
}

describe('Gmail API sender', () => {
  it('refreshes the token, then sends the raw message with our Message-ID', async () => {
    server.queue('google-token.success', 'gmail-send.success');
    const sent = await gmailSender(google, REFRESH_TOKEN).send(email);
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
    const error = await failure(gmailSender(google, REFRESH_TOKEN).send(email));
    expect(error).toMatchObject({ code: 'auth-failed', retryable: false });
    expect(error.message).not.toContain(REFRESH_TOKEN);
    expect(server.received.map((request) => request.path)).toEqual(['/token']);
  });

  it('a token without the send scope (403 insufficientPermissions) needs reconnecting too', async () => {
    server.queue('google-token.success', 'gmail-send.insufficient-scope');
    expect(await failure(gmailSender(google, REFRESH_TOKEN).send(email))).toMatchObject({ code: 'auth-failed', retryable: false, responseCode: 403 });
  });
});

describe('Microsoft Graph sender', () => {
  it('gets an access token with msal-node from the refresh token, then POSTs the MIME message to /me/sendMail', async () => {
    server.queue('microsoft-token.success', 'graph-sendmail.accepted');
    const sent = await graphSender(microsoft, REFRESH_TOKEN).send(email);
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
    const error = await failure(graphSender(microsoft, REFRESH_TOKEN).send(email));
    expect(error).toMatchObject({ code: 'auth-failed', retryable: false });
    expect(error.message).toContain('AADSTS70008');
    expect(error.message).not.toContain(REFRESH_TOKEN);
  });

  it('a refused message is rejected, not retryable', async () => {
    server.queue('microsoft-token.success', 'graph-sendmail.invalid-mime');
    expect(await failure(graphSender(microsoft, REFRESH_TOKEN).send(email))).toMatchObject({ code: 'rejected', retryable: false, responseCode: 400, nodemailerCode: 'ErrorMimeContentInvalidBase64String' });
  });
});
