/**
 * The same behaviour cases, run on the simulator (state in PostgreSQL) and on the Unipile adapter
 * (against a stateful server answering in Unipile's documented shapes, test/support/unipile-world.ts),
 * so that what passes on the simulator means something for Unipile: one invitation per person, no
 * withdrawal of an accepted invitation, the re-invite block, messages only to connections and never
 * twice, a signed-out account refusing everything until a sign-in, no account no action.
 */
import { randomUUID } from 'node:crypto';
import { createDatabase, type Database } from '../../../db/client';
import { prismaLinkedinSimulatorStore } from '../../../db/linkedin-simulator-store';
import {
  type LinkedinAccountDirectory,
  LinkedinAlreadyConnectedError,
  LinkedinAuthError,
  type LinkedinGateway,
  LinkedinGatewayError,
  LinkedinNotConnectedError,
  REINVITE_BLOCK_MS,
  ReinviteBlockedError,
} from '../../../integrations/linkedin/gateway';
import { createLinkedinSimulator, hasRecentPost } from '../../../integrations/linkedin/simulator';
import { createUnipileLinkedinGateway } from '../../../integrations/linkedin/unipile';
import { sharedServices } from '../../support/services';
import { type UnipileWorld, startUnipileWorld } from '../../support/unipile-world';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-02T09:00:00.000Z');
const NOTIFY = 'https://pacer.example.test/webhooks/linkedin/hosted-auth/token';

/** One LinkedIn as a test sees it, whatever adapter is behind. */
interface World {
  gateway: LinkedinGateway;
  /** An identity with a connected account. */
  identityId: string;
  /** An identity Pacer never connected an account to. */
  loneIdentityId: string;
  /** Moves the service's clock (the simulator reads `at` from every call instead). */
  at(instant: number): number;
  /** The person accepts the identity's pending invitation. */
  accept(profileUrl: string, invitationId: string, at: number): Promise<void>;
  /** LinkedIn signs the identity's account out. */
  signOut(at: number): Promise<void>;
  /** The owner completes a hosted sign-in page. */
  completeSignIn(url: string, at: number): Promise<void>;
  /** Messages the account sent to the person. */
  messagesTo(profileUrl: string): Promise<string[]>;
  likes(): Promise<number>;
}

/** Pacer's records as the adapters read them: the identity's account, and the withdrawals Pacer made. */
function records(accountOf: (identityId: string) => string | null) {
  const withdrawals = new Map<string, number>();
  const directory: LinkedinAccountDirectory = {
    accountOf: (identityId) => {
      const accountId = accountOf(identityId);
      return Promise.resolve(accountId === null ? null : { accountId, salesNavigator: false });
    },
    lastWithdrawalAt: (identityId, profileUrl) => Promise.resolve(withdrawals.get(`${identityId} ${profileUrl}`) ?? null),
  };
  return { directory, recordWithdrawal: (identityId: string, profileUrl: string, at: number) => withdrawals.set(`${identityId} ${profileUrl}`, at) };
}

let db: Database;
let unipile: UnipileWorld;

beforeAll(async () => {
  db = createDatabase(sharedServices().databaseUrl);
  unipile = await startUnipileWorld();
});
afterAll(async () => {
  await unipile.close();
  await db.$disconnect();
});

