import { readFileSync } from 'fs';
import { join } from 'path';
import fc from 'fast-check';
import { DateTime, IANAZone, Settings } from 'luxon';
import {
  WEEKDAYS,
  type Weekday,
  type WorkingHours,
  canonicalTimeZone,
  currentWindow,
  isValidTimeZone,
  isWithinWorkingHours,
  nextWindowStart,
  parseClockTime,
  windowOnLocalDate,
  workingHoursProblems,
} from '../../domain/working-hours';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const WEEKDAYS_MON_FRI: Weekday[] = ['MON', 'TUE', 'WED', 'THU', 'FRI'];
const EVERY_DAY: Weekday[] = [...WEEKDAYS];

/** Instant from an ISO string with an explicit offset (never ambiguous, unlike a bare local time). */
const at = (isoWithOffset: string): number => {
  const ms = Date.parse(isoWithOffset);
  if (Number.isNaN(ms)) throw new Error(`bad test instant ${isoWithOffset}`);
  return ms;
};
/** Instant rendered as local ISO with offset in `zone`; luxon's fromMillis is unambiguous. */
const localIso = (ms: number, zone: string): string =>
  DateTime.fromMillis(ms, { zone }).toISO({ suppressMilliseconds: true }) ?? 'invalid';
const windowIso = (window: { start: number; end: number } | null, zone: string) =>
  window && { start: localIso(window.start, zone), end: localIso(window.end, zone) };

describe('parseClockTime', () => {
  it.each([
    ['00:00', 0],
    ['09:00', 540],
    ['23:59', 1439],
    ['24:00', 1440],
  ])('%s -> %d minutes', (value, minutes) => {
    expect(parseClockTime(value)).toBe(minutes);
  });

  it.each(['9:00', '24:01', '12:60', 'aa', '', '09:00:00', ' 09:00', '25:00', '-1:00', '0900', '09h00'])(
    'rejects %j',
    (value) => {
      expect(parseClockTime(value)).toBeNull();
    },
  );
});

describe('isValidTimeZone', () => {
  it('accepts IANA zone names', () => {
    for (const zone of ['Europe/Paris', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'UTC']) {
      expect(isValidTimeZone(zone)).toBe(true);
    }
  });

  it('rejects unknown names, empty strings and offsets', () => {
    for (const zone of ['Mars/Olympus', '', '+05:00', 'Europe/Pariss']) {
      expect(isValidTimeZone(zone)).toBe(false);
    }
  });
});

describe('canonicalTimeZone', () => {
  it("gives IANA's spelling, the same on every call, and null for what is no zone", () => {
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('europe/paris')).toBe('Europe/Paris');
    expect(canonicalTimeZone('AMERICA/NEW_YORK')).toBe('America/New_York');
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull();
    expect(canonicalTimeZone('Mars/Olympus')).toBeNull();
  });

  it('agrees with luxon on every name it accepts or refuses', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...Intl.supportedValuesOf('timeZone')), fc.string({ maxLength: 12 })), (zone) => {
        expect(canonicalTimeZone(zone) !== null).toBe(IANAZone.isValidZone(zone));
      }),
    );
  });
});

