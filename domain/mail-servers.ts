/**
 * IMAP and SMTP server settings as people type them (SPEC §3 "IMAP/SMTP"). Pure.
 *
 * - **Security from the port** when the caller gives none: IMAP 993 → implicit TLS, 143 → STARTTLS;
 *   SMTP 465 → implicit TLS, 587 / 25 / 2525 → STARTTLS. Another port without a security setting
 *   gets the protocol's recommended one (IMAP TLS, SMTP STARTTLS). Inference never chooses plain text:
 *   `none` happens only when the caller asks for it.
 * - **The port from the security** when the caller gives a security but no port: IMAP TLS 993,
 *   otherwise 143; SMTP TLS 465, otherwise 587. Neither given: IMAP 993 TLS, SMTP 587 STARTTLS.
 * - **Presets by domain** when a host is omitted: the classic settings of Gmail, Outlook.com /
 *   Office 365, Yahoo, iCloud, Zoho, AOL, Fastmail and GMX, chosen by the address's domain. What the
 *   caller gives always wins over the preset, field by field. A domain without a preset needs its
 *   hosts. The share page prefills its form from the same table, with each provider's password hint.
 *   Values from each provider's published settings:
 *   Gmail support.google.com/mail/answer/7126229; Outlook.com support.microsoft.com "POP, IMAP, and
 *   SMTP settings for Outlook.com"; Yahoo help.yahoo.com "IMAP server settings"; iCloud
 *   support.apple.com/102525; Zoho zoho.com/mail/help/imap-access.html; AOL help.aol.com "IMAP
 *   settings"; Fastmail fastmail.help "Server names and ports"; GMX support.gmx.com "IMAP".
 * - **Plain text** (`security: "none"`) sends the password unencrypted: refused unless the operator
 *   allows it (EMAIL_ALLOW_PLAINTEXT=true), and answered with a warning when allowed.
 */

export type Security = 'tls' | 'starttls' | 'none';
export type MailProtocol = 'imap' | 'smtp';

export interface ServerSettings {
  host: string;
  port: number;
  security: Security;
}

/** What the caller typed for one server; every field may be missing. */
export interface ServerInput {
  host?: string | undefined;
  port?: number | undefined;
  security?: Security | undefined;
}

export interface MailServerPreset {
  /** Readable name, shown in the API answer and on the share page. */
  name: string;
  imap: ServerSettings;
  smtp: ServerSettings;
  /** What the provider asks of a person signing in with a password, in plain words (the share page). */
  passwordHint: string;
}

const PORT_SECURITY: Record<MailProtocol, Record<number, Security>> = {
  imap: { 993: 'tls', 143: 'starttls' },
  smtp: { 465: 'tls', 587: 'starttls', 25: 'starttls', 2525: 'starttls' },
};

const RECOMMENDED: Record<MailProtocol, { port: number; security: Security }> = {
  imap: { port: 993, security: 'tls' },
  smtp: { port: 587, security: 'starttls' },
};

/** The security a well-known port speaks, or undefined for another port. */
export function securityForPort(protocol: MailProtocol, port: number): Security | undefined {
  return Object.hasOwn(PORT_SECURITY[protocol], port) ? PORT_SECURITY[protocol][port] : undefined;
}

/** The usual port for a security setting. */
export function portForSecurity(protocol: MailProtocol, security: Security): number {
  if (protocol === 'imap') return security === 'tls' ? 993 : 143;
  return security === 'tls' ? 465 : 587;
}

const server = (host: string, port: number, security: Security): ServerSettings => ({ host, port, security });

