/**
 * Sending one email over SMTP (SPEC §3, IMAP/SMTP inboxes), with nodemailer.
 *
 * The Message-ID is deterministic per (campaign, lead, step) (see {@link deterministicMessageId}).
 * An activity that crashes after the server accepted the message, or loses the connection between
 * sending the final "." and reading the 250 reply, is retried by Temporal and sends the same email
 * again: with the same Message-ID, the recipient's server can drop the duplicate and Pacer can tell,
 * from the Sent folder or a reply's In-Reply-To, that the step was already sent.
 *
 * Credentials: callers decrypt the inbox password inside the activity and pass it straight here.
 * It never travels through Temporal (workflow inputs, activity inputs or results, which are stored
 * in the history), is never logged, and never appears in a {@link SmtpSendError}: every text quoted
 * from nodemailer or the server is scrubbed of it first.
 */
import { createHash } from 'node:crypto';
import { createTransport } from 'nodemailer';
import { signatureAsText } from '../../domain/signature';

export interface SmtpConnection {
  host: string;
  port: number;
  /** 'tls': implicit TLS (usually 465); 'starttls': upgrade required (usually 587); 'none': plain text, never upgraded. */
  security: 'tls' | 'starttls' | 'none';
  username: string;
  /** Decrypted inside the activity; never passed through Temporal. */
  password: string;
  /** The name TLS verifies when `host` is the address the SSRF guard checked. */
  servername?: string;
}

export interface OutgoingEmail {
  from: { address: string; name?: string };
  /** Exactly one recipient. */
  to: string;
  subject: string;
  /** HTML body; the signature is appended by composeEmail, not here. */
  html: string;
  text: string;
  /** Deterministic per (campaign, lead, step): makes a retry after a crash detectable by the recipient's server and by Pacer. */
  messageId: string;
  inReplyTo?: string;
  references?: string[];
  /** Extra headers (e.g. List-Unsubscribe). Headers set by the fields above cannot be overridden here. */
  headers?: Record<string, string>;
}

/**
 * The message as nodemailer builds it (SMTP transport and MailComposer alike), with our Message-ID,
 * never one the library makes up, and without reading files or URLs the templates might name.
 */
