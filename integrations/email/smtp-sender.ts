/**
 * Outgoing email (SPEC §3): the message every sender hands over, its deterministic Message-ID, the
 * one failure type of all senders, and sending over SMTP with nodemailer.
 *
 * At most once: a sender first opens a session (connect, TLS, login: everything that can fail
 * early), the caller records its intent, and only then is the message handed over. A failure says
 * by its stage whether the message may have arrived ({@link Delivery}); one that may have arrived is
 * never sent again. The Message-ID is deterministic per (campaign, lead, step), so replies and
 * bounces find the step they answer.
 *
 * Credentials: callers decrypt the inbox password inside the activity and pass it straight here.
 * It never travels through Temporal (workflow inputs, activity inputs or results, which are stored
 * in the history), is never logged, and never appears in an {@link EmailSendError}: every text quoted
 * from nodemailer or the server is scrubbed of it first.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { createTransport } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
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

export type EmailSendErrorCode = 'auth-failed' | 'connection-failed' | 'rejected' | 'timeout' | 'configuration';

/**
 * Whether the provider may hold the message. `not-delivered`: the failure happened before the
 * message was handed over (connect, TLS, login, token refresh, the envelope), or the provider
 * answered that it refused the message itself; sending it again cannot make a second copy.
 * `unknown`: the message may have arrived (the connection was lost after the message data began
 * to flow, or an HTTP request may have reached the provider); it must never be sent again.
 */
export type Delivery = 'not-delivered' | 'unknown';

/**
 * Why a send failed, whether retrying later can succeed, and whether the provider may hold the
 * message. The one failure type of every sender (SMTP, Gmail API, Microsoft Graph). Decide on
 * `retryable`, not on `code` alone: an 'auth-failed' with a 4xx reply (454 "temporary
 * authentication failure", a provider's "too many login attempts") is retryable and does not mean
 * the inbox must be reconnected; an 'auth-failed' that is not retryable does.
 *
 * Never contains the password: `message`, `stack` and `smtpResponse` are scrubbed of it (and of its
 * base64 forms, as sent by AUTH PLAIN and AUTH LOGIN). The nodemailer error is not kept as `cause`.
 */
export class EmailSendError extends Error {
  override readonly name = 'EmailSendError';
  readonly code: EmailSendErrorCode;
  readonly retryable: boolean;
  readonly delivery: Delivery;
  /** The server's reply, when the failure was one (e.g. "550 5.1.1 No such user"). */
  readonly smtpResponse?: string;
  /** The reply code or HTTP status, when the failure was an answer. */
  readonly responseCode?: number;
  /** nodemailer's error code (EAUTH, ECONNECTION, ESOCKET, …), Node's, or the provider's error code. */
  readonly providerCode?: string;

