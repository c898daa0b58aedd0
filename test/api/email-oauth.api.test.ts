import request from 'supertest';
import { inboxRefreshTokenAssociatedData } from '../../activities/campaign-steps';
import { encodeState } from '../../api/email-oauth';
import { describeOAuthFailure, type OAuthFailureCode } from '../../domain/oauth-errors';
import { decryptSecret } from '../../lib/secrets';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { testKeyring } from '../support/keyring';
import { startProviderReplayServer, type ProviderReplayServer } from '../support/provider-replay-server';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const STATE_SECRET = 'oauth-state-secret-for-tests-0123456789abcdef';
let harness: ApiHarness;
let providers: ProviderReplayServer;
let apiKey: string;
let identityId: string;

beforeAll(async () => {
  providers = await startProviderReplayServer();
  harness = await startApiHarness({
    oauth: {
      stateSecret: STATE_SECRET,
      redirectBaseUrl: 'https://pacer.example',
      google: { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret', tokenUrl: `${providers.baseUrl}/token`, gmailRootUrl: `${providers.baseUrl}/` },
      microsoft: { clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'ms-secret', loginBaseUrl: providers.baseUrl, graphBaseUrl: providers.baseUrl },
      returnOrigins: ['https://app.example.test'],
    },
  });
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'email-oauth'));
  identityId = (await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'O', workingHours: hours })).body.id;
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await providers?.stop();
});

function auth() {
  return { Authorization: `Bearer ${apiKey}` };
}

async function authorize(provider: 'google' | 'microsoft', body?: { returnUrl: string }) {
  const response = await request(harness.app).post(`/identities/${identityId}/email-accounts/${provider}/authorize`).set(auth()).send(body);
  expect(response.status).toBe(200);
  const url = new URL(response.body.authorizationUrl);
  return { url, state: url.searchParams.get('state') ?? '' };
}

describe('authorize', () => {
  it('Google: offline access, consent prompt, Gmail send + read scopes, signed state, our callback', async () => {
    const { url, state } = await authorize('google');
    expect(url.origin).toBe('https://accounts.google.com');
    expect(url.searchParams.get('access_type')).toBe('offline');
    expect(url.searchParams.get('prompt')).toBe('consent');
    expect(url.searchParams.get('scope')).toBe('https://www.googleapis.com/auth/gmail.send https://www.googleapis.com/auth/gmail.readonly');
    expect(url.searchParams.get('redirect_uri')).toBe('https://pacer.example/oauth/google/callback');
    expect(state).toMatch(/^[\w-]+\.[\w-]+$/);
  });

  it('Microsoft: authorization-code flow with exactly the SPEC scopes', async () => {
    const { url } = await authorize('microsoft');
    expect(url.pathname).toBe('/common/oauth2/v2.0/authorize');
    expect(url.searchParams.get('response_type')).toBe('code');
    const scopes = (url.searchParams.get('scope') ?? '').split(' ');
    for (const scope of ['SMTP.Send', 'Mail.Send', 'Mail.ReadWrite', 'Mail.ReadBasic', 'Mail.Read', 'User.Read', 'offline_access']) expect(scopes).toContain(scope);
    expect(url.searchParams.get('redirect_uri')).toBe('https://pacer.example/oauth/microsoft/callback');
  });

  it('answers 503 naming the variables when the client is not configured', async () => {
    const bare = harness.appWithOAuth({ stateSecret: undefined, google: undefined, microsoft: undefined });
    const google = await request(bare).post(`/identities/${identityId}/email-accounts/google/authorize`).set(auth());
    expect(google.status).toBe(503);
    expect(google.body.detail).toMatch(/GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET and OAUTH_STATE_SECRET/);
    const microsoft = await request(bare).post(`/identities/${identityId}/email-accounts/microsoft/authorize`).set(auth());
    expect(microsoft.status).toBe(503);
    expect(microsoft.body.detail).toMatch(/MICROSOFT_CLIENT_ID, MICROSOFT_CLIENT_SECRET and OAUTH_STATE_SECRET/);
  });
});

