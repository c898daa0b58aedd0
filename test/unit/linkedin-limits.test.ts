import fc from 'fast-check';
import {
  DEFAULT_LINKEDIN_LIMITS,
  LINKEDIN_LIMITS,
  type LinkedinLimitSettings,
  effectiveLinkedinLimits,
  evaluateLinkedinLimits,
} from '../../domain/linkedin-limits';

const NOW = Date.parse('2026-03-02T10:00:00Z');
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const iso = (ms: number) => new Date(ms).toISOString();
const IN_A_WEEK = iso(NOW + 7 * DAY_MS);

const settings = (overrides: Partial<LinkedinLimitSettings> = {}): LinkedinLimitSettings => ({
  ...DEFAULT_LINKEDIN_LIMITS,
  ...overrides,
});
const WITH_SALES_NAVIGATOR = { salesNavigatorEnabled: true, workspaceScrapingPool: 500, now: NOW };
const WITHOUT_SALES_NAVIGATOR = { salesNavigatorEnabled: false, workspaceScrapingPool: 500, now: NOW };
const evaluate = (overrides: Partial<LinkedinLimitSettings>, context = WITH_SALES_NAVIGATOR) =>
  evaluateLinkedinLimits(settings(overrides), context);
const fieldsOf = (messages: { field: string }[]) => messages.map((message) => message.field);

describe('LINKEDIN_LIMITS and DEFAULT_LINKEDIN_LIMITS', () => {
  it('are the documented values', () => {
    expect(LINKEDIN_LIMITS).toEqual({
      connectionRequests: { recommended: 20, hardCeiling: 100 },
      messages: { recommended: 100, hardCeiling: 250 },
      scrapings: { hardCeiling: 1000 },
    });
    expect(DEFAULT_LINKEDIN_LIMITS).toEqual({
      dailyConnectionRequests: 20,
      dailyMessages: 100,
      dailyScrapings: 0,
      raisedUntil: null,
    });
  });

  it('the defaults are acceptable without a warning, with or without Sales Navigator', () => {
    for (const context of [WITH_SALES_NAVIGATOR, WITHOUT_SALES_NAVIGATOR]) {
      expect(evaluateLinkedinLimits(DEFAULT_LINKEDIN_LIMITS, context)).toEqual({
        problems: [],
        warnings: [],
        totalDailyScrapingCapacity: 500,
      });
    }
  });
});

describe('evaluateLinkedinLimits: counts', () => {
  it.each([
    ['dailyConnectionRequests', 20, 'ok'],
    ['dailyConnectionRequests', 21, 'warning'],
    ['dailyConnectionRequests', 100, 'warning'],
    ['dailyConnectionRequests', 101, 'problem'],
    ['dailyMessages', 100, 'ok'],
    ['dailyMessages', 101, 'warning'],
    ['dailyMessages', 250, 'warning'],
    ['dailyMessages', 251, 'problem'],
    ['dailyScrapings', 1000, 'ok'],
    ['dailyScrapings', 1001, 'problem'],
    ['dailyConnectionRequests', 0, 'ok'],
    ['dailyMessages', 0, 'ok'],
    ['dailyScrapings', 0, 'ok'],
  ] as const)('%s = %d: %s', (field, value, outcome) => {
    const { problems, warnings } = evaluate({ [field]: value, raisedUntil: IN_A_WEEK });
    expect(fieldsOf(problems)).toEqual(outcome === 'problem' ? [field] : []);
    expect(fieldsOf(warnings)).toEqual(outcome === 'warning' ? [field] : []);
  });

  it.each([
    ['dailyConnectionRequests', 101, 'daily connection requests cannot exceed the hard ceiling of 100 (recommended: 20), got 101'],
    ['dailyMessages', 251, 'daily messages cannot exceed the hard ceiling of 250 (recommended: 100), got 251'],
    ['dailyScrapings', 1001, 'daily scrapings cannot exceed the hard ceiling of 1000, got 1001'],
  ] as const)('%s above the hard ceiling names the ceiling', (field, value, message) => {
    expect(evaluate({ [field]: value }).problems).toEqual([{ field, message }]);
  });

  it.each(['dailyConnectionRequests', 'dailyMessages', 'dailyScrapings'] as const)(
    '%s must be a whole number, not negative',
    (field) => {
      for (const value of [2.5, 0.1, NaN, Infinity, -Infinity]) {
        const { problems } = evaluate({ [field]: value });
        expect(problems).toEqual([{ field, message: expect.stringContaining(`must be a whole number, got ${value}`) }]);
      }
      for (const value of [-1, -20]) {
        const { problems } = evaluate({ [field]: value });
        expect(problems).toEqual([{ field, message: expect.stringContaining(`cannot be negative, got ${value}`) }]);
      }
    },
  );

  it('reports every problem at once, each naming its field', () => {
    const { problems } = evaluate(
      { dailyConnectionRequests: -1, dailyMessages: 1.5, dailyScrapings: 2000, raisedUntil: 'soon' },
      WITHOUT_SALES_NAVIGATOR,
    );
    expect(fieldsOf(problems)).toEqual(['dailyConnectionRequests', 'dailyMessages', 'dailyScrapings', 'raisedUntil', 'dailyScrapings']);
  });
});

