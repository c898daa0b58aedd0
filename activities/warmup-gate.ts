/**
 * Campaign email and warm-up (SPEC §3): pausing the campaigns during a warm-up is recommended, not
 * mandatory. A warm-up started with `pauseCampaigns: true` holds its inbox: the email pass leaves it
 * out of Shuffle and holds a lead that is bound to it (sticky, or the campaign's fixed inbox), or that
 * has no other inbox to start on, until the warm-up ends, with a readable reason; the WarmupWorkflow
 * makes those leads due again when it finishes. A warm-up started with `pauseCampaigns: false` holds
 * nothing: campaign email keeps going from the warming inbox within its rate.
 */
import type { EmailInbox } from '@prisma/client';
import type { Database } from '../db/client';
import { inboxWarmingUpReason } from '../domain/warmup';

/** A lead that re-checks a warm-up whose end has passed but whose workflow has not finished yet waits this long. */
const RECHECK_MS = 60_000;

/** Inbox id → when its running warm-up ends (epoch ms), for the warm-ups that hold campaign email (pauseCampaigns). */
export async function warmingInboxes(db: Database, identityId: string): Promise<Map<string, number>> {
  const rows = await db.inboxWarmup.findMany({ where: { identityId, state: 'running', pauseCampaigns: true }, select: { inboxId: true, endsAt: true } });
  return new Map(rows.map((row) => [row.inboxId, row.endsAt.getTime()]));
}

/**
 * The hold for a lead, or null when it may go on. `boundInboxId` is the lead's own inbox, else the
 * campaign's fixed one; `otherConnected` are the connected inboxes that do not warm up.
 */
export function warmupHold(
  boundInboxId: string | null,
  warming: Map<string, number>,
  inboxes: Map<string, EmailInbox>,
  otherConnected: string[],
  at: number,
): { dueAt: Date; waitingReason: string } | null {
  let inboxId: string | undefined;
  if (boundInboxId !== null) inboxId = warming.has(boundInboxId) ? boundInboxId : undefined;
  else if (otherConnected.length === 0) inboxId = [...warming.entries()].sort((a, b) => a[1] - b[1])[0]?.[0];
  if (inboxId === undefined) return null;
  const endsAt = warming.get(inboxId)!;
  return { dueAt: new Date(Math.max(endsAt, at + RECHECK_MS)), waitingReason: inboxWarmingUpReason(inboxes.get(inboxId)?.email ?? inboxId, endsAt) };
}
