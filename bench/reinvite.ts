/**
 * Figure group 1b: the 21-day invitation scenario under time skipping (design target: < 10 s of
 * wall time). One identity invites a person, withdraws the invitation automatically after 7 days,
 * then a second campaign tries to invite the same person again: the step waits out the 21-day
 * re-invite block and the invitation goes out when it lifts.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import type { WorkingHours } from '../domain/working-hours';
import { IdentityWorkflows } from '../api/identity-workflows';
import { ensureSearchAttributes } from '../lib/search-attributes';
import { startTestServer } from '../scripts/temporal-binaries';
import { connectTimeSkippingEnv, workflowBundle } from '../test/support/temporal';
import { createPacerWorker } from '../worker';
import { benchActivities, type BenchDatabase } from './services';
import { defaultIdentityConfig, note, printFigure, withTimeout, type Stoppers } from './support';

const DAY_MS = 24 * 60 * 60 * 1000;
const PERSON = 'https://www.linkedin.com/in/bench-reinvite';
/** Invite (day 0–1), withdrawal (day 7–8), block (21 days), re-invite: well inside 35 days. */
const MAX_DAYS = 35;

export async function measureReinviteScenario(stoppers: Stoppers, { db }: BenchDatabase): Promise<void> {
  const server = await startTestServer();
  stoppers.add('re-invite test server', () => server.stop());
  const env = await connectTimeSkippingEnv(server.address);
  stoppers.add('re-invite environment', () => env.teardown());
  await ensureSearchAttributes(env.connection, 'default');
  const taskQueue = `bench-reinvite-${randomUUID()}`;
  const worker = await createPacerWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, activities: benchActivities(db), workflowBundle: await workflowBundle() });
  const running = worker.run();
  stoppers.add('re-invite worker', async () => {
    worker.shutdown();
    await running;
  });

  const workingHours: WorkingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
  const workspace = await db.workspace.create({ data: { slug: `bench-reinvite-${randomUUID()}`, name: 'bench re-invite' } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'Reinvite', lastName: 'Bench', timeZone: workingHours.timeZone, workingDays: workingHours.days, workingStart: workingHours.start, workingEnd: workingHours.end, autoWithdrawEnabled: true, autoWithdrawAfterDays: 7 },
  });
  const first = await campaignInviting(db, workspace.id, identity.id, 'first');
  const identityWorkflows = new IdentityWorkflows(env.client, taskQueue);

  const started = performance.now();
  await identityWorkflows.start({ id: identity.id, workspaceId: workspace.id, config: { ...defaultIdentityConfig(workingHours), autoWithdraw: { enabled: true, afterDays: 7 } }, workspaceScrapingPool: 0 });
  let second: string | null = null;
  let days = 0;
  for (; days < MAX_DAYS; days += 1) {
    await withTimeout(env.sleep(DAY_MS), 60_000, `re-invite scenario day ${days + 1}`);
    if (second === null && (await db.linkedinInvitation.count({ where: { identityId: identity.id, status: 'withdrawn' } })) > 0) {
      second = await campaignInviting(db, workspace.id, identity.id, 'second');
      await identityWorkflows.campaignsChanged(identity.id);
    }
    if (second !== null && (await db.lead.count({ where: { campaignId: second, state: 'done' } })) === 1) break;
  }
  const wallSeconds = (performance.now() - started) / 1000;
  const invitations = await db.linkedinInvitation.findMany({ where: { identityId: identity.id }, orderBy: { requestedAt: 'asc' } });
  if (second === null || invitations.length !== 2) throw new Error(`re-invite scenario incomplete after ${days} days (first campaign ${first}, invitations ${invitations.length})`);
  const [withdrawn, reinvited] = invitations;
  note(`re-invite: withdrawn ${withdrawn?.withdrawnAt?.toISOString()}, re-invited ${reinvited?.sentAt?.toISOString()} after ${days + 1} simulated days`);
  printFigure('reinvite_scenario_21_days_wall_seconds', wallSeconds, 's', '< 10');
}

/** An active campaign with one connection-request step, for the bench's one person. */
async function campaignInviting(db: Database, workspaceId: string, identityId: string, name: string): Promise<string> {
  const campaign = await db.campaign.create({ data: { workspaceId, identityId, name, status: 'active', steps: [{ kind: 'linkedin-connection-request', delayMinutes: 0 }] } });
  await db.lead.create({ data: { workspaceId, campaignId: campaign.id, identityId, linkedinUrl: PERSON, nextActionKind: 'connectionRequest', dueAt: new Date(0) } });
  return campaign.id;
}
