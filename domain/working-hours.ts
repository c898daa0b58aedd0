/**
 * Working-hours window math: pure functions, safe to use from Temporal workflow code.
 * No I/O, no clock, no randomness: every function takes the instant explicitly (epoch ms).
 *
 * A working window is [start, end) on one local calendar date of `hours.timeZone`, from the
 * local wall-clock time `start` to the local wall-clock time `end`. Overnight windows are not
 * supported (start < end), and "24:00" means the start of the next local day.
 *
 * DST rules (how a local wall-clock time becomes an instant):
 * - A local time that does not exist (spring-forward gap) moves forward by the gap length:
 *   02:30 on a day when 02:00 jumps to 03:00 becomes 03:30 local.
 * - A local time that occurs twice (fall-back overlap) resolves to its first occurrence
 *   (the earlier instant).
 * So a 09:00 start stays 09:00 local across DST changes, and a window that spans the change is
 * shorter/longer by the shift. If after resolution start >= end, that date has no window.
 *
 * Why not luxon's DateTime.fromObject: it resolves an ambiguous (overlap) local time by
 * guessing with the zone's offset *at the current clock time* (Settings.now()), so the same
 * input gives the first occurrence while DST is in effect "now" and the second otherwise.
 * (Its gap handling does match the rule above.) We use luxon only for the zone's UTC offset
 * at an instant (IANAZone#offset) and resolve local times ourselves, with calendar arithmetic
 * on "local epoch" milliseconds (the instant the local wall-clock time would be if the zone
 * were UTC).
 */
import { IANAZone } from 'luxon';

export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Local wall-clock time "HH:mm", 24h. start in 00:00..23:59, end in 00:01..24:00 ("24:00" = end of day). */
export interface WorkingHours {
  timeZone: string;
  days: Weekday[];
  start: string;
  end: string;
}

/** Epoch milliseconds, half-open [start, end). */
export interface TimeWindow {
  start: number;
  end: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
const MINUTES_PER_DAY = 1440;
/** 1970-01-01 (day number 0) was a Thursday; index into WEEKDAYS. */
const WEEKDAY_INDEX_OF_DAY_ZERO = 3;
/** A window always exists within 8 days when `days` is non-empty; DST-collapsed windows may push it further. */
const MAX_SEARCH_DAYS = 15;

/** Zone names already decided. Bounded: callers can send any spelling, and past the bound a name is simply decided again. */
const decidedZones = new Map<string, string | null>();
const DECIDED_ZONES_LIMIT = 1000;

/**
 * The canonical IANA spelling of `zone` ("europe/paris" → "Europe/Paris"), or null when luxon's
 * IANAZone.isValidZone refuses it. Remembered, because deciding builds an Intl formatter (about
 * half a millisecond, on every request that carries working hours).
 */
export function canonicalTimeZone(zone: string): string | null {
  const decided = decidedZones.get(zone);
  if (decided !== undefined) return decided;
  const canonical = IANAZone.isValidZone(zone) ? new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone : null;
  if (decidedZones.size < DECIDED_ZONES_LIMIT) decidedZones.set(zone, canonical);
  return canonical;
}

/** IANA zone names only (as accepted by luxon IANAZone.isValidZone), e.g. 'Europe/Paris' true, 'Mars/Olympus' false. */
export function isValidTimeZone(zone: string): boolean {
  return typeof zone === 'string' && canonicalTimeZone(zone) !== null;
}

/** "HH:mm" (two-digit hours and minutes) -> minutes since midnight; "24:00" -> 1440; anything else -> null. */
export function parseClockTime(value: string): number | null {
  if (typeof value !== 'string') return null;
  const match = /^([01]\d|2[0-4]):([0-5]\d)$/.exec(value);
  if (!match) return null;
  const minutes = Number(match[1]) * 60 + Number(match[2]);
  return minutes <= MINUTES_PER_DAY ? minutes : null;
}

/** Every problem with `hours`, each naming the offending field; [] when valid. */
export function workingHoursProblems(hours: WorkingHours): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];

  if (!isValidTimeZone(hours.timeZone)) {
    problems.push({
      field: 'timeZone',
      message: `unknown IANA time zone ${JSON.stringify(hours.timeZone)} (expected e.g. "Europe/Paris")`,
    });
  }

  const days: unknown = hours.days;
  if (!Array.isArray(days) || days.length === 0) {
    problems.push({ field: 'days', message: 'at least one working day is required' });
  } else {
    const seen = new Set<unknown>();
    for (const day of days) {
      if (!(WEEKDAYS as readonly unknown[]).includes(day)) {
        problems.push({
          field: 'days',
          message: `unknown day ${JSON.stringify(day)} (expected one of ${WEEKDAYS.join(', ')})`,
        });
      } else if (seen.has(day)) {
        problems.push({ field: 'days', message: `duplicate day ${JSON.stringify(day)}` });
      }
      seen.add(day);
    }
  }

  const start = parseClockTime(hours.start);
  const startOk = start !== null && start < MINUTES_PER_DAY;
  if (!startOk) {
    problems.push({
      field: 'start',
      message: `start must be a local time "HH:mm" from 00:00 to 23:59, got ${JSON.stringify(hours.start)}`,
    });
  }
  const end = parseClockTime(hours.end);
  if (end !== null && startOk && end <= start) {
    problems.push({
      field: 'end',
      message: `end (${hours.end}) must be after start (${hours.start}); overnight windows are not supported (use "24:00" for end of day)`,
    });
  } else if (end === null || end === 0) {
    problems.push({
      field: 'end',
      message: `end must be a local time "HH:mm" from 00:01 to 24:00, got ${JSON.stringify(hours.end)}`,
    });
  }
  return problems;
}

