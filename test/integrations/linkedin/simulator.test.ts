/**
 * The LinkedIn simulator over its real store (PostgreSQL): LinkedIn's rules, idempotency, the shared
 * state between processes, accounts, hosted sign-in, throttling. Behaviours it shares with the Unipile
 * adapter are also run against Unipile in behaviour.test.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { createDatabase, type Database } from '../../../db/client';
import { prismaLinkedinSimulatorStore } from '../../../db/linkedin-simulator-store';
import {
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  LinkedinNotFoundError,
  LinkedinRateLimitedError,
  PendingInvitationCapError,
  REINVITE_BLOCK_MS,
  ReinviteBlockedError,
} from '../../../integrations/linkedin/gateway';
import {
  DEFAULT_BURST,
  DEFAULT_PENDING_CAP,
  type LinkedinSimulatorOptions,
  SIMULATOR_LABEL,
  SIMULATOR_PAGE_SIZE,
  createLinkedinSimulator,
  defaultAcceptanceDelayMs,
  simulatedProfile,
} from '../../../integrations/linkedin/simulator';
import { sharedServices } from '../../support/services';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const JANE = 'https://www.linkedin.com/in/jane-doe';

let keys = 0;
const key = () => `key-${++keys}`;

let db: Database;
beforeAll(() => {
  db = createDatabase(sharedServices().databaseUrl);
});
afterAll(() => db.$disconnect());

async function rejection(promise: Promise<unknown>): Promise<LinkedinGatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LinkedinGatewayError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

/** A simulator on the shared PostgreSQL, with identities of its own (state is keyed by identity). */
function simulator(options: Omit<LinkedinSimulatorOptions, 'store'> = {}) {
  const ALICE = `alice-${randomUUID()}`;
  const BOB = `bob-${randomUUID()}`;
  const sim = createLinkedinSimulator({ store: prismaLinkedinSimulatorStore(db), acceptanceDelayMs: () => 3 * DAY, ...options });
  const invite = (profileUrl: string, at: number, extra: { identityId?: string; idempotencyKey?: string; note?: string } = {}) =>
    sim.sendConnectionRequest({ identityId: ALICE, profileUrl, idempotencyKey: key(), at, ...extra });
  const status = (invitationId: string, at: number, identityId = ALICE) => sim.getInvitation({ identityId, invitationId, profileUrl: JANE, at });
  const withdraw = (invitationId: string, at: number, idempotencyKey = key()) =>
    sim.withdrawInvitation({ identityId: ALICE, invitationId, profileUrl: JANE, idempotencyKey, at });
  return { sim, invite, status, withdraw, ALICE, BOB };
}

