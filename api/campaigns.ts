import type { Campaign, Lead, Prisma } from '@prisma/client';
import { Router } from 'express';
import type { Database } from '../db/client';
import { actionKindOf, campaignSteps, type ActionKind, type CampaignStep } from '../domain/steps';
import { unstorableTextProblems } from '../domain/text';
import { normaliseProfileUrl } from '../integrations/linkedin/gateway';
import { ConflictError, NotFoundError, ValidationError, type FieldProblem } from '../lib/errors';
import type { IdentityStatus } from '../workflows/identity-contract';
import { callerOf, type Caller } from './auth';
import { addLeadsSchema, createCampaignSchema, leadRowSchema } from './campaign-schemas';
import { workflowNotice } from './identity-service';
import type { IdentityWorkflows } from './identity-workflows';
import { afterCursor, page, paginationSchema } from './pagination';
import { parseInput } from './problem';
import { isUuid } from './ids';

type CampaignStatus = 'draft' | 'active' | 'paused';

function campaignView(campaign: Campaign) {
  return {
    id: campaign.id,
    identityId: campaign.identityId,
    name: campaign.name,
    status: campaign.status,
    emailInbox: campaign.emailInbox === 'shuffle' ? 'SHUFFLE' : campaign.emailInbox,
    steps: campaignSteps(campaign),
    version: campaign.version,
    createdAt: campaign.createdAt.toISOString(),
    updatedAt: campaign.updatedAt.toISOString(),
  };
}

/** Why a lead has not taken its next step yet, and when it should: from its row and the identity's live status. */
function leadProgress(lead: Lead, campaign: Campaign, status: IdentityStatus | null, now: number) {
  if (lead.state !== 'waiting') return { nextActionAt: null, waitingReason: null };
  // Undated: parked until something happens (e.g. its inbox is reconnected); the row says why.
  if (lead.dueAt === null) return { nextActionAt: null, waitingReason: lead.waitingReason };
  const dueAt = lead.dueAt.getTime();
  if (campaign.status !== 'active') return { nextActionAt: null, waitingReason: `campaign ${campaign.status}` };
  if (lead.waitingReason && dueAt > now) return { nextActionAt: lead.dueAt.toISOString(), waitingReason: lead.waitingReason };
  if (dueAt > now) return { nextActionAt: lead.dueAt.toISOString(), waitingReason: 'waiting for the step delay' };
  if (!status) return { nextActionAt: null, waitingReason: 'identity workflow unavailable' };
  if (!status.inWindow) {
    return { nextActionAt: new Date(status.nextWindowStart).toISOString(), waitingReason: 'outside working hours' };
  }
  const kind = lead.nextActionKind as ActionKind | null;
  const pacing = kind ? status.pacing[kind] : undefined;
  // Undated: the kind waits for something to change (the LinkedIn account, a scraping capacity of nothing), which the reason names.
  if (pacing?.holdReason && pacing.heldUntil === null) return { nextActionAt: null, waitingReason: pacing.holdReason };
  if (pacing && pacing.left === 0) {
    return { nextActionAt: new Date(status.nextWindowStart).toISOString(), waitingReason: 'daily budget spent' };
  }
  if (pacing?.holdReason) {
    return { nextActionAt: pacing.heldUntil === null ? null : new Date(pacing.heldUntil).toISOString(), waitingReason: `held back: ${pacing.holdReason}` };
  }
  const slot = pacing?.nextSlotAt ?? now;
  return { nextActionAt: new Date(Math.max(slot, dueAt)).toISOString(), waitingReason: 'queued: actions are spread across the working day' };
}

function leadView(lead: Lead, campaign: Campaign, status: IdentityStatus | null, now: number) {
  const steps = campaignSteps(campaign);
  const step = steps[lead.stepIndex];
  return {
    id: lead.id,
    firstName: lead.firstName,
    lastName: lead.lastName,
    company: lead.company,
    linkedinUrl: lead.linkedinUrl,
    email: lead.email,
    state: lead.state,
    step: step ? { index: lead.stepIndex, kind: step.kind } : null,
    stepsDone: Math.min(lead.stepIndex, steps.length),
    ...leadProgress(lead, campaign, status, now),
    error: lead.error,
    createdAt: lead.createdAt.toISOString(),
  };
}

