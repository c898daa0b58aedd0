import { DateTime } from 'luxon';
import { type Database } from '../../db/client';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { actionInstants, countPerParisDay, identityWithCampaign, nextSundayEvening } from '../support/campaigns';

const TASK_QUEUE = 'worker-restart-test';

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let db: Database;

beforeAll(async () => {
  // Workers without a sticky cache, so every task goes through the shared queue, as it does after a
  // crash once the sticky queue times out (the time-skipping test server never times one out).
  harness = await startTimeSkippingHarness(TASK_QUEUE, { maxCachedWorkflows: 0 });
  ({ db } = harness);
  await db.workspace.update({ where: { id: harness.workspaceId }, data: { linkedinScrapingPoolPerDay: 100 } });
}, 120_000);

afterAll(() => harness?.stop());

const skipTo = (instant: DateTime) => harness.skipTo(instant);

test('a worker stopped mid-day and replaced by a new one loses and doubles no action', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const { identityId } = await identityWithCampaign(harness, 'Restart', 30);
  const monday = sunday.plus({ days: 1 });

  await skipTo(monday.set({ hour: 13 }));
  const beforeRestart = await db.leadAction.count({ where: { identityId } });
  expect(beforeRestart).toBeGreaterThan(0);
  // Replace the worker mid-day: the new one replays the workflow from its history and goes on.
  await harness.replaceWorker();

  await skipTo(monday.plus({ days: 3 }).set({ hour: 19 }));
  const invitations = await actionInstants(harness, identityId, 'connectionRequest');
  expect(countPerParisDay(invitations)).toEqual({ [monday.toISODate() as string]: 20, [monday.plus({ days: 1 }).toISODate() as string]: 10 });
  // Exactly one action per lead and step: the idempotency keys are unique, and every lead finished.
  expect(await db.leadAction.count({ where: { identityId } })).toBe(30 * 3);
  expect(await db.lead.count({ where: { identityId, state: 'done' } })).toBe(30);
});