/** Nothing a provider sent back (code, state) or a secret appears in what the browser is shown. */
function expectNoSecrets(response: request.Response, ...secrets: string[]) {
  for (const secret of secrets) {
    expect(response.text).not.toContain(secret);
    expect(harness.logLines.join('\n')).not.toContain(secret);
  }
}

describe('Google callback', () => {
  it('stores the inbox with its refresh token encrypted and ends on a result page; the state works once', async () => {
    const { state } = await authorize('google');
    providers.queue('google-token.authorization-code', 'gmail-profile');
    const response = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code', scope: 'x' });
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toMatch(/^text\/html/);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.text).toContain('Inbox connected');
    expect(response.text).toContain('ada.lovelace@gmail-test.example is connected');
    const inbox = await harness.db.emailInbox.findFirstOrThrow({ where: { identityId, email: 'ada.lovelace@gmail-test.example' } });
    expect(inbox).toMatchObject({ provider: 'google', status: 'connected' });
    expect(decryptSecret(testKeyring, inbox.refreshTokenEnvelope ?? '', inboxRefreshTokenAssociatedData(inbox.id))).toBe('1//09recorded-refresh-token-canary');
    expectNoSecrets(response, 'recorded-refresh-token', '4/0Adeu5recorded-code', state);
    const token = providers.received.find((received) => received.path === '/token');
    expect(new URLSearchParams(token!.body).get('grant_type')).toBe('authorization_code');

    const again = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code' });
    expect(again.status).toBe(400);
    expect(again.text).toContain('The sign-in took too long or was already used');
    expectNoSecrets(again, '4/0Adeu5recorded-code', state);
  });

  it('refuses a tampered or foreign state', async () => {
    const { state } = await authorize('google');
    const [body] = state.split('.');
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: `${body}.AAAA`, code: 'x' })).status).toBe(400);
    const forged = encodeState('another-secret-another-secret-another-secret', { n: '00000000-0000-4000-8000-000000000000', w: 'w', i: identityId, p: 'google', e: Date.now() + 60_000 });
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: forged, code: 'x' })).status).toBe(400);
    const { state: microsoftState } = await authorize('microsoft');
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: microsoftState, code: 'x' })).status).toBe(400);
    expect((await request(harness.app).get('/oauth/google/callback')).status).toBe(400);
  });

  it('maps admin_policy_enforced and invalid_grant to their guidance', async () => {
    const { state } = await authorize('google');
    const blocked = await request(harness.app).get('/oauth/google/callback').query({ state, error: 'admin_policy_enforced' });
    expect(blocked.status).toBe(422);
    expect(blocked.text).toContain(describeOAuthFailure('admin-policy-blocked').title);
    expect(blocked.text).toMatch(/Admin console/);

    const { state: second } = await authorize('google');
    providers.queue('google-token.invalid-grant');
    const expired = await request(harness.app).get('/oauth/google/callback').query({ state: second, code: 'stale-code' });
    expect(expired.status).toBe(422);
    expect(expired.text).toContain(describeOAuthFailure('needs-reconnect').title);
    expectNoSecrets(expired, 'stale-code', second);
  });
});

describe('Microsoft callback', () => {
  it.each([
    ['AADSTS65001: The user or administrator has not consented to use the application.', 'consent-required'],
    ['AADSTS90094: The grant requires admin permission.', 'admin-approval-required'],
    ['AADSTS90093: Calling principal cannot consent due to lack of permissions.', 'user-consent-blocked'],
    ['AADSTS53003: Access has been blocked by Conditional Access policies.', 'conditional-access-blocked'],
  ])('%s → %s', async (description, code) => {
    const { state } = await authorize('microsoft');
    const response = await request(harness.app).get('/oauth/microsoft/callback').query({ state, error: 'access_denied', error_description: description });
    expect(response.status).toBe(422);
    expect(response.text).toContain(describeOAuthFailure(code as OAuthFailureCode).title);
  });

  it('an approval the tenant requires says what to send the administrator: the application id and its permissions', async () => {
    const { state } = await authorize('microsoft');
    const response = await request(harness.app).get('/oauth/microsoft/callback').query({ state, error: 'access_denied', error_description: 'AADSTS90094: The grant requires admin permission.' });
    expect(response.text).toContain('11111111-2222-3333-4444-555555555555');
    expect(response.text).toContain('SMTP.Send, Mail.Send, Mail.ReadWrite, Mail.ReadBasic, Mail.Read, User.Read, offline_access');
  });

  it('an expired code at the token endpoint (AADSTS70008) asks to reconnect', async () => {
    const { state } = await authorize('microsoft');
    providers.queue('microsoft-token.aadsts70008');
    const response = await request(harness.app).get('/oauth/microsoft/callback').query({ state, code: 'expired-code' });
    expect(response.status).toBe(422);
    expect(response.text).toContain(describeOAuthFailure('needs-reconnect').title);
    expectNoSecrets(response, 'expired-code', state);
  });
});