describe('labelling', () => {
  it('says it is the simulator', () => {
    const { sim } = simulator();
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
    const { sim, invite, status, ALICE } = simulator({ acceptanceDelayMs: () => null });
    const sent = await invite(JANE, T0);
    await expect(sim.acceptInvitation({ identityId: ALICE, invitationId: sent.invitationId, at: T0 + 5 })).resolves.toEqual({
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
    const { sim, ALICE } = simulator({ acceptanceDelayMs: undefined });
    const never = urls.find((url) => defaultAcceptanceDelayMs(url) === null)!;
    const accepts = urls.find((url) => defaultAcceptanceDelayMs(url) !== null)!;
    const delay = defaultAcceptanceDelayMs(accepts)!;
    const a = await sim.sendConnectionRequest({ identityId: ALICE, profileUrl: never, idempotencyKey: key(), at: T0 });
    const b = await sim.sendConnectionRequest({ identityId: ALICE, profileUrl: accepts, idempotencyKey: key(), at: T0 });
    const at = T0 + 11 * DAY;
    await expect(sim.getInvitation({ identityId: ALICE, invitationId: a.invitationId, profileUrl: never, at })).resolves.toMatchObject({ status: 'pending' });
    await expect(sim.getInvitation({ identityId: ALICE, invitationId: b.invitationId, profileUrl: accepts, at })).resolves.toMatchObject({
      status: 'accepted',
      acceptedAt: T0 + delay,
    });
  });
});

describe('re-invite block (SPEC §2: 21 days after a withdrawal)', () => {
  it('refuses at withdrawnAt + 21 d − 1 ms with the date it lifts, and allows at + 21 d', async () => {
    const { sim, invite, withdraw, ALICE } = simulator({ acceptanceDelayMs: () => null });
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
    expect((await sim.sent(ALICE)).invitations.map((invitation) => invitation.status)).toEqual(['withdrawn', 'pending']);
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
    const { invite, withdraw, BOB } = simulator({ acceptanceDelayMs: () => null });
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
    const { invite, BOB } = simulator({ pendingCap: 1, acceptanceDelayMs: () => null });
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
    const { sim, invite, ALICE } = simulator();
    const first = await invite(JANE, T0, { idempotencyKey: 'k-invite' });
    const again = await invite(JANE, T0 + 60_000, { idempotencyKey: 'k-invite' });
    expect(again).toEqual(first);
    expect((await sim.sent(ALICE)).invitations).toHaveLength(1);
  });

  it('a pending invitation to the same person is returned, whatever the key and URL spelling', async () => {
    const { sim, invite, ALICE } = simulator();
    const first = await invite('https://www.linkedin.com/in/Jane-Doe/', T0);
    await expect(invite('http://fr.linkedin.com/in/jane-doe?trk=1', T0 + DAY)).resolves.toEqual(first);
    expect((await sim.sent(ALICE)).invitations).toHaveLength(1);
    expect((await sim.sent(ALICE)).invitations[0]).toMatchObject({ profileUrl: JANE, sentAt: T0 });
  });

  it('the same key twice sends one message; another key sends another', async () => {
    const { sim, ALICE } = simulator();
    await sim.addConnection(ALICE, JANE, T0);
    const send = (idempotencyKey: string) =>
      sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hello Jane', idempotencyKey, at: T0 });
    const first = await send('k-message');
    await expect(send('k-message')).resolves.toEqual(first);
    expect((await sim.sent(ALICE)).messages).toEqual([{ messageId: first.messageId, profileUrl: JANE, text: 'Hello Jane', at: T0 }]);
    const other = await send('k-message-2');
    expect(other.messageId).not.toBe(first.messageId);
    expect((await sim.sent(ALICE)).messages).toHaveLength(2);
  });

  it('the same key for a different request is refused', async () => {
    const { sim, ALICE } = simulator();
    await sim.addConnection(ALICE, JANE, T0);
    await sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hello', idempotencyKey: 'k-reused', at: T0 });
    const error = await rejection(
      sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Something else', idempotencyKey: 'k-reused', at: T0 }),
    );
    expect(error).toMatchObject({ code: 'idempotency-key-reused', retryable: false });
    const other = await rejection(sim.likeLatestPost({ identityId: ALICE, profileUrl: JANE, idempotencyKey: 'k-reused', at: T0 }));
    expect(other).toMatchObject({ code: 'idempotency-key-reused' });
    expect((await sim.sent(ALICE)).messages).toHaveLength(1);
  });

  it('keys are per identity', async () => {
    const { sim, ALICE, BOB } = simulator();
    await sim.addConnection(ALICE, JANE, T0);
    await sim.addConnection(BOB, JANE, T0);
    await sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: 'shared', at: T0 });
    await sim.sendMessage({ identityId: BOB, profileUrl: JANE, text: 'Hi', idempotencyKey: 'shared', at: T0 });
    expect((await sim.sent(ALICE)).messages).toHaveLength(1);
    expect((await sim.sent(BOB)).messages).toHaveLength(1);
  });

  it('a retried withdrawal replays its answer', async () => {
    const { sim, invite, withdraw, ALICE } = simulator({ acceptanceDelayMs: () => null });
    const sent = await invite(JANE, T0);
    await withdraw(sent.invitationId, T0 + DAY, 'k-withdraw');
    await expect(withdraw(sent.invitationId, T0 + 2 * DAY, 'k-withdraw')).resolves.toEqual({ invitationId: sent.invitationId, status: 'withdrawn' });
    expect((await sim.sent(ALICE)).withdrawals).toEqual([{ invitationId: sent.invitationId, profileUrl: JANE, at: T0 + DAY }]);
  });

  it('scrapes and likes act once per key', async () => {
    const { sim, ALICE } = simulator();
    const liker = 'https://www.linkedin.com/in/someone-who-posts';
    const liked = new Set<boolean>();
    for (let attempt = 0; attempt < 3; attempt++) {
      await sim.scrapeProfile({ identityId: ALICE, profileUrl: JANE, idempotencyKey: 'k-scrape', at: T0 + attempt });
      liked.add((await sim.likeLatestPost({ identityId: ALICE, profileUrl: liker, idempotencyKey: 'k-like', at: T0 + attempt })).liked);
    }
    expect((await sim.sent(ALICE)).scrapes).toEqual([{ profileUrl: JANE, at: T0 }]);
    expect(liked.size).toBe(1);
    expect((await sim.sent(ALICE)).likes).toEqual(liked.has(true) ? [{ profileUrl: liker, at: T0 }] : []);
  });
});

