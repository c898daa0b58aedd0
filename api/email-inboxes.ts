import { randomUUID } from 'node:crypto';
import type { EmailInbox, Prisma } from '@prisma/client';
import { Router } from 'express';
import { z } from 'zod';
import { inboxPasswordAssociatedData, inboxRefreshTokenAssociatedData } from '../lib/secrets';
import type { Database } from '../db/client';
import { recordCampaignCompletion, recordEvents, startDeliveries } from '../db/webhook-events';
import { customerRateProblems, effectiveInboxRate, rateOverrideOf, rateWarnings } from '../domain/inbox-rate';
import { plaintextProblems, plaintextWarnings, resolveMailServers } from '../domain/mail-servers';
import type { Cidr } from '../domain/network-address';
import { EMAIL_RATE, inboxDisconnectedError, inboxNeedsReconnectReason } from '../domain/pacing';
import { inboxReconnected, leadFailed, type WebhookDeliveryStarter } from '../domain/webhooks';
import type { Resolver } from '../integrations/email/host-guard';
import { validateInbox } from '../integrations/email/inbox-probe';
import { MICROSOFT_REVOCATION, revokeGoogleRefreshToken, type RevocationOutcome } from '../integrations/email/oauth-connect';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../lib/config';
import { ConflictError, NotFoundError, ServiceUnavailableError, ValidationError } from '../lib/errors';
import { decryptSecret, encryptSecret, type Keyring } from '../lib/secrets';
import { requireOperator } from './admin';
import { callerOf } from './auth';
import type { IdentityService } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { parseInput } from './problem';
import { isUuid } from './ids';

/** What connecting inboxes needs: the keyring to encrypt passwords, and the connection rules. */
export interface EmailConnectionSettings {
  keyring: Keyring;
  connectTimeoutMs: number;
  privateHostsAllowed: Cidr[];
  /** EMAIL_ALLOW_PLAINTEXT: `security: "none"` is refused unless true (and warned about when allowed). */
  allowPlaintext: boolean;
  /** DNS; tests may resolve names to loopback. */
  resolve?: Resolver;
  /** Extra certificate authorities to trust on IMAP/SMTP TLS (tests only: a self-signed test server). Never from configuration. */
  trustedCertificates?: string[];
}

const security = z.enum(['tls', 'starttls', 'none']);
const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$|^\[?[0-9A-Fa-f:.]+\]?$/, 'must be a host name or an IP address');
const port = z.number().int().min(1).max(65535);

/** One IMAP or SMTP server as typed; every field optional (domain/mail-servers fills the rest). */
export const mailServerSchema = z.strictObject({ host: host.optional(), port: port.optional(), security: security.optional() });

export const connectImapInboxSchema = z.strictObject({
  email: z.email().max(320).transform((value) => value.toLowerCase()),
  /** The mailbox password or app password; stored encrypted, never returned. */
  password: z.string().min(1).max(1024),
  /** Login name when it differs from the address. */
  username: z.string().trim().min(1).max(320).optional(),
  displayName: z.string().trim().min(1).max(200).optional(),
  /** Each field may be omitted: security from the port, the port from the security, hosts from the address's preset (domain/mail-servers). */
  imap: mailServerSchema.default({}),
  smtp: mailServerSchema.default({}),
});

export const inboxRateSchema = z.strictObject({
  dailyRate: z.number().int().min(1).max(10_000),
  hourlyRate: z.number().int().min(1).max(10_000),
});

export const inboxRateOverrideSchema = z.strictObject({
  dailyRate: z.number().int().min(1).max(1_000),
  hourlyRate: z.number().int().min(1).max(100),
  reason: z.string().trim().min(3).max(500),
  expiresAt: z.iso.datetime({ offset: true }),
});

