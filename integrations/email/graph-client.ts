/**
 * The Microsoft Graph calls Pacer needs with the permissions granted at connection (`User.Read`,
 * `Mail.Read`); Outlook's IMAP would need `IMAP.AccessAsUser.All`, which Pacer does not ask for.
 *
 * - `GET /me?$select=mail,userPrincipalName` → the mailbox address (`mail`; `userPrincipalName`
 *   when the account has no mailbox address) https://learn.microsoft.com/graph/api/user-get
 * - `GET /me/mailFolders/inbox/messages/delta` → messages added to the inbox, page by page
 *   (`@odata.nextLink`) until an `@odata.deltaLink`, which the next round starts from. Only
 *   `$filter=receivedDateTime ge …` and `$select` are supported; an expired state answers 410
 *   (or `syncStateNotFound`), after which a new round starts
 *   https://learn.microsoft.com/graph/api/message-delta, https://learn.microsoft.com/graph/delta-query-messages
 * - `GET /me/messages/{id}?$select=internetMessageHeaders,…` → the headers replies are matched by
 *   (`internetMessageHeaders` is returned only when selected); `$select=body` with
 *   `Prefer: outlook.body-content-type="text"` for the text of a bounce
 *   https://learn.microsoft.com/graph/api/message-get
 *
 * A stored delta link is followed only when it points at this Graph's inbox delta: the access token
 * never goes to another host.
 */
import { MailboxApiError, requestJson } from './provider-api';

export interface GraphDeltaPage {
  /** Ids of the messages added or changed; removals are left out. */
  messageIds: string[];
  nextLink?: string;
  deltaLink?: string;
}

export interface GraphMessageHeaders {
  id: string;
  internetMessageId?: string;
  subject?: string;
  from?: string;
  receivedDateTime?: string;
  /** Lower-cased names; absent for items that carry none (drafts). */
  headers: Map<string, string>;
}

export interface GraphMailbox {
  /** The first page of a new round, from `since` on. */
  deltaStart(since: Date): string;
  /** Whether a stored link may be followed (same Graph, the inbox's message delta). */
  isOwnDeltaLink(link: string): boolean;
  /** One page of a round; `expired` when Graph no longer knows that state (410 / syncStateNotFound). */
  deltaPage(link: string): Promise<GraphDeltaPage | 'expired'>;
  headers(id: string): Promise<GraphMessageHeaders>;
  /** The body as text (bounces only), cut at `maxChars`. */
  bodyText(id: string, maxChars: number): Promise<string>;
}

const DELTA_PATH = '/v1.0/me/mailFolders/inbox/messages/delta';
const EXPIRED_CODES = new Set(['syncStateNotFound', 'SyncStateNotFound', 'resyncRequired', 'ResyncRequired', 'syncStateInvalid']);

export function graphMailbox(options: { graphBaseUrl: string; accessToken: string; signal?: AbortSignal | undefined; timeoutMs?: number }): GraphMailbox {
  const graph = options.graphBaseUrl.replace(/\/+$/, '');
  const call = (url: string, where: string, headers: Record<string, string> = {}, expected: number[] = []) =>
    requestJson(
      'Microsoft Graph',
      { url, where, accessToken: options.accessToken, headers, signal: options.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      expected,
    );

  const isOwnDeltaLink = (link: string): boolean => {
    try {
      const url = new URL(link);
      return `${url.origin}${url.pathname}`.toLowerCase() === `${graph}${DELTA_PATH}`.toLowerCase();
    } catch {
      return false;
    }
  };

  return {
    deltaStart(since) {
      const query = new URLSearchParams({ $select: 'id,receivedDateTime', $filter: `receivedDateTime ge ${since.toISOString()}` });
      return `${graph}${DELTA_PATH}?${query.toString()}`;
    },

    isOwnDeltaLink,

    async deltaPage(link) {
      if (!isOwnDeltaLink(link)) throw new MailboxApiError('Microsoft Graph delta link does not point at this inbox delta', { code: 'rejected' });
      const { status, body } = await call(link, 'GET me/mailFolders/inbox/messages/delta', { prefer: 'odata.maxpagesize=50' }, [410, 400, 404]);
      const data = body as { value?: { id?: string; '@removed'?: unknown }[]; '@odata.nextLink'?: string; '@odata.deltaLink'?: string; error?: { code?: string; message?: string } };
      if (status === 410 || (data.error?.code !== undefined && EXPIRED_CODES.has(data.error.code))) return 'expired';
      if (status !== 200) {
        throw new MailboxApiError(`Microsoft Graph refused the request on GET inbox delta (HTTP ${status}${data.error?.code ? ` ${data.error.code}` : ''}): ${data.error?.message ?? ''}`, { code: 'rejected', status });
      }
      const nextLink = data['@odata.nextLink'];
      const deltaLink = data['@odata.deltaLink'];
      if (nextLink === undefined && deltaLink === undefined) throw new MailboxApiError('Microsoft Graph delta page carries neither @odata.nextLink nor @odata.deltaLink', { code: 'unavailable' });
      return {
        messageIds: (data.value ?? []).flatMap((item) => (item['@removed'] === undefined && typeof item.id === 'string' ? [item.id] : [])),
        ...(nextLink ? { nextLink } : {}),
        ...(deltaLink ? { deltaLink } : {}),
      };
    },

    async headers(id) {
      const select = 'id,internetMessageId,subject,from,receivedDateTime,internetMessageHeaders';
      const { body } = await call(`${graph}/v1.0/me/messages/${encodeURIComponent(id)}?$select=${select}`, 'GET me/messages/{id} (headers)');
      const data = body as {
        id?: string;
        internetMessageId?: string;
        subject?: string;
        receivedDateTime?: string;
        from?: { emailAddress?: { address?: string; name?: string } };
        internetMessageHeaders?: { name?: string; value?: string }[];
      };
      const headers = new Map<string, string>();
      for (const header of data.internetMessageHeaders ?? []) {
        if (header.name && header.value !== undefined && !headers.has(header.name.toLowerCase())) headers.set(header.name.toLowerCase(), header.value);
      }
      const address = data.from?.emailAddress?.address;
      return {
        id: data.id ?? id,
        ...(data.internetMessageId ? { internetMessageId: data.internetMessageId } : {}),
        ...(data.subject !== undefined ? { subject: data.subject } : {}),
        ...(address ? { from: data.from?.emailAddress?.name ? `${data.from.emailAddress.name} <${address}>` : address } : {}),
        ...(data.receivedDateTime ? { receivedDateTime: data.receivedDateTime } : {}),
        headers,
      };
    },

    async bodyText(id, maxChars) {
      const { body } = await call(`${graph}/v1.0/me/messages/${encodeURIComponent(id)}?$select=body`, 'GET me/messages/{id} (body)', { prefer: 'outlook.body-content-type="text"' });
      return ((body as { body?: { content?: string } }).body?.content ?? '').slice(0, maxChars);
    },
  };
}

/** The mailbox address of the signed-in account: `mail`, else `userPrincipalName` (GET /me). */
export async function graphMailboxAddress(options: { graphBaseUrl: string; accessToken: string; signal?: AbortSignal }): Promise<string> {
  const graph = options.graphBaseUrl.replace(/\/+$/, '');
  const { body } = await requestJson('Microsoft Graph', { url: `${graph}/v1.0/me?$select=mail,userPrincipalName`, where: 'GET me', accessToken: options.accessToken, signal: options.signal });
  const data = body as { mail?: string | null; userPrincipalName?: string | null };
  return (data.mail ?? '').trim() || (data.userPrincipalName ?? '').trim();
}
