import { Router } from 'express';
import type { Database } from '../db/client';
import { evaluateLinkedinLimits } from '../domain/linkedin-limits';
import { sanitizeSignature } from '../domain/signature';
import { linkedinLimitsOf, workingHoursOf } from '../domain/identity-config';
import { ServiceUnavailableError, ValidationError } from '../lib/errors';
import { callerOf } from './auth';
import { expectedVersion, identityEtag, workflowNotice, workingHoursColumns, type IdentityService } from './identity-service';
import { identityView, statusView } from './identity-views';
import { parseInput } from './problem';
import { warmupPauseReasons } from './warmup';
import { likingsOptOutSchema, linkedinRateLimitsSchema, signatureSchema, withdrawalsSchema, workingHoursSchema } from './schemas';

/** The identity's settings, one resource each (PUT replaces it whole), and its live status. */
export function identitySettingsRoutes(db: Database, identities: IdentityService): Router {
  const router = Router();

  router.put('/identities/:id/working-hours', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const workingHours = parseInput(workingHoursSchema, request.body);
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.working-hours.updated',
      data: workingHoursColumns(workingHours),
      before: workingHoursOf(existing),
      after: workingHours,
      tellsWorkflow: true,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({ ...identityView(updated), ...workflowNotice(workflowNotified) });
  });

  router.put('/identities/:id/linkedin/rate-limits', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const limits = parseInput(linkedinRateLimitsSchema, request.body);
    const workspace = await db.workspace.findUniqueOrThrow({ where: { id: caller.workspaceId } });
    const evaluation = evaluateLinkedinLimits(limits, {
      salesNavigatorEnabled: existing.salesNavigatorEnabled,
      workspaceScrapingPool: workspace.linkedinScrapingPoolPerDay,
      now: Date.now(),
    });
    if (evaluation.problems.length > 0) throw new ValidationError(evaluation.problems);
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.linkedin-limits.updated',
      data: {
        dailyConnectionRequests: limits.dailyConnectionRequests,
        dailyMessages: limits.dailyMessages,
        dailyScrapings: limits.dailyScrapings,
        linkedinLimitsRaisedUntil: limits.raisedUntil === null ? null : new Date(limits.raisedUntil),
      },
      before: linkedinLimitsOf(existing),
      after: limits,
      tellsWorkflow: true,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({
      ...identityView(updated),
      totalDailyScrapingCapacity: evaluation.totalDailyScrapingCapacity,
      warnings: evaluation.warnings,
      ...workflowNotice(workflowNotified),
    });
  });

  router.put('/identities/:id/linkedin/withdrawals', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const withdrawals = parseInput(withdrawalsSchema, request.body);
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.withdrawals.updated',
      data: { autoWithdrawEnabled: withdrawals.autoWithdraw, autoWithdrawAfterDays: withdrawals.thresholdDays },
      before: { autoWithdraw: existing.autoWithdrawEnabled, thresholdDays: existing.autoWithdrawAfterDays },
      after: withdrawals,
      tellsWorkflow: true,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({ ...identityView(updated), ...workflowNotice(workflowNotified) });
  });

  router.put('/identities/:id/likings-opt-out', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const { optOut } = parseInput(likingsOptOutSchema, request.body);
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.likings-opt-out.updated',
      data: { likingsOptOut: optOut },
      before: { optOut: existing.likingsOptOut },
      after: { optOut },
      tellsWorkflow: true,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({ ...identityView(updated), ...workflowNotice(workflowNotified) });
  });

  router.put('/identities/:id/signature', async (request, response) => {
    const caller = callerOf(request);
    const existing = await identities.findOwned(caller, request.params.id);
    const signature = parseInput(signatureSchema, request.body);
    const html = sanitizeSignature(signature.mode, signature.html);
    const { identity: updated, workflowNotified } = await identities.change({
      caller,
      existing,
      action: 'identity.signature.updated',
      data: { signatureMode: signature.mode, signatureHtml: html },
      before: { mode: existing.signatureMode, html: existing.signatureHtml },
      after: { mode: signature.mode, html },
      tellsWorkflow: false,
      ifVersion: expectedVersion(request),
    });
    response.set('ETag', identityEtag(updated)).json({ ...identityView(updated), ...workflowNotice(workflowNotified) });
  });

  router.get('/identities/:id/status', async (request, response) => {
    const caller = callerOf(request);
    const identity = await identities.findOwned(caller, request.params.id);
    const status = await identities.liveStatus(identity).catch((error: unknown) => {
      throw new ServiceUnavailableError(`The identity workflow could not be queried (${(error as Error).message})`);
    });
    if (!status) throw new ServiceUnavailableError("The identity's workflow was not running and has been started again; ask again in a moment");
    const paused = await db.campaign.findMany({ where: { identityId: identity.id, status: 'paused' }, orderBy: { name: 'asc' } });
    const warmupReasons = await warmupPauseReasons(db, paused);
    response.json({
      ...statusView(status, await identities.scrapingToday(identity, status.now)),
      // Paused by hand, or by a running warm-up (and untouched since: the version it left them at).
      pausedCampaigns: paused.map((campaign) => ({ id: campaign.id, name: campaign.name, reason: warmupReasons.get(campaign.id) ?? 'paused by hand' })),
    });
  });

  return router;
}
