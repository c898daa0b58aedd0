/**
 * LinkedIn daily rate limits of an identity (SPEC §2): pure functions, safe to use from Temporal
 * workflow code. No I/O, no clock: every function that depends on time takes `now` (epoch ms).
 * The counts are per local day in the identity's time zone; counting actions per day is the
 * caller's job, this module only decides which limits are allowed and which ones apply.
 *
 * Limits (LINKEDIN_LIMITS):
 * - Connection requests: recommended 20 a day, hard ceiling 100. LinkedIn restricts accounts
 *   that send more than roughly 100 invitations a week and flags bursts, so 20 a day on working
 *   days is the safe pace. 100 a day is already far past the weekly limit: the ceiling is not a
 *   safe value, it is a hard stop against typos (200 for 20).
 * - Messages: recommended 100 a day, hard ceiling 250. Messages to existing connections are
 *   watched less than invitations, but bursts still get accounts flagged; 250 stops typos.
 * - Scrapings: no recommended value and no default pace. The identity's value is its
 *   *additional* Sales Navigator capacity beyond the workspace's shared scraping pool (default 0),
 *   only allowed with Sales Navigator enabled; its total capacity is the pool plus that value.
 *   Hard ceiling 1000: like the others, a hard stop against typos rather than a safe pace.
 *
 * Raising connection requests or messages above the recommended value is allowed, with a warning.
 * A raise is meant to be temporary: `raisedUntil` is the instant after which the identity falls
 * back to the recommended values by itself (values at or below recommended are left as they are;
 * scrapings have no recommended value and never fall back). The fallback is computed, not stored:
 * effectiveLinkedinLimits gives the limits in force at any instant and when they next change, so
 * a workflow can set a durable timer and show it in the identity's status.
 */

/** Per identity, per local day. `recommended` is the safe pace; `hardCeiling` is refused above. */
export const LINKEDIN_LIMITS = {
  connectionRequests: { recommended: 20, hardCeiling: 100 },
  messages: { recommended: 100, hardCeiling: 250 },
  scrapings: { hardCeiling: 1000 },
} as const;

export interface LinkedinLimitSettings {
  dailyConnectionRequests: number;
  dailyMessages: number;
  /** The identity's Sales Navigator capacity beyond the workspace scraping pool (0 without Sales Navigator). */
  dailyScrapings: number;
  /** ISO instant or null: after it, raised values fall back to recommended */
  raisedUntil: string | null;
}

export const DEFAULT_LINKEDIN_LIMITS: LinkedinLimitSettings = {
  dailyConnectionRequests: LINKEDIN_LIMITS.connectionRequests.recommended,
  dailyMessages: LINKEDIN_LIMITS.messages.recommended,
  dailyScrapings: 0,
  raisedUntil: null,
};

export interface LinkedinLimitsContext {
  salesNavigatorEnabled: boolean;
  /** The workspace's shared daily scraping pool allocation. */
  workspaceScrapingPool: number;
  /** Epoch ms. */
  now: number;
}

export interface FieldMessage {
  field: string;
  message: string;
}

export interface LinkedinLimitsEvaluation {
  /** Reasons to refuse the settings, each naming its field; [] when acceptable. */
  problems: FieldMessage[];
  /** Acceptable but risky choices, each naming its field. */
  warnings: FieldMessage[];
  /** workspaceScrapingPool + dailyScrapings. */
  totalDailyScrapingCapacity: number;
}

/** The limits in force at an instant. */
export interface EffectiveLinkedinLimits {
  dailyConnectionRequests: number;
  dailyMessages: number;
  dailyScrapings: number;
  /** Epoch ms at which raised values fall back to recommended, or null when nothing will change. */
  fallsBackAt: number | null;
}

type CountField = 'dailyConnectionRequests' | 'dailyMessages' | 'dailyScrapings';

interface CountRule {
  field: CountField;
  label: string;
  hardCeiling: number;
  /** Absent for scrapings, which have no recommended pace and never fall back. */
  recommended?: number;
  /** Why going above the recommended value is risky. */
  risk?: string;
}