describe('evaluateLinkedinLimits: warnings above the recommended values', () => {
  it('explains the restriction risk and names the recommended value', () => {
    const { warnings } = evaluate({ dailyConnectionRequests: 40, dailyMessages: 150, raisedUntil: IN_A_WEEK });
    expect(warnings).toEqual([
      {
        field: 'dailyConnectionRequests',
        message:
          '40 daily connection requests is above the recommended 20: LinkedIn restricts accounts that send more than roughly 100 invitations a week or send them in bursts; it falls back to 20 by itself at raisedUntil',
      },
      {
        field: 'dailyMessages',
        message:
          '150 daily messages is above the recommended 100: LinkedIn may restrict accounts that send messages in bursts; it falls back to 100 by itself at raisedUntil',
      },
    ]);
  });

  it('suggests raisedUntil when there is none', () => {
    const { problems, warnings } = evaluate({ dailyConnectionRequests: 30, dailyMessages: 120 });
    expect(problems).toEqual([]);
    expect(fieldsOf(warnings)).toEqual(['dailyConnectionRequests', 'dailyMessages']);
    for (const warning of warnings) {
      expect(warning.message).toContain('consider setting raisedUntil so it falls back by itself');
    }
  });

  it('does not suggest raisedUntil when it is set', () => {
    const { warnings } = evaluate({ dailyConnectionRequests: 30, raisedUntil: IN_A_WEEK });
    expect(warnings[0]!.message).not.toContain('consider setting raisedUntil');
  });

  it('a value above the hard ceiling is a problem, not also a warning', () => {
    const { problems, warnings } = evaluate({ dailyConnectionRequests: 500 });
    expect(fieldsOf(problems)).toEqual(['dailyConnectionRequests']);
    expect(warnings).toEqual([]);
  });

  it('scrapings have no recommended value, so never a warning', () => {
    expect(evaluate({ dailyScrapings: 1000 }).warnings).toEqual([]);
  });
});

describe('evaluateLinkedinLimits: scrapings and Sales Navigator', () => {
  it('refuses daily scrapings without Sales Navigator, naming the workspace pool', () => {
    const { problems } = evaluate({ dailyScrapings: 1 }, WITHOUT_SALES_NAVIGATOR);
    expect(problems).toEqual([
      {
        field: 'dailyScrapings',
        message: expect.stringContaining(
          "daily scrapings need Sales Navigator: the identity's capacity beyond the workspace pool of 500",
        ),
      },
    ]);
  });

  it('accepts 0 daily scrapings without Sales Navigator', () => {
    expect(evaluate({ dailyScrapings: 0 }, WITHOUT_SALES_NAVIGATOR).problems).toEqual([]);
  });

  it('total capacity is the workspace pool plus the identity Sales Navigator capacity', () => {
    expect(evaluate({ dailyScrapings: 300 }).totalDailyScrapingCapacity).toBe(800);
    expect(evaluate({ dailyScrapings: 0 }, { ...WITH_SALES_NAVIGATOR, workspaceScrapingPool: 0 }).totalDailyScrapingCapacity).toBe(0);
    expect(evaluate({ dailyScrapings: 0 }, WITHOUT_SALES_NAVIGATOR).totalDailyScrapingCapacity).toBe(500);
  });
});

