/**
 * Validating an IMAP/SMTP inbox before it is saved (SPEC §3): an IMAP login that opens INBOX
 * (imapflow) and an SMTP connection with authentication (nodemailer `verify`), both against the
 * addresses the SSRF guard checked, both bounded by a short timeout. What each side saw is handed
 * to domain/inbox-connection for classification; the password never appears in it.
 */
import { ImapFlow } from 'imapflow';
import { classifyConnection, type ProbeOutcome } from '../../domain/inbox-connection';
import type { Cidr } from '../../domain/network-address';
import { InboxConnectionError } from '../../lib/errors';
import { checkMailHost, HostLookupError, systemResolver, type CheckedHost, type Resolver } from './host-guard';
import { smtpTransport } from './smtp-sender';

import type { ServerSettings } from '../../domain/mail-servers';

export type { Security, ServerSettings } from '../../domain/mail-servers';

export interface InboxSettings {
  username: string;
  password: string;
  imap: ServerSettings;
  smtp: ServerSettings;
}

export interface ProbeOptions {
  timeoutMs: number;
  allowlist: readonly Cidr[];
  resolve?: Resolver;
  /** Extra certificate authorities for TLS (tests only: a self-signed test server). */
  trustedCertificates?: string[];
}

function scrubbed(text: string, password: string): string {
  if (password === '') return text;
  const forms = [password, Buffer.from(password, 'utf8').toString('base64')];
  return forms.reduce((result, form) => result.split(form).join('[redacted]'), text);
}

interface LibraryError {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  responseText?: unknown;
  serverResponseCode?: unknown;
  authenticationFailed?: unknown;
}

function failure(error: unknown, password: string): Extract<ProbeOutcome, { ok: false }> {
  const { message, code, responseCode, response, responseText, serverResponseCode, authenticationFailed } = (error ?? {}) as LibraryError;
  const text = [response, responseText, message].filter((part): part is string => typeof part === 'string' && part !== '').join(' — ');
  return {
    ok: false,
    text: scrubbed(text || String(error), password),
    ...(typeof code === 'string' ? { errorCode: code } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
    ...(typeof serverResponseCode === 'string' ? { imapResponseCode: serverResponseCode } : {}),
    ...(authenticationFailed === true ? { authenticationFailed: true } : {}),
  };
}

/** TLS checks the name the user typed, while the socket goes to the checked address. */
function serverName(checked: CheckedHost): string | undefined {
  return checked.host === checked.address ? undefined : checked.host;
}

export function imapClient(
  checked: CheckedHost,
  settings: ServerSettings,
  auth: { user: string; pass?: string; accessToken?: string },
  timeoutMs: number,
  trustedCertificates?: string[],
): ImapFlow {
  const servername = serverName(checked);
  return new ImapFlow({
    host: checked.address,
    port: settings.port,
    secure: settings.security === 'tls',
    ...(servername === undefined ? {} : { servername }),
    ...(trustedCertificates ? { tls: { ca: trustedCertificates } } : {}),
    ...(settings.security === 'starttls' ? { doSTARTTLS: true } : settings.security === 'none' ? { doSTARTTLS: false } : {}),
    auth,
    logger: false,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    disableAutoIdle: true,
  });
}

async function probeImap(checked: CheckedHost, settings: ServerSettings, username: string, password: string, options: ProbeOptions): Promise<ProbeOutcome> {
  const client = imapClient(checked, settings, { user: username, pass: password }, options.timeoutMs, options.trustedCertificates);
  client.on('error', () => undefined); // reported through the awaited calls
  try {
    await client.connect();
    // Some providers accept the login and only then say IMAP is disabled: open INBOX to find out.
    await client.status('INBOX', { messages: true });
    await client.logout();
    return { ok: true };
  } catch (error) {
    client.close();
    return failure(error, password);
  }
}

async function probeSmtp(checked: CheckedHost, settings: ServerSettings, username: string, password: string, options: ProbeOptions): Promise<ProbeOutcome> {
  const servername = serverName(checked);
  const transport = smtpTransport(
    { host: checked.address, port: settings.port, security: settings.security, username, password, ...(servername === undefined ? {} : { servername }) },
    options.timeoutMs,
    options.trustedCertificates,
  );
  try {
    await transport.verify();
    return { ok: true };
  } catch (error) {
    return failure(error, password);
  } finally {
    transport.close();
  }
}

/** Checks a host, or returns the probe outcome a name that does not resolve gives. HostNotAllowedError passes through. */
async function guarded(settings: ServerSettings, options: ProbeOptions): Promise<CheckedHost | ProbeOutcome> {
  try {
    return await checkMailHost(settings.host, options.allowlist, options.resolve ?? systemResolver);
  } catch (error) {
    if (error instanceof HostLookupError) return { ok: false, errorCode: error.code, text: error.message };
    throw error;
  }
}

/**
 * Resolves when both IMAP and SMTP accept the credentials. Rejects with HostNotAllowedError (SSRF
 * guard) or InboxConnectionError (code + guidance); both sides are always tried, in parallel.
 */
export async function validateInbox(settings: InboxSettings, options: ProbeOptions): Promise<void> {
  const [imapHost, smtpHost] = await Promise.all([guarded(settings.imap, options), guarded(settings.smtp, options)]);
  const [imap, smtp] = await Promise.all([
    'ok' in imapHost ? imapHost : probeImap(imapHost, settings.imap, settings.username, settings.password, options),
    'ok' in smtpHost ? smtpHost : probeSmtp(smtpHost, settings.smtp, settings.username, settings.password, options),
  ]);
  const failed = classifyConnection({ imap, smtp });
  if (failed) {
    const seen = failed.side === 'imap' ? imap : smtp;
    const server = failed.side === 'imap' ? settings.imap : settings.smtp;
    const reply = seen.ok ? '' : `: ${seen.text}`;
    throw new InboxConnectionError(failed, `${failed.side.toUpperCase()} ${server.host}:${server.port} failed${reply}`);
  }
}
