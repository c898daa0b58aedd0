import fc from 'fast-check';
import { WARMUP_DAYS, WARMUP_DURATION_MS, campaignsToResume, inboxWarmingUpReason, warmupDaysLeft, warmupEndsAt } from '../../domain/warmup';
import { SHARE_LINK_TTL_MS, looksLikeShareToken, shareLinkExpiresAt, shareLinkValidity } from '../../domain/share-links';

const DAY = 24 * 3600 * 1000;

test('a warm-up lasts 14 days of 24 hours', () => {
  expect(WARMUP_DURATION_MS).toBe(14 * DAY);
  expect(warmupEndsAt(0)).toBe(14 * DAY);
  expect(() => warmupEndsAt(Number.NaN)).toThrow(RangeError);
});

test('days left: 14 at the start, 1 in the last 24 hours, 0 at the end', () => {
  const endsAt = warmupEndsAt(1_000);
  expect(warmupDaysLeft(endsAt, 1_000)).toBe(14);
  expect(warmupDaysLeft(endsAt, 1_001)).toBe(14);
  expect(warmupDaysLeft(endsAt, 1_000 + DAY)).toBe(13);
  expect(warmupDaysLeft(endsAt, endsAt - 1)).toBe(1);
  expect(warmupDaysLeft(endsAt, endsAt)).toBe(0);
  expect(warmupDaysLeft(endsAt, endsAt + DAY)).toBe(0);
});

test('days left is between 0 and 14 and never grows as time passes', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -2 * WARMUP_DURATION_MS, max: 2 * WARMUP_DURATION_MS }), fc.nat(WARMUP_DURATION_MS), (startedAt, offset, later) => {
      const endsAt = warmupEndsAt(startedAt);
      const now = startedAt + offset;
      const left = warmupDaysLeft(endsAt, now);
      expect(left).toBeGreaterThanOrEqual(0);
      expect(left).toBeLessThanOrEqual(WARMUP_DAYS);
      expect(warmupDaysLeft(endsAt, now + later)).toBeLessThanOrEqual(left);
      expect(left === 0).toBe(now >= endsAt);
    }),
  );
});

test('only campaigns still paused at the version the warm-up left them in are resumed', () => {
  const paused = [
    { id: 'untouched', version: 3 },
    { id: 'resumed-by-user', version: 2 },
    { id: 'resumed-and-paused-again', version: 5 },
    { id: 'gone', version: 1 },
  ];
  const now = [
    { id: 'untouched', status: 'paused', version: 3 },
    { id: 'resumed-by-user', status: 'active', version: 3 },
    { id: 'resumed-and-paused-again', status: 'paused', version: 7 },
    { id: 'paused-by-hand-before', status: 'paused', version: 2 },
  ];
  expect(campaignsToResume(paused, now)).toEqual(['untouched']);
});

test('campaignsToResume never resumes a campaign the warm-up did not pause', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ id: fc.string(), version: fc.nat(5) })),
      fc.array(fc.record({ id: fc.string(), status: fc.constantFrom('active', 'paused', 'draft'), version: fc.nat(5) })),
      (paused, now) => {
        for (const id of campaignsToResume(paused, now)) {
          expect(paused.some((campaign) => campaign.id === id)).toBe(true);
          expect(now.some((campaign) => campaign.id === id && campaign.status === 'paused')).toBe(true);
        }
      },
    ),
  );
});

test('the waiting reason names the address and the end', () => {
  expect(inboxWarmingUpReason('a@b.c', Date.parse('2026-03-16T09:00:00Z'))).toBe('inbox a@b.c is warming up until 2026-03-16T09:00:00.000Z');
});

test('a share link is valid for 24 hours, not a millisecond more, and never once revoked', () => {
  const createdAt = Date.parse('2026-03-02T09:00:00Z');
  const expiresAt = shareLinkExpiresAt(createdAt);
  expect(expiresAt - createdAt).toBe(SHARE_LINK_TTL_MS);
  expect(shareLinkValidity({ expiresAt, revokedAt: null }, createdAt)).toBe('valid');
  expect(shareLinkValidity({ expiresAt, revokedAt: null }, expiresAt - 1)).toBe('valid');
  expect(shareLinkValidity({ expiresAt, revokedAt: null }, expiresAt)).toBe('expired');
  expect(shareLinkValidity({ expiresAt, revokedAt: null }, expiresAt + 1000)).toBe('expired');
  expect(shareLinkValidity({ expiresAt, revokedAt: createdAt + 1 }, createdAt + 2)).toBe('revoked');
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: -DAY, max: 3 * DAY }), (created, offset) => {
      const validity = shareLinkValidity({ expiresAt: shareLinkExpiresAt(created), revokedAt: null }, created + offset);
      expect(validity === 'valid').toBe(offset < SHARE_LINK_TTL_MS);
    }),
  );
});

test('share tokens are 43 base64url characters', () => {
  expect(looksLikeShareToken('a'.repeat(43))).toBe(true);
  expect(looksLikeShareToken('a'.repeat(42))).toBe(false);
  expect(looksLikeShareToken(`${'a'.repeat(42)}=`)).toBe(false);
});
