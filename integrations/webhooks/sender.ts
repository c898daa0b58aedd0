/**
 * One webhook attempt: a POST of the signed body to an endpoint, with the rules of the Standard
 * Webhooks specification ("Delivery success and failure", "Request timeouts", "Server side request
 * forgery"; https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md):
 *
 * - The host is resolved and every address checked by the same SSRF guard as mail hosts
 *   (integrations/email/host-guard, domain/network-address), then the request goes to the checked
 *   address (TLS still verifies the host name), so DNS answering differently a moment later cannot
 *   slip an internal address in. Redirects are never followed (a 3xx is a failure).
 * - The whole attempt is bounded by a timeout (15 s by default); the answer's body is read only up to
 *   a short excerpt for the delivery log.
 *
 * Any HTTP answer is returned as is (the caller classifies it: domain/webhooks classifyWebhookAnswer).
 * Anything else throws a WebhookSendError whose `code` says at which stage it failed; every one of
 * them is worth another attempt later (`retryable`), none can have delivered anything except
 * `timeout` and `reset` after the request was written, which at-least-once delivery tolerates.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Cidr } from '../../domain/network-address';
import { HostNotAllowedError } from '../../lib/errors';
import { checkMailHost, HostLookupError, systemResolver, type Resolver } from '../email/host-guard';

/** How much of the receiver's answer is kept for the delivery log. */
const ANSWER_EXCERPT_BYTES = 512;

export type WebhookSendFailure = 'host-not-allowed' | 'cannot-resolve' | 'connect-failed' | 'tls' | 'timeout' | 'reset' | 'invalid-url';

/** An attempt that got no HTTP answer. The message names the stage and never an internal address. */
export class WebhookSendError extends Error {
  override readonly name = 'WebhookSendError';
  readonly retryable = true;
  constructor(
    readonly code: WebhookSendFailure,
    message: string,
  ) {
    super(message);
  }
}

export interface WebhookRequest {
  url: string;
  body: string;
  /** webhook-id, webhook-timestamp, webhook-signature. */
  headers: Record<string, string>;
}

export interface WebhookAnswer {
  status: number;
  /** The raw Retry-After header, if any. */
  retryAfter: string | undefined;
  /** The start of the answer's body (printable characters only), for the delivery log. */
  excerpt: string;
}

export interface WebhookSendOptions {
  /** CIDRs of private addresses endpoints may resolve to (WEBHOOK_PRIVATE_HOSTS_ALLOWED). */
  allowlist: readonly Cidr[];
  timeoutMs: number;
  resolve?: Resolver;
  /** Extra certificate authorities (tests only: a self-signed receiver). Never from configuration. */
  trustedCertificates?: string[];
}

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

function failureOf(error: unknown, host: string, written: boolean): WebhookSendError {
  const { code, name } = (error ?? {}) as { code?: string; name?: string };
  if (name === 'TimeoutError' || name === 'AbortError' || code === 'ABORT_ERR' || code === 'ETIMEDOUT') {
    return new WebhookSendError('timeout', written ? `${host} did not answer in time` : `${host} could not be reached in time`);
  }
  if (code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return new WebhookSendError('connect-failed', `${host} refused or could not be reached (${code})`);
  if (typeof code === 'string' && TLS_ERROR.test(code)) return new WebhookSendError('tls', `TLS with ${host} failed (${code})`);
  return new WebhookSendError('reset', `the connection to ${host} ended without an answer (${code ?? name ?? 'error'})`);
}

function printable(buffer: Buffer): string {
  return buffer.toString('utf8').replace(/[^\x20-\x7e]+/g, ' ').trim();
}

/** POSTs one signed attempt; answers the HTTP status, or throws a WebhookSendError. */
export async function postWebhook(request: WebhookRequest, options: WebhookSendOptions): Promise<WebhookAnswer> {
  let url: URL;
  try {
    url = new URL(request.url);
  } catch {
    throw new WebhookSendError('invalid-url', 'the endpoint URL cannot be parsed');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookSendError('invalid-url', 'the endpoint URL is not http(s)');
  const host = url.hostname;
  let address: string;
  try {
    ({ address } = await checkMailHost(host, options.allowlist, options.resolve ?? systemResolver));
  } catch (error) {
    if (error instanceof HostNotAllowedError) throw new WebhookSendError('host-not-allowed', `${host} resolves to an address Pacer does not call (private, loopback, link-local or reserved)`);
    if (error instanceof HostLookupError) throw new WebhookSendError('cannot-resolve', `${host} could not be resolved (${error.code})`);
    throw error;
  }
  const family = address.includes(':') ? 6 : 4;
  // The connection goes to the checked address whatever the resolver says now.
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const transport = url.protocol === 'https:' ? https : http;
  const signal = AbortSignal.timeout(options.timeoutMs);
  let written = false;
  return new Promise<WebhookAnswer>((resolve, reject) => {
    const outgoing = transport.request(
      url,
      {
        method: 'POST',
        agent: false,
        lookup,
        signal,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(request.body), 'user-agent': 'Pacer-Webhooks/1.0', ...request.headers },
        ...(options.trustedCertificates ? { ca: options.trustedCertificates } : {}),
      },
      (answer) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          answer.destroy();
          // Node joins repeated headers; Retry-After is a single value.
          resolve({ status: answer.statusCode ?? 0, retryAfter: answer.headers['retry-after'], excerpt: printable(Buffer.concat(chunks)).slice(0, ANSWER_EXCERPT_BYTES) });
        };
        answer.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= ANSWER_EXCERPT_BYTES) finish();
        });
        answer.on('end', finish);
        // The status line arrived: a body cut short still answered.
        answer.on('error', finish);
        answer.on('aborted', finish);
      },
    );
    outgoing.on('error', (error) => reject(failureOf(error, host, written)));
    outgoing.end(request.body, () => {
      written = true;
    });
  });
}
