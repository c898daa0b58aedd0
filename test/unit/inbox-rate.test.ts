import fc from 'fast-check';
import { customerRateProblems, effectiveInboxRate, rateWarnings } from '../../domain/inbox-rate';

describe('inbox rate', () => {
  const own = { dailyRate: 30, hourlyRate: 5 };
  const override = { dailyRate: 150, hourlyRate: 20, expiresAt: Date.parse('2026-12-01T00:00:00Z') };

  it('an override applies until its expiry, then the own rate applies again by itself', () => {
    expect(effectiveInboxRate(own, override, override.expiresAt - 1)).toEqual({ dailyRate: 150, hourlyRate: 20, overridden: true });
    expect(effectiveInboxRate(own, override, override.expiresAt)).toEqual({ dailyRate: 30, hourlyRate: 5, overridden: false });
    expect(effectiveInboxRate(own, null, 0)).toEqual({ ...own, overridden: false });
  });

  it('customers may set up to 80/10, no more', () => {
    expect(customerRateProblems({ dailyRate: 80, hourlyRate: 10 })).toEqual([]);
    expect(customerRateProblems({ dailyRate: 81, hourlyRate: 11 }).map((problem) => problem.field)).toEqual(['dailyRate', 'hourlyRate']);
    expect(customerRateProblems({ dailyRate: 3, hourlyRate: 4 })).toEqual([{ field: 'hourlyRate', message: 'cannot exceed the daily rate' }]);
    expect(rateWarnings({ dailyRate: 31, hourlyRate: 6 })).toHaveLength(2);
    expect(rateWarnings({ dailyRate: 30, hourlyRate: 5 })).toEqual([]);
  });

  it('property: the effective rate is the override exactly when now is before its expiry', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 42 }), fc.integer({ min: 0, max: 2 ** 42 }), (now, expiresAt) => {
        const rate = effectiveInboxRate(own, { ...override, expiresAt }, now);
        return rate.overridden === now < expiresAt && rate.dailyRate === (now < expiresAt ? 150 : 30);
      }),
    );
  });
});