/** `hours` checked once and turned into what the window math needs. */
interface CompiledHours {
  zone: IANAZone;
  isWorkingWeekday: boolean[]; // indexed like WEEKDAYS
  startMinute: number;
  endMinute: number;
}

/** Throws a RangeError listing the problems when `hours` is invalid (callers should validate first). */
function compile(hours: WorkingHours): CompiledHours {
  // Cheap checks on the hot path; IANAZone.create is cached, unlike isValidZone which builds
  // an Intl formatter on every call. The full (slower) report is only built on failure.
  const zone = IANAZone.create(hours.timeZone);
  const startMinute = parseClockTime(hours.start);
  const endMinute = parseClockTime(hours.end);
  const days: readonly unknown[] = Array.isArray(hours.days) ? hours.days : [];
  const daysOk =
    days.length > 0 && new Set(days).size === days.length && days.every((day) => WEEKDAYS.includes(day as Weekday));
  if (!zone.isValid || !daysOk || startMinute === null || endMinute === null || startMinute >= endMinute) {
    const details = workingHoursProblems(hours)
      .map((problem) => `${problem.field}: ${problem.message}`)
      .join('; ');
    throw new RangeError(`invalid working hours: ${details}`);
  }
  return { zone, isWorkingWeekday: WEEKDAYS.map((day) => days.includes(day)), startMinute, endMinute };
}

/** UTC offset of the zone at `instant`, in milliseconds. Costs an Intl formatToParts call (~10µs). */
function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

/**
 * Memo of offsetMs at day-aligned instants (dayNumber * DAY_MS), per zone name. These are the
 * lookups that repeat across calls (the same dates get asked about over and over), so this
 * makes the common case nearly free. A pure cache: it never changes a result. Bounded by
 * clearing a zone's entries past MAX_MEMO_DAYS (that many distinct dates is a lot of years).
 */
const dayBoundaryOffsets = new Map<string, Map<number, number>>();
const MAX_MEMO_DAYS = 20_000;

function offsetAtDayBoundary(zone: IANAZone, dayNumber: number): number {
  let offsets = dayBoundaryOffsets.get(zone.name);
  if (!offsets) dayBoundaryOffsets.set(zone.name, (offsets = new Map<number, number>()));
  let offset = offsets.get(dayNumber);
  if (offset === undefined) {
    if (offsets.size >= MAX_MEMO_DAYS) offsets.clear();
    offset = offsetMs(zone, dayNumber * DAY_MS);
    offsets.set(dayNumber, offset);
  }
  return offset;
}

/**
 * Whether the zone's offset may change between the start of local day `dayNumber - 1` and the
 * end of local day `dayNumber + 1` (the bracket covers every real offset, -12h..+14h).
 * Like luxon, assumes offsets never change twice within a couple of days, so equal offsets at
 * both ends mean no change in between.
 */
function offsetChangesAround(zone: IANAZone, dayNumber: number): boolean {
  return offsetAtDayBoundary(zone, dayNumber - 1) !== offsetAtDayBoundary(zone, dayNumber + 2);
}

/**
 * The instant at which the local wall-clock time `localMs` (local epoch ms) happens, per the
 * module's DST rules. Assumes at most one offset change within a day of it (as luxon does).
 */
function resolveLocalTime(zone: IANAZone, localMs: number): number {
  const offsetBefore = offsetMs(zone, localMs - DAY_MS);
  const offsetAfter = offsetMs(zone, localMs + DAY_MS);
  if (offsetBefore === offsetAfter) return localMs - offsetBefore;

  // Each candidate is right only if the zone really has that offset at that instant.
  const withOffsetBefore = localMs - offsetBefore;
  const withOffsetAfter = localMs - offsetAfter;
  const beforeFits = offsetMs(zone, withOffsetBefore) === offsetBefore;
  const afterFits = offsetMs(zone, withOffsetAfter) === offsetAfter;
  if (beforeFits && afterFits) return Math.min(withOffsetBefore, withOffsetAfter); // overlap: first occurrence
  if (beforeFits) return withOffsetBefore;
  if (afterFits) return withOffsetAfter;
  // Gap: read with the pre-transition offset, the time lands after the jump, i.e. moved
  // forward by the gap length (02:30 -> 03:30 when 02:00 jumps to 03:00).
  return withOffsetBefore;
}