describe('workingHoursProblems', () => {
  const valid: WorkingHours = { timeZone: 'Europe/Paris', days: WEEKDAYS_MON_FRI, start: '09:00', end: '18:00' };
  const fieldsOf = (hours: WorkingHours) => workingHoursProblems(hours).map((problem) => problem.field);

  it('is empty for valid hours, including a full day ending at 24:00', () => {
    expect(workingHoursProblems(valid)).toEqual([]);
    expect(workingHoursProblems({ ...valid, start: '00:00', end: '24:00' })).toEqual([]);
  });

  it('names timeZone for an unknown zone', () => {
    expect(workingHoursProblems({ ...valid, timeZone: 'Mars/Olympus' })).toEqual([
      { field: 'timeZone', message: expect.stringContaining('Mars/Olympus') },
    ]);
  });

  it('names days when empty, duplicated or unknown', () => {
    expect(fieldsOf({ ...valid, days: [] })).toEqual(['days']);
    expect(workingHoursProblems({ ...valid, days: ['MON', 'TUE', 'MON'] })).toEqual([
      { field: 'days', message: expect.stringContaining('duplicate day "MON"') },
    ]);
    expect(workingHoursProblems({ ...valid, days: ['MON', 'FUNDAY' as Weekday] })).toEqual([
      { field: 'days', message: expect.stringContaining('unknown day "FUNDAY"') },
    ]);
  });

  it('names start and end for bad formats', () => {
    expect(fieldsOf({ ...valid, start: '9:00' })).toEqual(['start']);
    expect(fieldsOf({ ...valid, start: '24:00' })).toEqual(['start']);
    expect(fieldsOf({ ...valid, end: '18:60' })).toEqual(['end']);
    expect(fieldsOf({ ...valid, end: '24:01' })).toEqual(['end']);
    expect(fieldsOf({ ...valid, start: 'aa', end: 'bb' })).toEqual(['start', 'end']);
  });

  it('names end when end <= start and says overnight windows are not supported', () => {
    for (const [start, end] of [
      ['18:00', '09:00'],
      ['09:00', '09:00'],
      ['22:00', '00:00'],
    ]) {
      const problems = workingHoursProblems({ ...valid, start: start!, end: end! });
      expect(problems).toEqual([{ field: 'end', message: expect.stringMatching(/after start.*overnight/) }]);
    }
  });

  it('reports every problem at once', () => {
    const problems = workingHoursProblems({ timeZone: '', days: [], start: 'x', end: 'y' });
    expect(problems.map((problem) => problem.field)).toEqual(['timeZone', 'days', 'start', 'end']);
  });
});

describe('invalid input to the window functions', () => {
  const valid: WorkingHours = { timeZone: 'Europe/Paris', days: WEEKDAYS_MON_FRI, start: '09:00', end: '18:00' };
  const instant = at('2026-11-25T10:00:00+01:00');

  it.each<[string, WorkingHours]>([
    ['timeZone', { ...valid, timeZone: 'Mars/Olympus' }],
    ['days', { ...valid, days: [] }],
    ['days', { ...valid, days: ['MON', 'MON'] }],
    ['end', { ...valid, end: '08:00' }],
  ])('throws a RangeError naming %s', (field, hours) => {
    for (const call of [
      () => nextWindowStart(hours, instant),
      () => currentWindow(hours, instant),
      () => isWithinWorkingHours(hours, instant),
      () => windowOnLocalDate(hours, '2026-11-25'),
    ]) {
      expect(call).toThrow(RangeError);
      expect(call).toThrow(new RegExp(`${field}:`));
    }
  });

  it('rejects a non-finite instant', () => {
    expect(() => nextWindowStart(valid, NaN)).toThrow(RangeError);
    expect(() => currentWindow(valid, Infinity)).toThrow(RangeError);
  });

  it.each(['2026-02-30', '2026-13-01', '26-11-25', '2026-11-25T00:00', ''])('rejects local date %j', (isoDate) => {
    expect(() => windowOnLocalDate(valid, isoDate)).toThrow(RangeError);
  });
});

