/**
 * The HTTP plumbing both real adapters share (the contract adapter and Unipile's): one request with a
 * deadline covering the whole answer, transport failures classified as {@link LinkedinUnavailableError},
 * `Retry-After` parsing, and scrubbing of the adapter's secret from anything quoted back.
 */
import type { z } from 'zod';
import { LinkedinUnavailableError } from './gateway';

export interface HttpAnswer {
  response: Response;
  /** The whole body, read within the deadline. */
  text: string;
}

export interface HttpRequest {
  url: string;
  init: RequestInit;
  /** `METHOD /path` as quoted in errors (never with a secret). */
  where: string;
  timeoutMs: number;
  fetch: typeof globalThis.fetch;
  /** Removes the adapter's secret from a text. */
  scrub: (text: string) => string;
}

/**
 * Sends a request and reads its whole answer. Redirects are not followed. A failure before an answer
 * (refused, DNS, reset, no answer within the deadline) is a retryable {@link LinkedinUnavailableError}:
 * the caller decides whether a retry is safe (idempotency key, or a check before acting).
 */
export async function sendHttp(request: HttpRequest): Promise<HttpAnswer> {
  try {
    const response = await request.fetch(request.url, { ...request.init, redirect: 'manual', signal: AbortSignal.timeout(request.timeoutMs) });
    const text = await response.text();
    return { response, text };
  } catch (error) {
    // Duck-typed: fetch's errors may come from another realm (jest's vm context), where instanceof Error fails.
    const name = asErrorLike(error)?.name;
    const timedOut = name === 'TimeoutError' || name === 'AbortError';
    const reason = timedOut ? `no answer within ${request.timeoutMs} ms` : describeNetworkError(error, request.scrub);
    throw new LinkedinUnavailableError(`LinkedIn gateway unreachable on ${request.where}: ${reason}`, { cause: scrubbedCause(error, request.scrub) });
  }
}

/** A scrubber for one secret (an empty secret scrubs nothing). */
export function scrubberOf(secret: string): (text: string) => string {
  return (text) => (secret === '' ? text : text.split(secret).join('[redacted]'));
}

/** `Retry-After` as delay-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}

/** A short, one-line quote of a body. */
export function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return 'empty body';
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

export function describeIssues(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length === 0 ? 'body' : issue.path.join('.')}: ${issue.message}`).join('; ');
}

/** The body as JSON, or undefined when it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  stack?: unknown;
  cause?: unknown;
}

function asErrorLike(value: unknown): ErrorLike | undefined {
  return typeof value === 'object' && value !== null ? value : undefined;
}

/** "ECONNREFUSED connect ECONNREFUSED 127.0.0.1:9" rather than undici's bare "fetch failed". */
function describeNetworkError(error: unknown, scrub: (text: string) => string): string {
  const outer = asErrorLike(error);
  const cause = asErrorLike(outer?.cause);
  const code = typeof cause?.code === 'string' ? cause.code : typeof outer?.code === 'string' ? outer.code : undefined;
  const message =
    typeof cause?.message === 'string' && cause.message !== ''
      ? cause.message
      : typeof outer?.message === 'string'
        ? outer.message
        : String(error);
  return scrub(code && !message.includes(code) ? `${code} ${message}` : message);
}

/** The original error, unless its text would leak the secret. */
function scrubbedCause(error: unknown, scrub: (text: string) => string): unknown {
  const outer = asErrorLike(error);
  if (!outer) return undefined;
  const texts = [outer.message, outer.stack, asErrorLike(outer.cause)?.message].map((text) => (typeof text === 'string' ? text : ''));
  return texts.every((text) => scrub(text) === text) ? error : undefined;
}
