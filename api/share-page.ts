/**
 * The share page a link's holder sees (SPEC §4): what it shows for the identity and each connection,
 * the banner after a form or a sign-in (post/redirect/get: the redirect carries only `status`,
 * `code`, `provider` and `inbox`), the connect form's fields, and the CSRF token bound to the link.
 * Texts are for a person with no API knowledge: what happened and what to do, never a server's
 * reply, an internal host or a setting's name. Rendering goes through api/pages.ts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { EmailInbox, Identity } from '@prisma/client';
import type { Request, Response } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { CONNECTION_FAILURE_CODES, describeConnectionFailure, type ConnectionFailureCode } from '../domain/inbox-connection';
import { MAIL_SERVER_PRESETS, mailServerPresetFor, type MailSecurity } from '../domain/mail-server-presets';
import { OAUTH_FAILURE_CODES, describeOAuthFailure, type OAuthFailureCode } from '../domain/oauth-errors';

export type LinkedinStatus = 'connected' | 'disconnected' | 'unknown';
type Tone = 'connected' | 'attention' | 'unknown';

export interface Banner {
  tone: 'success' | 'error' | 'info';
  title: string;
  paragraphs: string[];
  steps: string[];
}

// ---------------------------------------------------------------------------------------------------
// Results: what the redirect after a form or a sign-in says, and the banner shown for it
// ---------------------------------------------------------------------------------------------------

/** Codes the share page itself gives (besides the connection and OAuth failure codes). */
export type PageFailureCode =
  | 'host-not-allowed'
  | 'invalid-input'
  | 'server-settings-needed'
  | 'form-expired'
  | 'not-available'
  | 'inbox-not-found'
  | 'state-invalid'
  | 'internal-error';

export interface ShareResult {
  status: 'connected' | 'reconnected' | 'failed' | 'returned';
  /** `ok` on success; otherwise the failure code. */
  code: string;
  provider?: 'google' | 'microsoft' | 'imap' | 'linkedin';
  inbox?: string;
}

const resultQuery = z.object({
  status: z.enum(['connected', 'reconnected', 'failed', 'returned']),
  code: z.string().regex(/^[a-z0-9-]{1,60}$/),
  provider: z.enum(['google', 'microsoft', 'imap', 'linkedin']).optional(),
  inbox: z.uuid().optional(),
});

/** The result a page URL carries, or undefined (anything malformed is ignored: it is only a banner). */
export function resultOf(query: unknown): ShareResult | undefined {
  const parsed = resultQuery.safeParse(query);
  return parsed.success ? parsed.data : undefined;
}

/** `?status=…&code=…` for a page URL. */
export function resultQueryString(result: ShareResult): string {
  const query = new URLSearchParams({ status: result.status, code: result.code });
  if (result.provider) query.set('provider', result.provider);
  if (result.inbox) query.set('inbox', result.inbox);
  return query.toString();
}

const FIELD_NAMES: Record<string, string> = {
  email: 'Email address',
  password: 'Password',
  username: 'Login name',
  'imap.host': 'Incoming server',
  'imap.port': 'Incoming port',
  'imap.security': 'Incoming security',
  'smtp.host': 'Outgoing server',
  'smtp.port': 'Outgoing port',
  'smtp.security': 'Outgoing security',
};

const PROVIDER_NAMES = { google: 'Google', microsoft: 'Microsoft' } as const;

export interface BannerContext {
  /** The address of the inbox the result is about, when it is one of the identity's. */
  inboxAddress?: string;
  /** Fields the last form got wrong (from the form flash). */
  invalidFields?: string[];
  /** The domain whose servers are unknown (server-settings-needed). */
  domain?: string;
  /** Microsoft's application id, for the message to an administrator. */
  microsoftClientId?: string;
  microsoftScopes?: string[];
}