describe('Mon–Fri 09:00–18:00 Europe/Paris', () => {
  const zone = 'Europe/Paris';
  const hours: WorkingHours = { timeZone: zone, days: WEEKDAYS_MON_FRI, start: '09:00', end: '18:00' };

  it('Friday 18:30 is outside; the next window starts Monday 09:00', () => {
    const fridayEvening = at('2026-11-27T18:30:00+01:00');
    expect(isWithinWorkingHours(hours, fridayEvening)).toBe(false);
    expect(currentWindow(hours, fridayEvening)).toBeNull();
    expect(localIso(nextWindowStart(hours, fridayEvening), zone)).toBe('2026-11-30T09:00:00+01:00');
  });

  it('Wednesday 10:00 is inside today’s 09:00–18:00 window; next start is Thursday 09:00', () => {
    const wednesdayMorning = at('2026-11-25T10:00:00+01:00');
    expect(isWithinWorkingHours(hours, wednesdayMorning)).toBe(true);
    expect(windowIso(currentWindow(hours, wednesdayMorning), zone)).toEqual({
      start: '2026-11-25T09:00:00+01:00',
      end: '2026-11-25T18:00:00+01:00',
    });
    expect(localIso(nextWindowStart(hours, wednesdayMorning), zone)).toBe('2026-11-26T09:00:00+01:00');
  });

  it('is half-open: 09:00 exactly is inside, 18:00 exactly is outside', () => {
    const nine = at('2026-11-25T09:00:00+01:00');
    const six = at('2026-11-25T18:00:00+01:00');
    expect(isWithinWorkingHours(hours, nine)).toBe(true);
    expect(isWithinWorkingHours(hours, nine - 1)).toBe(false);
    expect(isWithinWorkingHours(hours, six - 1)).toBe(true);
    expect(isWithinWorkingHours(hours, six)).toBe(false);
    // Exactly at a start, the next start is the following day's, not this one.
    expect(localIso(nextWindowStart(hours, nine), zone)).toBe('2026-11-26T09:00:00+01:00');
    expect(nextWindowStart(hours, nine - 1)).toBe(nine);
  });

  it('has no window on weekends', () => {
    expect(windowOnLocalDate(hours, '2026-11-28')).toBeNull();
    expect(windowOnLocalDate(hours, '2026-11-29')).toBeNull();
  });
});

describe('DST: Europe/Paris', () => {
  const zone = 'Europe/Paris';

  it('spring forward (Sun 2026-03-29): 09:00 stays 09:00 local while the offset goes +01:00 -> +02:00', () => {
    const hours: WorkingHours = { timeZone: zone, days: EVERY_DAY, start: '09:00', end: '18:00' };
    expect(windowIso(windowOnLocalDate(hours, '2026-03-27'), zone)).toEqual({
      start: '2026-03-27T09:00:00+01:00',
      end: '2026-03-27T18:00:00+01:00',
    });
    expect(windowIso(windowOnLocalDate(hours, '2026-03-29'), zone)).toEqual({
      start: '2026-03-29T09:00:00+02:00',
      end: '2026-03-29T18:00:00+02:00',
    });
    expect(windowIso(windowOnLocalDate(hours, '2026-03-30'), zone)).toEqual({
      start: '2026-03-30T09:00:00+02:00',
      end: '2026-03-30T18:00:00+02:00',
    });
    expect(localIso(nextWindowStart(hours, at('2026-03-28T12:00:00+01:00')), zone)).toBe('2026-03-29T09:00:00+02:00');
  });

  it('spring forward, Mon–Fri: from Friday evening the next start is Monday 09:00 +02:00', () => {
    const hours: WorkingHours = { timeZone: zone, days: WEEKDAYS_MON_FRI, start: '09:00', end: '18:00' };
    const next = nextWindowStart(hours, at('2026-03-27T18:30:00+01:00'));
    expect(localIso(next, zone)).toBe('2026-03-30T09:00:00+02:00');
    expect(next).toBe(at('2026-03-30T07:00:00Z'));
  });

  it('spring forward: a full day is 23h, and 02:30 (in the gap) moves forward to 03:30', () => {
    const fullDay = windowOnLocalDate({ timeZone: zone, days: ['SUN'], start: '00:00', end: '24:00' }, '2026-03-29');
    expect(windowIso(fullDay, zone)).toEqual({ start: '2026-03-29T00:00:00+01:00', end: '2026-03-30T00:00:00+02:00' });
    expect(fullDay!.end - fullDay!.start).toBe(23 * HOUR_MS);

    const fromGap = windowOnLocalDate({ timeZone: zone, days: ['SUN'], start: '02:30', end: '10:00' }, '2026-03-29');
    expect(windowIso(fromGap, zone)).toEqual({ start: '2026-03-29T03:30:00+02:00', end: '2026-03-29T10:00:00+02:00' });
    expect(fromGap!.start).toBe(at('2026-03-29T01:30:00Z'));
  });

  it('fall back (Sun 2026-10-25): 09:00 stays 09:00, a full day is 25h, 02:30 is its first occurrence (+02:00)', () => {
    const hours: WorkingHours = { timeZone: zone, days: EVERY_DAY, start: '09:00', end: '18:00' };
    expect(windowIso(windowOnLocalDate(hours, '2026-10-24'), zone)).toEqual({
      start: '2026-10-24T09:00:00+02:00',
      end: '2026-10-24T18:00:00+02:00',
    });
    expect(windowIso(windowOnLocalDate(hours, '2026-10-25'), zone)).toEqual({
      start: '2026-10-25T09:00:00+01:00',
      end: '2026-10-25T18:00:00+01:00',
    });

    const fullDay = windowOnLocalDate({ ...hours, start: '00:00', end: '24:00' }, '2026-10-25');
    expect(fullDay!.end - fullDay!.start).toBe(25 * HOUR_MS);

    const fromOverlap = windowOnLocalDate({ ...hours, start: '02:30', end: '10:00' }, '2026-10-25');
    expect(localIso(fromOverlap!.start, zone)).toBe('2026-10-25T02:30:00+02:00');
    expect(fromOverlap!.start).toBe(at('2026-10-25T00:30:00Z'));
    // 00:30Z and 01:30Z both read 02:30 local; both are inside since the window started at the first.
    expect(isWithinWorkingHours({ ...hours, start: '02:30', end: '10:00' }, at('2026-10-25T01:30:00Z'))).toBe(true);
  });
});