const worlds: [string, () => Promise<World & { recordWithdrawal: (identityId: string, profileUrl: string, at: number) => void }>][] = [
  [
    'the simulator',
    async () => {
      const identityId = `identity-${randomUUID()}`;
      const setup = createLinkedinSimulator({ store: prismaLinkedinSimulatorStore(db) });
      const page = await setup.startHostedAuth({ type: 'create', identityId: null, name: 'n', notifyUrl: NOTIFY, successRedirectUrl: null, failureRedirectUrl: null, expiresAt: T0 + DAY, at: T0 });
      const accountId = (await setup.completeHostedAuth(page.url, { at: T0 })).body.account_id;
      const { directory, recordWithdrawal } = records((id) => (id === identityId ? accountId : null));
      const sim = createLinkedinSimulator({ store: prismaLinkedinSimulatorStore(db), accounts: directory, implicitAccounts: false, acceptanceDelayMs: () => null });
      return {
        gateway: sim,
        identityId,
        loneIdentityId: `lone-${randomUUID()}`,
        at: (instant) => instant,
        accept: async (_profileUrl, invitationId, at) => void (await sim.acceptInvitation({ identityId, invitationId, at })),
        signOut: (at) => sim.setAccountStatus(identityId, { status: 'needs-reconnect', reason: 'signed out by LinkedIn' }, at),
        completeSignIn: async (url, at) => void (await sim.completeHostedAuth(url, { at })),
        messagesTo: async (profileUrl) => (await sim.sent(identityId)).messages.filter((message) => message.profileUrl === profileUrl).map((message) => message.text),
        likes: async () => (await sim.sent(identityId)).likes.length,
        recordWithdrawal,
      };
    },
  ],
  [
    'Unipile',
    () => {
      const identityId = randomUUID();
      const accountId = unipile.addAccount();
      const { directory, recordWithdrawal } = records((id) => (id === identityId ? accountId : null));
      const gateway = createUnipileLinkedinGateway({ dsn: unipile.url, apiKey: unipile.apiKey, accounts: directory, timeoutMs: 5_000 });
      const slug = (profileUrl: string) => profileUrl.slice('https://www.linkedin.com/in/'.length);
      return Promise.resolve({
        gateway,
        identityId,
        loneIdentityId: randomUUID(),
        at: (instant) => (unipile.now = instant),
        accept: (profileUrl, _invitationId, at) => {
          unipile.now = at;
          unipile.accept(accountId, slug(profileUrl));
          return Promise.resolve();
        },
        signOut: () => Promise.resolve(unipile.setStatus(accountId, 'CREDENTIALS')),
        completeSignIn: () => Promise.resolve(unipile.setStatus(accountId, 'OK')),
        messagesTo: (profileUrl) => Promise.resolve(unipile.messagesTo(accountId, slug(profileUrl))),
        likes: () => Promise.resolve(unipile.reactionsOf(accountId)),
        recordWithdrawal,
      });
    },
  ],
];

