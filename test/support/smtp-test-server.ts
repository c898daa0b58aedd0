/**
 * A real SMTP server for tests (smtp-server) on 127.0.0.1, on a free port. It stores every message
 * it accepts, raw and parsed with mailparser, in `messages`.
 *
 * - `users`: when given, AUTH (PLAIN or LOGIN) is required and checked against it; when not, AUTH
 *   is optional and any credentials are accepted.
 * - `failAfterData: N`: for the first N messages, the server stores the message and then drops the
 *   connection instead of answering 250, as if it crashed right after delivering. The client sees
 *   a lost connection although the message arrived. `faults.dropAfterData` changes it at run time,
 *   and `faults.dropWith: 'reset'` resets the TCP connection (RST: the client sees ECONNRESET)
 *   instead of closing it (FIN).
 * - `faults.refuseConnections`: greet every new connection with this reply (e.g. 421) and close it.
 * - `faults.replyToData`: answer the end of the message with this reply instead of 250, without
 *   storing it (an explicit refusal of the message).
 * - `onRcptTo`: return a reply (e.g. `{ responseCode: 550, message: '5.1.1 No such user' }`) to
 *   refuse a recipient.
 *
 * - `tls`: with a certificate, the server speaks implicit TLS (`implicit: true`, like port 465) or
 *   offers STARTTLS and refuses AUTH before it (like port 587). Without it: plain text only, STARTTLS
 *   disabled and AUTH allowed without TLS (loopback).
 */
import type { AddressInfo, Socket } from 'node:net';
import { type HeaderValue, simpleParser } from 'mailparser';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';

export interface ReceivedMessage {
  /** The From header; null when absent. */
  from: { address: string; name: string } | null;
  /** Addresses of the To header. */
  to: string[];
  subject: string | undefined;
  html: string | undefined;
  text: string | undefined;
  /** Angle brackets included. */
  messageId: string | undefined;
  inReplyTo: string | undefined;
  references: string[];
  /** Lower-case header names, as parsed by mailparser. */
  headers: Map<string, HeaderValue>;
  /** The message as received (CRLF line ends, dot-stuffing removed). */
  raw: string;
  /** SMTP envelope: MAIL FROM and the accepted RCPT TO addresses. */
  envelope: { mailFrom: string | null; rcptTo: string[] };
  /** The user the session authenticated as, if it did. */
  authenticatedUser: string | undefined;
}

export interface SmtpReply {
  responseCode: number;
  message: string;
}

export interface SmtpTestServerOptions {
  /** username → password; when given, AUTH PLAIN/LOGIN is required. */
  users?: Record<string, string>;
  /** TLS with this certificate: implicit (465-style) or STARTTLS (587-style). */
  tls?: { key: string; cert: string; implicit: boolean };
  /** A loopback address of its own and a fixed port, e.g. 465 or 587 (needs root). Default 127.0.0.1 on a free port. */
  listen?: { address: string; port: number };
  /** Drop the connection after receiving DATA for the first N messages, after the message was stored. */
  failAfterData?: number;
  /** Refuse a recipient by returning a reply; return undefined to accept it. */
  onRcptTo?: (address: string) => SmtpReply | undefined;
}

/** Faults the server injects, changeable while it runs. */
export interface SmtpFaults {
  /** How many of the next messages are stored and then answered by dropping the connection. */
  dropAfterData: number;
  /** 'close': FIN, as a clean shutdown; 'reset': RST, as a crash or a middlebox (the client sees ECONNRESET). */
  dropWith: 'close' | 'reset';
  /** When set, every new connection is greeted with this reply and closed. */
  refuseConnections: SmtpReply | null;
  /** When set, the end of every message is answered with this reply (the message is not stored). */
  replyToData: SmtpReply | null;
  /** Awaited before a recipient is answered (e.g. to kill the sending process mid-envelope). */
  onRecipient: (() => Promise<void>) | null;
  /** Awaited after a message was stored, before it is answered (e.g. to kill the sending process before the 250). */
  afterStore: (() => Promise<void>) | null;
}

export interface SmtpTestServer {
  host: string;
  port: number;
  faults: SmtpFaults;
  /** Every message accepted (or stored before a simulated crash), in order. */
  messages: ReceivedMessage[];
  /** How many AUTH attempts the server answered (accepted or refused). */
  readonly authAttempts: number;
  /** Resolves with `messages` once there are at least `count`; rejects after `timeoutMs` (default 5 s). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Closes every connection and the listener. Pending waits reject. */
  stop(): Promise<void>;
}

function replyError(reply: SmtpReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.message), { responseCode: reply.responseCode });
}

function addressesOf(value: { value: { address?: string }[] } | { value: { address?: string }[] }[] | undefined): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).flatMap((header) => header.value.flatMap((entry) => (entry.address ? [entry.address] : [])));
}