describe('DST: America/New_York, window 01:30–03:30', () => {
  const zone = 'America/New_York';
  const hours: WorkingHours = { timeZone: zone, days: EVERY_DAY, start: '01:30', end: '03:30' };

  it('spring forward (2026-03-08, 02:00 -> 03:00): window is 01:30 EST – 03:30 EDT, one real hour', () => {
    const window = windowOnLocalDate(hours, '2026-03-08')!;
    expect(window).toEqual({ start: at('2026-03-08T06:30:00Z'), end: at('2026-03-08T07:30:00Z') });
    expect(windowIso(window, zone)).toEqual({ start: '2026-03-08T01:30:00-05:00', end: '2026-03-08T03:30:00-04:00' });
    expect(currentWindow(hours, at('2026-03-08T07:00:00Z'))).toEqual(window); // 03:00 EDT
    expect(isWithinWorkingHours(hours, at('2026-03-08T07:30:00Z'))).toBe(false);
  });

  it('spring forward: bounds inside the gap move forward by the gap (02:15–02:45 -> 03:15–03:45 EDT)', () => {
    const window = windowOnLocalDate({ ...hours, start: '02:15', end: '02:45' }, '2026-03-08');
    expect(window).toEqual({ start: at('2026-03-08T07:15:00Z'), end: at('2026-03-08T07:45:00Z') });
    expect(windowIso(window, zone)).toEqual({ start: '2026-03-08T03:15:00-04:00', end: '2026-03-08T03:45:00-04:00' });
  });

  it('spring forward: a window collapsed by the gap (02:30–03:00) does not exist that day and is skipped', () => {
    const collapsing: WorkingHours = { ...hours, start: '02:30', end: '03:00' };
    expect(windowOnLocalDate(collapsing, '2026-03-08')).toBeNull(); // 03:30 EDT .. 03:00 EDT
    expect(windowOnLocalDate(collapsing, '2026-03-07')).toEqual({
      start: at('2026-03-07T07:30:00Z'),
      end: at('2026-03-07T08:00:00Z'),
    });
    expect(localIso(nextWindowStart(collapsing, at('2026-03-07T12:00:00Z')), zone)).toBe('2026-03-09T02:30:00-04:00');
  });

  it('fall back (2026-11-01, 02:00 -> 01:00): window is first 01:30 (EDT) – 03:30 EST, three real hours', () => {
    const window = windowOnLocalDate(hours, '2026-11-01')!;
    expect(window).toEqual({ start: at('2026-11-01T05:30:00Z'), end: at('2026-11-01T08:30:00Z') });
    expect(windowIso(window, zone)).toEqual({ start: '2026-11-01T01:30:00-04:00', end: '2026-11-01T03:30:00-05:00' });
    // The second 01:30 (EST) is inside the same window.
    expect(currentWindow(hours, at('2026-11-01T06:30:00Z'))).toEqual(window);
    expect(localIso(nextWindowStart(hours, at('2026-11-01T05:00:00Z')), zone)).toBe('2026-11-01T01:30:00-04:00');
  });

  it('fall back: an end inside the overlap is its first occurrence too (00:30–01:30 ends at 01:30 EDT)', () => {
    const window = windowOnLocalDate({ ...hours, start: '00:30', end: '01:30' }, '2026-11-01');
    expect(window).toEqual({ start: at('2026-11-01T04:30:00Z'), end: at('2026-11-01T05:30:00Z') });
    expect(isWithinWorkingHours({ ...hours, start: '00:30', end: '01:30' }, at('2026-11-01T06:00:00Z'))).toBe(false);
  });
});

