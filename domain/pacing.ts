/**
 * Pacing of an identity's actions (SPEC §1, §2, §3, §5): pure functions, safe to use from
 * Temporal workflow code. No I/O, no clock, no randomness of its own: every function takes the
 * instant explicitly (epoch ms), and spacing takes a random number in [0, 1) drawn by the caller
 * (in a workflow, its replay-safe Math.random).
 *
 * Rules:
 * - No action outside working hours: callers pace inside the current window (working-hours.ts)
 *   and nextActionAt never answers an instant at or after the window's end.
 * - Budgets are per LOCAL day of the identity's time zone: connection requests and messages up
 *   to their daily limits, scrapes up to the total scraping capacity (pool + Sales Navigator),
 *   likes with a budget of 0 when the identity opted out. remainingDailyBudget is the same
 *   arithmetic for all of them; counting what was done on the local day (localDateOf) is the
 *   caller's job.
 * - Spacing: the remaining budget is spread over the rest of the window with randomised gaps
 *   (half to one and a half times the average gap), so actions look human and never come as a
 *   burst at the window start, while the expected gap still fills the window with the budget.
 * - Email, per inbox: at most `perDay` sends per local day and `perHour` sends per local clock
 *   hour (EMAIL_RATE). emailCapacity counts the sends of the day and of the clock hour that
 *   contain `now`, so checked at each send the caps hold at every moment. Midnight is also a
 *   clock-hour boundary: crossing it resets both counts, and a clock hour never spans two days.
 * - Shuffle: a lead's first email picks the least-loaded connected inbox (ties broken by a
 *   stable hash of the lead), and the lead keeps that inbox for its whole sequence so the
 *   conversation stays on one address. If that inbox is disconnected the lead is not moved to
 *   another one: the answer names the inbox to reconnect.
 * - Re-invite block: no invitation to a person for 21 × 24 h after a withdrawal, an exact
 *   duration (a DST change in between does not shift it by an hour).
 *
 * Local days and clock hours, DST included:
 * - The local day of an instant is its local calendar date. Days are 23, 24 or 25 hours long
 *   (23.5 or 24.5 in Australia/Lord_Howe); a local midnight that does not exist (a gap over
 *   midnight) is replaced by the instant the clock jumps into the new date.
 * - A local clock hour is a stretch of time during which the local date, the local hour and the
 *   UTC offset all stay the same, labelled 'YYYY-MM-DDTHH'. Hours start on the local hour
 *   (hh:00 local: at :15 UTC in Asia/Kathmandu). On a spring-forward day the skipped hour does
 *   not exist; the hour after the jump starts at the jump. On a fall-back day the repeated hour
 *   happens twice: each occurrence is its own clock hour, with its own cap, and both labels carry
 *   their UTC offset ('2026-11-01T01-04:00', then '2026-11-01T01-05:00' in America/New_York). In
 *   Australia/Lord_Howe the shift is 30 minutes, so the second occurrence of 01 is 01:30–02:00.
 *
 * Time zone offsets come from luxon's IANAZone#offset at an instant (unambiguous); never from
 * DateTime.fromObject, which resolves repeated local times by the offset at the current clock
 * time (see working-hours.ts). Like luxon, this assumes a zone's offset changes at most once in
 * any five days.
 */
import { IANAZone } from 'luxon';

/** What an identity does. Each kind has its own daily budget; none shares one with another. */
export type ActionKind = 'connectionRequest' | 'message' | 'scrape' | 'like' | 'email';

/** Per inbox: sends per local day and per local clock hour. Above `max` needs an operator override. */
export const EMAIL_RATE = { perDay: { recommended: 30, max: 80 }, perHour: { recommended: 5, max: 10 } } as const;

/** After a withdrawal, no new invitation to the same person for 21 days of exactly 24 hours. */
export const REINVITE_BLOCK_MS = 21 * 24 * 3600 * 1000;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * The zone's UTC offset (ms) over the SPAN_DAYS a span is built for: `before` until `changeAt`,
 * `after` from it on; changeAt is null when the offset is the same throughout.
 */
interface OffsetSpan {
  before: number;
  after: number;
  changeAt: number | null;
}

/** Spans start 2 days before the UTC day of the instant asked about, so they cover it ± 2 days. */
const SPAN_LEAD_DAYS = 2;
const SPAN_DAYS = 5;

/**
 * Memo of offset spans per zone name and UTC day. The same days get asked about over and over
 * (every send, every step of a workflow), and an offset lookup costs an Intl call (~10µs), so
 * this makes most calls plain arithmetic. A pure cache: it never changes a result. Bounded by
 * clearing a zone's entries past MAX_MEMO_SPANS.
 */
