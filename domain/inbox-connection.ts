/**
 * Why connecting an IMAP/SMTP inbox failed, and what to tell the caller (SPEC §3, "IMAP/SMTP"
 * troubleshooting table). Pure: the probes (integrations/email/inbox-probe.ts) describe what the
 * server or the network did; this module decides what it means.
 *
 * Rules, per side, first match wins:
 * | what the side saw | reason |
 * | reply text "Application-specific password required", "5.7.9", "app password" | app-password-required |
 * | "SmtpClientAuthentication is disabled", "5.7.139", "basic authentication is disabled", "BasicAuthBlocked" | basic-auth-disabled |
 * | "too many login/authentication attempts", [LIMIT], imapflow ETHROTTLE, "temporarily locked/blocked" | too-many-attempts |
 * | "IMAP access is disabled", "not enabled for IMAP", "User is authenticated but not connected" | imap-disabled |
 * | a timeout (ETIMEDOUT, ETIMEOUT, "timed out", greeting never received) | timeout |
 * | a login refused (EAUTH, reply 535/534/530, IMAP NO [AUTHENTICATIONFAILED], "AUTHENTICATE failed", "Username and Password not accepted") | auth-failed |
 * | anything else (refused, reset, DNS, TLS, unexpected greeting) | cannot-connect |
 *
 * Combined: IMAP is checked first, so an IMAP failure is the answer. When IMAP works and SMTP fails
 * with auth-failed, cannot-connect or timeout, the answer is smtp-failed-imap-ok (SPEC: "IMAP works
 * but sending fails"); SMTP's more specific reasons (app password, basic auth, too many attempts)
 * stay as they are, because they say more.
 */

export type ConnectionFailureCode =
  | 'auth-failed'
  | 'app-password-required'
  | 'basic-auth-disabled'
  | 'too-many-attempts'
  | 'imap-disabled'
  | 'timeout'
  | 'cannot-connect'
  | 'smtp-failed-imap-ok';

export type ProbeSide = 'imap' | 'smtp';

/** What one probe saw; `ok: false` carries the error's code, reply code and text (already free of secrets). */
export type ProbeOutcome =
  | { ok: true }
  | {
      ok: false;
      /** Node's or the library's error code: ECONNREFUSED, ETIMEDOUT, EAUTH, NoConnection… */
      errorCode?: string;
      /** SMTP reply code (535) when the failure was a reply. */
      responseCode?: number;
      /** IMAP response code in brackets (AUTHENTICATIONFAILED, LIMIT…), when there was one. */
      imapResponseCode?: string;
      /** imapflow's flag for a refused login. */
      authenticationFailed?: boolean;
      /** The server's reply or the error message. */
      text: string;
    };

export interface ConnectionFailure {
  code: ConnectionFailureCode;
  /** Which side failed (imap, or smtp when IMAP worked). */
  side: ProbeSide;
  title: string;
  guidance: string;
}

const TITLES: Record<ConnectionFailureCode, string> = {
  'auth-failed': 'Authentication failed',
  'app-password-required': 'An app password is required',
  'basic-auth-disabled': 'Password sign-in is disabled for this mailbox',
  'too-many-attempts': 'Too many login attempts',
  'imap-disabled': 'IMAP access is disabled for this mailbox',
  timeout: 'The mail server did not answer in time',
  'cannot-connect': 'Cannot connect to the mail server',
  'smtp-failed-imap-ok': 'IMAP works but sending (SMTP) fails',
};

const GUIDANCE: Record<ConnectionFailureCode, string> = {
  'auth-failed':
    'The server refused the username or password. Check them; if the account uses two-factor authentication, create an app password and use it instead. If the mailbox password changed, reconnect with the new one.',
  'app-password-required':
    'The provider requires an app password for this account (two-factor authentication is on). Create an app password in the account security settings (Google: myaccount.google.com/apppasswords) and connect with it.',
  'basic-auth-disabled':
    "The organisation's admin policy disables password (basic) authentication for this mailbox, common on corporate Microsoft 365 tenants. Connect it as a Microsoft 365 account (OAuth) instead, or ask the IT administrator to enable authenticated SMTP/IMAP for this mailbox.",
  'too-many-attempts':
    'The provider temporarily blocks logins after too many attempts, or a security policy locked the account. Wait before retrying (often 15 minutes to an hour) and check the account for a security alert.',
  'imap-disabled':
    'The login works but IMAP access is disabled for this mailbox, so replies could not be synchronised. Enable IMAP in the mailbox settings (or ask the administrator to), then connect again.',
  timeout:
    'Nothing answered in time. Check the host and port (IMAP 993 with TLS is recommended, 143 with STARTTLS; SMTP 587 with STARTTLS is recommended, 465 with TLS) and that no firewall blocks them.',
  'cannot-connect':
    'The connection failed. Check the host, the port and the security setting (IMAP 993 TLS or 143 STARTTLS; SMTP 587 STARTTLS or 465 TLS), and that no firewall blocks them.',
  'smtp-failed-imap-ok':
    'The IMAP login worked but the SMTP server refused or could not be reached. Check the SMTP host, port, security and username; some providers disable SMTP sending per mailbox, so ask the administrator to enable it.',
};

