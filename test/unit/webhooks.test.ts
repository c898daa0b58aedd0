/**
 * The pure rules of event webhooks: the Standard Webhooks signature, the retry schedule, what an
 * answer means, Retry-After, the event ids and bodies (docs/webhooks.md).
 */
import fc from 'fast-check';
import { webhookEventId } from '../../db/webhook-events';
import {
  campaignCompleted,
  classifyWebhookAnswer,
  leadFailed,
  parseRetryAfter,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_MAX_ATTEMPTS,
  WEBHOOK_RETRY_AFTER_MAX_MS,
  WEBHOOK_RETRY_DELAYS_MS,
  WEBHOOK_RETRY_JITTER,
  webhookBody,
  webhookRetryDelayMs,
  withRetryAfter,
} from '../../domain/webhooks';
import { generateWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from '../../integrations/webhooks/standard-webhooks';

const HOUR_MS = 3600_000;

describe('signature (Standard Webhooks, symmetric v1)', () => {
  it("matches the specification's example", () => {
    // The example of the specification and its reference libraries' tests.
    expect(signWebhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('a fresh secret is whsec_ and the base64 of 32 random bytes, never the same twice', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice(6), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });

  it('what is signed verifies; any change to the body, id or timestamp, or another secret, does not', () => {
    fc.assert(
      fc.property(fc.string(), fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.integer({ min: 1_000_000_000, max: 4_000_000_000 }), fc.string({ minLength: 1 }), (body, id, timestamp, extra) => {
        const secret = generateWebhookSecret();
        const headers = webhookHeaders(secret, id, timestamp, body);
        expect(verifyWebhook(secret, headers, body, timestamp)).toEqual({ valid: true });
        expect(verifyWebhook(secret, headers, body + extra, timestamp)).toEqual({ valid: false, reason: 'no-matching-signature' });
        expect(verifyWebhook(secret, { ...headers, 'webhook-id': `${id}x` }, body, timestamp)).toEqual({ valid: false, reason: 'no-matching-signature' });
        expect(verifyWebhook(secret, { ...headers, 'webhook-timestamp': String(timestamp + 1) }, body, timestamp)).toEqual({ valid: false, reason: 'no-matching-signature' });
        expect(verifyWebhook(generateWebhookSecret(), headers, body, timestamp)).toEqual({ valid: false, reason: 'no-matching-signature' });
      }),
    );
  });

  it('a receiver refuses a timestamp more than 5 minutes away, and accepts one of several signatures', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders(secret, 'evt_1', 1_700_000_000, '{}');
    expect(verifyWebhook(secret, headers, '{}', 1_700_000_000 + 301)).toEqual({ valid: false, reason: 'timestamp-out-of-tolerance' });
    expect(verifyWebhook(secret, headers, '{}', 1_700_000_000 - 300)).toEqual({ valid: true });
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': `v1,bm90IGl0 ${headers['webhook-signature']}` }, '{}', 1_700_000_000)).toEqual({ valid: true });
    expect(verifyWebhook(secret, { ...headers, 'webhook-signature': undefined }, '{}', 1_700_000_000)).toEqual({ valid: false, reason: 'missing-headers' });
  });

  it('refuses a secret that is not whsec_ + canonical base64 of 24 to 64 bytes, and an id with a full stop', () => {
    expect(() => signWebhook('whsec_c2hvcnQ=', 'evt_1', 1, '{}')).toThrow(TypeError);
    expect(() => signWebhook('whsec_not base64!!', 'evt_1', 1, '{}')).toThrow(TypeError);
    expect(() => signWebhook(generateWebhookSecret(), 'evt.1', 1, '{}')).toThrow(TypeError);
  });
});

describe('retry schedule', () => {
  it('waits longer after each failure and spans more than 24 hours even with the shortest jitter', () => {
    for (let index = 1; index < WEBHOOK_RETRY_DELAYS_MS.length; index += 1) expect(WEBHOOK_RETRY_DELAYS_MS[index]!).toBeGreaterThan(WEBHOOK_RETRY_DELAYS_MS[index - 1]!);
    let shortest = 0;
    for (let attempt = 1; attempt < WEBHOOK_MAX_ATTEMPTS; attempt += 1) shortest += webhookRetryDelayMs(attempt, 0)!;
    expect(shortest).toBeGreaterThan(24 * HOUR_MS);
  });

  it('each wait is its scheduled delay ±10 %; after the last attempt there is none', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: WEBHOOK_MAX_ATTEMPTS + 3 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (attempt, random) => {
        const delay = webhookRetryDelayMs(attempt, random);
        if (attempt >= WEBHOOK_MAX_ATTEMPTS) {
          expect(delay).toBeNull();
          return;
        }
        const base = WEBHOOK_RETRY_DELAYS_MS[attempt - 1]!;
        expect(delay!).toBeGreaterThanOrEqual(Math.floor(base * (1 - WEBHOOK_RETRY_JITTER)));
        expect(delay!).toBeLessThanOrEqual(Math.ceil(base * (1 + WEBHOOK_RETRY_JITTER)));
      }),
    );
  });

  it("a longer Retry-After is honoured up to a day; a shorter one never shortens the schedule", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 * HOUR_MS }), fc.option(fc.integer({ min: 0, max: 100 * HOUR_MS })), (scheduled, retryAfter) => {
        const wait = withRetryAfter(scheduled, retryAfter);
        expect(wait).toBeGreaterThanOrEqual(scheduled);
        expect(wait).toBeLessThanOrEqual(Math.max(scheduled, WEBHOOK_RETRY_AFTER_MAX_MS));
        if (retryAfter !== null && retryAfter <= WEBHOOK_RETRY_AFTER_MAX_MS) expect(wait).toBe(Math.max(scheduled, retryAfter));
      }),
    );
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-12-02T08:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 08:10:00 GMT', now)).toBe(600_000);
    expect(parseRetryAfter('Wed, 02 Dec 2026 07:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-5', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});