const offsetSpans = new Map<string, Map<number, OffsetSpan>>();
const MAX_MEMO_SPANS = 20_000;

function zoneOf(timeZone: string): IANAZone {
  const zone = IANAZone.create(timeZone);
  if (!zone.isValid) throw new RangeError(`unknown IANA time zone ${JSON.stringify(timeZone)}`);
  return zone;
}

function offsetMs(zone: IANAZone, instant: number): number {
  return zone.offset(instant) * MINUTE_MS;
}

function buildSpan(zone: IANAZone, from: number): OffsetSpan {
  const before = offsetMs(zone, from);
  const after = offsetMs(zone, from + SPAN_DAYS * DAY_MS - 1);
  if (before === after) return { before, after, changeAt: null };
  // Binary search for the first millisecond with the new offset.
  let low = from;
  let high = from + SPAN_DAYS * DAY_MS - 1;
  while (high - low > 1) {
    const middle = low + Math.floor((high - low) / 2);
    if (offsetMs(zone, middle) === before) low = middle;
    else high = middle;
  }
  return { before, after, changeAt: high };
}

/** The offset span covering `at` ± 2 days. Throws a RangeError for an unknown zone or a non-finite instant. */
function spanAround(timeZone: string, at: number): OffsetSpan {
  if (!Number.isFinite(at)) throw new RangeError(`instant must be finite epoch milliseconds, got ${at}`);
  const zone = zoneOf(timeZone);
  const day = Math.floor(at / DAY_MS);
  let spans = offsetSpans.get(zone.name);
  if (!spans) offsetSpans.set(zone.name, (spans = new Map<number, OffsetSpan>()));
  let span = spans.get(day);
  if (span === undefined) {
    if (spans.size >= MAX_MEMO_SPANS) spans.clear();
    span = buildSpan(zone, (day - SPAN_LEAD_DAYS) * DAY_MS);
    spans.set(day, span);
  }
  return span;
}

function offsetAt(span: OffsetSpan, instant: number): number {
  return span.changeAt !== null && instant >= span.changeAt ? span.after : span.before;
}

/** A local day or a local clock hour; a change of UTC offset ends a clock hour but not a day. */
interface LocalUnit {
  ms: number;
  endsOnOffsetChange: boolean;
}
const LOCAL_DAY: LocalUnit = { ms: DAY_MS, endsOnOffsetChange: false };
const CLOCK_HOUR: LocalUnit = { ms: HOUR_MS, endsOnOffsetChange: true };

/** Index of the local day or hour of `at` (local epoch ms / unit), read with `offset`. */
function unitIndex(unit: LocalUnit, at: number, offset: number): number {
  return Math.floor((at + offset) / unit.ms);
}

/** First instant of the local day or clock hour that contains `at`. */
function unitStart(span: OffsetSpan, unit: LocalUnit, at: number): number {
  const offset = offsetAt(span, at);
  const index = unitIndex(unit, at, offset);
  const start = index * unit.ms - offset;
  const change = span.changeAt;
  if (change === null || at < change || start >= change) return start; // one offset from start to `at`
  // The offset changed in (start, at]: the unit began at the change unless it was already running.
  if (unit.endsOnOffsetChange || unitIndex(unit, change - 1, span.before) !== index) return change;
  return index * unit.ms - span.before;
}

/** First instant after `at` in another local day or clock hour. */
function unitEnd(span: OffsetSpan, unit: LocalUnit, at: number): number {
  const offset = offsetAt(span, at);
  const index = unitIndex(unit, at, offset);
  const end = (index + 1) * unit.ms - offset;
  const change = span.changeAt;
  if (change === null || at >= change || end < change) return end; // one offset from `at` to end
  // The offset changes in (at, end]: the unit ends there unless the clock stays in it.
  if (unit.endsOnOffsetChange || unitIndex(unit, change, span.after) !== index) return change;
  return (index + 1) * unit.ms - span.after;
}

/** Whether the local clock hour of `at` also happens under the zone's other offset (a fall-back hour). */
function hourHappensTwice(span: OffsetSpan, at: number): boolean {
  const change = span.changeAt;
  if (change === null) return false;
  const hourStartLocal = unitIndex(CLOCK_HOUR, at, offsetAt(span, at)) * HOUR_MS;
  return at < change
    ? change + span.after < hourStartLocal + HOUR_MS // the clock after the change reaches back into this hour
    : change + span.before > hourStartLocal; // the clock before the change had already reached this hour
}