/** Never a secret: no password, no envelope. */
export function inboxView(inbox: EmailInbox, now = Date.now()) {
  const override = rateOverrideOf(inbox);
  const effective = effectiveInboxRate(inbox, override, now);
  return {
    id: inbox.id,
    identityId: inbox.identityId,
    email: inbox.email,
    displayName: inbox.displayName,
    provider: inbox.provider,
    status: inbox.status,
    statusReason: inbox.statusReason,
    username: inbox.username,
    imap: inbox.imapHost === null ? null : { host: inbox.imapHost, port: inbox.imapPort, security: inbox.imapSecurity },
    smtp: { host: inbox.smtpHost, port: inbox.smtpPort, security: inbox.smtpSecurity },
    rate: { dailyRate: inbox.dailyRate, hourlyRate: inbox.hourlyRate },
    effectiveRate: { dailyRate: effective.dailyRate, hourlyRate: effective.hourlyRate },
    rateOverride:
      override && effective.overridden
        ? { dailyRate: override.dailyRate, hourlyRate: override.hourlyRate, reason: inbox.rateOverrideReason, expiresAt: new Date(override.expiresAt).toISOString() }
        : null,
    /** Reply sync: null before the first run; ok | failing | needs-reconnect, with the last success and the last error. */
    sync: { status: inbox.syncStatus, lastSyncAt: inbox.lastSyncAt?.toISOString() ?? null, lastError: inbox.lastSyncError },
    createdAt: inbox.createdAt.toISOString(),
  };
}

/** The code of the 409 that refuses an address another identity of the workspace holds. */
export const ADDRESS_IN_USE = 'address-in-use';

/**
 * SPEC: one address, one identity per workspace (two identities on one address would double its
 * daily and hourly caps). Inside the transaction that stores the inbox: a lock on (workspace, address)
 * makes two concurrent connections of the same address take turns. Another identity's inbox counts
 * until it is disconnected or its identity deleted. 409 names the identity that holds it.
 */
export async function claimAddress(tx: Prisma.TransactionClient, claim: { workspaceId: string; identityId: string; email: string }): Promise<void> {
  await tx.$queryRaw`SELECT 1 FROM pg_advisory_xact_lock(hashtextextended(${`email-address:${claim.workspaceId}:${claim.email}`}, 0))`;
  const holder = await tx.emailInbox.findFirst({
    where: { workspaceId: claim.workspaceId, email: claim.email, identityId: { not: claim.identityId }, status: { not: 'disconnected' }, identity: { deletedAt: null } },
    include: { identity: { select: { id: true, firstName: true, lastName: true } } },
  });
  if (holder) {
    const name = `${holder.identity.firstName} ${holder.identity.lastName}`.trim();
    throw new ConflictError(`${claim.email} is already connected to identity ${name} (${holder.identity.id}); disconnect it there first`, {
      code: ADDRESS_IN_USE,
      identityId: holder.identity.id,
      identityName: name,
    });
  }
}

/** What happened to an inbox's credentials when it was disconnected. */
export interface CredentialsRemoval {
  erased: true;
  /** google: revoked at Google; microsoft: cannot be revoked by an app (guidance given); imap-smtp: nothing to revoke. */
  tokenRevoked: boolean | null;
  detail?: string;
}

/**
 * SPEC §3 lead continuity: a lead stays on the address it started with. Disconnecting that address
 * puts its leads in error naming it (they are never moved to another inbox); reconnecting the same
 * address resumes them where they were.
 */
export interface CredentialRemovalSettings {
  keyring: Keyring | undefined;
  google: GoogleClientConfig | undefined;
  microsoft: MicrosoftClientConfig | undefined;
  /** Stops the inbox's running warm-up (the provider stops warming it); false when none runs. */
  warmups?: { stopIfRunning(db: Database, inboxId: string): Promise<boolean> };
}

export class InboxConnections {
  constructor(
    private readonly db: Database,
    private readonly workflows: IdentityWorkflows,
    private readonly credentials: CredentialRemovalSettings = { keyring: undefined, google: undefined, microsoft: undefined },
    /** Starts the deliveries of the events these changes publish (lead.failed, inbox.reconnected, campaign.completed). */
    private readonly webhooks?: WebhookDeliveryStarter,
  ) {}