async function rejection(promise: Promise<unknown>): Promise<LinkedinGatewayError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof LinkedinGatewayError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe.each(worlds)('%s', (_name, makeWorld) => {
  let world: Awaited<ReturnType<typeof makeWorld>>;
  let person: string;
  beforeEach(async () => {
    world = await makeWorld();
    person = `https://www.linkedin.com/in/jane-${randomUUID().slice(0, 8)}`;
  });

  const invite = (at: number, key: string = randomUUID()) => world.gateway.sendConnectionRequest({ identityId: world.identityId, profileUrl: person, idempotencyKey: key, at: world.at(at) });
  const invitation = (invitationId: string, at: number) => world.gateway.getInvitation({ identityId: world.identityId, invitationId, profileUrl: person, at: world.at(at) });
  const withdraw = async (invitationId: string, at: number) => {
    const result = await world.gateway.withdrawInvitation({ identityId: world.identityId, invitationId, profileUrl: person, idempotencyKey: randomUUID(), at: world.at(at) });
    // Pacer records what it withdrew (activities/linkedin-invitations.ts).
    if (result.status === 'withdrawn') world.recordWithdrawal(world.identityId, person, at);
    return result;
  };
  const message = (text: string, at: number, key: string = randomUUID()) => world.gateway.sendMessage({ identityId: world.identityId, profileUrl: person, text, idempotencyKey: key, at: world.at(at) });

  it('an invitation pending to a person is returned again, never sent twice', async () => {
    const first = await invite(T0);
    expect(first).toEqual({ invitationId: expect.any(String), status: 'pending' });
    await expect(invite(T0 + 60_000)).resolves.toEqual(first);
    await expect(invitation(first.invitationId, T0 + 60_000)).resolves.toEqual({ invitationId: first.invitationId, status: 'pending', acceptedAt: null });
    const pending = await world.gateway.listSentInvitations({ identityId: world.identityId, cursor: null, at: world.at(T0 + 60_000) });
    expect(pending.items.filter((item) => item.profileUrl === person)).toEqual([expect.objectContaining({ invitationId: first.invitationId, sentAt: T0 })]);
  });

  it('an accepted invitation is reported, never withdrawn; the person is then a relation and cannot be invited again', async () => {
    const sent = await invite(T0);
    await world.accept(person, sent.invitationId, T0 + 2 * DAY);
    await expect(invitation(sent.invitationId, T0 + 3 * DAY)).resolves.toEqual({ invitationId: sent.invitationId, status: 'accepted', acceptedAt: T0 + 2 * DAY });
    await expect(withdraw(sent.invitationId, T0 + 3 * DAY)).resolves.toEqual({ invitationId: sent.invitationId, status: 'accepted' });
    const relations = await world.gateway.listRelations({ identityId: world.identityId, cursor: null, at: world.at(T0 + 3 * DAY) });
    expect(relations.items).toEqual([expect.objectContaining({ profileUrl: person, connectedAt: T0 + 2 * DAY })]);
    expect(await rejection(invite(T0 + 3 * DAY))).toBeInstanceOf(LinkedinAlreadyConnectedError);
  });

  it('a withdrawal is harmless twice, and blocks a new invitation for 21 days, dated from the withdrawal', async () => {
    const sent = await invite(T0);
    const withdrawnAt = T0 + 7 * DAY;
    await expect(withdraw(sent.invitationId, withdrawnAt)).resolves.toEqual({ invitationId: sent.invitationId, status: 'withdrawn' });
    await expect(
      world.gateway.withdrawInvitation({ identityId: world.identityId, invitationId: sent.invitationId, profileUrl: person, idempotencyKey: randomUUID(), at: world.at(withdrawnAt + 1) }),
    ).resolves.toEqual({ invitationId: sent.invitationId, status: 'withdrawn' });
    await expect(invitation(sent.invitationId, withdrawnAt + 2)).resolves.toMatchObject({ status: 'withdrawn', acceptedAt: null });
    const blocked = await rejection(invite(withdrawnAt + DAY));
    expect(blocked).toBeInstanceOf(ReinviteBlockedError);
    expect(blocked).toMatchObject({ blockedUntil: withdrawnAt + REINVITE_BLOCK_MS, basis: 'withdrawal', retryable: false });
    await expect(invite(withdrawnAt + REINVITE_BLOCK_MS)).resolves.toMatchObject({ status: 'pending' });
  });

  it('a message goes only to a connection, and a retried message is sent once', async () => {
    expect(await rejection(message('Hello!', T0))).toBeInstanceOf(LinkedinNotConnectedError);
    const sent = await invite(T0);
    await world.accept(person, sent.invitationId, T0 + DAY);
    const first = await message('Thanks for connecting!', T0 + DAY + 1, 'campaign-1:lead-1:step-2');
    await expect(message('Thanks for connecting!', T0 + DAY + 60_000, 'campaign-1:lead-1:step-2')).resolves.toEqual(first);
    expect(await world.messagesTo(person)).toEqual(['Thanks for connecting!']);
  });

  it('a like is given once, however often it is asked for', async () => {
    // Someone with a post (in the simulator, 70% of people post).
    while (!hasRecentPost(person)) person = `${person}x`;
    for (const at of [T0, T0 + 1, T0 + 2]) {
      await expect(world.gateway.likeLatestPost({ identityId: world.identityId, profileUrl: person, idempotencyKey: 'campaign-1:lead-1:step-3', at: world.at(at) })).resolves.toEqual({ liked: true });
    }
    expect(await world.likes()).toBe(1);
  });

  it('a signed-out account fails every action until its owner signs in again', async () => {
    const sent = await invite(T0);
    await world.signOut(T0 + 1);
    const at = world.at(T0 + 2);
    const identityId = world.identityId;
    for (const action of [
      invite(T0 + 2),
      invitation(sent.invitationId, T0 + 2),
      world.gateway.withdrawInvitation({ identityId, invitationId: sent.invitationId, profileUrl: person, idempotencyKey: randomUUID(), at }),
      message('Hi', T0 + 2),
      world.gateway.scrapeProfile({ identityId, profileUrl: person, idempotencyKey: randomUUID(), at }),
      world.gateway.likeLatestPost({ identityId, profileUrl: person, idempotencyKey: randomUUID(), at }),
      world.gateway.listRelations({ identityId, cursor: null, at }),
      world.gateway.listSentInvitations({ identityId, cursor: null, at }),
    ]) {
      const error = await rejection(action);
      expect(error).toBeInstanceOf(LinkedinAuthError);
      expect(error).toMatchObject({ code: 'account-disconnected', retryable: false, connection: 'needs-reconnect' });
    }
    await expect(world.gateway.getAccountStatus({ identityId, at })).resolves.toMatchObject({ status: 'needs-reconnect' });

    const page = await world.gateway.startHostedAuth({ type: 'reconnect', identityId, name: randomUUID(), notifyUrl: NOTIFY, successRedirectUrl: null, failureRedirectUrl: null, expiresAt: T0 + DAY, at });
    await world.completeSignIn(page.url, T0 + 3);
    await expect(world.gateway.getAccountStatus({ identityId, at: world.at(T0 + 4) })).resolves.toMatchObject({ status: 'connected', reason: null });
    await expect(invitation(sent.invitationId, T0 + 4)).resolves.toMatchObject({ status: 'pending' });
  });

  it('an identity without a connected account cannot act, and says so', async () => {
    const identityId = world.loneIdentityId;
    const at = world.at(T0);
    for (const action of [
      world.gateway.sendConnectionRequest({ identityId, profileUrl: person, idempotencyKey: randomUUID(), at }),
      world.gateway.sendMessage({ identityId, profileUrl: person, text: 'Hi', idempotencyKey: randomUUID(), at }),
      world.gateway.listRelations({ identityId, cursor: null, at }),
    ]) {
      expect(await rejection(action)).toMatchObject({ code: 'account-disconnected', connection: 'not-connected' });
    }
    await expect(world.gateway.getAccountStatus({ identityId, at })).resolves.toMatchObject({ status: 'not-connected', accountId: null });
  });
});