describe('withdrawal', () => {
  it('of an accepted invitation answers accepted and changes nothing', async () => {
    const { sim, invite, status, withdraw, ALICE } = simulator({ acceptanceDelayMs: () => DAY });
    const sent = await invite(JANE, T0);
    await expect(withdraw(sent.invitationId, T0 + 2 * DAY)).resolves.toEqual({ invitationId: sent.invitationId, status: 'accepted' });
    await expect(status(sent.invitationId, T0 + 3 * DAY)).resolves.toEqual({
      invitationId: sent.invitationId,
      status: 'accepted',
      acceptedAt: T0 + DAY,
    });
    expect((await sim.sent(ALICE)).withdrawals).toEqual([]);
    expect((await sim.sent(ALICE)).invitations[0]).toMatchObject({ status: 'accepted', withdrawnAt: null });
    // The person is now a connection: no block, no new invitation.
    expect(await rejection(invite(JANE, T0 + 3 * DAY))).toBeInstanceOf(LinkedinAlreadyConnectedError);
  });

  it('of an unknown invitation, or another identity`s, is not found', async () => {
    const { sim, invite, withdraw, status, BOB } = simulator();
    const sent = await invite(JANE, T0);
    expect(await rejection(withdraw('sim-invitation-999999', T0))).toBeInstanceOf(LinkedinNotFoundError);
    expect(await rejection(status(sent.invitationId, T0, BOB))).toBeInstanceOf(LinkedinNotFoundError);
    expect(
      await rejection(sim.withdrawInvitation({ identityId: BOB, invitationId: sent.invitationId, profileUrl: JANE, idempotencyKey: key(), at: T0 })),
    ).toMatchObject({ code: 'not-found', retryable: false });
  });
});

