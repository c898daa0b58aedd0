import fc from 'fast-check';
import {
  LinkedinAlreadyConnectedError,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  LinkedinRateLimitedError,
  PendingInvitationCapError,
  REINVITE_BLOCK_MS,
  ReinviteBlockedError,
} from '../../../integrations/linkedin/gateway';
import {
  DEFAULT_PENDING_CAP,
  type LinkedinSimulatorOptions,
  SIMULATOR_LABEL,
  createLinkedinSimulator,
  defaultAcceptanceDelayMs,
  simulatedProfile,
} from '../../../integrations/linkedin/simulator';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const ALICE = 'identity-alice';
const BOB = 'identity-bob';
const JANE = 'https://www.linkedin.com/in/jane-doe';

let keys = 0;
const key = () => `key-${++keys}`;

async function rejection(promise: Promise<unknown>): Promise<LinkedinGatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LinkedinGatewayError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function simulator(options: LinkedinSimulatorOptions = {}) {
  const sim = createLinkedinSimulator({ acceptanceDelayMs: () => 3 * DAY, ...options });
  const invite = (profileUrl: string, at: number, extra: { identityId?: string; idempotencyKey?: string; note?: string } = {}) =>
    sim.sendConnectionRequest({ identityId: ALICE, profileUrl, idempotencyKey: key(), at, ...extra });
  const status = (invitationId: string, at: number, identityId = ALICE) => sim.getInvitation({ identityId, invitationId, at });
  const withdraw = (invitationId: string, at: number, idempotencyKey = key()) =>
    sim.withdrawInvitation({ identityId: ALICE, invitationId, idempotencyKey, at });
  return { sim, invite, status, withdraw };
}

describe('labelling', () => {
  it('says it is the simulator', () => {
    const sim = createLinkedinSimulator();
    expect(sim.adapter).toBe('simulator');
    expect(sim.label).toBe(SIMULATOR_LABEL);
    expect(sim.label).toMatch(/SIMULATOR/);
  });

  it('has LinkedIn-like defaults: 500 pending invitations, a 21-day re-invite block', async () => {
    expect(DEFAULT_PENDING_CAP).toBe(500);
    expect(REINVITE_BLOCK_MS).toBe(21 * DAY);
    const { invite, withdraw } = simulator({ acceptanceDelayMs: () => null, pendingCap: undefined });
    const { invitationId } = await invite(JANE, T0);
    await withdraw(invitationId, T0);
    expect(await rejection(invite(JANE, T0 + 21 * DAY - 1))).toBeInstanceOf(ReinviteBlockedError);
    await expect(invite(JANE, T0 + 21 * DAY)).resolves.toMatchObject({ status: 'pending' });
  });
});

