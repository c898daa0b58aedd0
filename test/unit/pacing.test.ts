import { readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { IANAZone } from 'luxon';
import {
  type ActionKind,
  EMAIL_RATE,
  REINVITE_BLOCK_MS,
  chooseInbox,
  emailCapacity,
  isReinviteBlocked,
  localDateOf,
  localHourOf,
  nextActionAt,
  nextLocalHourStart,
  nextLocalMidnight,
  pruneSendHistory,
  reinviteBlockLiftsAt,
  remainingDailyBudget,
} from '../../domain/pacing';
import {
  WEEKDAYS,
  type WorkingHours,
  currentWindow,
  isWithinWorkingHours,
  nextWindowStart,
} from '../../domain/working-hours';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Instant from an ISO string with an explicit offset (never ambiguous, unlike a bare local time). */
const at = (isoWithOffset: string): number => {
  const ms = Date.parse(isoWithOffset);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${isoWithOffset}`);
  return ms;
};
const iso = (ms: number) => new Date(ms).toISOString();

/** Independent oracle: the zone's offset straight from luxon (no memo), in ms. */
const offsetOf = (zone: string, ms: number) => IANAZone.create(zone).offset(ms) * MINUTE_MS;
const localMs = (zone: string, ms: number) => ms + offsetOf(zone, ms);
const oracleDate = (zone: string, ms: number) => iso(localMs(zone, ms)).slice(0, 10);
/** Same local date, hour and offset <=> same clock hour (the offset splits a repeated hour). */
const oracleHour = (zone: string, ms: number) => `${iso(localMs(zone, ms)).slice(0, 13)}|${offsetOf(zone, ms)}`;

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const LORD_HOWE = 'Australia/Lord_Howe';
const KATHMANDU = 'Asia/Kathmandu';
const ZONES = [PARIS, NEW_YORK, LORD_HOWE, KATHMANDU] as const;
/** The 2026 offset transitions of ZONES (UTC instants). */
const TRANSITIONS_2026 = [
  '2026-03-29T01:00:00Z', // Paris spring forward, 02:00 -> 03:00
  '2026-10-25T01:00:00Z', // Paris fall back, 03:00 -> 02:00
  '2026-03-08T07:00:00Z', // New York spring forward, 02:00 -> 03:00
  '2026-11-01T06:00:00Z', // New York fall back, 02:00 -> 01:00
  '2026-04-04T15:00:00Z', // Lord Howe fall back 30 min, 02:00 -> 01:30 (2026-04-05 local)
  '2026-10-03T15:30:00Z', // Lord Howe spring forward 30 min, 02:00 -> 02:30 (2026-10-04 local)
].map(at);

describe('localDateOf', () => {
  it.each([
    [PARIS, '2026-03-28T22:59:59.999Z', '2026-03-28'],
    [PARIS, '2026-03-28T23:00:00Z', '2026-03-29'], // 00:00+01:00
    [PARIS, '2026-10-25T22:59:59.999Z', '2026-10-25'], // the 25-hour day ends at 00:00+01:00
    [NEW_YORK, '2026-11-01T04:59:59.999Z', '2026-11-01'],
    [NEW_YORK, '2026-11-02T04:59:59.999Z', '2026-11-01'],
    [NEW_YORK, '2026-11-02T05:00:00Z', '2026-11-02'],
    [LORD_HOWE, '2026-04-04T13:00:00Z', '2026-04-05'], // 00:00+11:00
    [KATHMANDU, '2026-06-30T18:14:59.999Z', '2026-06-30'],
    [KATHMANDU, '2026-06-30T18:15:00Z', '2026-07-01'], // 00:00+05:45
  ])('%s %s -> %s', (zone, instant, date) => {
    expect(localDateOf(at(instant), zone)).toBe(date);
  });

  it('throws a RangeError for an unknown zone or a non-finite instant', () => {
    expect(() => localDateOf(0, 'Mars/Olympus')).toThrow(RangeError);
    expect(() => localDateOf(Number.NaN, PARIS)).toThrow(RangeError);
  });
});

describe('localHourOf', () => {
  it.each([
    [PARIS, '2026-03-10T08:30:00Z', '2026-03-10T09'],
    [PARIS, '2026-03-29T00:59:59.999Z', '2026-03-29T01'], // spring forward: 02:xx never happens
    [PARIS, '2026-03-29T01:00:00Z', '2026-03-29T03'],
    [PARIS, '2026-10-24T23:30:00Z', '2026-10-25T01'],
    [PARIS, '2026-10-25T00:30:00Z', '2026-10-25T02+02:00'], // fall back: 02:xx twice
    [PARIS, '2026-10-25T01:30:00Z', '2026-10-25T02+01:00'],
    [PARIS, '2026-10-25T02:00:00Z', '2026-10-25T03'],
    [NEW_YORK, '2026-03-08T06:59:59.999Z', '2026-03-08T01'],
    [NEW_YORK, '2026-03-08T07:00:00Z', '2026-03-08T03'],
    [NEW_YORK, '2026-11-01T04:30:00Z', '2026-11-01T00'],
    [NEW_YORK, '2026-11-01T05:30:00Z', '2026-11-01T01-04:00'],
    [NEW_YORK, '2026-11-01T06:30:00Z', '2026-11-01T01-05:00'],
    [NEW_YORK, '2026-11-01T07:00:00Z', '2026-11-01T02'],
    [LORD_HOWE, '2026-04-04T13:59:59.999Z', '2026-04-05T00'],
    [LORD_HOWE, '2026-04-04T14:30:00Z', '2026-04-05T01+11:00'], // 01:30+11:00
    [LORD_HOWE, '2026-04-04T15:00:00Z', '2026-04-05T01+10:30'], // 01:30+10:30: the repeated half hour
    [LORD_HOWE, '2026-04-04T15:30:00Z', '2026-04-05T02'],
    [LORD_HOWE, '2026-10-03T15:29:59.999Z', '2026-10-04T01'], // 01:59:59.999+10:30
    [LORD_HOWE, '2026-10-03T15:30:00Z', '2026-10-04T02'], // 02:30+11:00
    [KATHMANDU, '2026-06-01T03:14:59.999Z', '2026-06-01T08'],
    [KATHMANDU, '2026-06-01T03:15:00Z', '2026-06-01T09'],
  ])('%s %s -> %s', (zone, instant, hour) => {
    expect(localHourOf(at(instant), zone)).toBe(hour);
  });
});

describe('nextLocalHourStart', () => {
  it.each([
    [KATHMANDU, '2026-06-01T03:00:00Z', '2026-06-01T03:15:00.000Z'],
    [KATHMANDU, '2026-06-01T03:15:00Z', '2026-06-01T04:15:00.000Z'], // strictly after
    [PARIS, '2026-03-29T00:30:00Z', '2026-03-29T01:00:00.000Z'], // 01:30+01:00 -> 03:00+02:00
    [PARIS, '2026-03-29T01:00:00Z', '2026-03-29T02:00:00.000Z'],
    [PARIS, '2026-10-25T00:30:00Z', '2026-10-25T01:00:00.000Z'], // first 02:xx -> second 02:00
    [PARIS, '2026-10-25T01:00:00Z', '2026-10-25T02:00:00.000Z'],
    [NEW_YORK, '2026-03-08T06:10:00Z', '2026-03-08T07:00:00.000Z'],
    [NEW_YORK, '2026-11-01T05:10:00Z', '2026-11-01T06:00:00.000Z'],
    [NEW_YORK, '2026-11-01T06:00:00Z', '2026-11-01T07:00:00.000Z'],
    [LORD_HOWE, '2026-04-04T14:10:00Z', '2026-04-04T15:00:00.000Z'], // 01:10+11:00 -> 01:30+10:30
    [LORD_HOWE, '2026-04-04T15:00:00Z', '2026-04-04T15:30:00.000Z'], // a 30-minute clock hour
    [LORD_HOWE, '2026-10-03T15:00:00Z', '2026-10-03T15:30:00.000Z'], // 01:30+10:30 -> 02:30+11:00
    [LORD_HOWE, '2026-10-03T15:30:00Z', '2026-10-03T16:00:00.000Z'], // 02:30 -> 03:00
  ])('%s %s -> %s', (zone, instant, next) => {
    expect(iso(nextLocalHourStart(at(instant), zone))).toBe(next);
  });
});

describe('nextLocalMidnight', () => {
  it.each([
    [PARIS, '2026-03-28T12:00:00Z', '2026-03-28T23:00:00.000Z'],
    [PARIS, '2026-03-28T23:00:00Z', '2026-03-29T22:00:00.000Z'], // at midnight: the next one (a 23-hour day)
    [PARIS, '2026-10-25T10:00:00Z', '2026-10-25T23:00:00.000Z'], // a 25-hour day from 2026-10-24T22:00Z
    [NEW_YORK, '2026-03-08T12:00:00Z', '2026-03-09T04:00:00.000Z'],
    [NEW_YORK, '2026-10-31T12:00:00Z', '2026-11-01T04:00:00.000Z'],
    [NEW_YORK, '2026-11-01T12:00:00Z', '2026-11-02T05:00:00.000Z'],
    [LORD_HOWE, '2026-04-04T13:00:00Z', '2026-04-05T13:30:00.000Z'], // 24.5 hours
    [LORD_HOWE, '2026-10-03T13:30:00Z', '2026-10-04T13:00:00.000Z'], // 23.5 hours
    [KATHMANDU, '2026-06-01T00:00:00Z', '2026-06-01T18:15:00.000Z'],
  ])('%s %s -> %s', (zone, instant, next) => {
    expect(iso(nextLocalMidnight(at(instant), zone))).toBe(next);
  });
});

describe('remainingDailyBudget', () => {
  it.each([
    [20, 0, 20],
    [20, 5, 15],
    [20, 20, 0],
    [20, 25, 0], // the limit was lowered below what was already done today
    [0, 0, 0],
  ])('limit %d, used %d -> %d', (limit, used, remaining) => {
    expect(remainingDailyBudget(limit, used)).toBe(remaining);
  });
});

describe('nextActionAt', () => {
  const now = at('2026-03-10T09:00:00+01:00');
  const windowEnd = now + HOUR_MS;

  it('is null with no budget left or no window left', () => {
    expect(nextActionAt({ now, windowEnd, remaining: 0, random: 0.5 })).toBeNull();
    expect(nextActionAt({ now, windowEnd, remaining: -2, random: 0.5 })).toBeNull();
    expect(nextActionAt({ now: windowEnd, windowEnd, remaining: 3, random: 0.5 })).toBeNull();
    expect(nextActionAt({ now: windowEnd + 1, windowEnd, remaining: 3, random: 0.5 })).toBeNull();
  });

  it('waits the average gap times 0.5 + random, so never acts at once at the window start', () => {
    // 4 actions over an hour: average gap 15 minutes.
    expect(nextActionAt({ now, windowEnd, remaining: 4, random: 0 })).toBe(now + 7.5 * MINUTE_MS);
    expect(nextActionAt({ now, windowEnd, remaining: 4, random: 0.5 })).toBe(now + 15 * MINUTE_MS);
    expect(nextActionAt({ now, windowEnd, remaining: 1, random: 0.25 })).toBe(now + 45 * MINUTE_MS);
  });

  it('never goes past windowEnd - 1 ms', () => {
    expect(nextActionAt({ now, windowEnd, remaining: 1, random: 0.5 })).toBe(windowEnd - 1);
    expect(nextActionAt({ now, windowEnd, remaining: 1, random: 0.99 })).toBe(windowEnd - 1);
    expect(nextActionAt({ now: windowEnd - 1, windowEnd, remaining: 10, random: 0.9 })).toBe(windowEnd - 1);
  });

  it('throws a RangeError for a random outside [0, 1) or a non-finite number', () => {
    for (const random of [1, -0.1, Number.NaN]) {
      expect(() => nextActionAt({ now, windowEnd, remaining: 1, random })).toThrow(RangeError);
    }
    expect(() => nextActionAt({ now: Number.NaN, windowEnd, remaining: 1, random: 0 })).toThrow(RangeError);
    expect(() => nextActionAt({ now, windowEnd: Infinity, remaining: 1, random: 0 })).toThrow(RangeError);
  });
});

describe('emailCapacity', () => {
  const recommended: { perDay: number; perHour: number } = {
    perDay: EMAIL_RATE.perDay.recommended,
    perHour: EMAIL_RATE.perHour.recommended,
  };
  const capacity = (sentAt: number[], now: number, timeZone = PARIS, rate = recommended) =>
    emailCapacity({ sentAt, now, timeZone, ...rate });
  /** Paris local times on 2026-03-10 (+01:00). */
  const paris = (time: string) => at(`2026-03-10T${time}+01:00`);
  const everyTenMinutes = (first: number, count: number) =>
    Array.from({ length: count }, (_, i) => first + i * 10 * MINUTE_MS);

  it('the SPEC rates', () => {
    expect(EMAIL_RATE).toEqual({ perDay: { recommended: 30, max: 80 }, perHour: { recommended: 5, max: 10 } });
  });

  it('hour cap: 5 sends at 10:00–10:40 block until 11:00 local, to the millisecond', () => {
    const sends = everyTenMinutes(paris('10:00'), 5);
    expect(capacity(sends, paris('10:59:59.999'))).toEqual({
      sentToday: 5,
      sentThisHour: 5,
      allowedNow: false,
      nextAllowedAt: paris('11:00'),
    });
    expect(capacity(sends, paris('11:00'))).toEqual({
      sentToday: 5,
      sentThisHour: 0,
      allowedNow: true,
      nextAllowedAt: paris('11:00'),
    });
  });

  it('counts sends in any order and ignores those of other days', () => {
    const sends = [...everyTenMinutes(paris('10:00'), 4), paris('09:59:59.999'), paris('00:00') - 1].reverse();
    expect(capacity(sends, paris('10:45'))).toMatchObject({ sentToday: 5, sentThisHour: 4, allowedNow: true });
  });

  it('day cap: 30 sends block until local midnight, which also starts a new hour', () => {
    const sends = Array.from({ length: 30 }, (_, i) => paris('09:00') + i * 12 * MINUTE_MS); // 5 an hour, 09:00–14:48
    expect(capacity(sends, paris('14:50'))).toEqual({
      sentToday: 30,
      sentThisHour: 5,
      allowedNow: false,
      nextAllowedAt: at('2026-03-11T00:00:00+01:00'), // not 15:00: the day cap would still bind
    });
    const midnight = at('2026-03-11T00:00:00+01:00');
    expect(capacity(sends, paris('16:00'))).toMatchObject({ allowedNow: false, nextAllowedAt: midnight });
    expect(capacity(sends, midnight)).toMatchObject({ sentToday: 0, sentThisHour: 0, allowedNow: true });
  });

  it('across midnight the day count resets and the hour cap still holds in the new day', () => {
    const evening = everyTenMinutes(paris('23:10'), 5); // the hour cap is reached at 23:50
    const midnight = at('2026-03-11T00:00:00+01:00');
    expect(capacity(evening, paris('23:59:59.999'))).toMatchObject({ allowedNow: false, nextAllowedAt: midnight });
    expect(capacity(evening, midnight)).toMatchObject({ sentToday: 0, sentThisHour: 0, allowedNow: true });

    const afterMidnight = [...evening, ...everyTenMinutes(midnight, 5)];
    expect(capacity(afterMidnight, at('2026-03-11T00:50:00+01:00'))).toEqual({
      sentToday: 5,
      sentThisHour: 5,
      allowedNow: false,
      nextAllowedAt: at('2026-03-11T01:00:00+01:00'),
    });
  });

  it('on a fall-back day each occurrence of the repeated hour is its own clock hour', () => {
    const firstOneAm = everyTenMinutes(at('2026-11-01T01:00:00-04:00'), 5);
    expect(capacity(firstOneAm, at('2026-11-01T01:59:00-04:00'), NEW_YORK)).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at('2026-11-01T01:00:00-05:00'),
    });
    expect(capacity(firstOneAm, at('2026-11-01T01:00:00-05:00'), NEW_YORK)).toMatchObject({
      sentToday: 5,
      sentThisHour: 0,
      allowedNow: true,
    });
  });

  it('Kathmandu clock hours start at :15 UTC', () => {
    const sends = everyTenMinutes(at('2026-06-01T03:15:00Z'), 5);
    expect(capacity(sends, at('2026-06-01T04:14:59.999Z'), KATHMANDU)).toMatchObject({
      allowedNow: false,
      nextAllowedAt: at('2026-06-01T04:15:00Z'),
    });
    expect(capacity(sends, at('2026-06-01T04:15:00Z'), KATHMANDU).allowedNow).toBe(true);
  });

  it('a cap of 0 never allows; caps must be whole numbers >= 0', () => {
    expect(capacity([], paris('10:00'), PARIS, { perDay: 0, perHour: 5 })).toMatchObject({
      allowedNow: false,
      nextAllowedAt: paris('00:00') + DAY_MS,
    });
    for (const rate of [{ perDay: -1, perHour: 5 }, { perDay: 30, perHour: 2.5 }, { perDay: Number.NaN, perHour: 5 }]) {
      expect(() => capacity([], paris('10:00'), PARIS, rate)).toThrow(RangeError);
    }
  });
});

describe('pruneSendHistory', () => {
  it('drops sends before the current local day, keeps the rest in order', () => {
    const midnight = at('2026-10-25T00:00:00+02:00');
    const sends = [midnight + 5 * HOUR_MS, midnight - 1, midnight, midnight - DAY_MS, midnight + 10 * HOUR_MS];
    expect(pruneSendHistory(sends, midnight + 12 * HOUR_MS, PARIS)).toEqual([
      midnight + 5 * HOUR_MS,
      midnight,
      midnight + 10 * HOUR_MS,
    ]);
  });

  it('never changes a later capacity answer', () => {
    const sends = Array.from({ length: 40 }, (_, i) => at('2026-10-24T20:00:00+02:00') + i * 17 * MINUTE_MS);
    const pruneAt = at('2026-10-25T03:30:00+01:00');
    const pruned = pruneSendHistory(sends, pruneAt, PARIS);
    expect(pruned.length).toBeLessThan(sends.length);
    for (let now = pruneAt; now < pruneAt + DAY_MS; now += 7 * MINUTE_MS) {
      const rate = { timeZone: PARIS, now, perDay: 30, perHour: 5 };
      expect(emailCapacity({ sentAt: pruned, ...rate })).toEqual(emailCapacity({ sentAt: sends, ...rate }));
    }
  });
});

describe('chooseInbox', () => {
  const inboxes = ['inbox-a', 'inbox-b', 'inbox-c'];
  const choose = (input: Partial<Parameters<typeof chooseInbox>[0]>) =>
    chooseInbox({ leadKey: 'lead-1', assignedInboxId: null, connectedInboxIds: inboxes, leadsPerInbox: {}, ...input });

  it('spreads 100 new leads over 3 inboxes: counts differ by at most 1', () => {
    const load: Record<string, number> = {};
    for (let lead = 0; lead < 100; lead++) {
      const choice = choose({ leadKey: `lead-${lead}`, leadsPerInbox: load });
      if (choice.kind !== 'inbox') throw new Error(`unexpected ${choice.kind}`);
      load[choice.inboxId] = (load[choice.inboxId] ?? 0) + 1;
    }
    expect(Object.values(load).sort()).toEqual([33, 33, 34]);
  });

  const inbox = (inboxId: string) => ({ kind: 'inbox', inboxId });

  it('picks the least-loaded inbox; ties go by the lead, the same way every time', () => {
    expect(choose({ leadsPerInbox: { 'inbox-a': 3, 'inbox-b': 2, 'inbox-c': 4 } })).toEqual(inbox('inbox-b'));
    expect(choose({ leadsPerInbox: { 'inbox-a': 3, 'inbox-b': 2 } })).toEqual(inbox('inbox-c')); // missing = 0
    const picks = Array.from({ length: 30 }, (_, i) => choose({ leadKey: `lead-${i}` }));
    expect(new Set(picks.map((pick) => JSON.stringify(pick))).size).toBe(3);
    expect(choose({})).toEqual(choose({}));
  });

  it('breaks ties with FNV-1a 32-bit of the lead key', () => {
    // Published FNV-1a 32 vectors: "a" -> 0xe40c292c, "foobar" -> 0xbf9cf968.
    const seven = Array.from({ length: 7 }, (_, i) => `inbox-${i}`);
    expect(choose({ leadKey: 'a', connectedInboxIds: seven })).toEqual(inbox(`inbox-${0xe40c292c % 7}`));
    expect(choose({ leadKey: 'foobar', connectedInboxIds: seven })).toEqual(inbox(`inbox-${0xbf9cf968 % 7}`));
  });

  it('reads only the loads given, even for an inbox id like "constructor"', () => {
    const choice = choose({ connectedInboxIds: ['constructor', 'valueOf'], leadsPerInbox: { valueOf: 1 } });
    expect(choice).toEqual(inbox('constructor'));
  });

  it('a lead keeps its inbox, whatever the loads', () => {
    expect(choose({ assignedInboxId: 'inbox-c', leadsPerInbox: { 'inbox-c': 99 } })).toEqual(inbox('inbox-c'));
  });

  it('a lead whose inbox is disconnected is not reassigned: the answer names that inbox', () => {
    const disconnected = { kind: 'inbox-disconnected', inboxId: 'inbox-z' };
    expect(choose({ assignedInboxId: 'inbox-z' })).toEqual(disconnected);
    expect(choose({ assignedInboxId: 'inbox-z', connectedInboxIds: [] })).toEqual(disconnected);
  });

  it('a new lead with no connected inbox: no-inbox', () => {
    expect(choose({ connectedInboxIds: [] })).toEqual({ kind: 'no-inbox' });
  });
});

describe('re-invite block', () => {
  const withdrawnAt = at('2026-03-07T14:23:45.678Z');

  it('lasts exactly 21 × 24 h, to the millisecond', () => {
    expect(REINVITE_BLOCK_MS).toBe(1_814_400_000);
    expect(reinviteBlockLiftsAt(withdrawnAt)).toBe(at('2026-03-28T14:23:45.678Z'));
    expect(isReinviteBlocked(withdrawnAt, withdrawnAt)).toBe(true);
    expect(isReinviteBlocked(withdrawnAt, withdrawnAt + REINVITE_BLOCK_MS - 1)).toBe(true);
    expect(isReinviteBlocked(withdrawnAt, withdrawnAt + REINVITE_BLOCK_MS)).toBe(false);
  });

  it('is a duration: across a DST change the local time it lifts moves by the shift', () => {
    const parisWithdrawal = at('2026-03-20T10:00:00+01:00');
    expect(reinviteBlockLiftsAt(parisWithdrawal)).toBe(at('2026-04-10T11:00:00+02:00'));
  });
});

describe('workflow safety', () => {
  it('module source uses no clock, randomness, or Node built-ins', () => {
    const source = readFileSync(join(__dirname, '../../domain/pacing.ts'), 'utf8');
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may mention them
    expect(code).not.toMatch(/Date\.now|new Date\(\s*\)|Math\.random|performance\.|process\./);
    const imports = [...code.matchAll(/from\s+'([^']+)'/g)].map((match) => match[1]);
    expect(imports).toEqual(['luxon']);
  });
});

describe('properties', () => {
  const RUNS = { numRuns: 250 };
  const SIMULATION_RUNS = { numRuns: 200 };
  const YEAR_START = Date.UTC(2026, 0, 1);
  const YEAR_END = Date.UTC(2027, 0, 1);

  const zoneArb = fc.constantFrom(...ZONES);
  const nearTransition = (maxMinutesBefore: number, maxMinutesAfter: number) =>
    fc
      .tuple(fc.constantFrom(...TRANSITIONS_2026), fc.integer({ min: -maxMinutesBefore, max: maxMinutesAfter }))
      .map(([transition, minutes]) => transition + minutes * MINUTE_MS);
  const clock = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
  // Clock times near the 01:00–03:00 transitions and the day edges are the interesting ones.
  const clockMinute = fc.oneof(
    fc.integer({ min: 0, max: 1440 }),
    fc.constantFrom(0, 60, 90, 105, 120, 135, 150, 165, 180, 210, 540, 1080, 1440),
  );
  const workingHoursArb: fc.Arbitrary<WorkingHours> = fc
    .record({
      timeZone: zoneArb,
      days: fc.shuffledSubarray([...WEEKDAYS], { minLength: 1 }),
      bounds: fc.uniqueArray(clockMinute, { minLength: 2, maxLength: 2 }),
    })
    .map(({ timeZone, days, bounds }) => {
      const [start, end] = [...bounds].sort((a, b) => a - b) as [number, number];
      return { timeZone, days, start: clock(start), end: clock(end) };
    });
  const randomArb = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  describe('(1) a greedy scheduler built from these functions keeps every rule', () => {
    interface Scenario {
      hours: WorkingHours;
      start: number;
      days: number;
      kind: ActionKind;
      dailyLimit: number;
      likesOptedOut: boolean;
      perDay: number;
      perHour: number;
      randoms: number[];
    }
    const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
      hours: workingHoursArb,
      // Starts in 2026, half of them in the week before a DST change so the run crosses it.
      start: fc.oneof(fc.integer({ min: YEAR_START, max: YEAR_END - 1 }), nearTransition(7 * 24 * 60, 0)),
      days: fc.integer({ min: 5, max: 10 }),
      // Kinds never share a budget, so each run paces one kind: the same rules, a fifth of the work.
      kind: fc.constantFrom<ActionKind>('connectionRequest', 'message', 'scrape', 'like', 'email'),
      dailyLimit: fc.integer({ min: 0, max: 60 }),
      likesOptedOut: fc.boolean(),
      perDay: fc.integer({ min: 1, max: EMAIL_RATE.perDay.max }),
      perHour: fc.integer({ min: 1, max: EMAIL_RATE.perHour.max }),
      randoms: fc.array(randomArb, { minLength: 1, maxLength: 32 }),
    });

    const randomSource = (randoms: number[]) => {
      let next = 0;
      return () => randoms[next++ % randoms.length]!;
    };

    /** LinkedIn kinds: a daily budget per local day (likes: 0 when opted out). */
    const simulateDailyBudget = (scenario: Scenario, end: number): number[] => {
      const { hours, start } = scenario;
      const limit = scenario.kind === 'like' && scenario.likesOptedOut ? 0 : scenario.dailyLimit;
      const random = randomSource(scenario.randoms);
      const usedOn = new Map<string, number>();
      const done: number[] = [];
      let now = start;
      while (now < end) {
        const window = currentWindow(hours, now);
        if (!window) {
          now = nextWindowStart(hours, now);
          continue;
        }
        const today = localDateOf(now, hours.timeZone);
        const remaining = remainingDailyBudget(limit, usedOn.get(today) ?? 0);
        const actAt = nextActionAt({ now, windowEnd: window.end, remaining, random: random() });
        if (actAt === null) {
          now = window.end;
          continue;
        }
        const actionDay = localDateOf(actAt, hours.timeZone);
        usedOn.set(actionDay, (usedOn.get(actionDay) ?? 0) + 1);
        done.push(actAt);
        now = actAt;
      }
      return done;
    };

    /** Sends the hour cap still allows before windowEnd: what is left this hour, then perHour an hour. */
    const emailSlotsBefore = (now: number, windowEnd: number, timeZone: string, perHour: number, leftNow: number) => {
      let slots = leftNow;
      for (let hour = nextLocalHourStart(now, timeZone); hour < windowEnd; hour = nextLocalHourStart(hour, timeZone)) {
        slots += perHour;
      }
      return slots;
    };

    /** One inbox: sends paced over the window, each checked against both caps at its own instant. */
    const simulateEmail = (scenario: Scenario, end: number): number[] => {
      const { hours, start, perDay, perHour } = scenario;
      const timeZone = hours.timeZone;
      const random = randomSource(scenario.randoms);
      const sent: number[] = [];
      let history: number[] = [];
      let now = start;
      while (now < end) {
        const window = currentWindow(hours, now);
        if (!window) {
          now = nextWindowStart(hours, now);
          continue;
        }
        const capacity = emailCapacity({ sentAt: history, now, timeZone, perDay, perHour });
        if (!capacity.allowedNow) {
          now = capacity.nextAllowedAt;
          continue;
        }
        const remaining = Math.min(
          remainingDailyBudget(perDay, capacity.sentToday),
          emailSlotsBefore(now, window.end, timeZone, perHour, perHour - capacity.sentThisHour),
        );
        const sendAt = nextActionAt({ now, windowEnd: window.end, remaining, random: random() });
        if (sendAt === null) {
          now = window.end;
          continue;
        }
        const atSend = emailCapacity({ sentAt: history, now: sendAt, timeZone, perDay, perHour });
        if (!atSend.allowedNow) {
          now = atSend.nextAllowedAt;
          continue;
        }
        sent.push(sendAt);
        history = pruneSendHistory([...history, sendAt], sendAt, timeZone);
        now = sendAt;
      }
      return sent;
    };

    const groupBy = (actions: number[], keyOf: (action: number) => string) => {
      const groups = new Map<string, number[]>();
      for (const action of actions) {
        const key = keyOf(action);
        const group = groups.get(key);
        if (group) group.push(action);
        else groups.set(key, [action]);
      }
      return [...groups.values()];
    };
    const largest = (groups: number[][]) => Math.max(0, ...groups.map((group) => group.length));

    it('never outside working hours, within the day and hour caps, and spread over each window', () => {
      fc.assert(
        fc.property(scenarioArb, (scenario) => {
          const { hours, start } = scenario;
          const zone = hours.timeZone;
          const end = start + scenario.days * DAY_MS;
          const actions = scenario.kind === 'email' ? simulateEmail(scenario, end) : simulateDailyBudget(scenario, end);

          // One expect per run, not per action: expect() costs more than the simulation itself.
          expect(actions.filter((action) => !isWithinWorkingHours(hours, action)).map(iso)).toEqual([]);
          const byDate = groupBy(actions, (action) => oracleDate(zone, action));
          const perLocalDay = largest(byDate);
          if (scenario.kind === 'email') {
            expect(perLocalDay).toBeLessThanOrEqual(scenario.perDay);
            const perClockHour = largest(groupBy(actions, (action) => oracleHour(zone, action)));
            expect(perClockHour).toBeLessThanOrEqual(scenario.perHour);
          } else if (scenario.kind === 'like' && scenario.likesOptedOut) {
            expect(actions).toEqual([]);
          } else {
            expect(perLocalDay).toBeLessThanOrEqual(scenario.dailyLimit);
          }

          // Not a burst: in each window simulated to its end, with >= 5 actions, not all in its first 10%.
          // Each of these zones' windows lies within one local date, so the actions of a date share one.
          const bursts = byDate.filter((sameDay) => {
            const window = currentWindow(hours, sameDay[0]!)!;
            const from = Math.max(window.start, start);
            return sameDay.length >= 5 && window.end <= end && Math.max(...sameDay) - from < 0.1 * (window.end - from);
          });
          expect(bursts).toEqual([]);
        }),
        SIMULATION_RUNS,
      );
    });
  });

  it('(2) nextActionAt is in [now, windowEnd), and null exactly when nothing is left', () => {
    const instant = fc.integer({ min: YEAR_START, max: YEAR_END });
    fc.assert(
      fc.property(
        instant,
        fc.oneof(fc.integer({ min: -DAY_MS, max: DAY_MS }), fc.integer({ min: -3, max: 3 })),
        fc.oneof(fc.integer({ min: -3, max: 200 }), fc.double({ min: -1, max: 50, noNaN: true })),
        randomArb,
        (now, length, remaining, random) => {
          const windowEnd = now + length;
          const next = nextActionAt({ now, windowEnd, remaining, random });
          if (remaining <= 0 || now >= windowEnd) {
            expect(next).toBeNull();
            return;
          }
          expect(next).not.toBeNull();
          expect(Number.isInteger(next)).toBe(true);
          expect(next!).toBeGreaterThanOrEqual(now);
          expect(next!).toBeLessThan(windowEnd);
          // Within [0.5, 1.5] × the average gap, unless clamped to the window's last millisecond.
          const averageGap = (windowEnd - now) / remaining;
          if (next! < windowEnd - 1) {
            expect(next! - now).toBeGreaterThanOrEqual(Math.floor(0.5 * averageGap));
            expect(next! - now).toBeLessThanOrEqual(1.5 * averageGap);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  describe('(3) chooseInbox', () => {
    const inboxIdsArb = fc.uniqueArray(fc.string({ minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 8 });
    // Any UTF-16 code units, lone surrogates included.
    const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit));
    const leadKeyArb = fc.string({ unit: codeUnit, maxLength: 12 });
    const fnv1aOfUtf8 = (text: string) => {
      let hash = 0x811c9dc5;
      for (const byte of new TextEncoder().encode(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
      return hash;
    };

    it('new lead: a least-loaded connected inbox, ties by FNV-1a of the UTF-8 key; assigned: kept or named', () => {
      fc.assert(
        fc.property(
          inboxIdsArb,
          leadKeyArb,
          fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }), fc.nat({ max: 3 })),
          fc.option(fc.string({ minLength: 1, maxLength: 8 })),
          (connectedInboxIds, leadKey, leadsPerInbox, assignedInboxId) => {
            const choice = chooseInbox({ leadKey, assignedInboxId, connectedInboxIds, leadsPerInbox });
            if (assignedInboxId !== null) {
              const kind = connectedInboxIds.includes(assignedInboxId) ? 'inbox' : 'inbox-disconnected';
              expect(choice).toEqual({ kind, inboxId: assignedInboxId });
              return;
            }
            const load = (inboxId: string) => (Object.hasOwn(leadsPerInbox, inboxId) ? leadsPerInbox[inboxId]! : 0);
            const minimum = Math.min(...connectedInboxIds.map(load));
            const lightest = connectedInboxIds.filter((inboxId) => load(inboxId) === minimum);
            expect(choice).toEqual({ kind: 'inbox', inboxId: lightest[fnv1aOfUtf8(leadKey) % lightest.length] });
          },
        ),
        RUNS,
      );
    });

    it('after assigning N new leads one by one, loads differ by at most 1', () => {
      fc.assert(
        fc.property(inboxIdsArb, fc.nat({ max: 200 }), fc.string({ maxLength: 6 }), (connectedInboxIds, n, tag) => {
          const load: Record<string, number> = Object.create(null) as Record<string, number>; // ids like "valueOf"
          const chosen: string[] = [];
          for (let lead = 0; lead < n; lead++) {
            const leadKey = `${tag}${lead}`;
            const choice = chooseInbox({ leadKey, assignedInboxId: null, connectedInboxIds, leadsPerInbox: load });
            if (choice.kind !== 'inbox') throw new Error(`unexpected ${choice.kind}`);
            chosen.push(choice.inboxId);
            load[choice.inboxId] = (load[choice.inboxId] ?? 0) + 1;
          }
          expect(chosen.filter((inboxId) => !connectedInboxIds.includes(inboxId))).toEqual([]);
          const loads = connectedInboxIds.map((inboxId) => load[inboxId] ?? 0);
          expect(Math.max(...loads) - Math.min(...loads)).toBeLessThanOrEqual(1);
        }),
        RUNS,
      );
    });
  });

  it('(4) local dates, clock hours and their boundaries agree with luxon offsets, DST days included', () => {
    const instantArb = fc.oneof(
      fc.integer({ min: YEAR_START, max: YEAR_END - 1 }),
      nearTransition(2 * 24 * 60, 2 * 24 * 60),
      nearTransition(3 * 60, 3 * 60).map((ms) => ms - 1),
    );
    /** Whether the local date-hour of `ms` is also read under another offset within 2 hours. */
    const hourHappensTwice = (zone: string, ms: number) =>
      Array.from({ length: 17 }, (_, i) => ms + (i - 8) * 15 * MINUTE_MS).some((probe) => {
        const sameLocalHour = iso(localMs(zone, probe)).slice(0, 13) === iso(localMs(zone, ms)).slice(0, 13);
        return sameLocalHour && offsetOf(zone, probe) !== offsetOf(zone, ms);
      });
    fc.assert(
      fc.property(zoneArb, instantArb, (zone, instant) => {
        expect(localDateOf(instant, zone)).toBe(oracleDate(zone, instant));
        const label = localHourOf(instant, zone);
        expect(label.slice(0, 13)).toBe(iso(localMs(zone, instant)).slice(0, 13));
        expect(label.length > 13).toBe(hourHappensTwice(zone, instant));

        const hourEnd = nextLocalHourStart(instant, zone);
        expect(hourEnd).toBeGreaterThan(instant);
        expect(hourEnd - instant).toBeLessThanOrEqual(HOUR_MS);
        expect(oracleHour(zone, hourEnd - 1)).toBe(oracleHour(zone, instant));
        expect(oracleHour(zone, hourEnd)).not.toBe(oracleHour(zone, instant));
        expect(localHourOf(hourEnd - 1, zone)).toBe(label);
        expect(localHourOf(hourEnd, zone)).not.toBe(label);
        expect(localMs(zone, hourEnd) % (30 * MINUTE_MS)).toBe(0); // on the hour, or :30 after Lord Howe's fall-back

        const midnight = nextLocalMidnight(instant, zone);
        expect(midnight).toBeGreaterThan(instant);
        expect(midnight - instant).toBeLessThanOrEqual(25 * HOUR_MS);
        expect(oracleDate(zone, midnight - 1)).toBe(oracleDate(zone, instant));
        expect(localMs(zone, midnight) % DAY_MS).toBe(0); // these zones' midnights all exist
        expect(nextLocalHourStart(midnight - 1, zone)).toBe(midnight);
      }),
      { numRuns: 300 },
    );
  });
});