export function campaignRoutes(db: Database, workflows: IdentityWorkflows): Router {
  const router = Router();

  async function findOwned(caller: Caller, id: string): Promise<Campaign> {
    const campaign = isUuid(id) ? await db.campaign.findFirst({ where: { id, workspaceId: caller.workspaceId } }) : null;
    if (!campaign) throw new NotFoundError(`No campaign ${id}`);
    return campaign;
  }

  async function transition(caller: Caller, campaign: Campaign, from: CampaignStatus[], to: CampaignStatus, action: string) {
    if (campaign.status === to) return campaignView(campaign);
    if (!from.includes(campaign.status as CampaignStatus)) {
      throw new ConflictError(`A ${campaign.status} campaign cannot be ${action === 'start' ? 'started' : `${action}d`}`);
    }
    const updated = await db.$transaction(async (tx) => {
      const changed = await tx.campaign.update({ where: { id: campaign.id }, data: { status: to, version: { increment: 1 } } });
      await tx.auditEntry.create({
        data: {
          workspaceId: caller.workspaceId,
          apiKeyId: caller.apiKeyId,
          entityType: 'campaign',
          entityId: campaign.id,
          action: `campaign.${action}`,
          before: { status: campaign.status },
          after: { status: to },
        },
      });
      return changed;
    });
    // Committed first; the workflow re-reads what is due (also at its next pass, if it cannot be told now).
    return { ...campaignView(updated), ...workflowNotice(await workflows.campaignsChanged(campaign.identityId)) };
  }

  router.post('/campaigns', async (request, response) => {
    const caller = callerOf(request);
    const input = parseInput(createCampaignSchema, request.body);
    const identity = await db.identity.findFirst({
      where: { id: input.identityId, workspaceId: caller.workspaceId, deletedAt: null },
      include: { emailInboxes: { select: { id: true } } },
    });
    const problems: FieldProblem[] = [];
    if (!identity) problems.push({ field: 'identityId', message: 'no such identity' });
    const inboxIds = new Set(identity?.emailInboxes.map((inbox) => inbox.id));
    if (input.emailInbox !== 'SHUFFLE' && !inboxIds.has(input.emailInbox)) {
      problems.push({ field: 'emailInbox', message: 'no such inbox on this identity' });
    }
    const firstEmailStep = input.steps.findIndex((step) => step.kind === 'email');
    if (identity && firstEmailStep >= 0 && inboxIds.size === 0) {
      problems.push({ field: `steps.${firstEmailStep}`, message: 'email steps need an email inbox, and this identity has none' });
    }
    if (problems.length > 0) throw new ValidationError(problems);
    const campaign = await db.$transaction(async (tx) => {
      const created = await tx.campaign.create({
        data: {
          workspaceId: caller.workspaceId,
          identityId: input.identityId,
          name: input.name,
          emailInbox: input.emailInbox === 'SHUFFLE' ? 'shuffle' : input.emailInbox,
          steps: input.steps,
        },
      });
      await tx.auditEntry.create({
        data: { workspaceId: caller.workspaceId, apiKeyId: caller.apiKeyId, entityType: 'campaign', entityId: created.id, action: 'campaign.created', after: campaignView(created) },
      });
      return created;
    });
    response.status(201).location(`/campaigns/${campaign.id}`).json(campaignView(campaign));
  });

  router.get('/campaigns', async (request, response) => {
    const caller = callerOf(request);
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.campaign.findMany({
      where: { workspaceId: caller.workspaceId, ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map(campaignView), nextCursor });
  });

  router.get('/campaigns/:id', async (request, response) => {
    const campaign = await findOwned(callerOf(request), request.params.id);
    const counts = await db.lead.groupBy({ by: ['state'], where: { campaignId: campaign.id }, _count: true });
    response.json({ ...campaignView(campaign), leads: Object.fromEntries(counts.map((row) => [row.state, row._count])) });
  });

  router.post('/campaigns/:id/start', async (request, response) => {
    const caller = callerOf(request);
    const campaign = await findOwned(caller, request.params.id);
    response.json(await transition(caller, campaign, ['draft'], 'active', 'start'));
  });

  router.post('/campaigns/:id/pause', async (request, response) => {
    const caller = callerOf(request);
    const campaign = await findOwned(caller, request.params.id);
    response.json(await transition(caller, campaign, ['active'], 'paused', 'pause'));
  });

  router.post('/campaigns/:id/resume', async (request, response) => {
    const caller = callerOf(request);
    const campaign = await findOwned(caller, request.params.id);
    response.json(await transition(caller, campaign, ['paused'], 'active', 'resume'));
  });

  router.post('/campaigns/:id/leads', async (request, response) => {
    const caller = callerOf(request);
    const campaign = await findOwned(caller, request.params.id);
    // Rows are checked one by one below (text included): a bad row is reported, the good ones kept.
    const { leads: rows } = parseInput(addLeadsSchema, request.body, { textChecked: false });
    const steps = campaignSteps(campaign);
    const needsLinkedin = steps.some((step) => step.kind !== 'email');
    const needsEmail = steps.some((step) => step.kind === 'email');
    const rejected: { index: number; errors: FieldProblem[] }[] = [];
    const duplicates: { index: number; reason: string }[] = [];
    const accepted: { index: number; data: Prisma.LeadCreateManyInput }[] = [];
    const seen = new Set<string>();
    const now = Date.now();

    rows.forEach((row, index) => {
      const unstorable = unstorableTextProblems(row);
      if (unstorable.length > 0) {
        rejected.push({ index, errors: unstorable });
        return;
      }
      const parsed = leadRowSchema.safeParse(row);
      if (!parsed.success) {
        rejected.push({ index, errors: parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(row)', message: issue.message })) });
        return;
      }
      let linkedinUrl: string | undefined;
      try {
        linkedinUrl = parsed.data.linkedinUrl === undefined ? undefined : normaliseProfileUrl(parsed.data.linkedinUrl);
      } catch (error) {
        rejected.push({ index, errors: [{ field: 'linkedinUrl', message: (error as Error).message }] });
        return;
      }
      if (needsLinkedin && !linkedinUrl) {
        rejected.push({ index, errors: [{ field: 'linkedinUrl', message: 'required: the campaign has LinkedIn steps' }] });
        return;
      }
      const email = parsed.data.email?.toLowerCase();
      if (needsEmail && !email) {
        rejected.push({ index, errors: [{ field: 'email', message: 'required: the campaign has email steps' }] });
        return;
      }
      const keys = [linkedinUrl && `linkedin:${linkedinUrl}`, email && `email:${email}`].filter((key): key is string => Boolean(key));
      const repeated = keys.find((key) => seen.has(key));
      if (repeated) {
        duplicates.push({ index, reason: `same ${repeated.split(':')[0]} as an earlier row` });
        return;
      }
      keys.forEach((key) => seen.add(key));
      const firstStep = steps[0] as CampaignStep;
      accepted.push({
        index,
        data: {
          workspaceId: caller.workspaceId,
          campaignId: campaign.id,
          identityId: campaign.identityId,
          firstName: parsed.data.firstName,
          lastName: parsed.data.lastName,
          company: parsed.data.company,
          linkedinUrl,
          email,
          variables: parsed.data.variables ?? {},
          nextActionKind: actionKindOf(firstStep),
          dueAt: new Date(now + firstStep.delayMinutes * 60_000),
        },
      });
    });

    const existing = await db.lead.findMany({
      where: {
        campaignId: campaign.id,
        OR: [
          { linkedinUrl: { in: accepted.flatMap(({ data }) => (data.linkedinUrl ? [data.linkedinUrl] : [])) } },
          { email: { in: accepted.flatMap(({ data }) => (data.email ? [data.email] : [])) } },
        ],
      },
      select: { linkedinUrl: true, email: true },
    });
    const existingKeys = new Set(existing.flatMap((lead) => [lead.linkedinUrl && `linkedin:${lead.linkedinUrl}`, lead.email && `email:${lead.email}`]));
    const fresh = accepted.filter(({ index, data }) => {
      const clash = [data.linkedinUrl && `linkedin:${data.linkedinUrl}`, data.email && `email:${data.email}`].find((key) => key && existingKeys.has(key));
      if (clash) duplicates.push({ index, reason: `already in the campaign (same ${clash.split(':')[0]})` });
      return !clash;
    });

    const { count } = await db.lead.createMany({ data: fresh.map(({ data }) => data), skipDuplicates: true });
    const notified = count > 0 && campaign.status === 'active' ? await workflows.campaignsChanged(campaign.identityId) : true;
    response.json({
      created: count,
      duplicates: duplicates.sort((a, b) => a.index - b.index),
      rejected,
      ...workflowNotice(notified),
    });
  });

  router.get('/campaigns/:id/leads', async (request, response) => {
    const caller = callerOf(request);
    const campaign = await findOwned(caller, request.params.id);
    const { limit, cursor } = parseInput(paginationSchema, request.query);
    const rows = await db.lead.findMany({
      where: { campaignId: campaign.id, ...afterCursor(cursor) },
      orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
      take: limit + 1,
    });
    const status = await workflows.status(campaign.identityId).catch(() => null);
    const now = Date.now();
    const { items, nextCursor } = page(rows, limit);
    response.json({ items: items.map((lead) => leadView(lead, campaign, status, now)), nextCursor });
  });

  return router;
}