  /**
   * Revokes an OAuth refresh token where the provider allows it (Google), before the envelope is
   * erased. A Google grant shared with another connected inbox of the same address (another
   * workspace) is left alone: revoking it would cut that inbox off too.
   */
  private async revoke(inbox: EmailInbox): Promise<RevocationOutcome | null> {
    if (inbox.provider === 'imap-smtp' || inbox.refreshTokenEnvelope === null) return null;
    if (inbox.provider === 'microsoft') return MICROSOFT_REVOCATION;
    const { keyring, google } = this.credentials;
    if (!keyring || !google) return { revoked: false, reason: 'failed', detail: 'Google is not configured on this API (GOOGLE_CLIENT_ID / GOOGLE_CLIENT_SECRET): the token could not be revoked' };
    const shared = await this.db.emailInbox.count({ where: { id: { not: inbox.id }, email: inbox.email, provider: 'google', status: { not: 'disconnected' }, refreshTokenEnvelope: { not: null } } });
    if (shared > 0) return { revoked: false, reason: 'shared-grant', detail: 'the same Google account stays connected elsewhere in Pacer, which shares its grant: it was not revoked' };
    let refreshToken: string;
    try {
      refreshToken = decryptSecret(keyring, inbox.refreshTokenEnvelope, inboxRefreshTokenAssociatedData(inbox.id));
    } catch (error) {
      return { revoked: false, reason: 'failed', detail: `the stored token could not be read (${(error as Error).message})` };
    }
    return revokeGoogleRefreshToken(google, refreshToken);
  }

  private removal(revocation: RevocationOutcome | null): CredentialsRemoval {
    if (revocation === null) return { erased: true, tokenRevoked: null };
    return revocation.revoked ? { erased: true, tokenRevoked: true } : { erased: true, tokenRevoked: false, detail: revocation.detail };
  }

  /**
   * Disconnects an inbox: its token is revoked where possible, its password and token envelopes are
   * erased, its warm-up stops, and its leads mid-sequence stop with an error naming the address.
   */
  async disconnect(inbox: EmailInbox): Promise<{ leadsStopped: number; credentials: CredentialsRemoval; warmupStopped: boolean }> {
    const revocation = await this.revoke(inbox);
    const { count, deliveries } = await this.db.$transaction(async (tx) => {
      await tx.emailInbox.update({ where: { id: inbox.id }, data: { status: 'disconnected', passwordEnvelope: null, refreshTokenEnvelope: null } });
      const reason = inboxDisconnectedError(inbox.email);
      const stopped = await tx.lead.updateManyAndReturn({ where: { inboxId: inbox.id, state: 'waiting' }, data: { state: 'error', error: reason } });
      const events = await recordEvents(tx, stopped.map((lead) => leadFailed(lead, { reason, failedAt: lead.updatedAt.getTime() })));
      const completions = [];
      for (const campaignId of new Set(stopped.map((lead) => lead.campaignId))) completions.push(...(await recordCampaignCompletion(tx, campaignId)));
      return { count: stopped.length, deliveries: [...events, ...completions] };
    });
    await startDeliveries(this.webhooks, deliveries);
    const warmupStopped = (await this.credentials.warmups?.stopIfRunning(this.db, inbox.id)) ?? false;
    await this.workflows.campaignsChanged(inbox.identityId);
    return { leadsStopped: count, credentials: this.removal(revocation), warmupStopped };
  }

  /** A deleted identity keeps no credential: every inbox's token is revoked where possible and its envelopes erased. */
  async eraseAllOf(identityId: string): Promise<number> {
    const inboxes = await this.db.emailInbox.findMany({ where: { identityId, OR: [{ passwordEnvelope: { not: null } }, { refreshTokenEnvelope: { not: null } }] } });
    for (const inbox of inboxes) {
      await this.revoke(inbox);
      await this.db.emailInbox.update({ where: { id: inbox.id }, data: { status: 'disconnected', passwordEnvelope: null, refreshTokenEnvelope: null } });
    }
    return inboxes.length;
  }