describe('DST: Australia/Lord_Howe (30-minute shift, +11:00 <-> +10:30)', () => {
  const zone = 'Australia/Lord_Howe';

  it('fall back (2026-04-05, 02:00 -> 01:30): 01:45 is its first occurrence (+11:00)', () => {
    const hours: WorkingHours = { timeZone: zone, days: ['SUN'], start: '01:45', end: '09:00' };
    const window = windowOnLocalDate(hours, '2026-04-05')!;
    expect(window).toEqual({ start: at('2026-04-04T14:45:00Z'), end: at('2026-04-04T22:30:00Z') });
    expect(windowIso(window, zone)).toEqual({ start: '2026-04-05T01:45:00+11:00', end: '2026-04-05T09:00:00+10:30' });
    expect(window.end - window.start).toBe(7 * HOUR_MS + 45 * MINUTE_MS); // 7h15 of wall clock + 30 min
  });

  it('spring forward (2026-10-04, 02:00 -> 02:30): 02:15 moves forward to 02:45 (+11:00)', () => {
    const hours: WorkingHours = { timeZone: zone, days: ['SUN'], start: '02:15', end: '09:00' };
    const window = windowOnLocalDate(hours, '2026-10-04')!;
    expect(window).toEqual({ start: at('2026-10-03T15:45:00Z'), end: at('2026-10-03T22:00:00Z') });
    expect(windowIso(window, zone)).toEqual({ start: '2026-10-04T02:45:00+11:00', end: '2026-10-04T09:00:00+11:00' });
  });

  it('09:00–17:00 stays 09:00 local around both transitions', () => {
    const hours: WorkingHours = { timeZone: zone, days: EVERY_DAY, start: '09:00', end: '17:00' };
    expect(localIso(windowOnLocalDate(hours, '2026-04-04')!.start, zone)).toBe('2026-04-04T09:00:00+11:00');
    expect(localIso(windowOnLocalDate(hours, '2026-04-05')!.start, zone)).toBe('2026-04-05T09:00:00+10:30');
    expect(localIso(windowOnLocalDate(hours, '2026-10-03')!.start, zone)).toBe('2026-10-03T09:00:00+10:30');
    expect(localIso(windowOnLocalDate(hours, '2026-10-04')!.start, zone)).toBe('2026-10-04T09:00:00+11:00');
  });
});