/** "+05:45" / "-04:00". */
function offsetLabel(offset: number): string {
  const minutes = Math.abs(offset) / MINUTE_MS;
  const pad = (value: number) => String(Math.floor(value)).padStart(2, '0');
  return `${offset < 0 ? '-' : '+'}${pad(minutes / 60)}:${pad(minutes % 60)}`;
}

/** Local wall clock of `at` as an ISO string without offset ('YYYY-MM-DDTHH:mm:ss.sss'). */
function localIso(span: OffsetSpan, at: number): string {
  return new Date(at + offsetAt(span, at)).toISOString().slice(0, 23);
}

/** Local calendar date of `at` in `timeZone`, 'YYYY-MM-DD'. */
export function localDateOf(at: number, timeZone: string): string {
  return localIso(spanAround(timeZone, at), at).slice(0, 10);
}

/**
 * Local clock hour of `at` in `timeZone`, 'YYYY-MM-DDTHH'. An hour that happens twice on a
 * fall-back day gets the UTC offset of each occurrence: '2026-11-01T01-04:00' then
 * '2026-11-01T01-05:00' (America/New_York), so each one is counted as its own clock hour.
 */
export function localHourOf(at: number, timeZone: string): string {
  const span = spanAround(timeZone, at);
  const hour = localIso(span, at).slice(0, 13);
  return hourHappensTwice(span, at) ? `${hour}${offsetLabel(offsetAt(span, at))}` : hour;
}

/** Epoch ms of the next local clock-hour boundary strictly after `at` (where localHourOf changes). */
export function nextLocalHourStart(at: number, timeZone: string): number {
  return unitEnd(spanAround(timeZone, at), CLOCK_HOUR, at);
}

/** Epoch ms at which the next local day starts, strictly after `at` (where localDateOf changes). */
export function nextLocalMidnight(at: number, timeZone: string): number {
  return unitEnd(spanAround(timeZone, at), LOCAL_DAY, at);
}

/** What is left of a daily budget: max(0, limit - usedToday). */
export function remainingDailyBudget(limit: number, usedToday: number): number {
  return Math.max(0, limit - usedToday);
}

function assertFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

/**
 * Spacing: the next action instant for `remaining` actions spread over [now, windowEnd).
 * null when remaining <= 0 or now >= windowEnd. Average gap = (windowEnd - now) / remaining;
 * the actual gap = average × (0.5 + random), rounded down to the millisecond, but never past
 * windowEnd - 1 ms. So the result is in [now, windowEnd).
 * Throws a RangeError when random is not in [0, 1) or a number is not finite.
 */
export function nextActionAt(input: {
  now: number;
  windowEnd: number;
  remaining: number;
  random: number;
}): number | null {
  const { now, windowEnd, remaining, random } = input;
  assertFinite('now', now);
  assertFinite('windowEnd', windowEnd);
  assertFinite('remaining', remaining);
  if (!(random >= 0 && random < 1)) throw new RangeError(`random must be in [0, 1), got ${random}`);
  if (remaining <= 0 || now >= windowEnd) return null;
  const averageGap = (windowEnd - now) / remaining;
  return Math.min(now + Math.floor(averageGap * (0.5 + random)), windowEnd - 1);
}

