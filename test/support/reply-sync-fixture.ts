import { randomUUID } from 'node:crypto';
import type { EmailInbox, Lead } from '@prisma/client';
import type { Database } from '../../db/client';
import { addOAuthInbox } from './inboxes';

export interface SyncLead {
  lead: Lead;
  messageId: string;
}

/**
 * A workspace, identity and active two-step email campaign with one OAuth inbox, and one lead per
 * address whose first email went out with the given Message-ID (as the send step records it).
 */
export async function oauthInboxWithLeads(
  db: Database,
  options: { provider: 'google' | 'microsoft'; address: string; refreshToken: string; leads: Record<string, string>; inbox?: Partial<EmailInbox> },
): Promise<{ inbox: EmailInbox; leads: Record<string, SyncLead> }> {
  const workspace = await db.workspace.create({ data: { slug: `sync-${randomUUID()}`, name: 'sync' } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'Ada', lastName: 'S', timeZone: 'Europe/Paris', workingDays: ['MON'], workingStart: '09:00', workingEnd: '18:00' },
  });
  const steps = [
    { kind: 'email', delayMinutes: 0, subject: 'Hi', body: '<p>Hi</p>' },
    { kind: 'email', delayMinutes: 2880, subject: 'Follow-up', body: '<p>?</p>' },
  ];
  const campaign = await db.campaign.create({ data: { workspaceId: workspace.id, identityId: identity.id, name: 'c', status: 'active', steps } });
  const inbox = await addOAuthInbox(db, { identityId: identity.id, workspaceId: workspace.id }, options.provider, options.address, { refreshToken: options.refreshToken, fields: options.inbox });
  const id = inbox.id;
  const leads: Record<string, SyncLead> = {};
  for (const [email, messageId] of Object.entries(options.leads)) {
    const lead = await db.lead.create({
      data: { workspaceId: workspace.id, campaignId: campaign.id, identityId: identity.id, email, inboxId: id, stepIndex: 1, nextActionKind: 'email', dueAt: new Date(Date.now() + 86_400_000) },
    });
    await db.leadAction.create({
      data: { leadId: lead.id, identityId: identity.id, stepIndex: 0, kind: 'email', idempotencyKey: `${campaign.id}/${lead.id}/0`, performedAt: new Date(), result: { state: 'sent', inboxId: id, messageId } },
    });
    leads[email] = { lead, messageId };
  }
  return { inbox, leads };
}