describe('Asia/Kathmandu (+05:45, no DST)', () => {
  const zone = 'Asia/Kathmandu';
  const hours: WorkingHours = { timeZone: zone, days: WEEKDAYS_MON_FRI, start: '09:00', end: '17:00' };

  it('uses the quarter-hour offset all year', () => {
    expect(windowOnLocalDate(hours, '2026-01-05')).toEqual({
      start: at('2026-01-05T03:15:00Z'),
      end: at('2026-01-05T11:15:00Z'),
    });
    expect(windowOnLocalDate(hours, '2026-07-06')).toEqual({
      start: at('2026-07-06T03:15:00Z'),
      end: at('2026-07-06T11:15:00Z'),
    });
    expect(localIso(nextWindowStart(hours, at('2026-07-10T11:15:00Z')), zone)).toBe('2026-07-13T09:00:00+05:45');
  });
});

describe('workflow safety', () => {
  it('does not depend on the current clock (luxon resolves overlaps by the offset "now"; we must not)', () => {
    const hours: WorkingHours = { timeZone: 'Europe/Paris', days: EVERY_DAY, start: '02:30', end: '10:00' };
    const originalNow = Settings.now;
    try {
      const results = [Date.UTC(2026, 0, 15), Date.UTC(2026, 6, 15)].map((now) => {
        Settings.now = () => now;
        return windowOnLocalDate(hours, '2026-10-25');
      });
      expect(results[0]).toEqual(results[1]);
      expect(results[0]!.start).toBe(at('2026-10-25T00:30:00Z'));
    } finally {
      Settings.now = originalNow;
    }
  });

  it('module source uses no clock, randomness, or Node built-ins', () => {
    const source = readFileSync(join(__dirname, '../../domain/working-hours.ts'), 'utf8');
    const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''); // comments may mention them
    expect(code).not.toMatch(/Date\.now|new Date\(\s*\)|Math\.random|performance\.|process\./);
    const imports = [...code.matchAll(/from\s+'([^']+)'/g)].map((match) => match[1]);
    expect(imports).toEqual(['luxon']);
  });
});

