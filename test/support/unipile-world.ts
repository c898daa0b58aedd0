/**
 * A real HTTP server on 127.0.0.1 that plays Unipile's API v1 with state: the endpoints the Unipile
 * adapter calls, answering in Unipile's documented shapes (the same as test/fixtures/unipile) and with
 * its documented refusals (`errors/<slug>`). It lets the behaviour tests that run on the simulator run,
 * unchanged, on the Unipile adapter: LinkedIn's rules as Unipile reports them.
 *
 * Not a copy of Unipile: only what the adapter uses, with LinkedIn's rules as documented (one
 * invitation per pair, a re-invite refused for 3 weeks after a withdrawal, messages only to
 * connections, a signed-out account refusing everything).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const REINVITE_BLOCK_MS = 21 * 24 * 3600 * 1000;

interface WorldInvitation {
  id: string;
  providerId: string;
  status: 'PENDING' | 'WITHDRAWN';
  sentAt: number;
  withdrawnAt: number | null;
}

interface WorldAccount {
  id: string;
  status: 'OK' | 'CREDENTIALS' | 'ERROR' | 'STOPPED';
  owner: { firstName: string; lastName: string; slug: string };
  invitations: WorldInvitation[];
  relations: Map<string, number>;
  messages: { id: string; providerId: string; text: string; at: number }[];
  reactions: Set<string>;
}

export interface UnipileWorld {
  url: string;
  apiKey: string;
  /** Unipile's clock (the adapter sends no time): tests move it with the `at` they pass. */
  now: number;
  /** Every request received, `METHOD /path`. */
  requests: string[];
  addAccount(owner?: { firstName: string; lastName: string; slug: string }): string;
  /** The person accepts the account's pending invitation to them. */
  accept(accountId: string, slug: string): void;
  setStatus(accountId: string, status: WorldAccount['status']): void;
  messagesTo(accountId: string, slug: string): string[];
  reactionsOf(accountId: string): number;
  /** The next request to `METHOD /path` is acted on but never answered (the answer is lost on the way back). */
  loseNextAnswer(route: string): void;
  close(): Promise<void>;
}

/** Everyone exists; a person's member id and post come from their public identifier. */
const providerIdOf = (slug: string) => `ACoAA${Buffer.from(slug).toString('hex')}`;
const slugOfProviderId = (providerId: string) => Buffer.from(providerId.slice('ACoAA'.length), 'hex').toString('utf8');