function assertCap(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number >= 0, got ${value}`);
}

function countWithin(instants: number[], start: number, end: number): number {
  return instants.filter((instant) => instant >= start && instant < end).length;
}

/**
 * Per-inbox email cap at `now`: sentAt are the epoch-ms instants of previous sends from that
 * inbox (any order, may include old ones). sentToday / sentThisHour count the sends in the local
 * day / clock hour containing `now`. When a cap is reached, nextAllowedAt is when it lifts: the
 * next local midnight if the day cap is reached (midnight also starts a new clock hour), else the
 * next clock-hour start. A cap of 0 never allows: nextAllowedAt is then only when to look again.
 */
export function emailCapacity(input: {
  sentAt: number[];
  now: number;
  timeZone: string;
  perDay: number;
  perHour: number;
}): { sentToday: number; sentThisHour: number; allowedNow: boolean; nextAllowedAt: number } {
  const { sentAt, now, timeZone, perDay, perHour } = input;
  assertCap('perDay', perDay);
  assertCap('perHour', perHour);
  const span = spanAround(timeZone, now);
  const dayEnd = unitEnd(span, LOCAL_DAY, now);
  const hourEnd = unitEnd(span, CLOCK_HOUR, now);
  const sentToday = countWithin(sentAt, unitStart(span, LOCAL_DAY, now), dayEnd);
  const sentThisHour = countWithin(sentAt, unitStart(span, CLOCK_HOUR, now), hourEnd);
  const dayCapReached = sentToday >= perDay;
  const hourCapReached = sentThisHour >= perHour;
  const allowedNow = !dayCapReached && !hourCapReached;
  const nextAllowedAt = allowedNow ? now : dayCapReached ? dayEnd : hourEnd;
  return { sentToday, sentThisHour, allowedNow, nextAllowedAt };
}

/**
 * Drops send instants that can no longer affect any cap (before the start of the current local
 * day), to keep workflow state small. Keeps the others in their order.
 */
export function pruneSendHistory(sentAt: number[], now: number, timeZone: string): number[] {
  const dayStart = unitStart(spanAround(timeZone, now), LOCAL_DAY, now);
  return sentAt.filter((instant) => instant >= dayStart);
}

export type InboxChoice =
  | { kind: 'inbox'; inboxId: string }
  | { kind: 'inbox-disconnected'; inboxId: string }
  | { kind: 'no-inbox' };

/**
 * The error a lead carries while its inbox is disconnected. One wording, because reconnecting the
 * address finds the leads to resume by it.
 */
export function inboxDisconnectedError(address: string): string {
  return `inbox ${address} is disconnected: reconnect ${address} to resume this lead`;
}

/**
 * The waiting reason of a lead parked because its inbox's password or token stopped working. One
 * wording, because reconnecting finds the parked leads by it.
 */
export function inboxNeedsReconnectReason(address: string): string {
  return `inbox ${address} needs reconnecting (its password or token stopped working): reconnect ${address} to resume this lead`;
}

/** UTF-8 bytes of `text`; lone surrogates become U+FFFD, as TextEncoder does. */
function utf8Bytes(text: string): number[] {
  const bytes: number[] = [];
  for (const char of text) {
    const raw = char.codePointAt(0)!;
    const codePoint = raw >= 0xd800 && raw <= 0xdfff ? 0xfffd : raw;
    if (codePoint < 0x80) bytes.push(codePoint);
    else if (codePoint < 0x800) bytes.push(0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f));
    else if (codePoint < 0x10000) {
      bytes.push(0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f));
    } else {
      bytes.push(
        0xf0 | (codePoint >> 18),
        0x80 | ((codePoint >> 12) & 0x3f),
        0x80 | ((codePoint >> 6) & 0x3f),
        0x80 | (codePoint & 0x3f),
      );
    }
  }
  return bytes;
}

/** FNV-1a, 32 bits, over the UTF-8 bytes of `text`: a stable hash, the same on every run. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of utf8Bytes(text)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/**
 * Shuffle + stickiness. assignedInboxId: the inbox the lead already uses (if any).
 * connectedInboxIds: currently connected inboxes in a stable order. leadsPerInbox: how many
 * leads each inbox already carries (missing = 0). A lead with an inbox keeps it, or is told that
 * inbox is disconnected (never reassigned). A new lead gets the least-loaded connected inbox;
 * ties are broken by the FNV-1a 32-bit hash of leadKey, so the same inputs always pick the same
 * inbox. no-inbox when a new lead finds no connected inbox.
 */
export function chooseInbox(input: {
  leadKey: string;
  assignedInboxId: string | null;
  connectedInboxIds: string[];
  leadsPerInbox: Record<string, number>;
}): InboxChoice {
  const { leadKey, assignedInboxId, connectedInboxIds, leadsPerInbox } = input;
  if (assignedInboxId !== null) {
    return connectedInboxIds.includes(assignedInboxId)
      ? { kind: 'inbox', inboxId: assignedInboxId }
      : { kind: 'inbox-disconnected', inboxId: assignedInboxId };
  }
  if (connectedInboxIds.length === 0) return { kind: 'no-inbox' };
  // Own keys only: an inbox id like "constructor" must not read Object.prototype.
  const load = (inboxId: string) => (Object.hasOwn(leadsPerInbox, inboxId) ? leadsPerInbox[inboxId]! : 0);
  const lightest = Math.min(...connectedInboxIds.map(load));
  const candidates = connectedInboxIds.filter((inboxId) => load(inboxId) === lightest);
  return { kind: 'inbox', inboxId: candidates[fnv1a32(leadKey) % candidates.length]! };
}

/** When the re-invite block after a withdrawal at `withdrawnAt` lifts (epoch ms). */
export function reinviteBlockLiftsAt(withdrawnAt: number): number {
  return withdrawnAt + REINVITE_BLOCK_MS;
}

/** Whether inviting the same person at `at` is still blocked by a withdrawal at `withdrawnAt`. */
export function isReinviteBlocked(withdrawnAt: number, at: number): boolean {
  return at < reinviteBlockLiftsAt(withdrawnAt);
}