const GMAIL: MailServerPreset = {
  name: 'Gmail',
  imap: server('imap.gmail.com', 993, 'tls'),
  smtp: server('smtp.gmail.com', 587, 'starttls'),
  passwordHint: 'Gmail needs an app password, not your usual password: Google Account → Security → 2-Step Verification → App passwords. Or use "Connect Google" instead.',
};
const OUTLOOK: MailServerPreset = {
  name: 'Outlook.com',
  imap: server('outlook.office365.com', 993, 'tls'),
  smtp: server('smtp-mail.outlook.com', 587, 'starttls'),
  passwordHint: 'Outlook.com often refuses passwords for other apps: use "Connect Microsoft" instead.',
};
const OFFICE_365: MailServerPreset = {
  name: 'Office 365',
  imap: server('outlook.office365.com', 993, 'tls'),
  smtp: server('smtp.office365.com', 587, 'starttls'),
  passwordHint: 'Most Office 365 organisations turn password sign-in for other apps off: use "Connect Microsoft" instead.',
};
const YAHOO: MailServerPreset = {
  name: 'Yahoo Mail',
  imap: server('imap.mail.yahoo.com', 993, 'tls'),
  smtp: server('smtp.mail.yahoo.com', 465, 'tls'),
  passwordHint: 'Yahoo needs an app password: Account Info → Account Security → Generate app password.',
};
const ICLOUD: MailServerPreset = {
  name: 'iCloud Mail',
  imap: server('imap.mail.me.com', 993, 'tls'),
  smtp: server('smtp.mail.me.com', 587, 'starttls'),
  passwordHint: 'iCloud needs an app-specific password: account.apple.com → Sign-In and Security → App-Specific Passwords.',
};
const zoho = (region: string): MailServerPreset => ({
  name: 'Zoho Mail',
  imap: server(`imap.zoho.${region}`, 993, 'tls'),
  smtp: server(`smtp.zoho.${region}`, 465, 'tls'),
  passwordHint: 'With two-factor authentication on, Zoho needs an application-specific password (My Account → Security → App Passwords). IMAP access must be enabled in Zoho Mail settings.',
});
const AOL: MailServerPreset = {
  name: 'AOL Mail',
  imap: server('imap.aol.com', 993, 'tls'),
  smtp: server('smtp.aol.com', 465, 'tls'),
  passwordHint: 'AOL needs an app password: Account Security → Generate app password.',
};
const FASTMAIL: MailServerPreset = {
  name: 'Fastmail',
  imap: server('imap.fastmail.com', 993, 'tls'),
  smtp: server('smtp.fastmail.com', 465, 'tls'),
  passwordHint: 'Fastmail needs an app password: Settings → Privacy & Security → App passwords.',
};
const GMX: MailServerPreset = {
  name: 'GMX',
  imap: server('imap.gmx.com', 993, 'tls'),
  smtp: server('mail.gmx.com', 587, 'starttls'),
  passwordHint: 'Enable IMAP in GMX settings (POP3 & IMAP) before connecting.',
};

/** Mail domains → their servers (the exact domains; presetForAddress also knows some patterns). */
export const MAIL_SERVER_PRESETS: Readonly<Record<string, MailServerPreset>> = {
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  'outlook.com': OUTLOOK,
  'hotmail.com': OUTLOOK,
  'live.com': OUTLOOK,
  'msn.com': OUTLOOK,
  'yahoo.com': YAHOO,
  'ymail.com': YAHOO,
  'rocketmail.com': YAHOO,
  'icloud.com': ICLOUD,
  'me.com': ICLOUD,
  'mac.com': ICLOUD,
  'zoho.com': zoho('com'),
  'zohomail.com': zoho('com'),
  'zoho.eu': zoho('eu'),
  'zohomail.eu': zoho('eu'),
  'zoho.in': zoho('in'),
  'zohomail.in': zoho('in'),
  'aol.com': AOL,
  'fastmail.com': FASTMAIL,
  'gmx.com': GMX,
  'gmx.net': GMX,
};

/** The domain of an address, lower-cased, without a trailing dot; undefined when there is none. */
function domainOf(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = address.slice(at + 1).trim().toLowerCase().replace(/\.$/, '');
  return domain === '' ? undefined : domain;
}

/**
 * The classic settings for an address's provider: Gmail, Outlook.com (outlook/hotmail/live/msn),
 * Office 365 (`*.onmicrosoft.com` tenants), Yahoo (`yahoo.*`, ymail, rocketmail), iCloud (icloud,
 * me, mac), Zoho (`zoho.*`, `zohomail.*`), AOL, Fastmail and GMX. Undefined for any other domain: a company domain
 * hosted by Google or Microsoft cannot be told from its name.
 */