describe('Unipile: an answer lost after the request arrived', () => {
  // The adapter's timeout is short here; Unipile acted, the answer never came back. A retry must not act again.
  function gatewayFor(identityId: string, accountId: string) {
    const { directory } = records((id) => (id === identityId ? accountId : null));
    return createUnipileLinkedinGateway({ dsn: unipile.url, apiKey: unipile.apiKey, accounts: directory, timeoutMs: 300 });
  }

  it('an invitation: the retry finds it pending and returns it; one invitation exists', async () => {
    const identityId = randomUUID();
    const accountId = unipile.addAccount();
    const gateway = gatewayFor(identityId, accountId);
    const person = `https://www.linkedin.com/in/lost-${randomUUID().slice(0, 8)}`;
    const invite = () => gateway.sendConnectionRequest({ identityId, profileUrl: person, idempotencyKey: 'campaign-1:lead-7:step-1', at: T0 });
    unipile.loseNextAnswer('POST /api/v1/users/invite');
    expect(await rejection(invite())).toMatchObject({ code: 'unavailable', retryable: true });
    const retried = await invite();
    expect(retried).toEqual({ invitationId: expect.any(String), status: 'pending' });
    const pending = await gateway.listSentInvitations({ identityId, cursor: null, at: T0 });
    expect(pending.items.filter((item) => item.profileUrl === person)).toEqual([expect.objectContaining({ invitationId: retried.invitationId })]);
  });

  it('a message: the retry finds it among the recent messages; it was sent once', async () => {
    const identityId = randomUUID();
    const accountId = unipile.addAccount();
    const gateway = gatewayFor(identityId, accountId);
    const slug = `lost-${randomUUID().slice(0, 8)}`;
    const person = `https://www.linkedin.com/in/${slug}`;
    const { invitationId } = await gateway.sendConnectionRequest({ identityId, profileUrl: person, idempotencyKey: 'k', at: T0 });
    expect(invitationId).toEqual(expect.any(String));
    unipile.accept(accountId, slug);
    const send = () => gateway.sendMessage({ identityId, profileUrl: person, text: 'Thanks for connecting!', idempotencyKey: 'campaign-1:lead-7:step-2', at: unipile.now });
    unipile.loseNextAnswer('POST /api/v1/chats');
    expect(await rejection(send())).toMatchObject({ code: 'unavailable', retryable: true });
    await expect(send()).resolves.toEqual({ messageId: expect.any(String) });
    expect(unipile.messagesTo(accountId, slug)).toEqual(['Thanks for connecting!']);
  });

  it('a withdrawal: the retry finds nothing pending and reports it withdrawn', async () => {
    const identityId = randomUUID();
    const accountId = unipile.addAccount();
    const gateway = gatewayFor(identityId, accountId);
    const person = `https://www.linkedin.com/in/lost-${randomUUID().slice(0, 8)}`;
    const { invitationId } = await gateway.sendConnectionRequest({ identityId, profileUrl: person, idempotencyKey: 'k', at: T0 });
    const withdraw = () => gateway.withdrawInvitation({ identityId, invitationId, profileUrl: person, idempotencyKey: `withdraw/${invitationId}`, at: T0 + DAY });
    unipile.loseNextAnswer(`DELETE /api/v1/users/invite/sent/${invitationId}`);
    expect(await rejection(withdraw())).toMatchObject({ code: 'unavailable', retryable: true });
    await expect(withdraw()).resolves.toEqual({ invitationId, status: 'withdrawn' });
  });
});