const CONNECTION_REQUESTS: CountRule = {
  field: 'dailyConnectionRequests',
  label: 'daily connection requests',
  ...LINKEDIN_LIMITS.connectionRequests,
  risk: 'LinkedIn restricts accounts that send more than roughly 100 invitations a week or send them in bursts',
};
const MESSAGES: CountRule = {
  field: 'dailyMessages',
  label: 'daily messages',
  ...LINKEDIN_LIMITS.messages,
  risk: 'LinkedIn may restrict accounts that send messages in bursts',
};
const SCRAPINGS: CountRule = { field: 'dailyScrapings', label: 'daily scrapings', ...LINKEDIN_LIMITS.scrapings };
const COUNT_RULES = [CONNECTION_REQUESTS, MESSAGES, SCRAPINGS];

/** "YYYY-MM-DDTHH:mm[:ss[.fraction]]" followed by "Z" or "±HH:mm": an instant needs its offset. */
const ISO_INSTANT =
  /^(\d{4})-(\d{2})-(\d{2})T(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/;

/**
 * Epoch ms of an ISO 8601 instant with an explicit offset, or null when `value` is not one.
 * Date.parse alone is too lenient: it accepts other formats and rolls 2026-02-30 over to March.
 */
function parseIsoInstant(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const match = ISO_INSTANT.exec(value);
  if (!match) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  const instant = Date.parse(value);
  return Number.isNaN(instant) ? null : instant;
}

/** The count's own problem (not a whole number, negative, above the ceiling), or null. */
function countProblem(rule: CountRule, value: number): FieldMessage | null {
  if (!Number.isInteger(value)) {
    return { field: rule.field, message: `${rule.label} must be a whole number, got ${String(value)}` };
  }
  if (value < 0) {
    return { field: rule.field, message: `${rule.label} cannot be negative, got ${value}` };
  }
  if (value > rule.hardCeiling) {
    const recommended = rule.recommended === undefined ? '' : ` (recommended: ${rule.recommended})`;
    return {
      field: rule.field,
      message: `${rule.label} cannot exceed the hard ceiling of ${rule.hardCeiling}${recommended}, got ${value}`,
    };
  }
  return null;
}

/** Problems that make settings unusable at any instant: bad counts, unreadable raisedUntil. */
function shapeProblems(settings: LinkedinLimitSettings): FieldMessage[] {
  const problems = COUNT_RULES.map((rule) => countProblem(rule, settings[rule.field])).filter(
    (problem): problem is FieldMessage => problem !== null,
  );
  if (settings.raisedUntil !== null && parseIsoInstant(settings.raisedUntil) === null) {
    problems.push({
      field: 'raisedUntil',
      message: `raisedUntil must be an ISO 8601 instant with an offset (e.g. "2026-03-01T18:00:00Z") or null, got ${JSON.stringify(settings.raisedUntil)}`,
    });
  }
  return problems;
}

function isAboveRecommended(rule: CountRule, value: number): boolean {
  return rule.recommended !== undefined && value > rule.recommended;
}

function raiseWarning(rule: CountRule, value: number, hasRaisedUntil: boolean): FieldMessage {
  const fallback =
    !hasRaisedUntil
      ? 'consider setting raisedUntil so it falls back by itself'
      : `it falls back to ${rule.recommended} by itself at raisedUntil`;
  return {
    field: rule.field,
    message: `${value} ${rule.label} is above the recommended ${rule.recommended}: ${rule.risk}; ${fallback}`,
  };
}

/**
 * Checks settings a caller wants to save. `problems` refuse them; `warnings` accept them with a
 * caution (a value above recommended). raisedUntil, when set, must be in the future.
 */
export function evaluateLinkedinLimits(
  requested: LinkedinLimitSettings,
  context: LinkedinLimitsContext,
): LinkedinLimitsEvaluation {
  const problems = shapeProblems(requested);

  if (requested.dailyScrapings > 0 && !context.salesNavigatorEnabled) {
    problems.push({
      field: 'dailyScrapings',
      message: `daily scrapings need Sales Navigator: the identity's capacity beyond the workspace pool of ${context.workspaceScrapingPool}; enable Sales Navigator or set dailyScrapings to 0`,
    });
  }

  const raisedUntil = parseIsoInstant(requested.raisedUntil);
  if (raisedUntil !== null && raisedUntil <= context.now) {
    problems.push({
      field: 'raisedUntil',
      message: `raisedUntil must be in the future, got ${requested.raisedUntil} (now is ${new Date(context.now).toISOString()})`,
    });
  }

  const warnings = COUNT_RULES.filter((rule) => {
    const value = requested[rule.field];
    return countProblem(rule, value) === null && isAboveRecommended(rule, value);
  }).map((rule) => raiseWarning(rule, requested[rule.field], requested.raisedUntil !== null));

  return {
    problems,
    warnings,
    totalDailyScrapingCapacity: context.workspaceScrapingPool + requested.dailyScrapings,
  };
}

/** Settings accepted earlier; throws a RangeError listing the problems otherwise (callers validate first). */
function assertUsable(settings: LinkedinLimitSettings): void {
  const problems = shapeProblems(settings);
  if (problems.length > 0) {
    const details = problems.map((problem) => `${problem.field}: ${problem.message}`).join('; ');
    throw new RangeError(`invalid LinkedIn limit settings: ${details}`);
  }
}

/**
 * The limits in force at `now`. Before raisedUntil (or with none), the settings as they are;
 * from raisedUntil on, connection requests and messages above recommended are brought down to
 * recommended. `fallsBackAt` is raisedUntil while that fallback is still ahead, so a workflow can
 * wait for it; null when nothing will change.
 */
export function effectiveLinkedinLimits(settings: LinkedinLimitSettings, now: number): EffectiveLinkedinLimits {
  assertUsable(settings);
  const raisedUntil = parseIsoInstant(settings.raisedUntil);
  const fallenBack = raisedUntil !== null && now >= raisedUntil;
  const limitAt = (rule: CountRule): number => {
    const value = settings[rule.field];
    return fallenBack && rule.recommended !== undefined ? Math.min(value, rule.recommended) : value;
  };
  const isRaised = COUNT_RULES.some((rule) => isAboveRecommended(rule, settings[rule.field]));
  return {
    dailyConnectionRequests: limitAt(CONNECTION_REQUESTS),
    dailyMessages: limitAt(MESSAGES),
    dailyScrapings: limitAt(SCRAPINGS),
    fallsBackAt: !fallenBack && isRaised ? raisedUntil : null,
  };
}

/**
 * Automatic likes per local day. SPEC sets no number; likes are the cheapest signal of interest and
 * LinkedIn watches bursts of them too, so we keep them near a person's pace.
 */
export const DAILY_LIKES = 30;

/**
 * Settings brought within the rules whatever they are: each count a whole number between 0 and its
 * hard ceiling, an unreadable raisedUntil dropped. The workflow applies it to every configuration
 * it receives, so a signal carrying values the API would refuse (a forged one) cannot exceed the
 * ceilings; the API refuses such values before they are saved.
 */
export function clampLinkedinLimits(settings: LinkedinLimitSettings): LinkedinLimitSettings {
  const clamp = (rule: CountRule, value: unknown) =>
    typeof value === 'number' && Number.isFinite(value) ? Math.min(rule.hardCeiling, Math.max(0, Math.floor(value))) : (rule.recommended ?? 0);
  return {
    dailyConnectionRequests: clamp(CONNECTION_REQUESTS, settings.dailyConnectionRequests),
    dailyMessages: clamp(MESSAGES, settings.dailyMessages),
    dailyScrapings: clamp(SCRAPINGS, settings.dailyScrapings),
    raisedUntil: parseIsoInstant(settings.raisedUntil) === null ? null : settings.raisedUntil,
  };
}