  /**
   * The same address is connected again: its leads in error because of the disconnection wait again,
   * and the leads parked while it needed reconnecting are due again at once.
   */
  async reconnected(inbox: EmailInbox): Promise<number> {
    const { resumed, deliveries } = await this.db.$transaction(async (tx) => {
      // The status as it is now (the caller's row may predate the breakdown): what this reconnection ends.
      const before = await tx.emailInbox.findUniqueOrThrow({ where: { id: inbox.id } });
      const previousStatus = before.status === 'connected' && before.syncStatus === 'needs-reconnect' ? 'needs-reconnect' : before.status;
      // A reply sync that found the credentials broken starts afresh with the new ones.
      const connected = await tx.emailInbox.update({
        where: { id: inbox.id },
        data: { status: 'connected', statusReason: null, ...(before.syncStatus === 'needs-reconnect' ? { syncStatus: null, lastSyncError: null } : {}) },
      });
      const [errored, parked] = await Promise.all([
        tx.lead.updateMany({ where: { inboxId: inbox.id, state: 'error', error: inboxDisconnectedError(inbox.email) }, data: { state: 'waiting', error: null } }),
        tx.lead.updateMany({
          where: { inboxId: inbox.id, state: 'waiting', waitingReason: inboxNeedsReconnectReason(inbox.email) },
          data: { dueAt: new Date(), waitingReason: null },
        }),
      ]);
      const count = errored.count + parked.count;
      // Only a connection that was lost is a reconnection for callers; new credentials for a working inbox are not.
      const events = previousStatus === 'connected' ? [] : [inboxReconnected(connected, { previousStatus, leadsResumed: count, reconnectedAt: connected.updatedAt.getTime() })];
      return { resumed: count, deliveries: await recordEvents(tx, events) };
    });
    await startDeliveries(this.webhooks, deliveries);
    await this.workflows.campaignsChanged(inbox.identityId);
    return resumed;
  }
}

/** Who connected an inbox, for the audit log: an API key, or a share link (no key). */
export interface ConnectedBy {
  apiKeyId: string | null;
  shareLinkId?: string;
}

/**
 * Connecting an IMAP/SMTP inbox, shared by the API route and share links (SPEC §4). Both servers must
 * accept the credentials before anything is saved. The same address again is a reconnection: new
 * credentials, status connected, and its leads resume (200 instead of 201).
 */
