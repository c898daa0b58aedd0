import request from 'supertest';
import { inboxRefreshTokenAssociatedData } from '../../lib/secrets';
import { encodeState } from '../../api/email-oauth';
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

async function authorize(provider: 'google' | 'microsoft') {
  const response = await request(harness.app).post(`/identities/${identityId}/email-accounts/${provider}/authorize`).set(auth());
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

describe('Google callback', () => {
  it('stores the inbox with its refresh token encrypted; the state works once', async () => {
    const { state } = await authorize('google');
    providers.queue('google-token.authorization-code', 'gmail-profile');
    const response = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code', scope: 'x' });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ email: 'ada.lovelace@gmail-test.example', provider: 'google', status: 'connected' });
    const row = await harness.db.emailInbox.findUniqueOrThrow({ where: { id: response.body.id } });
    expect(decryptSecret(testKeyring, row.refreshTokenEnvelope ?? '', inboxRefreshTokenAssociatedData(row.id))).toBe('1//09recorded-refresh-token-canary');
    expect(JSON.stringify(response.body)).not.toContain('recorded-refresh-token');
    expect(harness.logLines.join('\n')).not.toContain('recorded-refresh-token');
    const token = providers.received.find((received) => received.path === '/token');
    expect(new URLSearchParams(token!.body).get('grant_type')).toBe('authorization_code');

    const again = await request(harness.app).get('/oauth/google/callback').query({ state, code: '4/0Adeu5recorded-code' });
    expect(again.status).toBe(400);
  });

  it('refuses a tampered or foreign state', async () => {
    const { state } = await authorize('google');
    const [body] = state.split('.');
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: `${body}.AAAA`, code: 'x' })).status).toBe(400);
    const forged = encodeState('another-secret-another-secret-another-secret', { n: '00000000-0000-4000-8000-000000000000', w: 'w', i: identityId, p: 'google', e: Date.now() + 60_000 });
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: forged, code: 'x' })).status).toBe(400);
    const { state: microsoftState } = await authorize('microsoft');
    expect((await request(harness.app).get('/oauth/google/callback').query({ state: microsoftState, code: 'x' })).status).toBe(400);
  });

  it('maps admin_policy_enforced and invalid_grant to their codes and guidance', async () => {
    const { state } = await authorize('google');
    const blocked = await request(harness.app).get('/oauth/google/callback').query({ state, error: 'admin_policy_enforced' });
    expect(blocked.status).toBe(422);
    expect(blocked.body).toMatchObject({ code: 'admin-policy-blocked' });
    expect(blocked.body.guidance).toMatch(/Admin console/);

    const { state: second } = await authorize('google');
    providers.queue('google-token.invalid-grant');
    const expired = await request(harness.app).get('/oauth/google/callback').query({ state: second, code: 'stale-code' });
    expect(expired.status).toBe(422);
    expect(expired.body).toMatchObject({ code: 'needs-reconnect' });
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
    expect(response.body).toMatchObject({ code, failedStep: 'oauth' });
  });

  it('an expired code at the token endpoint (AADSTS70008) asks to reconnect', async () => {
    const { state } = await authorize('microsoft');
    providers.queue('microsoft-token.aadsts70008');
    const response = await request(harness.app).get('/oauth/microsoft/callback').query({ state, code: 'expired-code' });
    expect(response.status).toBe(422);
    expect(response.body).toMatchObject({ code: 'needs-reconnect' });
  });
});
