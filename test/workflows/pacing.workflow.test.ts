import type { Express } from 'express';
import { DateTime } from 'luxon';
import request from 'supertest';
import { type Database } from '../../db/client';
import { isWithinWorkingHours } from '../../domain/working-hours';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { PARIS, PARIS_OFFICE_HOURS, actionInstants, countPerParisDay, identityWithCampaign, nextSundayEvening } from '../support/campaigns';

const TASK_QUEUE = 'pacing-workflow-test';

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let db: Database;
let app: Express;

beforeAll(async () => {
  harness = await startTimeSkippingHarness(TASK_QUEUE);
  ({ db, app } = harness);
  await db.workspace.update({ where: { id: harness.workspaceId }, data: { linkedinScrapingPoolPerDay: 100 } });
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => harness.auth();
const skipTo = (instant: DateTime) => harness.skipTo(instant);

test('50 leads × 3 steps at 20 invitations a day: exactly 20 per working day, spread, never at night or at weekends', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const { identityId, campaignId } = await identityWithCampaign(harness, 'Steady', 50);

  await skipTo(sunday.plus({ days: 6, hours: 4 })); // Sunday 00:00 after the working week

  const invitations = await actionInstants(harness, identityId, 'connectionRequest');
  const [monday, tuesday, wednesday] = [1, 2, 3].map((offset) => sunday.plus({ days: offset }).toISODate() as string);
  expect(countPerParisDay(invitations)).toEqual({ [monday as string]: 20, [tuesday as string]: 20, [wednesday as string]: 10 });

  const everyAction = await db.leadAction.findMany({ where: { identityId } });
  expect(everyAction).toHaveLength(50 * 3);
  for (const action of everyAction) expect(isWithinWorkingHours(PARIS_OFFICE_HOURS, action.performedAt.getTime())).toBe(true);

  // Spread, not a burst: Monday's invitations start after 09:00 and span most of the day.
  const mondayInvitations = invitations.filter((instant) => DateTime.fromMillis(instant, { zone: PARIS }).toISODate() === monday);
  const first = DateTime.fromMillis(mondayInvitations[0] as number, { zone: PARIS });
  const last = DateTime.fromMillis(mondayInvitations[mondayInvitations.length - 1] as number, { zone: PARIS });
  expect(first.hour * 60 + first.minute).toBeGreaterThan(9 * 60);
  expect(last.diff(first, 'hours').hours).toBeGreaterThan(4);

  // Each lead's like came at least a day after its invitation (the step delay).
  const leads = await db.lead.findMany({ where: { campaignId }, include: { actions: { orderBy: { stepIndex: 'asc' } } } });
  for (const lead of leads) {
    expect(lead.state).toBe('done');
    const [, invitation, like] = lead.actions;
    expect((like?.performedAt.getTime() ?? 0) - (invitation?.performedAt.getTime() ?? 0)).toBeGreaterThanOrEqual(24 * 3600 * 1000);
  }
  const listed = await request(app).get(`/campaigns/${campaignId}/leads`).query({ limit: 5 }).set(auth());
  expect(listed.body.items[0]).toMatchObject({ state: 'done', step: null, stepsDone: 3, nextActionAt: null, waitingReason: null });
});

test('a limit raised at midday gives more invitations the same day; a paused campaign does nothing until resumed', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const { identityId, campaignId } = await identityWithCampaign(harness, 'Raised', 50);
  const monday = sunday.plus({ days: 1 });

  await skipTo(monday.set({ hour: 12 }));
  const morning = (await actionInstants(harness, identityId, 'connectionRequest')).length;
  expect(morning).toBeGreaterThan(0);
  expect(morning).toBeLessThan(20);
  const raised = await request(app)
    .put(`/identities/${identityId}/linkedin/rate-limits`)
    .set(auth())
    .send({ dailyConnectionRequests: 35, dailyMessages: 100, raisedUntil: monday.plus({ days: 2 }).toUTC().toISO() });
  expect(raised.status).toBe(200);

  await skipTo(monday.set({ hour: 18, minute: 30 }));
  expect(countPerParisDay(await actionInstants(harness, identityId, 'connectionRequest'))[monday.toISODate() as string]).toBe(35);

  // Pause Tuesday morning: nothing happens on Tuesday; resume Wednesday morning and the rest goes out.
  await skipTo(monday.plus({ days: 1 }).set({ hour: 7 }));
  expect((await request(app).post(`/campaigns/${campaignId}/pause`).set(auth())).status).toBe(200);
  const pausedLeads = await request(app).get(`/campaigns/${campaignId}/leads`).query({ limit: 100 }).set(auth());
  const waiting = pausedLeads.body.items.filter((lead: { state: string }) => lead.state === 'waiting');
  expect(waiting.length).toBeGreaterThan(0);
  for (const lead of waiting) expect(lead.waitingReason).toBe('campaign paused');
  const beforeTuesday = (await db.leadAction.count({ where: { identityId } }));
  await skipTo(monday.plus({ days: 2 }).set({ hour: 8 }));
  expect(await db.leadAction.count({ where: { identityId } })).toBe(beforeTuesday);

  expect((await request(app).post(`/campaigns/${campaignId}/resume`).set(auth())).status).toBe(200);
  await skipTo(monday.plus({ days: 3 }).set({ hour: 19 }));
  expect(await db.leadAction.count({ where: { identityId, kind: 'connectionRequest' } })).toBe(50);
});
