import fc from 'fast-check';
import { OAUTH_FAILURE_CODES, classifyOAuthError } from '../../domain/oauth-errors';

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