export function resultBanner(result: ShareResult, context: BannerContext): Banner {
  const inbox = context.inboxAddress ?? 'The inbox';
  switch (result.status) {
    case 'connected':
      return { tone: 'success', title: 'Inbox connected', paragraphs: [`${inbox} is connected. Pacer can send from it now.`], steps: [] };
    case 'reconnected':
      return { tone: 'success', title: 'Inbox reconnected', paragraphs: [`${inbox} works again. Emails that were waiting for it go out again.`], steps: [] };
    case 'returned':
      return {
        tone: 'info',
        title: 'Back from LinkedIn',
        paragraphs: ['The LinkedIn status below is what the LinkedIn service reports now. If you signed in and it still asks to reconnect, reload this page in a minute.'],
        steps: [],
      };
    case 'failed':
      return failureBanner(result, context);
  }
}

function failureBanner(result: ShareResult, context: BannerContext): Banner {
  const failure = (title: string, ...paragraphs: string[]): Banner => ({ tone: 'error', title, paragraphs, steps: [] });
  const code = result.code;
  if ((CONNECTION_FAILURE_CODES as string[]).includes(code)) {
    const { title, guidance } = describeConnectionFailure(code as ConnectionFailureCode);
    return failure(title, guidance);
  }
  if ((OAUTH_FAILURE_CODES as string[]).includes(code)) {
    const described = describeOAuthFailure(code as OAuthFailureCode);
    const banner = failure(described.title, described.guidance);
    if (result.provider === 'microsoft' && (code === 'admin-approval-required' || code === 'user-consent-blocked') && context.microsoftClientId) {
      banner.paragraphs.push('What to send your IT administrator:');
      banner.steps = [
        `Please grant tenant-wide admin consent to the application with ID ${context.microsoftClientId} (Microsoft Entra admin center → Enterprise applications → the application → Permissions → Grant admin consent).`,
        `The delegated permissions it asks for are: ${(context.microsoftScopes ?? []).join(', ')}.`,
        'Once consent is granted, I will connect my mailbox again from the link I received.',
      ];
    }
    return banner;
  }
  const provider = result.provider === 'google' || result.provider === 'microsoft' ? PROVIDER_NAMES[result.provider] : undefined;
  switch (code as PageFailureCode) {
    case 'host-not-allowed':
      return failure('This mail server cannot be used', 'Use the public server name your email provider gives (for example imap.example.com). Addresses of private networks are not accepted.');
    case 'invalid-input': {
      const fields = (context.invalidFields ?? []).map((field) => FIELD_NAMES[field] ?? field);
      return failure('Some fields need attention', fields.length > 0 ? `Check: ${fields.join(', ')}.` : 'Check the fields of the form and send it again.');
    }
    case 'server-settings-needed':
      return failure(
        'Server settings needed',
        `Pacer does not know the mail servers of ${context.domain ?? 'this address'}. Open "Server settings" and enter the incoming (IMAP) and outgoing (SMTP) servers your email provider gives.`,
      );
    case 'form-expired':
      return failure('The form expired', 'Nothing was changed. Reload this page and send the form again.');
    case 'not-available':
      return failure(`${provider ? `${provider} sign-in` : 'This'} is not available right now`, 'Nothing was changed. Try again later, or ask the person who sent you this link.');
    case 'inbox-not-found':
      return failure('This inbox is not part of this link', 'Reload this page: it lists the inboxes this link can reconnect.');
    case 'state-invalid':
      return failure('The sign-in took too long or was already used', `Nothing was changed. Select "Connect ${provider ?? 'Google or Microsoft'}" again.`);
    default:
      return failure('Something went wrong', 'Nothing was changed. Try again in a few minutes.');
  }
}

// ---------------------------------------------------------------------------------------------------
// The connect form: its fields, and what the server does with empty ones
// ---------------------------------------------------------------------------------------------------

/** A form field: text, or nothing (a repeated or missing field is nothing; the API's validation judges the rest). */
const formText = z.string().optional().catch(undefined);

/** What the connect form posts (application/x-www-form-urlencoded); every field is text. Never fails. */
export const connectFormSchema = z.object({
  email: formText,
  password: formText,
  username: formText,
  imapHost: formText,
  imapPort: formText,
  imapSecurity: formText,
  smtpHost: formText,
  smtpPort: formText,
  smtpSecurity: formText,
}).catch({});

export type ConnectForm = z.infer<typeof connectFormSchema>;