describe('acceptance', () => {
  it('happens at sentAt + delay, not a millisecond before, and keeps that date', async () => {
    const { invite, status } = simulator({ acceptanceDelayMs: () => 3 * DAY });
    const sent = await invite(JANE, T0);
    expect(sent).toStrictEqual({ invitationId: expect.stringMatching(/^sim-invitation-/), status: 'pending' });
    await expect(status(sent.invitationId, T0)).resolves.toStrictEqual({ invitationId: sent.invitationId, status: 'pending', acceptedAt: null });
    await expect(status(sent.invitationId, T0 + 3 * DAY - 1)).resolves.toMatchObject({ status: 'pending', acceptedAt: null });
    await expect(status(sent.invitationId, T0 + 3 * DAY)).resolves.toMatchObject({ status: 'accepted', acceptedAt: T0 + 3 * DAY });
    await expect(status(sent.invitationId, T0 + 30 * DAY)).resolves.toMatchObject({ status: 'accepted', acceptedAt: T0 + 3 * DAY });
  });

  it('is evaluated against the caller`s time, not the clock (Temporal time-skipping)', async () => {
    const { invite, status } = simulator({ acceptanceDelayMs: () => DAY });
    const sent = await invite(JANE, Date.parse('2031-01-01T00:00:00Z'));
    await expect(status(sent.invitationId, Date.parse('2031-01-01T23:59:59.999Z'))).resolves.toMatchObject({ status: 'pending' });
    await expect(status(sent.invitationId, Date.parse('2031-01-02T00:00:00Z'))).resolves.toMatchObject({ status: 'accepted' });
  });

  it('never happens for a person whose delay is null', async () => {
    const { invite, status } = simulator({ acceptanceDelayMs: (url) => (url.endsWith('/never') ? null : DAY) });
    const sent = await invite('https://www.linkedin.com/in/never', T0);
    await expect(status(sent.invitationId, T0 + 3650 * DAY)).resolves.toMatchObject({ status: 'pending', acceptedAt: null });
  });

  it('gives the delay function the canonical profile URL', async () => {
    const seen: string[] = [];
    const { invite } = simulator({ acceptanceDelayMs: (url) => (seen.push(url), null) });
    await invite('http://FR.linkedin.com/in/Jane-Doe/?trk=x', T0);
    expect(seen).toEqual([JANE]);
  });

  it('does not happen to an invitation withdrawn before its time', async () => {
    const { invite, status, withdraw } = simulator({ acceptanceDelayMs: () => 3 * DAY });
    const sent = await invite(JANE, T0);
    await expect(withdraw(sent.invitationId, T0 + DAY)).resolves.toEqual({ invitationId: sent.invitationId, status: 'withdrawn' });
    await expect(status(sent.invitationId, T0 + 10 * DAY)).resolves.toMatchObject({ status: 'withdrawn', acceptedAt: null });
  });

  it('acceptInvitation makes a pending invitation accepted now (test control)', async () => {
    const { sim, invite, status } = simulator({ acceptanceDelayMs: () => null });
    const sent = await invite(JANE, T0);
    expect(sim.acceptInvitation({ identityId: ALICE, invitationId: sent.invitationId, at: T0 + 5 })).toEqual({
      invitationId: sent.invitationId,
      status: 'accepted',
      acceptedAt: T0 + 5,
    });
    await expect(status(sent.invitationId, T0 + 6)).resolves.toMatchObject({ status: 'accepted', acceptedAt: T0 + 5 });
  });
});