export function presetForAddress(address: string): MailServerPreset | undefined {
  const domain = domainOf(address);
  if (domain === undefined) return undefined;
  if (Object.hasOwn(MAIL_SERVER_PRESETS, domain)) return MAIL_SERVER_PRESETS[domain];
  if (domain.endsWith('.onmicrosoft.com')) return OFFICE_365;
  // yahoo.co.uk, yahoo.fr, yahoo.com.br… (one label, or two with a country code).
  if (/^yahoo\.[a-z]{2,3}(\.[a-z]{2})?$/.test(domain)) return YAHOO;
  return undefined;
}

/** One server's settings from what the caller typed and the preset (see the module comment). */
export function resolveServer(protocol: MailProtocol, input: ServerInput, preset: ServerSettings | undefined): ServerSettings | undefined {
  const host = input.host ?? preset?.host;
  if (host === undefined) return undefined;
  const fromPreset = preset !== undefined && input.host === undefined;
  let { port, security } = input;
  if (port === undefined && security === undefined && fromPreset) ({ port, security } = preset);
  if (port === undefined) port = security === undefined ? RECOMMENDED[protocol].port : portForSecurity(protocol, security);
  if (security === undefined) security = securityForPort(protocol, port) ?? (fromPreset && port === preset.port ? preset.security : RECOMMENDED[protocol].security);
  return { host, port, security };
}

export interface ResolvedMailServers {
  imap: ServerSettings;
  smtp: ServerSettings;
  /** The preset whose hosts were used, when one was. */
  preset: string | null;
}

export interface MailServerProblem {
  field: string;
  message: string;
}

/** Both servers of an inbox, or the fields the caller must give (a host without a preset). */
export function resolveMailServers(
  address: string,
  input: { imap?: ServerInput | undefined; smtp?: ServerInput | undefined },
): { ok: true; servers: ResolvedMailServers } | { ok: false; problems: MailServerProblem[] } {
  const preset = presetForAddress(address);
  const imap = resolveServer('imap', input.imap ?? {}, preset?.imap);
  const smtp = resolveServer('smtp', input.smtp ?? {}, preset?.smtp);
  const missing = (side: MailProtocol): MailServerProblem => ({
    field: `${side}.host`,
    message: `required: no preset is known for ${domainOf(address) ?? 'this address'} (presets: Gmail, Outlook.com / Office 365, Yahoo, iCloud, Zoho, AOL, Fastmail, GMX)`,
  });
  if (!imap || !smtp) return { ok: false, problems: [...(imap ? [] : [missing('imap')]), ...(smtp ? [] : [missing('smtp')])] };
  const presetUsed = preset !== undefined && (input.imap?.host === undefined || input.smtp?.host === undefined);
  return { ok: true, servers: { imap, smtp, preset: presetUsed ? preset.name : null } };
}

/** Warnings for servers that would carry the password in plain text. */
export function plaintextWarnings(servers: { imap: ServerSettings; smtp: ServerSettings }): string[] {
  return (['imap', 'smtp'] as const)
    .filter((side) => servers[side].security === 'none')
    .map((side) => `${side.toUpperCase()} ${servers[side].host}:${servers[side].port} uses security "none": the password and every message travel unencrypted`);
}

/** Problems when plain text is used and the operator does not allow it; empty otherwise. */
export function plaintextProblems(servers: { imap: ServerSettings; smtp: ServerSettings }, allowPlaintext: boolean): MailServerProblem[] {
  if (allowPlaintext) return [];
  return (['imap', 'smtp'] as const)
    .filter((side) => servers[side].security === 'none')
    .map((side) => ({
      field: `${side}.security`,
      message: `"none" would send the password in clear text and is refused (the operator can allow it with EMAIL_ALLOW_PLAINTEXT=true); use "tls" or "starttls"`,
    }));
}
