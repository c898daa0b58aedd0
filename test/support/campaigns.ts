import { DateTime } from 'luxon';
import request from 'supertest';
import type { WorkingHours } from '../../domain/working-hours';
import type { TimeSkippingHarness } from './time-skipping';

export const PARIS = 'Europe/Paris';
export const PARIS_OFFICE_HOURS: WorkingHours = { timeZone: PARIS, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

/** Scrape, invite, and like a day later: three LinkedIn kinds with their own budgets. */
export const LINKEDIN_STEPS = [
  { kind: 'linkedin-profile-scrape', delayMinutes: 0 },
  { kind: 'linkedin-connection-request', delayMinutes: 0, note: 'Hi {{firstName}}, glad to connect.' },
  { kind: 'linkedin-like', delayMinutes: 24 * 60 },
];

/** The next Sunday 20:00 in Paris (server time): created then, an identity starts a full working week. */
export async function nextSundayEvening(harness: TimeSkippingHarness): Promise<DateTime> {
  const now = await harness.env.currentTimeMs();
  let day = DateTime.fromMillis(now, { zone: PARIS }).startOf('day').set({ hour: 20 });
  while (day.weekday !== 7 || day.toMillis() <= now) day = day.plus({ days: 1 });
  return day;
}

/** An identity (Paris office hours) with a started LinkedIn campaign of `count` leads. */
export async function identityWithCampaign(harness: TimeSkippingHarness, name: string, count: number): Promise<{ identityId: string; campaignId: string }> {
  const { app } = harness;
  const identity = await request(app).post('/identities').set(harness.auth()).send({ firstName: name, lastName: 'Pacer', workingHours: PARIS_OFFICE_HOURS });
  const campaign = await request(app).post('/campaigns').set(harness.auth()).send({ identityId: identity.body.id, name: `${name} outreach`, steps: LINKEDIN_STEPS });
  expect(campaign.status).toBe(201);
  const leads = Array.from({ length: count }, (_, index) => ({ firstName: `Lead${index}`, linkedinUrl: `https://www.linkedin.com/in/${name.toLowerCase()}-lead-${index}` }));
  const added = await request(app).post(`/campaigns/${campaign.body.id}/leads`).set(harness.auth()).send({ leads });
  expect(added.body.created).toBe(count);
  expect((await request(app).post(`/campaigns/${campaign.body.id}/start`).set(harness.auth())).status).toBe(200);
  return { identityId: identity.body.id, campaignId: campaign.body.id };
}

/** When each action of a kind happened, oldest first. */
export async function actionInstants(harness: TimeSkippingHarness, identityId: string, kind: string): Promise<number[]> {
  const actions = await harness.db.leadAction.findMany({ where: { identityId, kind }, orderBy: { performedAt: 'asc' } });
  return actions.map((action) => action.performedAt.getTime());
}

/** How many instants fall on each local date in Paris. */
export function countPerParisDay(instants: number[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const instant of instants) {
    const day = DateTime.fromMillis(instant, { zone: PARIS }).toISODate() as string;
    counts[day] = (counts[day] ?? 0) + 1;
  }
  return counts;
}