  constructor(
    message: string,
    details: { code: EmailSendErrorCode; retryable: boolean; delivery: Delivery; smtpResponse?: string; responseCode?: number; providerCode?: string },
  ) {
    super(message);
    this.code = details.code;
    this.retryable = details.retryable;
    this.delivery = details.delivery;
    if (details.smtpResponse !== undefined) this.smtpResponse = details.smtpResponse;
    if (details.responseCode !== undefined) this.responseCode = details.responseCode;
    if (details.providerCode !== undefined) this.providerCode = details.providerCode;
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
  command?: unknown;
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
 * | anything else | connection-failed | yes |
 * Whether the message may have arrived is not decided here but by the stage (see openSmtpSession).
 */
function classify(error: unknown): { code: EmailSendErrorCode; retryable: boolean } {
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

function toEmailSendError(error: unknown, connection: SmtpConnection, delivery: Delivery): EmailSendError {
  const secrets = secretsOf(connection);
  const { message, code, responseCode, response } = (error ?? {}) as NodemailerErrorLike;
  const { code: kind, retryable } = classify(error);
  const reason = scrub(typeof message === 'string' ? message : String(error), secrets);
  const where = `${connection.host}:${connection.port}`;
  return new EmailSendError(`SMTP send via ${where} failed (${kind}${retryable ? ', retryable' : ''}${delivery === 'unknown' ? ', may have arrived' : ''}): ${reason}`, {
    code: kind,
    retryable,
    delivery,
    ...(typeof response === 'string' ? { smtpResponse: scrub(response, secrets) } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
    ...(typeof code === 'string' ? { providerCode: code } : {}),
  });
}

/** Headers that the dedicated fields of {@link OutgoingEmail} (or MIME itself) set. */
const RESERVED_HEADERS = new Set([
  ...['from', 'sender', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date'],
  ...['message-id', 'in-reply-to', 'references'],
  ...['mime-version', 'content-type', 'content-transfer-encoding'],
]);

/** Throws a RangeError for a header an email must not carry (a programming error, never retried). */
export function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!-9;-~]+$/.test(name)) throw new RangeError(`invalid header name ${JSON.stringify(name)}`);
    if (RESERVED_HEADERS.has(name.toLowerCase())) throw new RangeError(`header ${name} is set by its own field, not through headers`);
    if (/[\r\n]/.test(value)) throw new RangeError(`header ${name} must not contain line breaks`);
  }
}

/** The message as RFC 822 text, with our Message-ID (never one the library makes up). */
export async function rfc822(email: OutgoingEmail): Promise<Buffer> {
  if (email.headers) checkHeaders(email.headers);
  return new MailComposer(messageOptions(email)).compile().build();
}

/**
 * One SMTP connection's transport, for checking an inbox's credentials (nodemailer `verify`).
 * `timeoutMs` bounds connecting, waiting for the greeting, and every silence on the socket.
 * `trustedCertificates` adds certificate authorities to the system's (tests only: a self-signed test server).
 */
export function smtpTransport(connection: SmtpConnection, timeoutMs: number, trustedCertificates?: string[]) {
  const tls = { ...(connection.servername === undefined ? {} : { servername: connection.servername }), ...(trustedCertificates ? { ca: trustedCertificates } : {}) };
  return createTransport({
    ...connectionOptions(connection, timeoutMs),
    ...(Object.keys(tls).length === 0 ? {} : { tls }),
    auth: { user: connection.username, pass: connection.password },
    // The body comes from templates: it must never make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
    maxRecipients: 1,
  });
}

function connectionOptions(connection: SmtpConnection, timeoutMs: number) {
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number, got ${timeoutMs}`);
  return {
    host: connection.host,
    port: connection.port,
    secure: connection.security === 'tls',
    requireTLS: connection.security === 'starttls',
    ignoreTLS: connection.security === 'none',
    ...(connection.servername === undefined ? {} : { tls: { servername: connection.servername } }),
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    logger: false,
    debug: false,
  };
}

export interface SentEmail {
  /** The Message-ID header it was sent with, angle brackets included. */
  messageId: string;
  /** The provider's own id (Gmail message id) or the SMTP server's final reply. */
  providerMessageId?: string;
}

/**
 * An open, authenticated connection to a provider, ready to hand messages over. Everything that
 * can fail before a message is handed over (connect, TLS, login, token refresh) has happened
 * when it exists, so a caller records its intent to send only once it holds a session.
 */
export interface EmailSession {
  /**
   * Hands one message over. `beforeHandOver` runs at the last moment nothing has reached the provider
   * yet (SMTP: after the server accepted the envelope and DATA, before the first byte of the message;
   * HTTP: right before the request); if it fails, the message is not sent. Rejects with an
   * {@link EmailSendError} whose `delivery` says whether it may have arrived.
   */
  send(email: OutgoingEmail, options?: { beforeHandOver?: () => Promise<void> }): Promise<SentEmail>;
  /** Ends the session (QUIT for SMTP); never throws. */
  close(): void;
}

/**
 * One SMTP exchange as a promise. nodemailer reports a failure of the connection itself (refused,
 * reset, timed out) as an 'error' event rather than through the callback, so both settle it.
 */
function smtpCall<T>(client: SMTPConnection, run: (callback: (error: Error | null, result?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    client.once('error', onError);
    run((error, result) => {
      client.off('error', onError);
      if (error) reject(error);
      else resolve(result as T);
    });
  });
}

/**
 * The message as a stream that remembers whether the server started reading it. nodemailer pipes
 * it only once the server accepted the envelope and DATA (354): until the first read, the server
 * has not received a byte of the message.
 */
class StagedMessage extends Readable {
  dataStarted = false;
  private reading = false;
  constructor(
    private readonly raw: Buffer,
    private readonly beforeHandOver: (() => Promise<void>) | undefined,
  ) {
    super();
  }
  override _read(): void {
    if (this.reading) return;
    this.reading = true;
    (this.beforeHandOver ?? (() => Promise.resolve()))().then(
      () => {
        this.dataStarted = true;
        this.push(this.raw);
        this.push(null);
      },
      (error: unknown) => this.destroy(error instanceof Error ? error : new Error(String(error))),
    );
  }
}

/**
 * Opens an SMTP session: connects (TLS as configured), reads the greeting and authenticates,
 * bounded by `timeoutMs` for connecting, the greeting and every silence on the socket. Rejects
 * with an {@link EmailSendError} (delivery `not-delivered`).
 *
 * `send` knows the stage a failure happened in: before the message data began to flow (refused
 * sender or recipient, DATA refused, a connection lost before), nothing can have arrived; after
 * it began, only an explicit refusal of the message ("554 … rejected" in reply to the final ".")
 * is certain, and anything else (a reset, a lost connection, a timeout, a 421) is `unknown`:
 * the server may have stored the message. The error code (ESOCKET, ECONNECTION, …) never decides.
 */
export async function openSmtpSession(connection: SmtpConnection, options: { timeoutMs?: number } = {}): Promise<EmailSession> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_SMTP_TIMEOUT_MS;
  const client = new SMTPConnection(connectionOptions(connection, timeoutMs));
  // Failures reach the callbacks below; the event would otherwise be an uncaught 'error'.
  client.on('error', () => undefined);
  try {
    await smtpCall<void>(client, (callback) => client.connect((error) => callback(error ?? null)));
    await smtpCall<boolean>(client, (callback) => client.login({ user: connection.username, pass: connection.password }, callback));
  } catch (error) {
    client.close();
    throw toEmailSendError(error, connection, 'not-delivered');
  }
  return {
    async send(email, options = {}) {
      if (email.headers) checkHeaders(email.headers);
      const message = new StagedMessage(await rfc822(email), options.beforeHandOver);
      try {
        const info = await smtpCall<{ accepted: string[]; response?: string }>(client, (callback) =>
          client.send({ from: email.from.address, to: [email.to] }, message, (error, result) => callback(error, result)),
        );
        if (info.accepted.length === 0) {
          throw Object.assign(new Error('no recipient accepted'), { code: 'EENVELOPE' });
        }
        return { messageId: email.messageId, ...(info.response === undefined ? {} : { providerMessageId: info.response }) };
      } catch (error) {
        const { code, command, responseCode } = error as NodemailerErrorLike;
        const refusedMessage = code === 'EMESSAGE' && command === 'DATA' && typeof responseCode === 'number';
        // A failing beforeHandOver stopped the message before its first byte: the server discards the open transaction.
        if (!message.dataStarted) client.close();
        throw toEmailSendError(error, connection, !message.dataStarted || refusedMessage ? 'not-delivered' : 'unknown');
      }
    },
    close() {
      client.quit();
      client.close();
    },
  };
}

/**
 * Sends one email over one SMTP session and closes it: {@link openSmtpSession}, then `send`.
 * Rejects with an {@link EmailSendError} for anything the server or the network did, and with a
 * RangeError for an invalid `headers` entry or `timeoutMs` (programming errors, not retryable).
 */
export async function sendSmtpEmail(connection: SmtpConnection, email: OutgoingEmail, options: { timeoutMs?: number } = {}): Promise<SentEmail> {
  if (email.headers) checkHeaders(email.headers);
  const session = await openSmtpSession(connection, options);
  try {
    return await session.send(email);
  } finally {
    session.close();
  }
}