describe('properties', () => {
  const ZONES = [
    'Europe/Paris',
    'America/New_York',
    'Australia/Lord_Howe',
    'Asia/Kathmandu',
    'UTC',
    'America/Sao_Paulo',
  ] as const;
  /** Offset transitions in 2026–2027 (UTC instants), to bias instants and dates towards DST days. */
  const TRANSITIONS = [
    '2026-03-29T01:00:00Z', // Europe/Paris
    '2026-10-25T01:00:00Z',
    '2027-03-28T01:00:00Z',
    '2027-10-31T01:00:00Z',
    '2026-03-08T07:00:00Z', // America/New_York
    '2026-11-01T06:00:00Z',
    '2027-03-14T07:00:00Z',
    '2027-11-07T06:00:00Z',
    '2026-04-04T15:00:00Z', // Australia/Lord_Howe
    '2026-10-03T15:30:00Z',
    '2027-04-03T15:00:00Z',
    '2027-10-02T15:30:00Z',
  ].map(at);
  const RANGE_START = Date.UTC(2026, 0, 1);
  const RANGE_END = Date.UTC(2028, 0, 1);
  const RUNS = { numRuns: 300 };

  // Same answer as DateTime.fromMillis(ms, { zone }).offset (which delegates to it), minus the allocation.
  const offsetMinutes = (zone: string, ms: number) => IANAZone.create(zone).offset(ms);
  /** Local wall clock of an instant as "local epoch" ms (the instant it would be if the zone were UTC). */
  const localMs = (zone: string, ms: number) => ms + offsetMinutes(zone, ms) * MINUTE_MS;
  const localDayNumber = (zone: string, ms: number) => Math.floor(localMs(zone, ms) / DAY_MS);
  const isoDateOfDay = (dayNumber: number) => new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
  const clock = (minutes: number) =>
    `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

  it('the biased transition instants really are offset changes', () => {
    for (const transition of TRANSITIONS) {
      const changes = ZONES.filter((zone) => offsetMinutes(zone, transition - 1) !== offsetMinutes(zone, transition));
      expect(changes).toHaveLength(1);
    }
  });

  // Clock times near the 01:00–03:00 transitions and the day edges are the interesting ones.
  const clockMinute = fc.oneof(
    fc.integer({ min: 0, max: 1440 }),
    fc.constantFrom(0, 60, 90, 105, 120, 135, 150, 165, 180, 210, 540, 1080, 1440),
  );
  const workingHoursArb: fc.Arbitrary<WorkingHours> = fc
    .record({
      timeZone: fc.constantFrom(...ZONES),
      days: fc.shuffledSubarray([...WEEKDAYS], { minLength: 1 }),
      bounds: fc.uniqueArray(clockMinute, { minLength: 2, maxLength: 2 }),
    })
    .map(({ timeZone, days, bounds }) => {
      const [start, end] = [...bounds].sort((a, b) => a - b) as [number, number];
      return { timeZone, days, start: clock(start), end: clock(end) };
    });
  const anyInstant = fc.integer({ min: RANGE_START, max: RANGE_END - 1 });
  const nearTransition = fc
    .tuple(fc.constantFrom(...TRANSITIONS), fc.integer({ min: -2 * 24 * 60, max: 2 * 24 * 60 }))
    .map(([transition, minutes]) => transition + minutes * MINUTE_MS); // minute-aligned: hits bounds exactly
  const instantArb = fc.oneof(anyInstant, nearTransition, nearTransition.map((ms) => ms - 1));

  const configuredMinutes = (hours: WorkingHours) => ({
    start: parseClockTime(hours.start)!,
    end: parseClockTime(hours.end)!,
  });

  /**
   * Independent oracle for the DST rules: `bound` is the resolution of local time `expectedLocal`
   * iff it reads that local time and no instant up to 2h earlier does (first occurrence), or that
   * local time does not exist and `bound` reads it shifted forward by the gap.
   */
  const resolvesPerDstRules = (zone: string, bound: number, expectedLocal: number): boolean => {
    const actualLocal = localMs(zone, bound);
    if (actualLocal === expectedLocal) {
      return [30, 60, 120].every((minutes) => localMs(zone, bound - minutes * MINUTE_MS) !== expectedLocal);
    }
    const offsetNow = offsetMinutes(zone, bound);
    const offsetBefore = offsetMinutes(zone, bound - 3 * HOUR_MS);
    const gap = (offsetNow - offsetBefore) * MINUTE_MS;
    const existsWith = (offset: number) => localMs(zone, expectedLocal - offset * MINUTE_MS) === expectedLocal;
    return gap > 0 && actualLocal === expectedLocal + gap && !existsWith(offsetNow) && !existsWith(offsetBefore);
  };

  it('(a) nextWindowStart is after `at`, within ~8 days, a window start, on a working weekday', () => {
    fc.assert(
      fc.property(workingHoursArb, instantArb, (hours, instant) => {
        const next = nextWindowStart(hours, instant);
        expect(next).toBeGreaterThan(instant);
        expect(next - instant).toBeLessThanOrEqual(8 * DAY_MS);
        expect(isWithinWorkingHours(hours, next)).toBe(true);
        expect(currentWindow(hours, next)!.start).toBe(next);
        const weekday = WEEKDAYS[DateTime.fromMillis(next, { zone: hours.timeZone }).weekday - 1]!;
        expect(hours.days).toContain(weekday);
        // Chaining from a start lands on the following start.
        expect(nextWindowStart(hours, next)).toBeGreaterThan(next);
      }),
      RUNS,
    );
  });

  it('(b) inside a window, currentWindow contains `at` and its bounds read the configured local times (per DST rules)', () => {
    // Bias towards instants inside a window: half of the cases use an instant just after a start.
    const insideBiased = fc.oneof(
      fc.tuple(workingHoursArb, instantArb),
      fc.tuple(workingHoursArb, instantArb, fc.integer({ min: 0, max: 120 })).map(([hours, instant, minutes]) => {
        const tuple: [WorkingHours, number] = [hours, nextWindowStart(hours, instant) + minutes * MINUTE_MS];
        return tuple;
      }),
    );
    fc.assert(
      fc.property(insideBiased, ([hours, instant]) => {
        const window = currentWindow(hours, instant);
        expect(window !== null).toBe(isWithinWorkingHours(hours, instant));
        if (!window) return;
        expect(window.start).toBeLessThanOrEqual(instant);
        expect(window.end).toBeGreaterThan(instant);
        const zone = hours.timeZone;
        const day = localDayNumber(zone, window.start);
        const { start, end } = configuredMinutes(hours);
        expect(windowOnLocalDate(hours, isoDateOfDay(day))).toEqual(window);
        expect(resolvesPerDstRules(zone, window.start, day * DAY_MS + start * MINUTE_MS)).toBe(true);
        expect(resolvesPerDstRules(zone, window.end, day * DAY_MS + end * MINUTE_MS)).toBe(true);
      }),
      RUNS,
    );
  });

  it('(c) no window starts strictly between `at` and nextWindowStart(at)', () => {
    fc.assert(
      fc.property(workingHoursArb, instantArb, (hours, instant) => {
        const next = nextWindowStart(hours, instant);
        const zone = hours.timeZone;
        for (let day = localDayNumber(zone, instant) - 1; day <= localDayNumber(zone, next) + 1; day++) {
          const window = windowOnLocalDate(hours, isoDateOfDay(day));
          if (window) expect(window.start <= instant || window.start >= next).toBe(true);
        }
        if (!isWithinWorkingHours(hours, instant)) {
          // Outside a window, everything up to the next start is outside too.
          const samples = Array.from({ length: 8 }, (_, i) => instant + Math.floor(((next - instant) * i) / 8));
          for (const sample of [...samples, next - 1]) {
            expect(isWithinWorkingHours(hours, sample)).toBe(false);
          }
        }
      }),
      RUNS,
    );
  });

  it('(d) windows never overlap, and last end - start of wall clock except on DST days', () => {
    const firstDay = fc.oneof(
      fc.integer({ min: RANGE_START / DAY_MS, max: RANGE_END / DAY_MS - 7 }),
      fc.constantFrom(...TRANSITIONS).map((transition) => Math.floor(transition / DAY_MS) - 3), // the week around it
    );
    fc.assert(
      fc.property(workingHoursArb, firstDay, (hours, firstDayNumber) => {
        const zone = hours.timeZone;
        const { start, end } = configuredMinutes(hours);
        const configuredMs = (end - start) * MINUTE_MS;
        let previous: { start: number; end: number } | null = null;
        for (let day = firstDayNumber; day < firstDayNumber + 7; day++) {
          const window = windowOnLocalDate(hours, isoDateOfDay(day));
          if (!window) continue;
          expect(window.start).toBeLessThan(window.end);
          if (previous) expect(previous.end).toBeLessThanOrEqual(window.start);
          previous = window;

          expect(currentWindow(hours, window.start)).toEqual(window);
          expect(currentWindow(hours, window.end - 1)).toEqual(window);

          const offsetChange = (offsetMinutes(zone, window.end) - offsetMinutes(zone, window.start)) * MINUTE_MS;
          const boundsOnConfiguredClock =
            localMs(zone, window.start) === day * DAY_MS + start * MINUTE_MS &&
            localMs(zone, window.end) === day * DAY_MS + end * MINUTE_MS;
          if (boundsOnConfiguredClock) {
            // Exactly the wall-clock duration, corrected by any DST shift inside the window.
            expect(window.end - window.start).toBe(configuredMs - offsetChange);
            expect(Math.abs(offsetChange) % (30 * MINUTE_MS)).toBe(0);
          } else {
            // A bound moved forward out of a spring-forward gap: a DST day, never longer than configured.
            const shiftedNear = (bound: number) => offsetMinutes(zone, bound - 3 * HOUR_MS) !== offsetMinutes(zone, bound);
            expect(shiftedNear(window.start) || shiftedNear(window.end)).toBe(true);
            expect(window.end - window.start).toBeLessThanOrEqual(configuredMs);
          }
        }
      }),
      RUNS,
    );
  });
});
