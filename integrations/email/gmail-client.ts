/**
 * The Gmail API calls reply sync needs, with the `gmail.readonly` scope granted at connection
 * (Gmail's IMAP would need `https://mail.google.com/`, which Pacer does not ask for):
 *
 * - `users.getProfile` → the mailbox's current `historyId` (where a full sync starts tracking from)
 *   https://developers.google.com/workspace/gmail/api/reference/rest/v1/users/getProfile
 * - `users.history.list?startHistoryId=…&historyTypes=messageAdded` → messages added since; an
 *   out-of-date `startHistoryId` answers 404, after which a full sync is needed
 *   https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.history/list
 *   https://developers.google.com/workspace/gmail/api/guides/sync
 * - `users.messages.list?q=after:<epoch seconds> …` → the full sync by date
 *   https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/list
 * - `users.messages.get?format=metadata&metadataHeaders=…` → the headers replies are matched by;
 *   `format=raw` (base64url RFC 822) for the body of a bounce
 *   https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.messages/get
 * - `users.threads.get?format=metadata&metadataHeaders=Message-ID` → the Message-IDs of a thread,
 *   to match a message by its `threadId` when its own headers name nothing Pacer sent
 *   https://developers.google.com/workspace/gmail/api/reference/rest/v1/users.threads/get
 *
 * Failures are classified by provider-api.ts; every call honours the caller's AbortSignal.
 */
import { requestJson } from './provider-api';

export interface GmailMessageRef {
  id: string;
  threadId: string;
  labelIds?: string[];
}

export interface GmailHistoryPage {
  history: { id: string; messagesAdded?: { message: GmailMessageRef }[] }[];
  nextPageToken?: string;
  /** The mailbox's current history id (stored once every page was read). */
  historyId: string;
}

export interface GmailMessageMetadata {
  id: string;
  threadId: string;
  labelIds: string[];
  /** Epoch ms, as a string. */
  internalDate?: string;
  headers: { name: string; value: string }[];
}

/** The headers reply sync reads from each message. */
export const GMAIL_METADATA_HEADERS = ['From', 'Subject', 'Date', 'Message-ID', 'In-Reply-To', 'References', 'Content-Type', 'X-Failed-Recipients', 'Auto-Submitted'];

export interface GmailMailbox {
  profile(): Promise<{ emailAddress: string; historyId: string }>;
  /** One page of added messages after `startHistoryId`; `expired` when Gmail no longer has that point (404). */
  history(startHistoryId: string, pageToken?: string): Promise<GmailHistoryPage | 'expired'>;
  /** One page of message ids matching a search query. */
  list(query: string, pageToken?: string): Promise<{ messages: GmailMessageRef[]; nextPageToken?: string }>;
  metadata(id: string): Promise<GmailMessageMetadata>;
  /** The message as RFC 822 text (bounces only), cut at `maxBytes`. */
  raw(id: string, maxBytes: number): Promise<string>;
  /** The Message-ID header of every message in a thread. */
  threadMessageIds(threadId: string): Promise<string[]>;
}

export function gmailMailbox(options: { rootUrl: string; accessToken: string; signal?: AbortSignal | undefined; timeoutMs?: number }): GmailMailbox {
  const base = `${options.rootUrl.replace(/\/+$/, '')}/gmail/v1/users/me`;
  const get = (path: string, params: [string, string][], where: string, expected: number[] = []) => {
    const query = new URLSearchParams(params).toString();
    return requestJson(
      'Gmail API',
      { url: `${base}${path}${query ? `?${query}` : ''}`, where, accessToken: options.accessToken, signal: options.signal, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) },
      expected,
    );
  };
  const id = (value: string) => encodeURIComponent(value);

  return {
    async profile() {
      const { body } = await get('/profile', [], 'users.getProfile');
      const data = body as { emailAddress?: string; historyId?: string | number };
      return { emailAddress: data.emailAddress ?? '', historyId: String(data.historyId ?? '') };
    },

    async history(startHistoryId, pageToken) {
      const { status, body } = await get(
        '/history',
        [['startHistoryId', startHistoryId], ['historyTypes', 'messageAdded'], ['maxResults', '100'], ...(pageToken ? [['pageToken', pageToken] as [string, string]] : [])],
        'users.history.list',
        [404],
      );
      if (status === 404) return 'expired';
      const data = body as { history?: GmailHistoryPage['history']; nextPageToken?: string; historyId?: string | number };
      return { history: data.history ?? [], ...(data.nextPageToken ? { nextPageToken: data.nextPageToken } : {}), historyId: String(data.historyId ?? startHistoryId) };
    },

    async list(query, pageToken) {
      const { body } = await get('/messages', [['q', query], ['maxResults', '100'], ...(pageToken ? [['pageToken', pageToken] as [string, string]] : [])], 'users.messages.list');
      const data = body as { messages?: GmailMessageRef[]; nextPageToken?: string };
      return { messages: data.messages ?? [], ...(data.nextPageToken ? { nextPageToken: data.nextPageToken } : {}) };
    },

    async metadata(messageId) {
      const { body } = await get(`/messages/${id(messageId)}`, [['format', 'metadata'], ...GMAIL_METADATA_HEADERS.map((name) => ['metadataHeaders', name] as [string, string])], 'users.messages.get');
      const data = body as { id?: string; threadId?: string; labelIds?: string[]; internalDate?: string; payload?: { headers?: { name: string; value: string }[] } };
      return {
        id: data.id ?? messageId,
        threadId: data.threadId ?? messageId,
        labelIds: data.labelIds ?? [],
        ...(data.internalDate ? { internalDate: data.internalDate } : {}),
        headers: data.payload?.headers ?? [],
      };
    },

    async raw(messageId, maxBytes) {
      const { body } = await get(`/messages/${id(messageId)}`, [['format', 'raw']], 'users.messages.get (raw)');
      const raw = (body as { raw?: string }).raw ?? '';
      return Buffer.from(raw, 'base64url').subarray(0, maxBytes).toString('utf8');
    },

    async threadMessageIds(threadId) {
      const { body } = await get(`/threads/${id(threadId)}`, [['format', 'metadata'], ['metadataHeaders', 'Message-ID']], 'users.threads.get');
      const messages = (body as { messages?: { payload?: { headers?: { name: string; value: string }[] } }[] }).messages ?? [];
      return messages.flatMap((message) => (message.payload?.headers ?? []).filter((header) => header.name.toLowerCase() === 'message-id').map((header) => header.value.trim()));
    },
  };
}
