/**
 * What a failed Google / Microsoft 365 connection means, and what to tell the caller (SPEC §3).
 * Entra errors are recognised by their AADSTS number (the text after it changes between tenants and
 * languages), Google's by their `error` code.
 *
 * | signal | code |
 * | AADSTS65001 | consent-required |
 * | AADSTS90094 ("Approval required" screen) | admin-approval-required |
 * | AADSTS90093 | user-consent-blocked |
 * | AADSTS53003 | conditional-access-blocked |
 * | AADSTS700082, AADSTS70008, AADSTS50173, Google invalid_grant | needs-reconnect |
 * | Google admin_policy_enforced | admin-policy-blocked |
 * | access_denied (the user declined) | access-denied |
 * | anything else | oauth-failed |
 */

export type OAuthFailureCode =
  | 'consent-required'
  | 'admin-approval-required'
  | 'user-consent-blocked'
  | 'conditional-access-blocked'
  | 'needs-reconnect'
  | 'admin-policy-blocked'
  | 'access-denied'
  | 'oauth-failed';

export interface OAuthFailure {
  code: OAuthFailureCode;
  title: string;
  guidance: string;
}

const FAILURES: Record<OAuthFailureCode, Omit<OAuthFailure, 'code'>> = {
  'consent-required': {
    title: 'Consent is required',
    guidance: 'The account has not granted Pacer the requested permissions. Connect again and accept the consent screen; if permissions were just granted, retry after a few minutes (propagation delay).',
  },
  'admin-approval-required': {
    title: 'Administrator approval required',
    guidance: "The tenant requires an administrator's consent for third-party apps (the \"Approval required\" screen). Request approval from the IT administrator, or have the admin grant tenant-wide consent, then connect again.",
  },
  'user-consent-blocked': {
    title: 'User consent is blocked by an admin policy',
    guidance: "The organisation's policy does not let users consent to apps. Ask the IT administrator to grant tenant-wide admin consent for Pacer, then connect again.",
  },
  'conditional-access-blocked': {
    title: 'Blocked by a Conditional Access policy',
    guidance: 'A Conditional Access policy blocks this sign-in, often after admin consent was granted. Ask the administrator to review and exclude the app from restrictive Conditional Access policies; if permissions were just granted, retry after a few minutes or connect from the admin\'s browser session.',
  },
  'needs-reconnect': {
    title: 'The authorisation is no longer valid',
    guidance: 'The refresh token or authorisation code expired or was revoked (password change, sign-out everywhere, or inactivity). Connect the account again.',
  },
  'admin-policy-blocked': {
    title: 'Blocked by a Google Workspace admin policy',
    guidance: 'The Google Workspace administrator restricts access to this app. Ask them to trust Pacer in the Admin console (Security > API controls), then connect again.',
  },
  'access-denied': {
    title: 'Access was declined',
    guidance: 'The consent screen was declined. Connect again and allow the requested permissions.',
  },
  'oauth-failed': {
    title: 'The provider refused the connection',
    guidance: 'The provider answered with an error. Retry; if it persists, check that the account may use third-party apps.',
  },
};

const ENTRA: Record<number, OAuthFailureCode> = {
  65001: 'consent-required',
  90094: 'admin-approval-required',
  90093: 'user-consent-blocked',
  53003: 'conditional-access-blocked',
  700082: 'needs-reconnect',
  70008: 'needs-reconnect',
  50173: 'needs-reconnect',
};

/** `error` is the OAuth error code (invalid_grant, access_denied…), `description` its text (which carries AADSTS numbers). */
export function classifyOAuthError(input: { error?: string; description?: string }): OAuthFailure {
  const number = /AADSTS(\d+)/.exec(`${input.description ?? ''} ${input.error ?? ''}`)?.[1];
  let code: OAuthFailureCode = 'oauth-failed';
  if (number !== undefined && Object.hasOwn(ENTRA, Number(number))) code = ENTRA[Number(number)]!;
  else if (input.error === 'invalid_grant') code = 'needs-reconnect';
  else if (input.error === 'admin_policy_enforced') code = 'admin-policy-blocked';
  else if (input.error === 'access_denied') code = 'access-denied';
  return { code, ...FAILURES[code] };
}

export const OAUTH_FAILURE_CODES = Object.keys(FAILURES) as OAuthFailureCode[];

/** The title and guidance of a failure code (the share page shows them after the provider sends the browser back). */
export function describeOAuthFailure(code: OAuthFailureCode): OAuthFailure {
  return { code, ...FAILURES[code] };
}