async function readStream(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startSmtpTestServer(options: SmtpTestServerOptions = {}): Promise<SmtpTestServer> {
  const { users, onRcptTo } = options;
  const faults: SmtpFaults = { dropAfterData: options.failAfterData ?? 0, dropWith: 'close', refuseConnections: null, replyToData: null, onRecipient: null, afterStore: null };
  const messages: ReceivedMessage[] = [];
  let authAttempts = 0;
  const waiters = new Set<{ count: number; resolve: (messages: ReceivedMessage[]) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  /** The socket of a session's connection (to drop it), found through the server's open connections. */
  const socketOf = (session: SMTPServerSession): Socket | undefined => {
    for (const connection of server.connections) if (connection.id === session.id) return connection._socket;
    return undefined;
  };

  const notify = () => {
    for (const waiter of waiters) {
      if (messages.length >= waiter.count) {
        clearTimeout(waiter.timer);
        waiters.delete(waiter);
        waiter.resolve(messages);
      }
    }
  };

  const tls = options.tls;
  const server: SMTPServer = new SMTPServer({
    ...(tls
      ? { secure: tls.implicit, key: tls.key, cert: tls.cert, allowInsecureAuth: false }
      : { secure: false, disabledCommands: ['STARTTLS'], hideSTARTTLS: true, allowInsecureAuth: true }),
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: users === undefined,
    logger: false,
    closeTimeout: 1_000,
    onConnect(_session, callback) {
      callback(faults.refuseConnections === null ? null : replyError(faults.refuseConnections));
    },
    onAuth(auth, _session, callback) {
      authAttempts += 1;
      if (users === undefined) return callback(null, { user: auth.username || 'anonymous' });
      const expected = auth.username !== undefined && Object.hasOwn(users, auth.username) ? users[auth.username] : undefined;
      if (expected === undefined || auth.password !== expected) {
        return callback(replyError({ responseCode: 535, message: '5.7.8 Authentication credentials invalid' }));
      }
      return callback(null, { user: auth.username });
    },
    onRcptTo(address, _session, callback) {
      const reply = onRcptTo?.(address.address);
      void (faults.onRecipient ?? (() => Promise.resolve()))().then(() => callback(reply === undefined ? null : replyError(reply)));
    },
    onData(stream, session, callback) {
      readStream(stream)
        .then(async (raw) => {
          if (faults.replyToData !== null) return callback(replyError(faults.replyToData));
          const parsed = await simpleParser(raw);
          const from = parsed.from?.value[0];
          const references = parsed.references === undefined ? [] : ([] as string[]).concat(parsed.references);
          messages.push({
            from: from?.address === undefined ? null : { address: from.address, name: from.name },
            to: addressesOf(parsed.to),
            subject: parsed.subject,
            html: parsed.html === false ? undefined : parsed.html,
            text: parsed.text,
            messageId: parsed.messageId,
            inReplyTo: parsed.inReplyTo,
            references,
            headers: parsed.headers,
            raw: raw.toString('utf8'),
            envelope: {
              mailFrom: session.envelope.mailFrom === false ? null : session.envelope.mailFrom.address,
              rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
            },
            authenticatedUser: typeof session.user === 'string' ? session.user : undefined,
          });
          notify();
          await faults.afterStore?.();
          if (faults.dropAfterData > 0) {
            faults.dropAfterData -= 1;
            // Stored, but the 250 never comes: the callback is deliberately not called.
            const socket = socketOf(session);
            if (faults.dropWith === 'reset') socket?.resetAndDestroy();
            else socket?.destroy();
            return;
          }
          callback(null, `OK: queued as ${messages.length}`);
        })
        .catch((error: unknown) => callback(replyError({ responseCode: 451, message: `4.3.0 ${String(error)}` })));
    },
  });
  // Client-side disconnects surface as connection errors; they are part of what tests provoke.
  server.on('error', () => undefined);

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.listen?.port ?? 0, options.listen?.address ?? '127.0.0.1', () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.server.address() as AddressInfo;

  return {
    host: options.listen?.address ?? '127.0.0.1',
    port,
    faults,
    messages,
    get authAttempts() {
      return authAttempts;
    },
    waitForMessages(count, timeoutMs = 5_000) {
      if (messages.length >= count) return Promise.resolve(messages);
      return new Promise((resolve, reject) => {
        const waiter = {
          count,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiters.delete(waiter);
            reject(new Error(`expected ${count} message(s) within ${timeoutMs} ms, received ${messages.length}`));
          }, timeoutMs),
        };
        waiters.add(waiter);
      });
    },
    async stop() {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new Error('SMTP test server stopped'));
      }
      waiters.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const connection of server.connections) connection._socket.destroy();
      for (const [accepted, upgraded] of server._pendingSockets) {
        upgraded.destroy();
        accepted.destroy();
      }
      await closed;
    },
  };
}