describe('evaluateLinkedinLimits: raisedUntil', () => {
  it.each([
    '2026-03-09T10:00:00Z',
    '2026-03-09T10:00Z',
    '2026-03-09T10:00:00.123Z',
    '2026-03-09T10:00:00.123456789Z',
    '2026-03-09T11:00:00+01:00',
    '2026-03-09T05:30:00-04:30',
    '2028-02-29T00:00:00Z',
  ])('accepts the ISO instant %s', (raisedUntil) => {
    expect(evaluate({ dailyConnectionRequests: 30, raisedUntil }).problems).toEqual([]);
  });

  it.each([
    '',
    'soon',
    'tomorrow',
    '2026-03-09',
    '2026-03-09T10:00:00',
    '2026-03-09 10:00:00Z',
    '2026-03-09t10:00:00z',
    '2026-02-30T10:00:00Z',
    '2027-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-13-01T10:00:00Z',
    '2026-00-10T10:00:00Z',
    '2026-03-00T10:00:00Z',
    '2026-03-09T24:00:00Z',
    '2026-03-09T10:60:00Z',
    '2026-03-09T10:00:00+24:00',
    '2026-03-09T10:00:00+0100',
    'Mon, 09 Mar 2026 10:00:00 GMT',
    ' 2026-03-09T10:00:00Z',
  ])('refuses %j, which is not an ISO instant', (raisedUntil) => {
    expect(evaluate({ raisedUntil }).problems).toEqual([
      { field: 'raisedUntil', message: expect.stringContaining('raisedUntil must be an ISO 8601 instant with an offset') },
    ]);
  });

  it('refuses a raisedUntil that is not a string', () => {
    const raisedUntil = 1_773_050_400_000 as unknown as string;
    expect(fieldsOf(evaluate({ raisedUntil }).problems)).toEqual(['raisedUntil']);
  });

  it.each([
    ['now', iso(NOW)],
    ['1 ms ago', iso(NOW - 1)],
    ['last year', '2025-03-02T10:00:00Z'],
  ])('refuses a raisedUntil in the past (%s)', (_label, raisedUntil) => {
    expect(evaluate({ raisedUntil }).problems).toEqual([
      {
        field: 'raisedUntil',
        message: `raisedUntil must be in the future, got ${raisedUntil} (now is 2026-03-02T10:00:00.000Z)`,
      },
    ]);
  });

  it('accepts a raisedUntil 1 ms ahead, compared as an instant whatever its offset', () => {
    expect(evaluate({ raisedUntil: iso(NOW + 1) }).problems).toEqual([]);
    expect(evaluate({ raisedUntil: '2026-03-02T11:00:00.001+01:00' }).problems).toEqual([]);
    expect(fieldsOf(evaluate({ raisedUntil: '2026-03-02T11:00:00+01:00' }).problems)).toEqual(['raisedUntil']);
  });
});

