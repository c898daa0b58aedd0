import fc from 'fast-check';
import {
  CONNECTION_REASON_MAX_LENGTH,
  connectionCanAct,
  connectionWaitingReason,
  LINKEDIN_CONNECTION_STATUSES,
  type LinkedinConnection,
  observeConnection,
} from '../../domain/linkedin-connection';

const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const status = fc.constantFrom(...LINKEDIN_CONNECTION_STATUSES);
const reason = fc.option(fc.string({ maxLength: 600 }), { nil: null });

describe('observeConnection', () => {
  it('a loss starts now, with its reason', () => {
    const connected: LinkedinConnection = { status: 'connected', since: T0, reason: null };
    expect(observeConnection(connected, { status: 'needs-reconnect', reason: 'Unipile reports CREDENTIALS' }, T0 + 5)).toEqual({
      connection: { status: 'needs-reconnect', since: T0 + 5, reason: 'Unipile reports CREDENTIALS' },
      changed: true,
    });
  });

  it('the same observation again changes nothing (a repeated webhook)', () => {
    const lost: LinkedinConnection = { status: 'needs-reconnect', since: T0, reason: 'checkpoint' };
    expect(observeConnection(lost, { status: 'needs-reconnect', reason: 'checkpoint' }, T0 + 3_600_000)).toEqual({ connection: lost, changed: false });
  });

  it('a new reason for the same status keeps since', () => {
    const lost: LinkedinConnection = { status: 'needs-reconnect', since: T0, reason: 'checkpoint' };
    expect(observeConnection(lost, { status: 'needs-reconnect', reason: 'restricted' }, T0 + 9)).toEqual({
      connection: { status: 'needs-reconnect', since: T0, reason: 'restricted' },
      changed: true,
    });
  });

  it('connected never carries a reason; long reasons are clipped, blank ones dropped', () => {
    expect(observeConnection({ status: 'not-connected', since: T0, reason: 'never' }, { status: 'connected', reason: 'ignored' }, T0 + 1).connection.reason).toBeNull();
    const long = observeConnection({ status: 'connected', since: T0, reason: null }, { status: 'needs-reconnect', reason: 'x'.repeat(2000) }, T0).connection.reason!;
    expect(long).toHaveLength(CONNECTION_REASON_MAX_LENGTH);
    expect(long.endsWith('…')).toBe(true);
    expect(observeConnection({ status: 'connected', since: T0, reason: null }, { status: 'needs-reconnect', reason: '  \n ' }, T0).connection.reason).toBeNull();
  });

  it('is idempotent, and since moves exactly when the status changes (property)', () => {
    fc.assert(
      fc.property(status, reason, fc.integer({ min: 0, max: 1e12 }), status, reason, fc.integer({ min: 0, max: 1e12 }), (s0, r0, since, s1, r1, at) => {
        const current = observeConnection({ status: s0, since, reason: null }, { status: s0, reason: r0 }, since).connection;
        const once = observeConnection(current, { status: s1, reason: r1 }, at);
        const twice = observeConnection(once.connection, { status: s1, reason: r1 }, at + 1000);
        expect(twice.changed).toBe(false);
        expect(twice.connection).toEqual(once.connection);
        expect(once.connection.status).toBe(s1);
        expect(once.connection.since).toBe(s1 === current.status ? current.since : at);
        if (s1 === 'connected') expect(once.connection.reason).toBeNull();
      }),
    );
  });
});

describe('whether the dispatch may act with the account', () => {
  it('connected always; needs-reconnect never; not-connected only through an adapter that needs no account connected through Pacer', () => {
    expect(connectionCanAct('connected', true)).toBe(true);
    expect(connectionCanAct('connected', false)).toBe(true);
    expect(connectionCanAct('needs-reconnect', false)).toBe(false);
    expect(connectionCanAct('needs-reconnect', true)).toBe(false);
    expect(connectionCanAct('not-connected', false)).toBe(true);
    expect(connectionCanAct('not-connected', true)).toBe(false);
  });

  it('the waiting reason says what to do, with the reason when there is one', () => {
    expect(connectionWaitingReason({ status: 'needs-reconnect', reason: 'Unipile reports CREDENTIALS' })).toBe(
      'waiting for the LinkedIn account to be reconnected (Unipile reports CREDENTIALS): sign in again through hosted sign-in or the share link',
    );
    expect(connectionWaitingReason({ status: 'not-connected', reason: null })).toBe('waiting for a LinkedIn account to be connected: connect one through hosted sign-in');
  });

  it('property: an account that needs reconnecting never acts, and a reason is always given when it cannot', () => {
    fc.assert(
      fc.property(status, fc.boolean(), reason, (s, needsAccount, why) => {
        const canAct = connectionCanAct(s, needsAccount);
        if (s === 'needs-reconnect') expect(canAct).toBe(false);
        if (s === 'connected') expect(canAct).toBe(true);
        if (!canAct) expect(connectionWaitingReason({ status: s, reason: why })).toMatch(/^waiting for (the|a) LinkedIn account to be (re)?connected/);
      }),
    );
  });
});