/** The form minus its password: what is kept across the redirect so the person need not type it again. */
export type ConnectFormValues = Omit<Required<ConnectForm>, 'password'>;

const DEFAULT_PORTS: Record<'imap' | 'smtp', Record<MailSecurity, number>> = {
  imap: { tls: 993, starttls: 143, none: 143 },
  smtp: { tls: 465, starttls: 587, none: 25 },
};

/** The domain of an address whose servers must be typed in: none given, and none known. */
export class ServerSettingsNeeded extends Error {
  constructor(readonly domain: string) {
    super(`no known mail servers for ${domain}`);
  }
}

/**
 * The JSON body the API's inbox connection validates, from the form: empty server fields take the
 * well-known provider's servers (throws ServerSettingsNeeded for an unknown domain), an empty port
 * the usual one for the chosen security. Invalid values are passed on for the API's validation.
 */
export function connectInputFromForm(form: ConnectForm): Record<string, unknown> {
  const email = (form.email ?? '').trim();
  const preset = mailServerPresetFor(email);
  const side = (name: 'imap' | 'smtp') => {
    const host = (form[`${name}Host`] ?? '').trim();
    const given = (form[`${name}Security`] ?? '').trim();
    if (host === '') {
      if (!preset) {
        if (!z.email().safeParse(email).success) return undefined;
        throw new ServerSettingsNeeded(email.slice(email.lastIndexOf('@') + 1));
      }
      return { ...preset[name] };
    }
    const security = given === '' ? (name === 'imap' ? 'tls' : 'starttls') : given;
    const port = (form[`${name}Port`] ?? '').trim();
    const defaultPort = Object.hasOwn(DEFAULT_PORTS[name], security) ? DEFAULT_PORTS[name][security as MailSecurity] : undefined;
    return { host, port: port === '' ? defaultPort : /^[0-9]{1,5}$/.test(port) ? Number(port) : port, security };
  };
  const username = (form.username ?? '').trim();
  return {
    email,
    password: form.password ?? '',
    ...(username === '' ? {} : { username }),
    imap: side('imap'),
    smtp: side('smtp'),
  };
}

export function formValuesOf(form: ConnectForm): ConnectFormValues {
  const value = (text: string | undefined) => (text ?? '').trim().slice(0, 320);
  return {
    email: value(form.email),
    username: value(form.username),
    imapHost: value(form.imapHost),
    imapPort: value(form.imapPort),
    imapSecurity: value(form.imapSecurity),
    smtpHost: value(form.smtpHost),
    smtpPort: value(form.smtpPort),
    smtpSecurity: value(form.smtpSecurity),
  };
}

// ---------------------------------------------------------------------------------------------------
// Cookies: the CSRF secret (per browser) and the form flash (one redirect long)
// ---------------------------------------------------------------------------------------------------

const CSRF_COOKIE = 'pacer_share_csrf';
const FLASH_COOKIE = 'pacer_share_form';
const COOKIE_PATH = '/share/';

export function readCookie(request: Request, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

interface CookieSettings {
  /** The public URL is https: cookies are Secure. */
  secure: boolean;
}

/**
 * The browser's CSRF secret (an HttpOnly, SameSite=Lax cookie), created on the first page view. A
 * form's token is an HMAC of the link's id under it, so it is bound to this browser and this link;
 * another site can neither read the cookie nor make the browser send it with a cross-site POST.
 */
export function csrfSecretFor(request: Request, response: Response, settings: CookieSettings): string {
  const existing = readCookie(request, CSRF_COOKIE);
  if (existing && /^[A-Za-z0-9_-]{43}$/.test(existing)) return existing;
  const secret = randomBytes(32).toString('base64url');
  response.cookie(CSRF_COOKIE, secret, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: settings.secure, maxAge: 24 * 3600 * 1000 });
  return secret;
}

export function csrfTokenFor(secret: string, linkId: string): string {
  return createHmac('sha256', secret).update(`share-form:${linkId}`).digest('base64url');
}