describe('effectiveLinkedinLimits', () => {
  const RAISED_UNTIL = '2026-03-09T10:00:00Z';
  const RAISED_UNTIL_MS = Date.parse(RAISED_UNTIL);
  const raised = settings({ dailyConnectionRequests: 60, dailyMessages: 200, dailyScrapings: 400, raisedUntil: RAISED_UNTIL });

  it('without raisedUntil: the settings as they are, forever', () => {
    const unlimited = settings({ dailyConnectionRequests: 60, dailyMessages: 200, dailyScrapings: 400 });
    for (const now of [NOW, NOW + 365 * DAY_MS]) {
      expect(effectiveLinkedinLimits(unlimited, now)).toEqual({
        dailyConnectionRequests: 60,
        dailyMessages: 200,
        dailyScrapings: 400,
        fallsBackAt: null,
      });
    }
  });

  it('before raisedUntil: the settings as they are, falling back at raisedUntil', () => {
    for (const now of [NOW, RAISED_UNTIL_MS - 1]) {
      expect(effectiveLinkedinLimits(raised, now)).toEqual({
        dailyConnectionRequests: 60,
        dailyMessages: 200,
        dailyScrapings: 400,
        fallsBackAt: RAISED_UNTIL_MS,
      });
    }
  });

  it('at and after raisedUntil: raised values are back to recommended, scrapings unchanged', () => {
    for (const now of [RAISED_UNTIL_MS, RAISED_UNTIL_MS + 1, RAISED_UNTIL_MS + 365 * DAY_MS]) {
      expect(effectiveLinkedinLimits(raised, now)).toEqual({
        dailyConnectionRequests: 20,
        dailyMessages: 100,
        dailyScrapings: 400,
        fallsBackAt: null,
      });
    }
  });

  it('values at or below recommended stay as they are after raisedUntil', () => {
    const partly = settings({ dailyConnectionRequests: 10, dailyMessages: 150, raisedUntil: RAISED_UNTIL });
    expect(effectiveLinkedinLimits(partly, NOW)).toMatchObject({ dailyConnectionRequests: 10, dailyMessages: 150 });
    expect(effectiveLinkedinLimits(partly, RAISED_UNTIL_MS)).toMatchObject({ dailyConnectionRequests: 10, dailyMessages: 100 });
  });

  it('nothing above recommended: no fallback ahead even with raisedUntil', () => {
    const calm = settings({ dailyConnectionRequests: 20, dailyMessages: 50, dailyScrapings: 900, raisedUntil: RAISED_UNTIL });
    expect(effectiveLinkedinLimits(calm, NOW)).toEqual({
      dailyConnectionRequests: 20,
      dailyMessages: 50,
      dailyScrapings: 900,
      fallsBackAt: null,
    });
  });

  it('reads raisedUntil with its offset', () => {
    const withOffset = settings({ dailyConnectionRequests: 30, raisedUntil: '2026-03-09T11:00:00+01:00' });
    expect(effectiveLinkedinLimits(withOffset, NOW).fallsBackAt).toBe(RAISED_UNTIL_MS);
    expect(effectiveLinkedinLimits(withOffset, RAISED_UNTIL_MS - HOUR_MS).dailyConnectionRequests).toBe(30);
    expect(effectiveLinkedinLimits(withOffset, RAISED_UNTIL_MS).dailyConnectionRequests).toBe(20);
  });

  it.each([
    { dailyConnectionRequests: 101 },
    { dailyMessages: -1 },
    { dailyScrapings: 1.5 },
    { raisedUntil: 'next week' },
  ])('throws a RangeError for settings that could never be accepted: %j', (overrides) => {
    expect(() => effectiveLinkedinLimits(settings(overrides), NOW)).toThrow(RangeError);
  });

  it('does not throw for a raisedUntil in the past (that is normal once it has passed)', () => {
    expect(effectiveLinkedinLimits(settings({ raisedUntil: '2020-01-01T00:00:00Z' }), NOW).fallsBackAt).toBeNull();
  });
});