const APP_PASSWORD = /application-specific password|app password|5\.7\.9\b/i;
const BASIC_AUTH = /SmtpClientAuthentication is disabled|5\.7\.139|basic auth(entication)? is disabled|BasicAuthBlocked/i;
const TOO_MANY = /too many (login |authentication |failed )?(attempts|logins|connections)|\[LIMIT\]|temporar(il)?y (locked|blocked)|account (is )?locked/i;
const IMAP_DISABLED = /IMAP access is disabled|not enabled for IMAP|IMAP (is )?disabled|authenticated but not connected/i;
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'ETIMEOUT', 'CONNECT_TIMEOUT', 'GREETING_TIMEOUT', 'UPGRADE_TIMEOUT', 'ESOCKETTIMEDOUT']);
const TIMEOUT_TEXT = /timed? ?out|greeting never received|timeout/i;
const AUTH_CODES = new Set(['EAUTH', 'ENOAUTH']);
const AUTH_TEXT = /AUTHENTICATE failed|LOGIN failed|Authentication failed|Username and Password not accepted|invalid credentials|authentication unsuccessful/i;

/** The reason one failed side gives (see the module's table). */
export function classifyProbe(outcome: Extract<ProbeOutcome, { ok: false }>): Exclude<ConnectionFailureCode, 'smtp-failed-imap-ok'> {
  const { text, errorCode, responseCode, imapResponseCode, authenticationFailed } = outcome;
  if (APP_PASSWORD.test(text)) return 'app-password-required';
  if (BASIC_AUTH.test(text)) return 'basic-auth-disabled';
  if (TOO_MANY.test(text) || imapResponseCode === 'LIMIT' || errorCode === 'ETHROTTLE') return 'too-many-attempts';
  if (IMAP_DISABLED.test(text)) return 'imap-disabled';
  if ((errorCode !== undefined && TIMEOUT_CODES.has(errorCode)) || (errorCode === undefined && responseCode === undefined && TIMEOUT_TEXT.test(text))) {
    return 'timeout';
  }
  if (
    authenticationFailed === true ||
    imapResponseCode === 'AUTHENTICATIONFAILED' ||
    (errorCode !== undefined && AUTH_CODES.has(errorCode)) ||
    responseCode === 535 ||
    responseCode === 534 ||
    responseCode === 530 ||
    AUTH_TEXT.test(text)
  ) {
    return 'auth-failed';
  }
  return 'cannot-connect';
}

/** null when both sides worked; otherwise the one failure to report (see the module comment). */
export function classifyConnection(outcomes: { imap: ProbeOutcome; smtp: ProbeOutcome }): ConnectionFailure | null {
  const describe = (code: ConnectionFailureCode, side: ProbeSide): ConnectionFailure => ({ code, side, title: TITLES[code], guidance: GUIDANCE[code] });
  if (!outcomes.imap.ok) return describe(classifyProbe(outcomes.imap), 'imap');
  if (!outcomes.smtp.ok) {
    const reason = classifyProbe(outcomes.smtp);
    const generic = reason === 'auth-failed' || reason === 'cannot-connect' || reason === 'timeout';
    return describe(generic ? 'smtp-failed-imap-ok' : reason, 'smtp');
  }
  return null;
}

export const CONNECTION_FAILURE_CODES = Object.keys(TITLES) as ConnectionFailureCode[];

/** The title and guidance of a failure code (the share page shows them after its redirect). */
export function describeConnectionFailure(code: ConnectionFailureCode): { title: string; guidance: string } {
  return { title: TITLES[code], guidance: GUIDANCE[code] };
}
