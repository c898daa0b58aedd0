import fc from 'fast-check';
import { ShareRateLimiter, clientKeyOf } from '../../api/share-rate-limit';
import { TooManyRequestsError } from '../../lib/errors';

describe('clientKeyOf', () => {
  it('keeps IPv4 addresses, unwraps IPv4-mapped IPv6, and groups IPv6 per /64', () => {
    expect(clientKeyOf('198.51.100.7')).toBe('198.51.100.7');
    expect(clientKeyOf('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(clientKeyOf('2001:db8:aa:1::1')).toBe('2001:db8:aa:1::/64');
    expect(clientKeyOf('2001:0db8:00aa:0001:ffff:ffff:ffff:ffff')).toBe('2001:db8:aa:1::/64');
    expect(clientKeyOf('::1')).toBe('0:0:0:0::/64');
    expect(clientKeyOf('unknown')).toBe('unknown');
  });

  it('every address of one /64 is one client, and addresses of different /64s are different clients', () => {
    const prefix = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 });
    const suffix = fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 4, maxLength: 4 });
    const text = (groups: number[]) => groups.map((group) => group.toString(16)).join(':');
    fc.assert(
      fc.property(prefix, suffix, suffix, (head, one, other) => {
        // IPv4-mapped addresses (::ffff:a.b.c.d) are counted as IPv4: leave them out here.
        fc.pre(!(head.every((group) => group === 0) && one[0] === 0 && one[1] === 0xffff));
        fc.pre(!(head.every((group) => group === 0) && other[0] === 0 && other[1] === 0xffff));
        expect(clientKeyOf(text([...head, ...one]))).toBe(clientKeyOf(text([...head, ...other])));
      }),
    );
    fc.assert(
      fc.property(prefix, prefix, suffix, (one, other, tail) => {
        fc.pre(text(one) !== text(other));
        fc.pre(![one, other].some((head) => head.every((group) => group === 0) && tail[0] === 0 && tail[1] === 0xffff));
        expect(clientKeyOf(text([...one, ...tail]))).not.toBe(clientKeyOf(text([...other, ...tail])));
      }),
    );
  });
});

describe('ShareRateLimiter', () => {
  const limits = { maxFailures: 3, failureWindowMs: 60_000, maxRequestsPerLink: 2, requestWindowMs: 10_000, maxTrackedKeys: 5 };

  it('answers 429 from the failure after the allowance, until the oldest failure leaves the window', () => {
    let now = 0;
    const limiter = new ShareRateLimiter(() => now, limits);
    expect([limiter.failed('198.51.100.1'), limiter.failed('198.51.100.1'), limiter.failed('198.51.100.1')]).toEqual([undefined, undefined, undefined]);
    now = 30_000;
    const refused = limiter.failed('198.51.100.1');
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    // The first three failures were at 0: the window frees at 60 s, 30 s from now.
    expect(refused?.retryAfterSeconds).toBe(30);
    expect(limiter.failed('198.51.100.2')).toBeUndefined();
    now = 60_001;
    // Only the (refused, but counted) failure at 30 s is still inside the window: under the allowance again.
    expect(limiter.failed('198.51.100.1')).toBeUndefined();
  });

  it('caps the requests of one link, not of others', () => {
    let now = 0;
    const limiter = new ShareRateLimiter(() => now, limits);
    limiter.admitLink('link-a');
    limiter.admitLink('link-a');
    expect(() => limiter.admitLink('link-a')).toThrow(TooManyRequestsError);
    expect(() => limiter.admitLink('link-b')).not.toThrow();
    now = 10_001;
    expect(() => limiter.admitLink('link-a')).not.toThrow();
  });

  it('keeps at most maxTrackedKeys clients, dropping the least recently seen first', () => {
    const now = 0;
    const limiter = new ShareRateLimiter(() => now, limits);
    for (let client = 0; client < 1_000; client += 1) limiter.failed(`10.0.${client >> 8}.${client & 255}`);
    expect(limiter.trackedKeys().clients).toBe(limits.maxTrackedKeys);
    // A client seen recently is kept while older ones make room.
    const recent = '10.0.3.231';
    for (let attempt = 0; attempt < 3; attempt += 1) limiter.failed(recent);
    limiter.failed('192.0.2.1');
    expect(limiter.failed(recent)).toBeInstanceOf(TooManyRequestsError);
  });

  it('never holds more than maxTrackedKeys keys, whatever the traffic (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.ipV6(), fc.nat({ max: 120_000 })), { maxLength: 300 }), (requests) => {
        let now = 0;
        const limiter = new ShareRateLimiter(() => now, limits);
        for (const [address, gap] of requests) {
          now += gap;
          limiter.failed(address);
          try {
            limiter.admitLink(address);
          } catch (error) {
            expect(error).toBeInstanceOf(TooManyRequestsError);
          }
          const tracked = limiter.trackedKeys();
          expect(tracked.clients).toBeLessThanOrEqual(limits.maxTrackedKeys);
          expect(tracked.links).toBeLessThanOrEqual(limits.maxTrackedKeys);
        }
      }),
    );
  });
});