describe('returnUrl: the caller chooses where the browser lands (allowed origins only)', () => {
  it('success: back to the returnUrl with status, code, provider and inbox; its own query is kept', async () => {
    const { state } = await authorize('google', { returnUrl: 'https://app.example.test/settings/inboxes?tab=email' });
    providers.queue('google-token.authorization-code', 'gmail-profile');
    const response = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code' });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.location!);
    expect(`${location.origin}${location.pathname}`).toBe('https://app.example.test/settings/inboxes');
    expect(Object.fromEntries(location.searchParams)).toEqual({ tab: 'email', status: 'reconnected', code: 'ok', provider: 'google', inbox: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(response.headers.location).not.toContain('4/0Adeu5');
    expectNoSecrets(response, '4/0Adeu5recorded-code', state);
  });

  it('failures too, including a state already used (its signature still says where to go)', async () => {
    const { state } = await authorize('google', { returnUrl: 'https://app.example.test/done' });
    const blocked = await request(harness.app).get('/oauth/google/callback').query({ state, error: 'admin_policy_enforced' });
    expect(blocked.status).toBe(303);
    expect(blocked.headers.location).toBe('https://app.example.test/done?status=failed&code=admin-policy-blocked&provider=google');
    const reused = await request(harness.app).get('/oauth/google/callback').query({ state, code: 'x' });
    expect(reused.headers.location).toBe('https://app.example.test/done?status=failed&code=state-invalid&provider=google');
  });

  it('another origin, or not a URL, is refused with 422 naming returnUrl, before any state is issued', async () => {
    const before = await harness.db.oAuthState.count({ where: { identityId } });
    for (const returnUrl of ['https://evil.example/steal', 'javascript:alert(1)', 'https://app.example.test.evil.example/']) {
      const refused = await request(harness.app).post(`/identities/${identityId}/email-accounts/google/authorize`).set(auth()).send({ returnUrl });
      expect(refused.status).toBe(422);
      expect(refused.body.errors.map((problem: { field: string }) => problem.field)).toEqual(['returnUrl']);
    }
    expect(await harness.db.oAuthState.count({ where: { identityId } })).toBe(before);
  });
});

test('a sign-in started from a share link returns to its page; the state carries the token only encrypted', async () => {
  const link = await request(harness.app).post(`/identities/${identityId}/share-links`).set(auth()).send();
  const token = String(link.body.url).split('/').pop()!;
  const started = await request(harness.app).post(`/share/${token}/identities/${identityId}/oauth/google/start`).send({});
  expect(started.status).toBe(200);
  const state = new URL(started.body.authorizationUrl).searchParams.get('state')!;
  expect(Buffer.from(state.split('.')[0]!, 'base64url').toString('utf8')).not.toContain(token);
  expect(state).not.toContain(token);
  providers.queue('google-token.authorization-code', 'gmail-profile');
  const response = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code' });
  expect(response.status).toBe(303);
  expect(response.headers.location).toMatch(new RegExp(`^/share/${token}\\?status=reconnected&code=ok&provider=google&inbox=[0-9a-f-]{36}#result$`));
  expectNoSecrets(response, '4/0Adeu5recorded-code', state, token);
});
