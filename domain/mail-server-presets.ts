/**
 * IMAP/SMTP servers of well-known mail domains, so that a person connecting an inbox on the share
 * page only types an address and a password (SPEC §3 common ports: IMAP 993 with TLS, SMTP 587 with
 * STARTTLS or 465 with TLS). Values from each provider's published settings:
 * - Gmail: support.google.com/mail/answer/7126229 (imap.gmail.com 993 SSL, smtp.gmail.com 587 TLS)
 * - Outlook.com: support.microsoft.com "POP, IMAP, and SMTP settings for Outlook.com"
 *   (outlook.office365.com 993, smtp-mail.outlook.com 587 STARTTLS)
 * - Yahoo: help.yahoo.com "IMAP server settings" (imap.mail.yahoo.com 993, smtp.mail.yahoo.com 465 SSL)
 * - iCloud: support.apple.com/102525 (imap.mail.me.com 993 SSL, smtp.mail.me.com 587 STARTTLS)
 * - Zoho: zoho.com/mail/help/imap-access.html (imap.zoho.com 993, smtp.zoho.com 465 SSL)
 * - AOL: help.aol.com "IMAP settings" (imap.aol.com 993, smtp.aol.com 465 SSL)
 * - Fastmail: fastmail.help "Server names and ports" (imap.fastmail.com 993, smtp.fastmail.com 465)
 * - GMX: support.gmx.com "IMAP" (imap.gmx.com 993, mail.gmx.com 587 STARTTLS)
 * Pure: the share page uses it on the server, and hands the same table to its script.
 */

export type MailSecurity = 'tls' | 'starttls' | 'none';

export interface MailServer {
  host: string;
  port: number;
  security: MailSecurity;
}

export interface MailServerPreset {
  provider: string;
  imap: MailServer;
  smtp: MailServer;
  /** What the provider asks of a person signing in with a password, in plain words. */
  passwordHint: string;
}

const GMAIL: MailServerPreset = {
  provider: 'Gmail',
  imap: { host: 'imap.gmail.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.gmail.com', port: 587, security: 'starttls' },
  passwordHint: 'Gmail needs an app password, not your usual password: Google Account → Security → 2-Step Verification → App passwords. Or use "Connect Google" instead.',
};
const OUTLOOK: MailServerPreset = {
  provider: 'Outlook.com',
  imap: { host: 'outlook.office365.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp-mail.outlook.com', port: 587, security: 'starttls' },
  passwordHint: 'Outlook.com often refuses passwords for other apps: use "Connect Microsoft" instead.',
};
const YAHOO: MailServerPreset = {
  provider: 'Yahoo Mail',
  imap: { host: 'imap.mail.yahoo.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.mail.yahoo.com', port: 465, security: 'tls' },
  passwordHint: 'Yahoo needs an app password: Account Info → Account Security → Generate app password.',
};
const ICLOUD: MailServerPreset = {
  provider: 'iCloud Mail',
  imap: { host: 'imap.mail.me.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.mail.me.com', port: 587, security: 'starttls' },
  passwordHint: 'iCloud needs an app-specific password: account.apple.com → Sign-In and Security → App-Specific Passwords.',
};
const ZOHO: MailServerPreset = {
  provider: 'Zoho Mail',
  imap: { host: 'imap.zoho.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.zoho.com', port: 465, security: 'tls' },
  passwordHint: 'With two-factor authentication on, Zoho needs an application-specific password (My Account → Security → App Passwords). IMAP access must be enabled in Zoho Mail settings.',
};
const AOL: MailServerPreset = {
  provider: 'AOL Mail',
  imap: { host: 'imap.aol.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.aol.com', port: 465, security: 'tls' },
  passwordHint: 'AOL needs an app password: Account Security → Generate app password.',
};
const FASTMAIL: MailServerPreset = {
  provider: 'Fastmail',
  imap: { host: 'imap.fastmail.com', port: 993, security: 'tls' },
  smtp: { host: 'smtp.fastmail.com', port: 465, security: 'tls' },
  passwordHint: 'Fastmail needs an app password: Settings → Privacy & Security → App passwords.',
};
const GMX: MailServerPreset = {
  provider: 'GMX',
  imap: { host: 'imap.gmx.com', port: 993, security: 'tls' },
  smtp: { host: 'mail.gmx.com', port: 587, security: 'starttls' },
  passwordHint: 'Enable IMAP in GMX settings (POP3 & IMAP) before connecting.',
};

/** Mail domains → their servers. Only the domain after "@" is compared, in lower case. */
export const MAIL_SERVER_PRESETS: Readonly<Record<string, MailServerPreset>> = {
  'gmail.com': GMAIL,
  'googlemail.com': GMAIL,
  'outlook.com': OUTLOOK,
  'hotmail.com': OUTLOOK,
  'live.com': OUTLOOK,
  'msn.com': OUTLOOK,
  'yahoo.com': YAHOO,
  'ymail.com': YAHOO,
  'icloud.com': ICLOUD,
  'me.com': ICLOUD,
  'mac.com': ICLOUD,
  'zoho.com': ZOHO,
  'zohomail.com': ZOHO,
  'aol.com': AOL,
  'fastmail.com': FASTMAIL,
  'gmx.com': GMX,
  'gmx.net': GMX,
};

/** The preset for an address's domain, or undefined for a domain not in the table (or no address). */
export function mailServerPresetFor(address: string): MailServerPreset | undefined {
  const at = address.lastIndexOf('@');
  if (at < 0) return undefined;
  const domain = address
    .slice(at + 1)
    .trim()
    .toLowerCase()
    .replace(/\.$/, '');
  return Object.hasOwn(MAIL_SERVER_PRESETS, domain) ? MAIL_SERVER_PRESETS[domain] : undefined;
}