export function inboxConnector(db: Database, connections: InboxConnections, workflows: IdentityWorkflows, email: EmailConnectionSettings | undefined) {
  return {
    async connectImap(identity: { id: string; workspaceId: string }, input: z.infer<typeof connectImapInboxSchema>, by: ConnectedBy) {
      if (!email) throw new ServiceUnavailableError('Connecting inboxes needs the encryption keyring (PACER_ENCRYPTION_KEYS)');
      const username = input.username ?? input.email;
      const resolved = resolveMailServers(input.email, { imap: input.imap, smtp: input.smtp });
      if (!resolved.ok) throw new ValidationError(resolved.problems);
      const servers = resolved.servers;
      const refused = plaintextProblems(servers, email.allowPlaintext);
      if (refused.length > 0) throw new ValidationError(refused);
      // Before probing the servers: an address another identity holds is refused at once (and again under the lock below).
      await db.$transaction((tx) => claimAddress(tx, { workspaceId: identity.workspaceId, identityId: identity.id, email: input.email }));
      await validateInbox(
        { username, password: input.password, imap: servers.imap, smtp: servers.smtp },
        {
          timeoutMs: email.connectTimeoutMs,
          allowlist: email.privateHostsAllowed,
          ...(email.resolve ? { resolve: email.resolve } : {}),
          ...(email.trustedCertificates ? { trustedCertificates: email.trustedCertificates } : {}),
        },
      );
      const fields = {
        displayName: input.displayName ?? null,
        provider: 'imap-smtp',
        username,
        imapHost: servers.imap.host,
        imapPort: servers.imap.port,
        imapSecurity: servers.imap.security,
        smtpHost: servers.smtp.host,
        smtpPort: servers.smtp.port,
        smtpSecurity: servers.smtp.security,
        refreshTokenEnvelope: null,
      };
      // Said in every answer: which preset filled the hosts, and that plain text is unencrypted.
      const notes = { ...(servers.preset ? { preset: servers.preset } : {}), ...(plaintextWarnings(servers).length > 0 ? { warnings: plaintextWarnings(servers) } : {}) };
      const existing = await db.emailInbox.findUnique({ where: { identityId_email: { identityId: identity.id, email: input.email } } });
      const id = existing?.id ?? randomUUID();
      const passwordEnvelope = encryptSecret(email.keyring, input.password, inboxPasswordAssociatedData(id));
      const inbox = await db.$transaction(async (tx) => {
        await claimAddress(tx, { workspaceId: identity.workspaceId, identityId: identity.id, email: input.email });
        const saved = existing
          ? await tx.emailInbox.update({ where: { id }, data: { ...fields, passwordEnvelope, statusReason: null } })
          : await tx.emailInbox.create({ data: { id, workspaceId: identity.workspaceId, identityId: identity.id, email: input.email, ...fields, passwordEnvelope } });
        await tx.auditEntry.create({
          data: {
            workspaceId: identity.workspaceId,
            apiKeyId: by.apiKeyId,
            entityType: 'email-inbox',
            entityId: id,
            action: existing ? 'email-inbox.reconnected' : 'email-inbox.connected',
            after: { email: saved.email, provider: saved.provider, imapHost: saved.imapHost, smtpHost: saved.smtpHost, ...(by.shareLinkId ? { shareLinkId: by.shareLinkId } : {}) },
          },
        });
        return saved;
      });
      if (existing) {
        const resumed = await connections.reconnected(inbox);
        return { status: 200, body: { ...inboxView({ ...inbox, status: 'connected', statusReason: null }), reconnected: true, leadsResumed: resumed, ...notes } };
      }
      await workflows.campaignsChanged(identity.id);
      return { status: 201, body: { ...inboxView(inbox), ...notes } };
    },
  };
}

export type InboxConnector = ReturnType<typeof inboxConnector>;

