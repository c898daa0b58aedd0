import fc from 'fast-check';
import { OAUTH_FAILURE_CODES, adminConsentUrl, classifyOAuthError } from '../../domain/oauth-errors';

describe('classifyOAuthError', () => {
  it.each([
    [{ error: 'invalid_client', description: 'AADSTS65001: The user or administrator has not consented to use the application with ID x named Pacer.' }, 'consent-required'],
    [{ error: 'access_denied', description: 'AADSTS90094: The grant requires admin permission.' }, 'admin-approval-required'],
    [{ error: 'access_denied', description: 'AADSTS90093: Calling principal cannot consent due to lack of permissions.' }, 'user-consent-blocked'],
    [{ error: 'access_denied', description: "AADSTS53003: Access has been blocked by Conditional Access policies. The access policy does not allow token issuance." }, 'conditional-access-blocked'],
    [{ error: 'invalid_grant', description: 'AADSTS700082: The refresh token has expired due to inactivity.' }, 'needs-reconnect'],
    [{ error: 'invalid_grant', description: 'AADSTS70008: The provided authorization code or refresh token has expired due to inactivity.' }, 'needs-reconnect'],
    [{ error: 'invalid_grant', description: "AADSTS50173: The provided grant has expired due to it being revoked, a fresh auth token is needed." }, 'needs-reconnect'],
    [{ error: 'invalid_grant', description: 'Token has been expired or revoked.' }, 'needs-reconnect'],
    [{ error: 'admin_policy_enforced' }, 'admin-policy-blocked'],
    [{ error: 'access_denied' }, 'access-denied'],
    [{ error: 'server_error' }, 'oauth-failed'],
    // The approval screen without an AADSTS number: still administrator approval, not "declined".
    [{ error: 'access_denied', description: 'Approval required' }, 'admin-approval-required'],
    [{ error: 'access_denied', description: 'Need admin approval. Pacer needs permission to access resources in your organization that only an admin can grant.' }, 'admin-approval-required'],
    [{ error: 'access_denied', description: 'The request for approval was sent to your administrator.' }, 'admin-approval-required'],
    [{ error: 'consent_required', description: 'admin_consent_required' }, 'admin-approval-required'],
    [{ error: 'access_denied', description: 'AADSTS90095: Admin consent is required for the permissions requested by this application. An admin consent request may be sent to the admin.' }, 'admin-approval-required'],
    [{ error: 'access_denied', description: 'The user has denied access to the scope requested by the client application.' }, 'access-denied'],
    [{ error: 'access_denied', description: 'AADSTS65004: User declined to consent to access the app.' }, 'access-denied'],
    [{}, 'oauth-failed'],
  ] as const)('%j → %s', (input, expected) => {
    expect(classifyOAuthError(input).code).toBe(expected);
  });

  it('the AADSTS number decides, whatever the error code and wording (property)', () => {
    fc.assert(
      fc.property(fc.constantFrom('invalid_grant', 'access_denied', 'invalid_request', undefined), fc.string(), (error, words) => {
        const failure = classifyOAuthError({ ...(error ? { error } : {}), description: `AADSTS90094: ${words}` });
        return failure.code === 'admin-approval-required';
      }),
    );
  });

  it('every code has guidance', () => {
    for (const code of OAUTH_FAILURE_CODES) expect(classifyOAuthError({ error: code }).guidance.length).toBeGreaterThan(30);
  });
});

describe('adminConsentUrl', () => {
  it('is the v2 admin consent endpoint with the client, the qualified Graph scopes and the redirect', () => {
    const url = new URL(
      adminConsentUrl({ loginBaseUrl: 'https://login.microsoftonline.com/', clientId: 'c1', scopes: ['Mail.Send', 'User.Read', 'offline_access'], redirectUri: 'https://pacer.example/oauth/microsoft/admin-consent' }),
    );
    expect(`${url.origin}${url.pathname}`).toBe('https://login.microsoftonline.com/organizations/v2.0/adminconsent');
    expect(url.searchParams.get('client_id')).toBe('c1');
    expect(url.searchParams.get('scope')).toBe('https://graph.microsoft.com/Mail.Send https://graph.microsoft.com/User.Read offline_access');
    expect(url.searchParams.get('redirect_uri')).toBe('https://pacer.example/oauth/microsoft/admin-consent');
    expect(new URL(adminConsentUrl({ loginBaseUrl: 'https://login.microsoftonline.com', tenant: 'contoso.onmicrosoft.com', clientId: 'c1', scopes: [], redirectUri: 'x:' })).pathname).toBe(
      '/contoso.onmicrosoft.com/v2.0/adminconsent',
    );
    for (const tenant of ['.', '..', 'a/b', ' ']) {
      expect(new URL(adminConsentUrl({ loginBaseUrl: 'https://login.microsoftonline.com', tenant, clientId: 'c1', scopes: [], redirectUri: 'x:' })).pathname).toBe('/organizations/v2.0/adminconsent');
    }
  });

  it('keeps every scope and the tenant whatever they are (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z.]{1,20}$/), { maxLength: 8 }), fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9.-]{0,29}$/), { nil: undefined }), (scopes, tenant) => {
        const url = new URL(adminConsentUrl({ loginBaseUrl: 'https://login.example', tenant, clientId: 'c', scopes, redirectUri: 'https://r.example/cb' }));
        expect(url.pathname).toBe(`/${tenant ?? 'organizations'}/v2.0/adminconsent`);
        const got = (url.searchParams.get('scope') ?? '').split(' ').filter((part) => part !== '');
        expect(got).toHaveLength(scopes.length);
        got.forEach((scope, index) => expect(scope.endsWith(scopes[index]!)).toBe(true));
      }),
    );
  });
});