describe('default acceptance delay', () => {
  const urls = Array.from({ length: 4000 }, (_, index) => `https://www.linkedin.com/in/person-${index}`);
  const delays = urls.map(defaultAcceptanceDelayMs);

  it('is deterministic per person', () => {
    expect(urls.map(defaultAcceptanceDelayMs)).toEqual(delays);
  });

  it('never accepts for about 40% of people', () => {
    const never = delays.filter((delay) => delay === null).length / delays.length;
    expect(never).toBeGreaterThan(0.36);
    expect(never).toBeLessThan(0.44);
  });

  it('accepts 1 to 10 days after the invitation for the others, spread across the range', () => {
    const accepting = delays.filter((delay): delay is number => delay !== null);
    for (const delay of accepting) {
      expect(delay).toBeGreaterThanOrEqual(DAY);
      expect(delay).toBeLessThanOrEqual(10 * DAY);
    }
    const days = new Set(accepting.map((delay) => Math.floor(delay / DAY)));
    expect([...days].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('drives a default simulator', async () => {
    const sim = createLinkedinSimulator();
    const never = urls.find((url) => defaultAcceptanceDelayMs(url) === null)!;
    const accepts = urls.find((url) => defaultAcceptanceDelayMs(url) !== null)!;
    const delay = defaultAcceptanceDelayMs(accepts)!;
    const a = await sim.sendConnectionRequest({ identityId: ALICE, profileUrl: never, idempotencyKey: key(), at: T0 });
    const b = await sim.sendConnectionRequest({ identityId: ALICE, profileUrl: accepts, idempotencyKey: key(), at: T0 });
    const at = T0 + 11 * DAY;
    await expect(sim.getInvitation({ identityId: ALICE, invitationId: a.invitationId, at })).resolves.toMatchObject({ status: 'pending' });
    await expect(sim.getInvitation({ identityId: ALICE, invitationId: b.invitationId, at })).resolves.toMatchObject({
      status: 'accepted',
      acceptedAt: T0 + delay,
    });
  });
});

describe('re-invite block (SPEC §2: 21 days after a withdrawal)', () => {
  it('refuses at withdrawnAt + 21 d − 1 ms with the date it lifts, and allows at + 21 d', async () => {
    const { sim, invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    const withdrawnAt = T0 + 7 * DAY;
    await withdraw(first.invitationId, withdrawnAt);

    const error = await rejection(invite(JANE, withdrawnAt + 21 * DAY - 1));
    expect(error).toBeInstanceOf(ReinviteBlockedError);
    expect(error).toMatchObject({ code: 'reinvite-blocked', retryable: false, blockedUntil: withdrawnAt + 21 * DAY, name: 'ReinviteBlockedError' });
    expect(error.message).toContain(new Date(withdrawnAt + 21 * DAY).toISOString());
    expect(error.details).toMatchObject({ blockedUntil: new Date(withdrawnAt + 21 * DAY).toISOString() });

    const second = await invite(JANE, withdrawnAt + 21 * DAY);
    expect(second).toMatchObject({ status: 'pending' });
    expect(second.invitationId).not.toBe(first.invitationId);
    expect(sim.sent(ALICE).invitations.map((invitation) => invitation.status)).toEqual(['withdrawn', 'pending']);
  });

  it('applies to every spelling of the person`s URL', async () => {
    const { invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    await withdraw(first.invitationId, T0);
    for (const variant of ['http://fr.linkedin.com/in/JANE-DOE/', 'linkedin.com/in/jane-doe?trk=abc#top', 'https://www.linkedin.com/in/%6Aane-doe']) {
      expect(await rejection(invite(variant, T0 + DAY))).toBeInstanceOf(ReinviteBlockedError);
    }
  });

  it('counts from the first withdrawal: withdrawing again does not extend it', async () => {
    const { invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    await withdraw(first.invitationId, T0);
    await expect(withdraw(first.invitationId, T0 + 5 * DAY)).resolves.toEqual({ invitationId: first.invitationId, status: 'withdrawn' });
    await expect(invite(JANE, T0 + 21 * DAY)).resolves.toMatchObject({ status: 'pending' });
  });

  it('a refused attempt leaves its idempotency key free, so the same step succeeds once the block lifts', async () => {
    const { invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    await withdraw(first.invitationId, T0);
    expect(await rejection(invite(JANE, T0 + DAY, { idempotencyKey: 'campaign-1:lead-1:step-1' }))).toBeInstanceOf(ReinviteBlockedError);
    await expect(invite(JANE, T0 + 21 * DAY, { idempotencyKey: 'campaign-1:lead-1:step-1' })).resolves.toMatchObject({ status: 'pending' });
  });

  it('belongs to one identity: another identity may invite the same person', async () => {
    const { invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    await withdraw(first.invitationId, T0);
    await expect(invite(JANE, T0 + DAY, { identityId: BOB })).resolves.toMatchObject({ status: 'pending' });
  });
});

describe('pending-invitation cap', () => {
  it('refuses once the cap is reached, and lets one through after a withdrawal or an acceptance', async () => {
    const { invite, withdraw } = simulator({ pendingCap: 3, acceptanceDelayMs: (url) => (url.endsWith('-accepts') ? 2 * DAY : null) });
    const first = await invite('https://www.linkedin.com/in/p-1', T0);
    await invite('https://www.linkedin.com/in/p-2', T0);
    await invite('https://www.linkedin.com/in/p-3-accepts', T0);

    const error = await rejection(invite('https://www.linkedin.com/in/p-4', T0 + 1));
    expect(error).toBeInstanceOf(PendingInvitationCapError);
    expect(error).toMatchObject({ code: 'pending-cap', retryable: false, cap: 3 });

    // An acceptance frees a slot (evaluated lazily at the caller's time).
    await expect(invite('https://www.linkedin.com/in/p-4', T0 + 2 * DAY)).resolves.toMatchObject({ status: 'pending' });
    expect(await rejection(invite('https://www.linkedin.com/in/p-5', T0 + 2 * DAY))).toBeInstanceOf(PendingInvitationCapError);
    // So does a withdrawal.
    await withdraw(first.invitationId, T0 + 2 * DAY);
    await expect(invite('https://www.linkedin.com/in/p-5', T0 + 2 * DAY)).resolves.toMatchObject({ status: 'pending' });
  });

  it('is per identity', async () => {
    const { invite } = simulator({ pendingCap: 1, acceptanceDelayMs: () => null });
    await invite('https://www.linkedin.com/in/p-1', T0);
    await expect(invite('https://www.linkedin.com/in/p-2', T0, { identityId: BOB })).resolves.toMatchObject({ status: 'pending' });
  });

  it('still returns an already-pending invitation to the same person at the cap', async () => {
    const { invite } = simulator({ pendingCap: 1, acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0);
    await expect(invite(JANE, T0 + 1)).resolves.toEqual(first);
  });
});

describe('idempotency', () => {
  it('the same key twice sends one invitation', async () => {
    const { sim, invite } = simulator();
    const first = await invite(JANE, T0, { idempotencyKey: 'k-invite' });
    const again = await invite(JANE, T0 + 60_000, { idempotencyKey: 'k-invite' });
    expect(again).toEqual(first);
    expect(sim.sent(ALICE).invitations).toHaveLength(1);
  });

  it('a pending invitation to the same person is returned, whatever the key and URL spelling', async () => {
    const { sim, invite } = simulator();
    const first = await invite('https://www.linkedin.com/in/Jane-Doe/', T0);
    await expect(invite('http://fr.linkedin.com/in/jane-doe?trk=1', T0 + DAY)).resolves.toEqual(first);
    expect(sim.sent(ALICE).invitations).toHaveLength(1);
    expect(sim.sent(ALICE).invitations[0]).toMatchObject({ profileUrl: JANE, sentAt: T0 });
  });

  it('the same key twice sends one message; another key sends another', async () => {
    const { sim } = simulator();
    const send = (idempotencyKey: string) =>
      sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hello Jane', idempotencyKey, at: T0 });
    const first = await send('k-message');
    await expect(send('k-message')).resolves.toEqual(first);
    expect(sim.sent(ALICE).messages).toEqual([{ messageId: first.messageId, profileUrl: JANE, text: 'Hello Jane', at: T0 }]);
    const other = await send('k-message-2');
    expect(other.messageId).not.toBe(first.messageId);
    expect(sim.sent(ALICE).messages).toHaveLength(2);
  });

  it('the same key for a different request is refused', async () => {
    const { sim } = simulator();
    await sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hello', idempotencyKey: 'k-reused', at: T0 });
    const error = await rejection(
      sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Something else', idempotencyKey: 'k-reused', at: T0 }),
    );
    expect(error).toMatchObject({ code: 'idempotency-key-reused', retryable: false });
    const other = await rejection(sim.likeLatestPost({ identityId: ALICE, profileUrl: JANE, idempotencyKey: 'k-reused', at: T0 }));
    expect(other).toMatchObject({ code: 'idempotency-key-reused' });
    expect(sim.sent(ALICE).messages).toHaveLength(1);
  });

  it('keys are per identity', async () => {
    const { sim } = simulator();
    await sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: 'shared', at: T0 });
    await sim.sendMessage({ identityId: BOB, profileUrl: JANE, text: 'Hi', idempotencyKey: 'shared', at: T0 });
    expect(sim.sent(ALICE).messages).toHaveLength(1);
    expect(sim.sent(BOB).messages).toHaveLength(1);
  });

  it('a retried withdrawal replays its answer', async () => {
    const { sim, invite, withdraw } = simulator({ acceptanceDelayMs: () => null });
    const sent = await invite(JANE, T0);
    await withdraw(sent.invitationId, T0 + DAY, 'k-withdraw');
    await expect(withdraw(sent.invitationId, T0 + 2 * DAY, 'k-withdraw')).resolves.toEqual({ invitationId: sent.invitationId, status: 'withdrawn' });
    expect(sim.sent(ALICE).withdrawals).toEqual([{ invitationId: sent.invitationId, profileUrl: JANE, at: T0 + DAY }]);
  });

  it('scrapes and likes act once per key', async () => {
    const { sim } = simulator();
    const liker = 'https://www.linkedin.com/in/someone-who-posts';
    const liked = new Set<boolean>();
    for (let attempt = 0; attempt < 3; attempt++) {
      await sim.scrapeProfile({ identityId: ALICE, profileUrl: JANE, idempotencyKey: 'k-scrape', at: T0 + attempt });
      liked.add((await sim.likeLatestPost({ identityId: ALICE, profileUrl: liker, idempotencyKey: 'k-like', at: T0 + attempt })).liked);
    }
    expect(sim.sent(ALICE).scrapes).toEqual([{ profileUrl: JANE, at: T0 }]);
    expect(liked.size).toBe(1);
    expect(sim.sent(ALICE).likes).toEqual(liked.has(true) ? [{ profileUrl: liker, at: T0 }] : []);
  });
});

describe('withdrawal', () => {
  it('of an accepted invitation answers accepted and changes nothing', async () => {
    const { sim, invite, status, withdraw } = simulator({ acceptanceDelayMs: () => DAY });
    const sent = await invite(JANE, T0);
    await expect(withdraw(sent.invitationId, T0 + 2 * DAY)).resolves.toEqual({ invitationId: sent.invitationId, status: 'accepted' });
    await expect(status(sent.invitationId, T0 + 3 * DAY)).resolves.toEqual({
      invitationId: sent.invitationId,
      status: 'accepted',
      acceptedAt: T0 + DAY,
    });
    expect(sim.sent(ALICE).withdrawals).toEqual([]);
    expect(sim.sent(ALICE).invitations[0]).toMatchObject({ status: 'accepted', withdrawnAt: null });
    // The person is now a connection: no block, no new invitation.
    expect(await rejection(invite(JANE, T0 + 3 * DAY))).toBeInstanceOf(LinkedinAlreadyConnectedError);
  });

  it('of an unknown invitation, or another identity`s, is not found', async () => {
    const { sim, invite, withdraw, status } = simulator();
    const sent = await invite(JANE, T0);
    expect(await rejection(withdraw('sim-invitation-999999', T0))).toBeInstanceOf(LinkedinNotFoundError);
    expect(await rejection(status(sent.invitationId, T0, BOB))).toBeInstanceOf(LinkedinNotFoundError);
    expect(
      await rejection(sim.withdrawInvitation({ identityId: BOB, invitationId: sent.invitationId, idempotencyKey: key(), at: T0 })),
    ).toMatchObject({ code: 'not-found', retryable: false });
  });
});

describe('profiles, likes and messages', () => {
  it('scrapes a plausible profile derived from the slug', async () => {
    const { sim } = simulator();
    const profile = await sim.scrapeProfile({
      identityId: ALICE,
      profileUrl: 'https://fr.linkedin.com/in/Marie-Claire-Dupont-4b2a91/',
      idempotencyKey: key(),
      at: T0,
    });
    expect(profile).toMatchObject({
      profileUrl: 'https://www.linkedin.com/in/marie-claire-dupont-4b2a91',
      firstName: 'Marie',
      lastName: 'Claire Dupont',
    });
    expect(profile.headline === null || typeof profile.headline === 'string').toBe(true);
    expect(profile.pictureUrl === null || profile.pictureUrl.startsWith('https://media.linkedin-simulator.invalid/')).toBe(true);
  });

  it.each([
    ['jane-doe', 'Jane', 'Doe'],
    ['j%C3%A9r%C3%B4me-martin', 'Jérôme', 'Martin'],
    ['johnsmith123', 'Johnsmith123', ''],
    ['ada_lovelace', 'Ada', 'Lovelace'],
  ])('%s → %s %s', (slug, firstName, lastName) => {
    expect(simulatedProfile(`https://www.linkedin.com/in/${slug}`)).toMatchObject({ firstName, lastName });
  });

  it('gives varied headlines and pictures, some missing', () => {
    const profiles = Array.from({ length: 200 }, (_, index) => simulatedProfile(`https://www.linkedin.com/in/person-${index}`));
    expect(profiles.some((profile) => profile.headline === null)).toBe(true);
    expect(new Set(profiles.map((profile) => profile.headline)).size).toBeGreaterThan(4);
    expect(profiles.some((profile) => profile.pictureUrl === null)).toBe(true);
    expect(profiles.some((profile) => profile.pictureUrl !== null)).toBe(true);
  });

  it('likes the latest post of people who post, and reports liked: false for others', async () => {
    const { sim } = simulator();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        sim.likeLatestPost({ identityId: ALICE, profileUrl: `https://www.linkedin.com/in/person-${index}`, idempotencyKey: key(), at: T0 }),
      ),
    );
    const liked = results.filter((result) => result.liked).length;
    expect(liked).toBeGreaterThan(50);
    expect(liked).toBeLessThan(90);
    expect(sim.sent(ALICE).likes).toHaveLength(liked);
  });

  it('with messagesRequireConnection, refuses a message until the invitation is accepted', async () => {
    const { sim, invite } = simulator({ messagesRequireConnection: true, acceptanceDelayMs: () => DAY });
    const message = (at: number) => sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: key(), at });
    expect(await rejection(message(T0))).toBeInstanceOf(LinkedinNotConnectedError);
    await invite(JANE, T0);
    expect(await rejection(message(T0 + DAY - 1))).toBeInstanceOf(LinkedinNotConnectedError);
    await expect(message(T0 + DAY)).resolves.toEqual({ messageId: expect.stringMatching(/^sim-message-/) });
  });

  it('answers not found for profiles that do not exist', async () => {
    const { sim } = simulator({ profileExists: (url) => !url.endsWith('/ghost') });
    const ghost = 'https://www.linkedin.com/in/ghost';
    for (const call of [
      sim.sendConnectionRequest({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
      sim.sendMessage({ identityId: ALICE, profileUrl: ghost, text: 'Hi', idempotencyKey: key(), at: T0 }),
      sim.scrapeProfile({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
      sim.likeLatestPost({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
    ]) {
      expect(await rejection(call)).toBeInstanceOf(LinkedinNotFoundError);
    }
    expect(sim.sent(ALICE)).toEqual({ invitations: [], withdrawals: [], messages: [], scrapes: [], likes: [] });
  });
});

describe('inputs and faults', () => {
  it.each([
    ['a URL that is not a LinkedIn profile', { profileUrl: 'https://www.linkedin.com/company/acme' }],
    ['a note over 300 characters', { note: 'x'.repeat(301) }],
    ['an empty idempotency key', { idempotencyKey: '' }],
    ['a time that is not a number', { at: Number.NaN }],
  ])('refuses %s as invalid-request, like the HTTP adapter', async (_case, override) => {
    const { sim } = simulator();
    const error = await rejection(
      sim.sendConnectionRequest({ identityId: ALICE, profileUrl: JANE, idempotencyKey: key(), at: T0, ...override }),
    );
    expect(error).toMatchObject({ code: 'invalid-request', retryable: false });
    expect(sim.sent(ALICE).invitations).toEqual([]);
  });

  it('injects faults before doing anything, then recovers', async () => {
    let failing = true;
    const { sim } = simulator({
      fault: (call) => (failing && call.operation === 'sendMessage' ? new LinkedinRateLimitedError(60_000) : undefined),
    });
    const send = () => sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: 'k-fault', at: T0 });
    const error = await rejection(send());
    expect(error).toMatchObject({ code: 'rate-limited', retryable: true, retryAfterMs: 60_000 });
    expect(sim.sent(ALICE).messages).toEqual([]);
    failing = false;
    await expect(send()).resolves.toEqual({ messageId: expect.any(String) });
  });

  it('sent() with a time brings invitations up to it', async () => {
    const { sim, invite } = simulator({ acceptanceDelayMs: () => DAY });
    await invite(JANE, T0);
    expect(sim.sent(ALICE).invitations[0]).toMatchObject({ status: 'pending' });
    expect(sim.sent(ALICE, T0 + DAY).invitations[0]).toMatchObject({ status: 'accepted', acceptedAt: T0 + DAY, acceptsAt: T0 + DAY });
  });
});

describe('LinkedIn rules hold for any sequence of actions (model-based)', () => {
  type Command =
    | { kind: 'invite'; person: number; advance: number }
    | { kind: 'withdraw'; pick: number; advance: number }
    | { kind: 'check'; pick: number; advance: number };

  const command: fc.Arbitrary<Command> = fc.oneof(
    fc.record({ kind: fc.constant('invite' as const), person: fc.nat(7), advance: fc.nat(10 * DAY) }),
    fc.record({ kind: fc.constant('withdraw' as const), pick: fc.nat(50), advance: fc.nat(10 * DAY) }),
    fc.record({ kind: fc.constant('check' as const), pick: fc.nat(50), advance: fc.nat(10 * DAY) }),
  );

  it('never exceeds the cap, never re-invites inside the block, never withdraws an accepted invitation', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), fc.integer({ min: 1, max: 4 }), async (commands, cap) => {
        const delays = [null, DAY, 3 * DAY, 0, 12 * DAY, null, 2 * DAY, 5 * DAY];
        const url = (person: number) => `https://www.linkedin.com/in/person-${person}`;
        const sim = createLinkedinSimulator({
          pendingCap: cap,
          acceptanceDelayMs: (profileUrl) => delays[Number(profileUrl.split('-').pop())] ?? null,
        });
        const ids: string[] = [];
        const acceptedSeen = new Set<string>();
        let at = T0;
        for (const step of commands) {
          at += step.advance;
          if (step.kind === 'invite') {
            const before = sim.sent(ALICE, at).invitations.filter((invitation) => invitation.profileUrl === url(step.person));
            try {
              const { invitationId } = await sim.sendConnectionRequest({ identityId: ALICE, profileUrl: url(step.person), idempotencyKey: key(), at });
              if (!ids.includes(invitationId)) ids.push(invitationId);
              const lastWithdrawal = Math.max(-Infinity, ...before.map((invitation) => invitation.withdrawnAt ?? -Infinity));
              const reused = before.some((invitation) => invitation.invitationId === invitationId);
              if (!reused) expect(at).toBeGreaterThanOrEqual(lastWithdrawal + REINVITE_BLOCK_MS);
            } catch (error) {
              if (error instanceof ReinviteBlockedError) expect(error.blockedUntil).toBeGreaterThan(at);
              else if (!(error instanceof PendingInvitationCapError) && !(error instanceof LinkedinAlreadyConnectedError)) throw error;
            }
          } else if (ids.length > 0) {
            const invitationId = ids[step.pick % ids.length]!;
            if (step.kind === 'withdraw') {
              const { status } = await sim.withdrawInvitation({ identityId: ALICE, invitationId, idempotencyKey: key(), at });
              if (acceptedSeen.has(invitationId)) expect(status).toBe('accepted');
            } else {
              const { status } = await sim.getInvitation({ identityId: ALICE, invitationId, at });
              if (status === 'accepted') acceptedSeen.add(invitationId);
            }
          }
          const invitations = sim.sent(ALICE, at).invitations;
          for (const invitation of invitations) if (invitation.status === 'accepted') acceptedSeen.add(invitation.invitationId);
          expect(invitations.filter((invitation) => invitation.status === 'pending').length).toBeLessThanOrEqual(cap);
          for (const invitation of invitations) {
            if (acceptedSeen.has(invitation.invitationId)) expect(invitation).toMatchObject({ status: 'accepted', withdrawnAt: null });
          }
          // At most one pending invitation per person.
          const pendingPeople = invitations.filter((invitation) => invitation.status === 'pending').map((invitation) => invitation.profileUrl);
          expect(new Set(pendingPeople).size).toBe(pendingPeople.length);
        }
      }),
      { numRuns: 200 },
    );
  });
});