describe('profiles, likes and messages', () => {
  it('scrapes a plausible profile derived from the slug', async () => {
    const { sim, ALICE } = simulator();
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
    const { sim, ALICE } = simulator({ burst: null });
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, index) =>
        sim.likeLatestPost({ identityId: ALICE, profileUrl: `https://www.linkedin.com/in/person-${index}`, idempotencyKey: key(), at: T0 }),
      ),
    );
    const liked = results.filter((result) => result.liked).length;
    expect(liked).toBeGreaterThan(50);
    expect(liked).toBeLessThan(90);
    expect((await sim.sent(ALICE)).likes).toHaveLength(liked);
  });

  it('refuses a message until the invitation is accepted (like LinkedIn), and takes one to a connection made elsewhere', async () => {
    const { sim, invite, ALICE } = simulator({ acceptanceDelayMs: () => DAY });
    const message = (at: number) => sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: key(), at });
    expect(await rejection(message(T0))).toBeInstanceOf(LinkedinNotConnectedError);
    await invite(JANE, T0);
    expect(await rejection(message(T0 + DAY - 1))).toBeInstanceOf(LinkedinNotConnectedError);
    await expect(message(T0 + DAY)).resolves.toEqual({ messageId: expect.stringMatching(/^sim-message-/) });
    const lee = 'https://www.linkedin.com/in/lee-chen';
    await sim.addConnection(ALICE, lee, T0);
    await expect(sim.sendMessage({ identityId: ALICE, profileUrl: lee, text: 'Hi Lee', idempotencyKey: key(), at: T0 })).resolves.toEqual({ messageId: expect.any(String) });
  });

  it('can be told not to check connections (messagesRequireConnection: false)', async () => {
    const { sim, ALICE } = simulator({ messagesRequireConnection: false });
    await expect(sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: key(), at: T0 })).resolves.toEqual({ messageId: expect.any(String) });
  });

  it('answers not found for profiles that do not exist', async () => {
    const { sim, ALICE } = simulator({ profileExists: (url) => !url.endsWith('/ghost') });
    const ghost = 'https://www.linkedin.com/in/ghost';
    for (const call of [
      sim.sendConnectionRequest({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
      sim.sendMessage({ identityId: ALICE, profileUrl: ghost, text: 'Hi', idempotencyKey: key(), at: T0 }),
      sim.scrapeProfile({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
      sim.likeLatestPost({ identityId: ALICE, profileUrl: ghost, idempotencyKey: key(), at: T0 }),
    ]) {
      expect(await rejection(call)).toBeInstanceOf(LinkedinNotFoundError);
    }
    expect((await sim.sent(ALICE))).toEqual({ invitations: [], withdrawals: [], messages: [], scrapes: [], likes: [] });
  });
});

describe('inputs and faults', () => {
  it.each([
    ['a URL that is not a LinkedIn profile', { profileUrl: 'https://www.linkedin.com/company/acme' }],
    ['a note over 300 characters', { note: 'x'.repeat(301) }],
    ['an empty idempotency key', { idempotencyKey: '' }],
    ['a time that is not a number', { at: Number.NaN }],
  ])('refuses %s as invalid-request, like the HTTP adapter', async (_case, override) => {
    const { sim, ALICE } = simulator();
    const error = await rejection(
      sim.sendConnectionRequest({ identityId: ALICE, profileUrl: JANE, idempotencyKey: key(), at: T0, ...override }),
    );
    expect(error).toMatchObject({ code: 'invalid-request', retryable: false });
    expect((await sim.sent(ALICE)).invitations).toEqual([]);
  });

  it('injects faults before doing anything, then recovers', async () => {
    let failing = true;
    const { sim, ALICE } = simulator({
      fault: (call) => (failing && call.operation === 'sendMessage' ? new LinkedinRateLimitedError(60_000) : undefined),
    });
    await sim.addConnection(ALICE, JANE, T0);
    const send = () => sim.sendMessage({ identityId: ALICE, profileUrl: JANE, text: 'Hi', idempotencyKey: 'k-fault', at: T0 });
    const error = await rejection(send());
    expect(error).toMatchObject({ code: 'rate-limited', retryable: true, retryAfterMs: 60_000 });
    expect((await sim.sent(ALICE)).messages).toEqual([]);
    failing = false;
    await expect(send()).resolves.toEqual({ messageId: expect.any(String) });
  });

  it('sent() with a time brings invitations up to it', async () => {
    const { sim, invite, ALICE } = simulator({ acceptanceDelayMs: () => DAY });
    await invite(JANE, T0);
    expect((await sim.sent(ALICE)).invitations[0]).toMatchObject({ status: 'pending' });
    expect((await sim.sent(ALICE, T0 + DAY)).invitations[0]).toMatchObject({ status: 'accepted', acceptedAt: T0 + DAY, acceptsAt: T0 + DAY });
  });
});

describe('one LinkedIn for every process (state in PostgreSQL)', () => {
  it('what one instance (the worker) sent, another (the API) sees, accepts and withdraws', async () => {
    const { sim: worker, invite, ALICE } = simulator({ acceptanceDelayMs: () => null });
    const api = createLinkedinSimulator({ store: prismaLinkedinSimulatorStore(db) });
    const sent = await invite(JANE, T0);
    await expect(api.getInvitation({ identityId: ALICE, invitationId: sent.invitationId, profileUrl: JANE, at: T0 + 1 })).resolves.toMatchObject({ status: 'pending' });
    await api.acceptInvitation({ identityId: ALICE, invitationId: sent.invitationId, at: T0 + DAY });
    await expect(worker.withdrawInvitation({ identityId: ALICE, invitationId: sent.invitationId, profileUrl: JANE, idempotencyKey: key(), at: T0 + 2 * DAY })).resolves.toMatchObject({
      status: 'accepted',
    });
    expect((await api.sent(ALICE)).invitations).toEqual([expect.objectContaining({ status: 'accepted', acceptedAt: T0 + DAY })]);
  });

  it('concurrent workers take turns: the pending cap and idempotency hold under races', async () => {
    const { sim, ALICE } = simulator({ pendingCap: 5, acceptanceDelayMs: () => null });
    const other = createLinkedinSimulator({ store: prismaLinkedinSimulatorStore(db), pendingCap: 5, acceptanceDelayMs: () => null });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, index) =>
        (index % 2 === 0 ? sim : other).sendConnectionRequest({ identityId: ALICE, profileUrl: `https://www.linkedin.com/in/racer-${index}`, idempotencyKey: key(), at: T0 }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(5);
    for (const outcome of outcomes) if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(PendingInvitationCapError);
    const same = await Promise.all(
      Array.from({ length: 4 }, (_, index) =>
        (index % 2 === 0 ? sim : other).scrapeProfile({ identityId: ALICE, profileUrl: JANE, idempotencyKey: 'k-same-scrape', at: T0 }),
      ),
    );
    for (const profile of same) expect(profile).toEqual(same[0]);
    expect((await sim.sent(ALICE)).scrapes).toHaveLength(1);
  });
});

describe('accounts', () => {
  const actions = (sim: ReturnType<typeof simulator>['sim'], identityId: string, at: number) => [
    sim.sendConnectionRequest({ identityId, profileUrl: JANE, idempotencyKey: key(), at }),
    sim.getInvitation({ identityId, invitationId: 'sim-invitation-1', profileUrl: JANE, at }),
    sim.withdrawInvitation({ identityId, invitationId: 'sim-invitation-1', profileUrl: JANE, idempotencyKey: key(), at }),
    sim.sendMessage({ identityId, profileUrl: JANE, text: 'Hi', idempotencyKey: key(), at }),
    sim.scrapeProfile({ identityId, profileUrl: JANE, idempotencyKey: key(), at }),
    sim.likeLatestPost({ identityId, profileUrl: JANE, idempotencyKey: key(), at }),
    sim.listRelations({ identityId, cursor: null, at }),
    sim.listSentInvitations({ identityId, cursor: null, at }),
  ];

  it('an account that needs reconnecting fails every action; a completed reconnect sign-in flips it back', async () => {
    const { sim, invite, ALICE } = simulator({ acceptanceDelayMs: () => null });
    const sent = await invite(JANE, T0);
    await sim.setAccountStatus(ALICE, { status: 'needs-reconnect', reason: 'LinkedIn signed the session out' }, T0 + 1);
    for (const action of actions(sim, ALICE, T0 + 2)) {
      const error = await rejection(action);
      expect(error).toBeInstanceOf(LinkedinAuthError);
      expect(error).toMatchObject({ code: 'account-disconnected', retryable: false, connection: 'needs-reconnect' });
      expect(error.message).toContain('LinkedIn signed the session out');
    }
    await expect(sim.getAccountStatus({ identityId: ALICE, at: T0 + 2 })).resolves.toMatchObject({ status: 'needs-reconnect', reason: 'LinkedIn signed the session out' });

    const page = await sim.startHostedAuth({
      type: 'reconnect',
      identityId: ALICE,
      name: 'hosted-1',
      notifyUrl: 'https://pacer.example.test/webhooks/linkedin/hosted-auth/t',
      successRedirectUrl: null,
      failureRedirectUrl: null,
      expiresAt: T0 + 3600_000,
      at: T0 + 3,
    });
    expect(page.url).toMatch(/^https:\/\/linkedin-simulator\.invalid\/hosted-auth\//);
    const notification = await sim.completeHostedAuth(page.url, { at: T0 + 4 });
    expect(notification).toEqual({
      notifyUrl: 'https://pacer.example.test/webhooks/linkedin/hosted-auth/t',
      body: { status: 'RECONNECTED', account_id: expect.stringMatching(/^sim-implicit-/), name: 'hosted-1' },
    });
    await expect(sim.getAccountStatus({ identityId: ALICE, at: T0 + 5 })).resolves.toMatchObject({ status: 'connected', reason: null });
    await expect(sim.getInvitation({ identityId: ALICE, invitationId: sent.invitationId, profileUrl: JANE, at: T0 + 5 })).resolves.toMatchObject({ status: 'pending' });
  });

  it('without implicit accounts, an identity Pacer connected no account to cannot act (like Unipile)', async () => {
    const { sim, ALICE } = simulator({ implicitAccounts: false, accounts: { accountOf: () => Promise.resolve(null) } });
    for (const action of actions(sim, ALICE, T0)) {
      expect(await rejection(action)).toMatchObject({ code: 'account-disconnected', connection: 'not-connected' });
    }
    await expect(sim.getAccountStatus({ identityId: ALICE, at: T0 })).resolves.toMatchObject({ status: 'not-connected', accountId: null });
  });

  it('a create sign-in makes an account whose own profile can fill an identity; completing it twice answers the same account', async () => {
    const { sim } = simulator();
    const input = { type: 'create' as const, identityId: null, name: 'hosted-2', notifyUrl: 'https://pacer.example.test/n', successRedirectUrl: null, failureRedirectUrl: null, expiresAt: T0 + 3600_000, at: T0 };
    const page = await sim.startHostedAuth(input);
    const profile = { firstName: 'Alice', lastName: 'Martin', profileUrl: 'https://www.linkedin.com/in/alice-martin', email: 'alice@northwind.example' };
    const first = await sim.completeHostedAuth(page.url, { at: T0 + 60_000, profile });
    expect(first.body).toMatchObject({ status: 'CREATION_SUCCESS', account_id: expect.stringMatching(/^sim-account-/), name: 'hosted-2' });
    expect((await sim.completeHostedAuth(page.url, { at: T0 + 120_000 })).body.account_id).toBe(first.body.account_id);
    await expect(sim.getOwnProfile({ accountId: first.body.account_id, at: T0 })).resolves.toMatchObject(profile);
    expect(await rejection(sim.getOwnProfile({ accountId: 'sim-account-unknown', at: T0 }))).toBeInstanceOf(LinkedinNotFoundError);
    await expect(sim.completeHostedAuth((await sim.startHostedAuth(input)).url, { at: T0 + 3600_000 })).rejects.toThrow(/expired/);
  });

  it('acts through the account Pacer connected: its status is the account\'s', async () => {
    const { sim: plain } = simulator();
    const page = await plain.startHostedAuth({ type: 'create', identityId: null, name: 'h', notifyUrl: 'https://pacer.example.test/n', successRedirectUrl: null, failureRedirectUrl: null, expiresAt: T0 + 60_000, at: T0 });
    const accountId = (await plain.completeHostedAuth(page.url, { at: T0 })).body.account_id;
    const { sim, ALICE } = simulator({ implicitAccounts: false, accounts: { accountOf: (identityId) => Promise.resolve(identityId.startsWith('alice-') ? { accountId, salesNavigator: false } : null) } });
    await expect(sim.scrapeProfile({ identityId: ALICE, profileUrl: JANE, idempotencyKey: key(), at: T0 })).resolves.toMatchObject({ firstName: 'Jane' });
    await sim.setAccountStatus(ALICE, { status: 'needs-reconnect', reason: 'checkpoint' }, T0);
    await expect(plain.getOwnProfile({ accountId, at: T0 })).rejects.toBeInstanceOf(LinkedinAuthError);
  });
});

describe('throttling', () => {
  it(`refuses the action past ${DEFAULT_BURST.maxActions} within ${DEFAULT_BURST.windowMs / 1000} s with the wait, and lets it through once the window moved on`, async () => {
    const { sim, ALICE } = simulator();
    const scrape = (at: number) => sim.scrapeProfile({ identityId: ALICE, profileUrl: JANE, idempotencyKey: key(), at });
    for (let index = 0; index < DEFAULT_BURST.maxActions; index++) await scrape(T0 + index * 100);
    const error = await rejection(scrape(T0 + 5_000));
    expect(error).toBeInstanceOf(LinkedinRateLimitedError);
    expect(error).toMatchObject({ retryable: true, retryAfterMs: DEFAULT_BURST.windowMs - 5_000 });
    await expect(scrape(T0 + DEFAULT_BURST.windowMs)).resolves.toMatchObject({ firstName: 'Jane' });
    expect((await sim.sent(ALICE)).scrapes).toHaveLength(DEFAULT_BURST.maxActions + 1);
  });

  it('does not count withdrawals or reads, and replays a retried action without counting it again', async () => {
    const { sim, invite, withdraw, status, ALICE } = simulator({ burst: { maxActions: 2, windowMs: 60_000 }, pendingCap: 50, acceptanceDelayMs: () => null });
    const first = await invite(JANE, T0, { idempotencyKey: 'k-burst' });
    await expect(invite(JANE, T0 + 1, { idempotencyKey: 'k-burst' })).resolves.toEqual(first);
    for (let index = 0; index < 5; index++) await status(first.invitationId, T0 + 2);
    await withdraw(first.invitationId, T0 + 3);
    await invite('https://www.linkedin.com/in/lee-chen', T0 + 4);
    expect(await rejection(invite('https://www.linkedin.com/in/ana-ruiz', T0 + 5))).toBeInstanceOf(LinkedinRateLimitedError);
    expect((await sim.sent(ALICE)).invitations).toHaveLength(2);
  });
});

describe('lists', () => {
  it('relations (accepted invitations and connections made elsewhere, newest first) and pending invitations, page by page', async () => {
    const { sim, invite, ALICE } = simulator({ acceptanceDelayMs: (url) => (url.includes('accepts') ? DAY : null), pendingCap: 1000, burst: null });
    await sim.addConnection(ALICE, 'https://www.linkedin.com/in/old-friend', T0 - 100 * DAY);
    for (let index = 0; index < SIMULATOR_PAGE_SIZE + 5; index++) await invite(`https://www.linkedin.com/in/pending-${index}`, T0 + index);
    await invite('https://www.linkedin.com/in/accepts-1', T0);
    const relations = await sim.listRelations({ identityId: ALICE, cursor: null, at: T0 + 2 * DAY });
    expect(relations.items.map((relation) => [relation.profileUrl, relation.connectedAt])).toEqual([
      ['https://www.linkedin.com/in/accepts-1', T0 + DAY],
      ['https://www.linkedin.com/in/old-friend', T0 - 100 * DAY],
    ]);
    expect(relations.nextCursor).toBeNull();
    const firstPage = await sim.listSentInvitations({ identityId: ALICE, cursor: null, at: T0 + 2 * DAY });
    expect(firstPage.items).toHaveLength(SIMULATOR_PAGE_SIZE);
    expect(firstPage.items[0]).toMatchObject({ profileUrl: `https://www.linkedin.com/in/pending-${SIMULATOR_PAGE_SIZE + 4}`, sentAt: T0 + SIMULATOR_PAGE_SIZE + 4 });
    const secondPage = await sim.listSentInvitations({ identityId: ALICE, cursor: firstPage.nextCursor, at: T0 + 2 * DAY });
    expect(secondPage).toMatchObject({ nextCursor: null });
    expect(secondPage.items).toHaveLength(5);
    expect(await rejection(sim.listSentInvitations({ identityId: ALICE, cursor: 'not-a-cursor', at: T0 }))).toMatchObject({ code: 'invalid-request' });
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
      fc.asyncProperty(fc.array(command, { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), async (commands, cap) => {
        const delays = [null, DAY, 3 * DAY, 0, 12 * DAY, null, 2 * DAY, 5 * DAY];
        const url = (person: number) => `https://www.linkedin.com/in/person-${person}`;
        const { sim, ALICE } = simulator({
          pendingCap: cap,
          acceptanceDelayMs: (profileUrl) => delays[Number(profileUrl.split('-').pop())] ?? null,
          burst: null,
        });
        const ids: string[] = [];
        const acceptedSeen = new Set<string>();
        let at = T0;
        for (const step of commands) {
          at += step.advance;
          if (step.kind === 'invite') {
            const before = (await sim.sent(ALICE, at)).invitations.filter((invitation) => invitation.profileUrl === url(step.person));
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
              const { status } = await sim.withdrawInvitation({ identityId: ALICE, invitationId, profileUrl: JANE, idempotencyKey: key(), at });
              if (acceptedSeen.has(invitationId)) expect(status).toBe('accepted');
            } else {
              const { status } = await sim.getInvitation({ identityId: ALICE, invitationId, profileUrl: JANE, at });
              if (status === 'accepted') acceptedSeen.add(invitationId);
            }
          }
          const invitations = (await sim.sent(ALICE, at)).invitations;
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
      // Every step is a PostgreSQL transaction: fewer runs than a pure property, still hundreds of sequences' worth of steps.
      { numRuns: 60 },
    );
  });
});