export function messageOptions(email: OutgoingEmail) {
  return {
    from: email.from.name === undefined ? email.from.address : { name: email.from.name, address: email.from.address },
    to: email.to,
    subject: email.subject,
    html: email.html,
    text: email.text,
    messageId: email.messageId,
    ...(email.inReplyTo === undefined ? {} : { inReplyTo: email.inReplyTo }),
    ...(email.references === undefined || email.references.length === 0 ? {} : { references: email.references }),
    ...(email.headers === undefined ? {} : { headers: email.headers }),
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

export interface SmtpSendResult {
  /** The Message-ID the message was sent with, angle brackets included. */
  messageId: string;
  accepted: string[];
  /** The server's final reply, e.g. "250 OK: queued as …". */
  response: string;
}

export const DEFAULT_SMTP_TIMEOUT_MS = 30_000;

/**
 * `<pacer.<24 hex chars>@<domain>>`: the first 24 hex characters (96 bits) of the SHA-256 of the
 * (campaign, lead, step) triple. Stable for the same input, different for every step, and it shows
 * no id in clear (the recipient sees the header). `domain` is normally the sending address's domain;
 * it is lower-cased. Throws a RangeError for an empty id, a step index that is not a non-negative
 * integer, or a domain that cannot appear in a Message-ID.
 */
export function deterministicMessageId(input: { campaignId: string; leadId: string; stepIndex: number; domain: string }): string {
  const { campaignId, leadId, stepIndex } = input;
  if (campaignId === '' || leadId === '') throw new RangeError('campaignId and leadId must not be empty');
  if (!Number.isSafeInteger(stepIndex) || stepIndex < 0) {
    throw new RangeError(`stepIndex must be a non-negative integer, got ${String(stepIndex)}`);
  }
  const domain = input.domain.trim().toLowerCase();
  if (!/^[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?$/.test(domain)) {
    throw new RangeError(`domain ${JSON.stringify(input.domain)} cannot be used in a Message-ID`);
  }
  // A JSON array, not "a/b/c": ids containing the separator cannot collide.
  const digest = createHash('sha256').update(JSON.stringify(['pacer-message-id', campaignId, leadId, stepIndex])).digest('hex');
  return `<pacer.${digest.slice(0, 24)}@${domain}>`;
}

/**
 * The body with the identity's (already sanitised) signature appended.
 * - html: body, then `<br><br><div class="pacer-signature">signature</div>`.
 * - text: the body as plain text, then the standard "-- " signature delimiter line and the
 *   signature as plain text (both rendered by {@link signatureAsText}).
 * An empty (or whitespace-only) signature adds nothing to either part. A signature with no text
 * (an image only) is appended to the HTML part only.
 */
export function composeEmail(input: { bodyHtml: string; signatureHtml: string }): { html: string; text: string } {
  const bodyText = signatureAsText(input.bodyHtml);
  if (input.signatureHtml.trim() === '') return { html: input.bodyHtml, text: bodyText };
  const signatureText = signatureAsText(input.signatureHtml);
  return {
    html: `${input.bodyHtml}<br><br><div class="pacer-signature">${input.signatureHtml}</div>`,
    text: signatureText === '' ? bodyText : `${bodyText}\n\n-- \n${signatureText}`,
  };
}

export type SmtpSendErrorCode = 'auth-failed' | 'connection-failed' | 'rejected' | 'timeout';

/**
 * Why a send failed, and whether retrying the same send can succeed. Decide on `retryable`, not on
 * `code` alone: an 'auth-failed' with a 4xx reply (454 "temporary authentication failure", a
 * provider's "too many login attempts") is retryable and does not mean the inbox must be
 * reconnected; an 'auth-failed' that is not retryable does.
 *
 * Never contains the password: `message`, `stack` and `smtpResponse` are scrubbed of it (and of its
 * base64 forms, as sent by AUTH PLAIN and AUTH LOGIN). The nodemailer error is not kept as `cause`.
 */
export class SmtpSendError extends Error {
  override readonly name = 'SmtpSendError';
  readonly code: SmtpSendErrorCode;
  readonly retryable: boolean;
  /** The server's reply, when the failure was one (e.g. "550 5.1.1 No such user"). */
  readonly smtpResponse?: string;
  /** The reply code, when the failure was a server reply. */
  readonly responseCode?: number;
  /** nodemailer's error code (EAUTH, ECONNECTION, ESOCKET, ETIMEDOUT, EENVELOPE, …), or Node's. */
  readonly nodemailerCode?: string;

  constructor(
    message: string,
    details: { code: SmtpSendErrorCode; retryable: boolean; smtpResponse?: string; responseCode?: number; nodemailerCode?: string },
  ) {
    super(message);
    this.code = details.code;
    this.retryable = details.retryable;
    if (details.smtpResponse !== undefined) this.smtpResponse = details.smtpResponse;
    if (details.responseCode !== undefined) this.responseCode = details.responseCode;
    if (details.nodemailerCode !== undefined) this.nodemailerCode = details.nodemailerCode;
  }
}

/** Codes of failures to reach or keep talking to the server: retrying later can work. */
const CONNECTION_CODES = new Set([
  ...['ECONNECTION', 'ESOCKET', 'EDNS', 'ETLS', 'EPROXY', 'EPROTOCOL'], // nodemailer
  ...['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'], // Node, should one get through
]);
/** Codes of a message or configuration nodemailer refuses before or without a server reply. */
const REJECTED_CODES = new Set(['EENVELOPE', 'EMESSAGE', 'EMAXRECIPIENTS', 'ECONFIG', 'EFILEACCESS', 'EURLACCESS', 'EREQUIRETLS']);

interface NodemailerErrorLike {
  message?: unknown;
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
}

/**
 * The classification table (first match wins):
 * | nodemailer error | code | retryable |
 * | EAUTH / ENOAUTH | auth-failed | only with a 4xx reply |
 * | ETIMEDOUT | timeout | yes |
 * | reply 421 (server closing the channel) | connection-failed | yes |
 * | any other 4xx reply, or 503 | rejected | yes |
 * | any 5xx reply (EENVELOPE, EMESSAGE, …) | rejected | no |
 * | EENVELOPE, EMESSAGE, EMAXRECIPIENTS, ECONFIG, … without a reply | rejected | no |
 * | ECONNECTION, ESOCKET, EDNS, ETLS, EPROTOCOL, ECONNREFUSED, … | connection-failed | yes |
 * | anything else | connection-failed | yes (bounded by the activity's retry policy) |
 */
function classify(error: unknown): { code: SmtpSendErrorCode; retryable: boolean } {
  const { code, responseCode } = error as NodemailerErrorLike;
  const reply = typeof responseCode === 'number' ? responseCode : undefined;
  const transient = reply !== undefined && ((reply >= 400 && reply < 500) || reply === 503);
  if (code === 'EAUTH' || code === 'ENOAUTH') return { code: 'auth-failed', retryable: transient };
  if (code === 'ETIMEDOUT') return { code: 'timeout', retryable: true };
  if (reply === 421) return { code: 'connection-failed', retryable: true };
  if (transient) return { code: 'rejected', retryable: true };
  if (reply !== undefined && reply >= 500 && reply < 600) return { code: 'rejected', retryable: false };
  if (typeof code === 'string' && REJECTED_CODES.has(code)) return { code: 'rejected', retryable: false };
  if (typeof code === 'string' && CONNECTION_CODES.has(code)) return { code: 'connection-failed', retryable: true };
  return { code: 'connection-failed', retryable: true };
}

/** The password and the forms it takes on the wire (AUTH LOGIN: base64 of it; AUTH PLAIN: base64 of \0user\0pass). */
function secretsOf(connection: SmtpConnection): string[] {
  const { username, password } = connection;
  if (password === '') return [];
  const base64 = (value: string) => Buffer.from(value, 'utf8').toString('base64');
  return [password, base64(password), base64(`\u0000${username}\u0000${password}`), base64(`${username}\u0000${password}`)].sort(
    (a, b) => b.length - a.length,
  );
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce((scrubbed, secret) => scrubbed.split(secret).join('[redacted]'), text);
}

function toSmtpSendError(error: unknown, connection: SmtpConnection): SmtpSendError {
  const secrets = secretsOf(connection);
  const { message, code, responseCode, response } = (error ?? {}) as NodemailerErrorLike;
  const { code: kind, retryable } = classify(error);
  const reason = scrub(typeof message === 'string' ? message : String(error), secrets);
  const where = `${connection.host}:${connection.port}`;
  return new SmtpSendError(`SMTP send via ${where} failed (${kind}${retryable ? ', retryable' : ''}): ${reason}`, {
    code: kind,
    retryable,
    ...(typeof response === 'string' ? { smtpResponse: scrub(response, secrets) } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
    ...(typeof code === 'string' ? { nodemailerCode: code } : {}),
  });
}

/** Headers that the dedicated fields of {@link OutgoingEmail} (or MIME itself) set. */
const RESERVED_HEADERS = new Set([
  ...['from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date'],
  ...['message-id', 'in-reply-to', 'references'],
  ...['mime-version', 'content-type', 'content-transfer-encoding'],
]);

function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!-9;-~]+$/.test(name)) throw new RangeError(`invalid header name ${JSON.stringify(name)}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new RangeError(`header ${name} is set by its own field, not through headers`);
    if (/[\r\n]/.test(value)) throw new RangeError(`header ${name} must not contain line breaks`);
  }
}

/**
 * One SMTP connection's transport, for sending and for checking credentials alike. `timeoutMs` bounds
 * connecting, waiting for the greeting, and every silence on the socket. `trustedCertificates` adds
 * certificate authorities to the system's (tests only: a self-signed test server).
 */
export function smtpTransport(connection: SmtpConnection, timeoutMs: number, trustedCertificates?: string[]) {
  const tls = { ...(connection.servername === undefined ? {} : { servername: connection.servername }), ...(trustedCertificates ? { ca: trustedCertificates } : {}) };
  return createTransport({
    host: connection.host,
    port: connection.port,
    secure: connection.security === 'tls',
    requireTLS: connection.security === 'starttls',
    ignoreTLS: connection.security === 'none',
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
    auth: { user: connection.username, pass: connection.password },
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
    // The body comes from templates: it must never make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    maxRecipients: 1,
  });
}

/**
 * Sends one email and resolves once the server accepted it. Opens one connection, authenticates,
 * sends, and always closes. `timeoutMs` (default 30 s) bounds connecting, waiting for the greeting,
 * and every silence on the socket; the activity's own timeout bounds the whole.
 *
 * Rejects with a {@link SmtpSendError} for anything the server or the network did, and with a
 * RangeError for an invalid `headers` entry or `timeoutMs` (programming errors, not retryable).
 */
export async function sendSmtpEmail(
  connection: SmtpConnection,
  email: OutgoingEmail,
  options: { timeoutMs?: number } = {},
): Promise<SmtpSendResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  if (email.headers) checkHeaders(email.headers);

  const transport = smtpTransport(connection, timeoutMs);
  try {
    const info = await transport.sendMail(messageOptions(email));
    const accepted = [...info.accepted];
    if (accepted.length === 0) {
      throw new SmtpSendError(`SMTP send via ${connection.host}:${connection.port} failed (rejected): no recipient accepted`, {
        code: 'rejected',
        retryable: false,
        smtpResponse: info.response,
      });
    }
    return { messageId: info.messageId, accepted, response: info.response };
  } catch (error) {
    if (error instanceof SmtpSendError) throw error;
    throw toSmtpSendError(error, connection);
  } finally {
    transport.close();
  }
}