describe('properties', () => {
  const RUNS = { numRuns: 500 };
  const { connectionRequests, messages, scrapings } = LINKEDIN_LIMITS;
  const instantArb = fc.integer({ min: Date.parse('2020-01-01T00:00:00Z'), max: Date.parse('2035-01-01T00:00:00Z') });
  const countsArb = fc.record({
    dailyConnectionRequests: fc.oneof(
      fc.integer({ min: 0, max: connectionRequests.hardCeiling }),
      fc.constantFrom(0, connectionRequests.recommended, connectionRequests.recommended + 1, connectionRequests.hardCeiling),
    ),
    dailyMessages: fc.oneof(
      fc.integer({ min: 0, max: messages.hardCeiling }),
      fc.constantFrom(0, messages.recommended, messages.recommended + 1, messages.hardCeiling),
    ),
    dailyScrapings: fc.oneof(fc.integer({ min: 0, max: scrapings.hardCeiling }), fc.constantFrom(0, scrapings.hardCeiling)),
  });
  /** Valid settings: counts within the ceilings, raisedUntil null or any instant (UTC or with an offset). */
  const validSettingsArb: fc.Arbitrary<LinkedinLimitSettings> = fc
    .tuple(countsArb, fc.option(instantArb, { nil: null }), fc.boolean())
    .map(([counts, raisedUntilMs, withOffset]) => ({
      ...counts,
      raisedUntil:
        raisedUntilMs === null
          ? null
          : withOffset
            ? `${new Date(raisedUntilMs + 2 * HOUR_MS).toISOString().slice(0, -1)}+02:00`
            : iso(raisedUntilMs),
    }));

  it('evaluate reports no problem for integers within the ceilings, Sales Navigator on and a future raisedUntil', () => {
    fc.assert(
      fc.property(
        countsArb,
        instantArb,
        fc.option(fc.integer({ min: 1, max: 365 * DAY_MS }), { nil: null }),
        fc.nat({ max: 100_000 }),
        (counts, now, aheadMs, pool) => {
          const requested = { ...counts, raisedUntil: aheadMs === null ? null : iso(now + aheadMs) };
          const evaluation = evaluateLinkedinLimits(requested, { salesNavigatorEnabled: true, workspaceScrapingPool: pool, now });
          expect(evaluation.problems).toEqual([]);
          expect(evaluation.totalDailyScrapingCapacity).toBe(pool + counts.dailyScrapings);
        },
      ),
      RUNS,
    );
  });

  it('the settings round-trip: what evaluate accepts, effective reads back unchanged before raisedUntil', () => {
    fc.assert(
      fc.property(validSettingsArb, instantArb, (valid, now) => {
        const raisedUntil = valid.raisedUntil === null ? null : Date.parse(valid.raisedUntil);
        fc.pre(raisedUntil === null || now < raisedUntil);
        expect(effectiveLinkedinLimits(valid, now)).toMatchObject({
          dailyConnectionRequests: valid.dailyConnectionRequests,
          dailyMessages: valid.dailyMessages,
          dailyScrapings: valid.dailyScrapings,
        });
      }),
      RUNS,
    );
  });

  it('effective limits never exceed the hard ceilings, nor recommended at/after raisedUntil', () => {
    fc.assert(
      fc.property(validSettingsArb, instantArb, (valid, now) => {
        const effective = effectiveLinkedinLimits(valid, now);
        expect(effective.dailyConnectionRequests).toBeLessThanOrEqual(connectionRequests.hardCeiling);
        expect(effective.dailyMessages).toBeLessThanOrEqual(messages.hardCeiling);
        expect(effective.dailyScrapings).toBeLessThanOrEqual(scrapings.hardCeiling);
        if (valid.raisedUntil !== null && now >= Date.parse(valid.raisedUntil)) {
          expect(effective.dailyConnectionRequests).toBeLessThanOrEqual(connectionRequests.recommended);
          expect(effective.dailyMessages).toBeLessThanOrEqual(messages.recommended);
          expect(effective.dailyScrapings).toBe(valid.dailyScrapings);
          expect(effective.fallsBackAt).toBeNull();
        }
      }),
      RUNS,
    );
  });

  it('effective limits only ever go down with time, and change only at fallsBackAt', () => {
    fc.assert(
      fc.property(validSettingsArb, instantArb, instantArb, (valid, first, second) => {
        const [earlier, later] = first <= second ? [first, second] : [second, first];
        const before = effectiveLinkedinLimits(valid, earlier);
        const after = effectiveLinkedinLimits(valid, later);
        expect(after.dailyConnectionRequests).toBeLessThanOrEqual(before.dailyConnectionRequests);
        expect(after.dailyMessages).toBeLessThanOrEqual(before.dailyMessages);
        expect(after.dailyScrapings).toBe(before.dailyScrapings);
        const limitsOf = ({ dailyConnectionRequests, dailyMessages, dailyScrapings }: typeof before) =>
          [dailyConnectionRequests, dailyMessages, dailyScrapings];
        if (before.fallsBackAt === null || later < before.fallsBackAt) expect(limitsOf(after)).toEqual(limitsOf(before));
        else expect(limitsOf(after)).not.toEqual(limitsOf(before));
      }),
      RUNS,
    );
  });
});