/** Local calendar day number (days since 1970-01-01 local) of `instant` in the zone. */
function localDayNumber(zone: IANAZone, instant: number): number {
  if (!Number.isFinite(instant)) throw new RangeError(`instant must be finite epoch milliseconds, got ${instant}`);
  return Math.floor((instant + offsetMs(zone, instant)) / DAY_MS);
}

function weekdayIndexOfDay(dayNumber: number): number {
  return (((dayNumber + WEEKDAY_INDEX_OF_DAY_ZERO) % 7) + 7) % 7;
}

/** The window of local day `dayNumber`, or null when not a working day or collapsed by DST. */
function windowOnDay(hours: CompiledHours, dayNumber: number): TimeWindow | null {
  if (!hours.isWorkingWeekday[weekdayIndexOfDay(dayNumber)]) return null;
  const dayStartLocal = dayNumber * DAY_MS;
  // "24:00" is simply dayStart + 1440 minutes = the next local day's 00:00, resolved like any time.
  const startLocal = dayStartLocal + hours.startMinute * MINUTE_MS;
  const endLocal = dayStartLocal + hours.endMinute * MINUTE_MS;
  if (!offsetChangesAround(hours.zone, dayNumber)) {
    const offset = offsetAtDayBoundary(hours.zone, dayNumber);
    return { start: startLocal - offset, end: endLocal - offset };
  }
  const start = resolveLocalTime(hours.zone, startLocal);
  const end = resolveLocalTime(hours.zone, endLocal);
  return start < end ? { start, end } : null;
}

/**
 * The window of local calendar date `isoDate` (YYYY-MM-DD) in hours.timeZone, or null if that
 * weekday is not a working day or the window is empty after DST resolution.
 * Throws a RangeError for an invalid date or invalid hours.
 */
export function windowOnLocalDate(hours: WorkingHours, isoDate: string): TimeWindow | null {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(isoDate);
  const [year, month, day] = match ? [Number(match[1]), Number(match[2]), Number(match[3])] : [NaN, NaN, NaN];
  const dayStartLocal = Date.UTC(year, month - 1, day);
  // Date.UTC silently rolls 2026-02-30 over to March; reject anything that does not round-trip.
  const roundTrip = Number.isNaN(dayStartLocal) ? null : new Date(dayStartLocal);
  if (
    roundTrip === null ||
    roundTrip.getUTCFullYear() !== year ||
    roundTrip.getUTCMonth() !== month - 1 ||
    roundTrip.getUTCDate() !== day
  ) {
    throw new RangeError(`invalid local date ${JSON.stringify(isoDate)} (expected YYYY-MM-DD)`);
  }
  return windowOnDay(compile(hours), dayStartLocal / DAY_MS);
}

/**
 * The local days whose window might contain an instant of local day `today`. Normally just
 * `today`; around an offset change also its neighbours: a gap straddling midnight pushes
 * yesterday's bounds into today, and a fall-back past midnight makes tomorrow's 00:xx happen
 * before today's last minutes.
 */
function daysThatMayReach(zone: IANAZone, today: number): number[] {
  return offsetChangesAround(zone, today) ? [today - 1, today, today + 1] : [today];
}

/** The window containing instant `at` (start <= at < end), else null. */
export function currentWindow(hours: WorkingHours, at: number): TimeWindow | null {
  const compiled = compile(hours);
  for (const dayNumber of daysThatMayReach(compiled.zone, localDayNumber(compiled.zone, at))) {
    const window = windowOnDay(compiled, dayNumber);
    if (window && window.start <= at && at < window.end) return window;
  }
  return null;
}

export function isWithinWorkingHours(hours: WorkingHours, at: number): boolean {
  return currentWindow(hours, at) !== null;
}

/**
 * The earliest window start strictly after `at` (when inside a window, the NEXT window's start).
 * Window starts increase with the date, so the first one found after `at` is the earliest.
 * With a working day every week this returns within 8 days; DST-collapsed windows may push it
 * further, so search up to MAX_SEARCH_DAYS and throw if still nothing.
 */
export function nextWindowStart(hours: WorkingHours, at: number): number {
  const compiled = compile(hours);
  const today = localDayNumber(compiled.zone, at);
  const firstDay = daysThatMayReach(compiled.zone, today)[0]!;
  for (let dayNumber = firstDay; dayNumber <= today + MAX_SEARCH_DAYS; dayNumber++) {
    const window = windowOnDay(compiled, dayNumber);
    if (window && window.start > at) return window.start;
  }
  throw new Error(`no working window starts within ${MAX_SEARCH_DAYS} days after ${at} in ${hours.timeZone}`);
}