export async function startUnipileWorld(): Promise<UnipileWorld> {
  const apiKey = `world-key-${randomUUID()}`;
  const accounts = new Map<string, WorldAccount>();
  const requests: string[] = [];
  const world = { now: Date.parse('2026-03-02T09:00:00.000Z') };
  const losing = new Set<string>();

  const json = (response: http.ServerResponse, status: number, body: unknown) => {
    const route = (response.req as http.IncomingMessage & { route?: string }).route;
    if (route !== undefined && losing.delete(route)) return; // acted on, never answered
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
  };
  const problem = (response: http.ServerResponse, status: number, slug: string, title: string, detail: string) =>
    json(response, status, { title, detail, instance: '/api/v1', type: `errors/${slug}`, status });

  function profileOf(account: WorldAccount, slug: string) {
    const providerId = providerIdOf(slug);
    const connected = account.relations.has(providerId);
    const latest = account.invitations.filter((invitation) => invitation.providerId === providerId).at(-1);
    const [first = slug, ...rest] = slug.split('-');
    return {
      object: 'UserProfile',
      provider: 'LINKEDIN',
      provider_id: providerId,
      public_identifier: slug,
      first_name: first.charAt(0).toUpperCase() + first.slice(1),
      last_name: rest.map((word) => word.charAt(0).toUpperCase() + word.slice(1)).join(' '),
      headline: 'Operations Manager at Globex',
      websites: [],
      public_profile_url: `https://www.linkedin.com/in/${slug}/`,
      is_relationship: connected,
      network_distance: connected ? 'FIRST_DEGREE' : 'SECOND_DEGREE',
      ...(latest && !connected ? { invitation: { type: 'SENT', status: latest.status } } : {}),
    };
  }

  async function handle(request: http.IncomingMessage, body: string, response: http.ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://world');
    const route = `${request.method} ${url.pathname}`;
    (request as http.IncomingMessage & { route?: string }).route = route;
    requests.push(route);
    if (request.headers['x-api-key'] !== apiKey) return problem(response, 401, 'missing_credentials', 'Missing credentials', 'Some credentials are necessary to perform the request.');

    if (route === 'POST /api/v1/hosted/accounts/link') {
      return json(response, 201, { object: 'HostedAuthURL', url: `https://account.unipile.com/${randomUUID()}` });
    }
    const accountMatch = /^GET \/api\/v1\/accounts\/([^/]+)$/.exec(route);
    if (accountMatch) {
      const account = accounts.get(decodeURIComponent(accountMatch[1]!));
      if (!account) return problem(response, 404, 'resource_not_found', 'Resource not found.', 'Account not found');
      return json(response, 200, { object: 'Account', type: 'LINKEDIN', id: account.id, name: account.owner.firstName, created_at: '2026-02-01T10:00:00.000Z', groups: [], sources: [{ id: `${account.id}_MESSAGING`, status: account.status }] });
    }

    // Everything else acts with an account, which must be signed in.
    const form = request.headers['content-type']?.startsWith('multipart/form-data')
      ? Object.fromEntries([...(await new Response(body, { headers: { 'content-type': request.headers['content-type'] } }).formData()).entries()].map(([name, value]) => [name, typeof value === 'string' ? value : value.name]))
      : undefined;
    const payload: Record<string, string> = form ?? (body === '' ? {} : (JSON.parse(body) as Record<string, string>));
    const accountId = url.searchParams.get('account_id') ?? payload.account_id;
    const account = accountId === undefined || accountId === null ? undefined : accounts.get(accountId);
    if (!account) return problem(response, 404, 'resource_not_found', 'Resource not found.', 'Account not found');
    if (account.status !== 'OK') return problem(response, 401, 'disconnected_account', 'Disconnected account', 'The account appears to be disconnected from the provider service.');

    if (route === 'GET /api/v1/users/me') {
      return json(response, 200, {
        object: 'AccountOwnerProfile', provider: 'LINKEDIN', provider_id: providerIdOf(account.owner.slug), entity_urn: 'urn:li:fsd_profile:x', object_urn: 'urn:li:member:1',
        first_name: account.owner.firstName, last_name: account.owner.lastName, profile_picture_url: null, public_profile_url: `https://www.linkedin.com/in/${account.owner.slug}`,
        public_identifier: account.owner.slug, headline: 'Head of Sales', email: `${account.owner.slug}@example.com`, premium: false, open_profile: false, organizations: [], recruiter: null, sales_navigator: null,
      });
    }
    if (route === 'GET /api/v1/users/relations') {
      const items = [...account.relations.entries()]
        .sort(([, a], [, b]) => b - a)
        .map(([providerId, createdAt]) => {
          const slug = slugOfProviderId(providerId);
          return { object: 'UserRelation', connection_urn: `urn:li:fsd_connection:${providerId}`, created_at: createdAt, first_name: profileOf(account, slug).first_name, last_name: profileOf(account, slug).last_name, member_id: providerId, member_urn: `urn:li:fsd_profile:${providerId}`, headline: '', public_identifier: slug, public_profile_url: `https://www.linkedin.com/in/${slug}/` };
        });
      return json(response, 200, { object: 'UserRelationsList', items, cursor: null });
    }
    if (route === 'GET /api/v1/users/invite/sent') {
      const items = account.invitations
        .filter((invitation) => invitation.status === 'PENDING')
        .map((invitation) => ({ object: 'InvitationSent', id: invitation.id, date: 'Sent today', parsed_datetime: new Date(invitation.sentAt).toISOString(), invitation_text: null, invited_user: slugOfProviderId(invitation.providerId), invited_user_id: invitation.providerId, invited_user_public_id: slugOfProviderId(invitation.providerId), invited_user_description: null }));
      return json(response, 200, { object: 'InvitationList', items, cursor: null });
    }
    if (route === 'POST /api/v1/users/invite') {
      const providerId = payload.provider_id!;
      if (account.relations.has(providerId)) return problem(response, 422, 'already_connected', 'Already connected', 'You are already connected with this user.');
      const previous = account.invitations.filter((invitation) => invitation.providerId === providerId);
      if (previous.some((invitation) => invitation.status === 'PENDING')) return problem(response, 422, 'already_invited_recently', 'Should delay new invitation to this recipient', 'An invitation has already been sent recently to this recipient. Please try again later.');
      if (previous.some((invitation) => invitation.withdrawnAt !== null && world.now < invitation.withdrawnAt + REINVITE_BLOCK_MS)) return problem(response, 422, 'cannot_resend_yet', 'Cannot resend yet', 'The invitation cannot be resent to this user yet.');
      const invitation: WorldInvitation = { id: `${7301289458376519680n + BigInt(account.invitations.length)}`, providerId, status: 'PENDING', sentAt: world.now, withdrawnAt: null };
      account.invitations.push(invitation);
      return json(response, 201, { object: 'UserInvitationSent', invitation_id: invitation.id });
    }
    const cancel = /^DELETE \/api\/v1\/users\/invite\/sent\/([^/]+)$/.exec(route);
    if (cancel) {
      const invitation = account.invitations.find((candidate) => candidate.id === decodeURIComponent(cancel[1]!) && candidate.status === 'PENDING');
      if (!invitation) return problem(response, 404, 'resource_not_found', 'Resource not found.', 'The requested resource were not found.');
      invitation.status = 'WITHDRAWN';
      invitation.withdrawnAt = world.now;
      return json(response, 200, { object: 'InvitationCanceled' });
    }
    const messages = /^GET \/api\/v1\/chat_attendees\/([^/]+)\/messages$/.exec(route);
    if (messages) {
      const providerId = decodeURIComponent(messages[1]!);
      const items = account.messages.filter((message) => message.providerId === providerId).reverse();
      if (items.length === 0) return problem(response, 404, 'resource_not_found', 'Resource not found.', 'The requested resource were not found.');
      return json(response, 200, { object: 'MessageList', items: items.map((message) => ({ object: 'Message', id: message.id, text: message.text, is_sender: 1, timestamp: new Date(message.at).toISOString(), sender_id: 'owner', attachments: [] })), cursor: null });
    }
    if (route === 'POST /api/v1/chats') {
      const providerId = payload.attendees_ids!;
      if (!account.relations.has(providerId)) return problem(response, 422, 'no_connection_with_recipient', 'No connection with recipient', 'You need to be connected with the recipient to send a message.');
      const id = randomUUID();
      account.messages.push({ id, providerId, text: payload.text!, at: world.now });
      return json(response, 201, { object: 'ChatStarted', chat_id: `chat-${providerId}`, message_id: id });
    }
    const posts = /^GET \/api\/v1\/users\/([^/]+)\/posts$/.exec(route);
    if (posts) {
      const providerId = decodeURIComponent(posts[1]!);
      return json(response, 200, { object: 'PostList', items: [{ object: 'Post', provider: 'LINKEDIN', id: `post-${providerId}`, social_id: `urn:li:activity:${providerId}`, text: 'News', is_repost: false }], cursor: null });
    }
    if (route === 'POST /api/v1/posts/reaction') {
      if (account.reactions.has(payload.post_id!)) return problem(response, 422, 'action_already_performed', 'Action already performed', 'This action has already been performed.');
      account.reactions.add(payload.post_id!);
      return json(response, 201, { object: 'ReactionAdded' });
    }
    const profile = /^GET \/api\/v1\/users\/([^/]+)$/.exec(route);
    if (profile) return json(response, 200, profileOf(account, decodeURIComponent(profile[1]!)));
    return problem(response, 404, 'resource_not_found', 'Resource not found.', `No route ${route}`);
  }

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      handle(request, Buffer.concat(chunks).toString('utf8'), response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' }).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    get now() {
      return world.now;
    },
    set now(value: number) {
      world.now = value;
    },
    requests,
    addAccount(owner = { firstName: 'Alice', lastName: 'Martin', slug: `alice-${randomUUID().slice(0, 8)}` }) {
      const id = randomUUID().replace(/-/g, '').slice(0, 22);
      accounts.set(id, { id, status: 'OK', owner, invitations: [], relations: new Map(), messages: [], reactions: new Set() });
      return id;
    },
    accept(accountId, slug) {
      const account = accounts.get(accountId)!;
      const providerId = providerIdOf(slug);
      const pending = account.invitations.find((invitation) => invitation.providerId === providerId && invitation.status === 'PENDING');
      if (!pending) throw new Error(`No pending invitation to ${slug}`);
      account.invitations.splice(account.invitations.indexOf(pending), 1);
      account.relations.set(providerId, world.now);
    },
    setStatus(accountId, status) {
      accounts.get(accountId)!.status = status;
    },
    messagesTo(accountId, slug) {
      return accounts.get(accountId)!.messages.filter((message) => message.providerId === providerIdOf(slug)).map((message) => message.text);
    },
    reactionsOf(accountId) {
      return accounts.get(accountId)!.reactions.size;
    },
    loseNextAnswer(route) {
      losing.add(route);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