/** The form's token matches this browser's secret for this link. */
export function csrfTokenValid(request: Request, linkId: string, token: unknown): boolean {
  const secret = readCookie(request, CSRF_COOKIE);
  if (!secret || typeof token !== 'string') return false;
  const expected = Buffer.from(csrfTokenFor(secret, linkId));
  const given = Buffer.from(token);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

const flashSchema = z.object({
  link: z.string().max(64),
  values: z.object(Object.fromEntries(['email', 'username', 'imapHost', 'imapPort', 'imapSecurity', 'smtpHost', 'smtpPort', 'smtpSecurity'].map((key) => [key, z.string().max(320)]))),
  invalid: z.array(z.string().max(40)).max(20),
  domain: z.string().max(255).optional(),
});

export interface FormFlash {
  link: string;
  values: ConnectFormValues;
  invalid: string[];
  domain?: string;
}

/** Keeps what the person typed (never the password) for the page the redirect leads to. */
export function setFormFlash(response: Response, flash: FormFlash, settings: CookieSettings): void {
  response.cookie(FLASH_COOKIE, Buffer.from(JSON.stringify(flash)).toString('base64url'), { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: settings.secure, maxAge: 5 * 60_000 });
}

/** The flash for this link, cleared once read. */
export function takeFormFlash(request: Request, response: Response, linkId: string, settings: CookieSettings): FormFlash | undefined {
  const raw = readCookie(request, FLASH_COOKIE);
  if (raw === undefined) return undefined;
  response.clearCookie(FLASH_COOKIE, { path: COOKIE_PATH, httpOnly: true, sameSite: 'lax', secure: settings.secure });
  try {
    const parsed = flashSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success && parsed.data.link === linkId ? (parsed.data as FormFlash) : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------------
// The page's view
// ---------------------------------------------------------------------------------------------------

export interface SharePageInput {
  identity: Identity & { emailInboxes: EmailInbox[] };
  /** `/share/<token>/identities/<id>`: where the forms post. */
  actionBase: string;
  expiresAt: number;
  linkedin: { status: LinkedinStatus; canReconnect: boolean };
  oauth: { google: boolean; microsoft: boolean };
  csrfToken: string;
  banner: Banner | undefined;
  flash: FormFlash | undefined;
}

const SECURITY_OPTIONS = [
  { value: 'tls', label: 'TLS (SSL)' },
  { value: 'starttls', label: 'STARTTLS' },
  { value: 'none', label: 'None (unencrypted, private networks only)' },
];

const LINKEDIN: Record<LinkedinStatus, { tone: Tone; label: string; hint: string }> = {
  connected: { tone: 'connected', label: 'Connected', hint: 'Working. Reconnect only if LinkedIn asked you to sign in again.' },
  disconnected: {
    tone: 'attention',
    label: 'Needs reconnecting',
    hint: 'LinkedIn signed Pacer out. Select "Reconnect LinkedIn" and sign in on the page that opens; it brings you back here.',
  },
  unknown: { tone: 'unknown', label: 'Status unknown', hint: 'The LinkedIn status cannot be read right now. You can still reconnect.' },
};

function inboxView(inbox: EmailInbox, actionBase: string, oauth: SharePageInput['oauth']) {
  const oauthProvider = inbox.provider === 'google' || inbox.provider === 'microsoft' ? inbox.provider : undefined;
  const tone: Tone = inbox.status === 'connected' ? 'connected' : 'attention';
  const statusLabel = inbox.status === 'connected' ? 'Connected' : inbox.status === 'needs-reconnect' ? 'Needs reconnecting' : 'Disconnected';
  const action = `${actionBase}/email-accounts/${inbox.id}/reconnect`;
  if (oauthProvider) {
    const providerName = PROVIDER_NAMES[oauthProvider];
    const available = oauth[oauthProvider];
    let hint = 'Working. Nothing to do.';
    if (inbox.status === 'needs-reconnect') hint = `${providerName} no longer accepts Pacer's access (a password change or removed access). Sign in again to reconnect.`;
    if (inbox.status === 'disconnected') hint = `This inbox was disconnected. Sign in with ${providerName} to connect it again.`;
    if (!available && tone !== 'connected') hint += ` ${providerName} sign-in is not available right now: ask the person who sent you this link.`;
    return {
      id: inbox.id,
      address: inbox.email,
      kind: oauthProvider,
      providerName,
      providerLabel: oauthProvider === 'google' ? 'Google account' : 'Microsoft 365 account',
      tone,
      statusLabel,
      hint,
      action: available ? action : undefined,
    };
  }
  let hint = 'Working. Nothing to do.';
  if (inbox.status === 'needs-reconnect') hint = 'The password stopped working (it may have changed). Enter the current one to reconnect; emails waiting for this inbox then go out again.';
  if (inbox.status === 'disconnected') hint = 'This inbox was disconnected. Enter its password to connect it again.';
  return { id: inbox.id, address: inbox.email, kind: 'password', providerName: '', providerLabel: 'Mail server (IMAP and SMTP)', tone, statusLabel, hint, action };
}

function initialsOf(identity: Identity): string {
  return `${identity.firstName.slice(0, 1)}${identity.lastName.slice(0, 1)}`.toUpperCase();
}

/** The expiry in the identity's own time zone (its working hours' zone), e.g. "Tuesday 3 March 2026, 10:00 (Europe/Paris)". */
export function validUntilText(expiresAt: number, timeZone: string): string {
  const local = DateTime.fromMillis(expiresAt, { zone: timeZone }).setLocale('en-GB');
  return `${local.toFormat('cccc d LLLL yyyy, HH:mm')} (${timeZone} time)`;
}

export function sharePageView(input: SharePageInput) {
  const { identity, actionBase, flash } = input;
  const name = `${identity.firstName} ${identity.lastName}`;
  const values: ConnectFormValues = flash?.values ?? { email: '', username: '', imapHost: '', imapPort: '', imapSecurity: '', smtpHost: '', smtpPort: '', smtpSecurity: '' };
  const invalid = new Set(flash?.invalid ?? []);
  const preset = mailServerPresetFor(values.email);
  const side = (sideName: 'imap' | 'smtp', legend: string) => ({
    name: sideName,
    legend,
    host: values[`${sideName}Host`],
    port: values[`${sideName}Port`],
    security: values[`${sideName}Security`] || (sideName === 'imap' ? 'tls' : 'starttls'),
    invalidHost: invalid.has(`${sideName}.host`) || invalid.has(sideName),
    invalidPort: invalid.has(`${sideName}.port`),
  });
  const sides = [side('imap', 'Incoming mail (IMAP)'), side('smtp', 'Outgoing mail (SMTP)')];
  const picture = identity.profilePictureUrl && /^https:\/\//i.test(identity.profilePictureUrl) ? identity.profilePictureUrl : undefined;
  return {
    title: `${name}: reconnect accounts`,
    identity: { name, jobTitle: identity.jobTitle, pictureUrl: picture, initials: initialsOf(identity) },
    validUntil: { iso: new Date(input.expiresAt).toISOString(), text: validUntilText(input.expiresAt, identity.timeZone) },
    banner: input.banner,
    csrf: input.csrfToken,
    linkedin: { ...LINKEDIN[input.linkedin.status], action: input.linkedin.canReconnect ? `${actionBase}/linkedin/reconnect` : undefined },
    inboxes: identity.emailInboxes.map((inbox) => inboxView(inbox, actionBase, input.oauth)),
    oauth: {
      google: input.oauth.google ? `${actionBase}/oauth/google/start` : undefined,
      microsoft: input.oauth.microsoft ? `${actionBase}/oauth/microsoft/start` : undefined,
    },
    connect: {
      action: `${actionBase}/email-accounts`,
      presets: JSON.stringify(MAIL_SERVER_PRESETS),
      values,
      invalid: { email: invalid.has('email'), password: invalid.has('password') },
      presetHint: preset ? `${preset.provider} settings filled in. ${preset.passwordHint}` : '',
      serverSettingsOpen: flash !== undefined && (flash.domain !== undefined || sides.some((entry) => entry.invalidHost || entry.invalidPort) || values.imapHost !== '' || values.smtpHost !== ''),
      sides,
      securityOptions: SECURITY_OPTIONS,
    },
  };
}