describe('answers', () => {
  it('2xx delivered, 410 gone, everything else (3xx included: redirects are not followed) failed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 599 }), (status) => {
        const expected = status >= 200 && status < 300 ? 'delivered' : status === 410 ? 'gone' : 'failed';
        expect(classifyWebhookAnswer(status)).toBe(expected);
      }),
    );
  });
});

describe('events', () => {
  const lead = { id: 'lead-1', workspaceId: 'ws-1', campaignId: 'c-1', identityId: 'i-1', stepIndex: 2, email: 'ada@example.com', linkedinUrl: null };

  it('the same fact is the same id; another fact, or the same key of another type, another id (no full stop in it)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...WEBHOOK_EVENT_TYPES), fc.constantFrom(...WEBHOOK_EVENT_TYPES), fc.string(), fc.string(), (typeA, typeB, keyA, keyB) => {
        const id = webhookEventId(typeA, keyA);
        expect(id).toMatch(/^evt_[0-9a-f]{32}$/);
        expect(webhookEventId(typeA, keyA)).toBe(id);
        if (typeA !== typeB || keyA !== keyB) expect(webhookEventId(typeB, keyB)).not.toBe(id);
      }),
    );
  });

  it('a lead failing again after it was revived is a new fact; the body is the envelope of the specification', () => {
    const first = leadFailed(lead, { reason: 'refused', failedAt: Date.parse('2026-12-01T10:00:00Z') });
    const again = leadFailed(lead, { reason: 'refused', failedAt: Date.parse('2026-12-02T10:00:00Z') });
    expect(first.factKey).not.toBe(again.factKey);
    const body = JSON.parse(webhookBody({ id: 'evt_1', ...first }));
    expect(body).toEqual({ id: 'evt_1', type: 'lead.failed', timestamp: '2026-12-01T10:00:00.000Z', data: { leadId: 'lead-1', campaignId: 'c-1', identityId: 'i-1', email: 'ada@example.com', linkedinUrl: null, stepIndex: 2, reason: 'refused' } });
  });

  it('a campaign completes again only after a lead changed', () => {
    const campaign = { id: 'c-1', workspaceId: 'ws-1', identityId: 'i-1', name: 'Q1' };
    const at = Date.parse('2026-12-01T10:00:00Z');
    expect(campaignCompleted(campaign, { leads: { done: 3 }, lastLeadChangeAt: at }).factKey).toBe(campaignCompleted(campaign, { leads: { done: 3 }, lastLeadChangeAt: at }).factKey);
    expect(campaignCompleted(campaign, { leads: { done: 4 }, lastLeadChangeAt: at + 1 }).factKey).not.toBe(campaignCompleted(campaign, { leads: { done: 3 }, lastLeadChangeAt: at }).factKey);
  });
});