export function emailInboxRoutes(
  db: Database,
  identities: IdentityService,
  connections: InboxConnections,
  workflows: IdentityWorkflows,
  connector: InboxConnector,
): Router {
  const router = Router();

  async function findInbox(identityId: string, accountId: string): Promise<EmailInbox> {
    const inbox = isUuid(accountId) ? await db.emailInbox.findFirst({ where: { id: accountId, identityId } }) : null;
    if (!inbox) throw new NotFoundError(`No email account ${accountId}`);
    return inbox;
  }

  router.post('/identities/:id/email-accounts/imap', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const result = await connector.connectImap(identity, parseInput(connectImapInboxSchema, request.body), { apiKeyId: caller.apiKeyId });
    if (result.status === 201) response.location(`/identities/${identity.id}/email-accounts/${result.body.id}`);
    response.status(result.status).json(result.body);
  });

  router.get('/identities/:id/email-accounts', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const inboxes = await db.emailInbox.findMany({ where: { identityId: identity.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
    response.json({ items: inboxes.map((inbox) => inboxView(inbox)) });
  });

  /** The customer's own rate: at most 80/day and 10/hour (more only through an operator override). */
  router.put('/identities/:id/email-accounts/:accountId/rate', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const inbox = await findInbox(identity.id, request.params.accountId);
    const rate = parseInput(inboxRateSchema, request.body);
    const problems = customerRateProblems(rate);
    if (problems.length > 0) throw new ValidationError(problems);
    const updated = await db.$transaction(async (tx) => {
      const saved = await tx.emailInbox.update({ where: { id: inbox.id }, data: rate });
      await tx.auditEntry.create({
        data: {
          workspaceId: identity.workspaceId,
          apiKeyId: caller.apiKeyId,
          entityType: 'email-inbox',
          entityId: inbox.id,
          action: 'email-inbox.rate',
          before: { dailyRate: inbox.dailyRate, hourlyRate: inbox.hourlyRate },
          after: rate,
        },
      });
      return saved;
    });
    await workflows.campaignsChanged(identity.id);
    response.json({ ...inboxView(updated), warnings: rateWarnings(rate), recommended: { dailyRate: EMAIL_RATE.perDay.recommended, hourlyRate: EMAIL_RATE.perHour.recommended } });
  });

  /** Disconnects an inbox (kept, so the same address can be reconnected). Leads mid-sequence on it need ?force=true. */
  router.delete('/identities/:id/email-accounts/:accountId', async (request, response) => {
    const identity = await identities.findOwned(callerOf(request), request.params.id);
    const { force } = parseInput(z.strictObject({ force: z.enum(['true', 'false']).default('false') }), request.query);
    const inbox = await findInbox(identity.id, request.params.accountId);
    const activeLeads = await db.lead.count({ where: { inboxId: inbox.id, state: 'waiting' } });
    if (activeLeads > 0 && force !== 'true') {
      throw new ConflictError(
        `${activeLeads} lead(s) are mid-sequence on ${inbox.email}; they would stop with an error until it is reconnected. Repeat with ?force=true to disconnect anyway`,
      );
    }
    const { leadsStopped, credentials, warmupStopped } = await connections.disconnect(inbox);
    response.json({ id: inbox.id, email: inbox.email, status: 'disconnected', leadsStopped, credentials, warmupStopped });
  });

  return router;
}

/**
 * Operator (support) override of an inbox's rate, above the maximum if needed, with a reason and an
 * expiry. Mounted beside /admin, before workspace authentication.
 */
export function emailInboxAdminRoutes(db: Database, operatorApiKey: string | undefined, workflows: IdentityWorkflows): Router {
  const router = Router();
  router.use('/admin/email-accounts', requireOperator(operatorApiKey));
  router.put('/admin/email-accounts/:accountId/rate-override', async (request, response) => {
    const inbox = isUuid(request.params.accountId) ? await db.emailInbox.findUnique({ where: { id: request.params.accountId } }) : null;
    if (!inbox) throw new NotFoundError(`No email account ${request.params.accountId}`);
    const input = parseInput(inboxRateOverrideSchema, request.body);
    const expiresAt = new Date(input.expiresAt);
    if (expiresAt.getTime() <= Date.now()) throw new ValidationError([{ field: 'expiresAt', message: 'must be in the future' }]);
    if (input.hourlyRate > input.dailyRate) throw new ValidationError([{ field: 'hourlyRate', message: 'cannot exceed the daily rate' }]);
    const updated = await db.$transaction(async (tx) => {
      const saved = await tx.emailInbox.update({
        where: { id: inbox.id },
        data: { rateOverrideDaily: input.dailyRate, rateOverrideHourly: input.hourlyRate, rateOverrideReason: input.reason, rateOverrideExpiresAt: expiresAt },
      });
      await tx.auditEntry.create({
        data: {
          workspaceId: inbox.workspaceId,
          entityType: 'email-inbox',
          entityId: inbox.id,
          action: 'email-inbox.rate-override',
          before: rateOverrideOf(inbox) === null ? undefined : { dailyRate: inbox.rateOverrideDaily, hourlyRate: inbox.rateOverrideHourly, expiresAt: inbox.rateOverrideExpiresAt?.toISOString() ?? null },
          after: { dailyRate: input.dailyRate, hourlyRate: input.hourlyRate, reason: input.reason, expiresAt: expiresAt.toISOString() },
        },
      });
      return saved;
    });
    await workflows.campaignsChanged(inbox.identityId);
    response.json(inboxView(updated));
  });
  return router;
}
