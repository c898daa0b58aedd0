import { DateTime } from 'luxon';
import request from 'supertest';
import { isWithinWorkingHours } from '../../domain/working-hours';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { PARIS, PARIS_OFFICE_HOURS, nextSundayEvening } from '../support/campaigns';

const TASK_QUEUE = 'invitations-workflow-test';
const DAY_MS = 24 * 3600 * 1000;
const MINUTE_MS = 60_000;

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(300_000);

let harness: TimeSkippingHarness;

beforeAll(async () => {
  // People whose profile name says so accept 3 days after the invitation; nobody else ever does.
  harness = await startTimeSkippingHarness(TASK_QUEUE, {}, { linkedin: { acceptanceDelayMs: (url) => (url.includes('accepts') ? 3 * DAY_MS : null) } });
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => harness.auth();
const skipTo = (instant: DateTime) => harness.skipTo(instant);
const at = (instant: number) => DateTime.fromMillis(instant, { zone: PARIS });

async function identityWithThreshold(name: string, thresholdDays: number): Promise<string> {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: name, lastName: 'Pacer', workingHours: PARIS_OFFICE_HOURS });
  expect(created.status).toBe(201);
  const withdrawals = await request(harness.app).put(`/identities/${created.body.id}/linkedin/withdrawals`).set(auth()).send({ autoWithdraw: true, thresholdDays });
  expect(withdrawals.status).toBe(200);
  return created.body.id as string;
}

async function invite(identityId: string, person: string) {
  return request(harness.app).post(`/identities/${identityId}/linkedin/invitations`).set(auth()).send({ profileUrl: `https://www.linkedin.com/in/${person}/` });
}

async function invitations(identityId: string, status?: string) {
  const listed = await request(harness.app).get(`/identities/${identityId}/linkedin/invitations`).query(status ? { status } : {}).set(auth());
  expect(listed.status).toBe(200);
  return listed.body.items as { id: string; profileUrl: string; status: string; sentAt: string | null; acceptedAt: string | null; withdrawnAt: string | null; withdrawalReason: string | null }[];
}

async function withdrawals(identityId: string) {
  const listed = await request(harness.app).get(`/identities/${identityId}/linkedin/withdrawals`).set(auth());
  expect(listed.status).toBe(200);
  return listed.body.items as { invitationId: string; profileUrl: string; withdrawnAt: string; reason: string; reinviteBlockedUntil: string }[];
}

const millis = (iso: string | null) => new Date(iso ?? NaN).getTime();

test('threshold 7 days: an invitation sent on Monday is withdrawn the next Monday, as soon as it is 7 days old', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await identityWithThreshold('Weekly', 7);
  expect((await invite(identityId, 'weekly-never')).status).toBe(202);

  await skipTo(sunday.plus({ days: 1, hours: 4 })); // Monday 00:00 + the whole working day
  const [sent] = await invitations(identityId, 'pending');
  const sentAt = millis(sent?.sentAt ?? null);
  expect(isWithinWorkingHours(PARIS_OFFICE_HOURS, sentAt)).toBe(true);

  await skipTo(at(sentAt).plus({ days: 7 }).minus({ minutes: 1 }));
  expect(await invitations(identityId, 'pending')).toHaveLength(1);

  await skipTo(at(sentAt).plus({ days: 7, hours: 1 }));
  const [withdrawn] = await invitations(identityId, 'withdrawn');
  expect(withdrawn?.withdrawalReason).toBe('auto');
  const withdrawnAt = millis(withdrawn?.withdrawnAt ?? null);
  expect(withdrawnAt - sentAt).toBeGreaterThanOrEqual(7 * DAY_MS);
  expect(withdrawnAt - sentAt).toBeLessThan(7 * DAY_MS + MINUTE_MS);
  expect((await harness.linkedin.sent(identityId)).withdrawals).toHaveLength(1);
});

test('an invitation that comes due at 03:00 on a Sunday is withdrawn at the first moment of working hours, Monday 09:00', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await identityWithThreshold('Night', 7);
  // Sent (on LinkedIn and in Pacer's records) at 03:00 on this Sunday; it comes due at 03:00 next Sunday.
  const sentAt = sunday.set({ hour: 3 }).toMillis();
  const profileUrl = 'https://www.linkedin.com/in/night-never';
  const onLinkedin = await harness.linkedin.sendConnectionRequest({ identityId, profileUrl, idempotencyKey: 'night-1', at: sentAt });
  await harness.db.linkedinInvitation.create({
    data: {
      workspaceId: harness.workspaceId,
      identityId,
      profileUrl,
      status: 'pending',
      gatewayInvitationId: onLinkedin.invitationId,
      idempotencyKey: 'night-1',
      requestedAt: new Date(sentAt),
      sentAt: new Date(sentAt),
    },
  });
  await harness.identityWorkflows.campaignsChanged(identityId);

  const dueAt = at(sentAt).plus({ days: 7 }); // Sunday 03:00
  await skipTo(dueAt.plus({ hours: 12 })); // Sunday 15:00: still nothing on a Sunday
  expect(await invitations(identityId, 'pending')).toHaveLength(1);

  await skipTo(dueAt.plus({ days: 1, hours: 8 })); // Monday 11:00
  const [withdrawn] = await invitations(identityId, 'withdrawn');
  const withdrawnAt = at(millis(withdrawn?.withdrawnAt ?? null));
  expect(withdrawnAt.weekday).toBe(1);
  expect(withdrawnAt.toMillis() - dueAt.plus({ days: 1 }).set({ hour: 9 }).toMillis()).toBeGreaterThanOrEqual(0);
  expect(withdrawnAt.toMillis() - dueAt.plus({ days: 1 }).set({ hour: 9 }).toMillis()).toBeLessThan(MINUTE_MS);
});

test('an invitation accepted on day 3 is never withdrawn', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await identityWithThreshold('Accepted', 7);
  expect((await invite(identityId, 'person-who-accepts')).status).toBe(202);

  await skipTo(sunday.plus({ days: 15 }));
  const [invitation] = await invitations(identityId);
  expect(invitation?.status).toBe('accepted');
  expect(millis(invitation?.acceptedAt ?? null) - millis(invitation?.sentAt ?? null)).toBe(3 * DAY_MS);
  expect(await withdrawals(identityId)).toEqual([]);
  expect((await harness.linkedin.sent(identityId)).withdrawals).toEqual([]);
});

test('withdrawn on day 7: a re-invite is refused until 21 × 24 h later, to the minute, and a campaign step waits for it', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  // Two identities, so that no API call lands on the instant one of them has a timer firing: the Java
  // test server then wedges the workflow task (temporalio/sdk-java#3088, a refused CancelTimer).
  const direct = await identityWithThreshold('Blocked', 7);
  const waiting = await identityWithThreshold('Waiting', 7);
  expect((await invite(direct, 'blocked-direct')).status).toBe(202);
  expect((await invite(waiting, 'blocked-campaign')).status).toBe(202);
  await skipTo(sunday.plus({ days: 9 })); // Tuesday of the second week: both withdrawn on Monday, 7 days after sending
  const withdrawnAt = async (identityId: string) => {
    const [withdrawal] = await withdrawals(identityId);
    expect(withdrawal?.reason).toBe('auto');
    const at = millis(withdrawal?.withdrawnAt ?? null);
    expect(withdrawal?.reinviteBlockedUntil).toBe(new Date(at + 21 * DAY_MS).toISOString());
    return at;
  };
  const directLiftsAt = (await withdrawnAt(direct)) + 21 * DAY_MS;
  const campaignLiftsAt = (await withdrawnAt(waiting)) + 21 * DAY_MS;

  // A campaign inviting the same person waits for the block instead of failing.
  const campaign = await request(harness.app)
    .post('/campaigns')
    .set(auth())
    .send({ identityId: waiting, name: 'Second chance', steps: [{ kind: 'linkedin-connection-request', delayMinutes: 0 }] });
  await request(harness.app).post(`/campaigns/${campaign.body.id}/leads`).set(auth()).send({ leads: [{ linkedinUrl: 'https://linkedin.com/in/Blocked-Campaign?trk=x' }] });
  expect((await request(harness.app).post(`/campaigns/${campaign.body.id}/start`).set(auth())).status).toBe(200);
  await skipTo(sunday.plus({ days: 10, hours: 22 })); // the end of Wednesday: the step was tried
  const lead = await request(harness.app).get(`/campaigns/${campaign.body.id}/leads`).set(auth());
  expect(lead.body.items[0]).toMatchObject({ state: 'waiting', waitingReason: `re-invite blocked until ${new Date(campaignLiftsAt).toISOString()}` });

  await skipTo(at(directLiftsAt).minus({ minutes: 1 }));
  const refused = await invite(direct, 'BLOCKED-DIRECT');
  expect(refused.status).toBe(409);
  expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
  expect(refused.body).toMatchObject({ type: 'urn:pacer:problem:reinvite-blocked', blockedUntil: new Date(directLiftsAt).toISOString() });
  await skipTo(at(directLiftsAt));
  expect((await invite(direct, 'blocked-direct')).status).toBe(202);

  await skipTo(at(Math.max(directLiftsAt, campaignLiftsAt)).plus({ hours: 9 }));
  const invited = await harness.db.lead.findFirstOrThrow({ where: { campaignId: campaign.body.id }, include: { actions: true } });
  expect(invited.state).toBe('done');
  expect(invited.actions[0]?.performedAt.getTime()).toBeGreaterThanOrEqual(campaignLiftsAt);
  expect((await invitations(direct, 'pending')).map((invitation) => invitation.profileUrl)).toEqual(['https://www.linkedin.com/in/blocked-direct']);
  expect((await invitations(waiting, 'pending')).map((invitation) => invitation.profileUrl)).toEqual(['https://www.linkedin.com/in/blocked-campaign']);
});

test('manual bulk withdrawal of 3 of 5 pending: 3 in the history, 2 still pending, the 3 blocked', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await identityWithThreshold('Manual', 30);
  for (const index of [1, 2, 3, 4, 5]) expect((await invite(identityId, `manual-${index}`)).status).toBe(202);
  await skipTo(sunday.plus({ days: 1, hours: 4 }));
  const pending = await invitations(identityId, 'pending');
  expect(pending).toHaveLength(5);

  const chosen = pending.slice(0, 3).map((invitation) => invitation.id);
  const unknown = '00000000-0000-4000-8000-000000000000';
  const requested = await request(harness.app)
    .post(`/identities/${identityId}/linkedin/invitations/withdraw`)
    .set(auth())
    .send({ invitationIds: [...chosen, unknown, 'not-a-uuid'] });
  expect(requested.status).toBe(200);
  expect(requested.body.scheduled).toBe(3);
  expect(requested.body.results).toEqual([
    ...chosen.map((id) => ({ id, outcome: 'scheduled', status: 'pending' })),
    { id: unknown, outcome: 'not-found' },
    { id: 'not-a-uuid', outcome: 'not-found' },
  ]);

  // Asked at night: performed when working hours start, Tuesday 09:00.
  const tuesdayMorning = sunday.plus({ days: 2 }).set({ hour: 9 });
  await skipTo(tuesdayMorning.minus({ minutes: 1 }));
  expect(await withdrawals(identityId)).toEqual([]);
  await skipTo(tuesdayMorning.plus({ minutes: 5 }));

  const history = await withdrawals(identityId);
  expect(history.map((entry) => entry.invitationId).sort()).toEqual([...chosen].sort());
  for (const entry of history) {
    expect(entry.reason).toBe('manual');
    expect(isWithinWorkingHours(PARIS_OFFICE_HOURS, millis(entry.withdrawnAt))).toBe(true);
  }
  expect((await invitations(identityId, 'pending')).map((invitation) => invitation.id).sort()).toEqual(pending.slice(3).map((invitation) => invitation.id).sort());
  for (const entry of history) {
    const again = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations`).set(auth()).send({ profileUrl: entry.profileUrl });
    expect(again.status).toBe(409);
    expect(again.body.blockedUntil).toBe(entry.reinviteBlockedUntil);
  }
  const repeated = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations/withdraw`).set(auth()).send({ invitationIds: [chosen[0]] });
  expect(repeated.body.results).toEqual([{ id: chosen[0], outcome: 'not-pending', status: 'withdrawn' }]);
});

test('a threshold lowered from 14 to 7 days applies to invitations already pending; switched off, nothing is withdrawn', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const lowered = await identityWithThreshold('Lowered', 14);
  const switchedOff = await identityWithThreshold('Off', 7);
  expect((await invite(lowered, 'lowered-never')).status).toBe(202);
  expect((await invite(switchedOff, 'off-never')).status).toBe(202);
  await skipTo(sunday.plus({ days: 3 })); // Wednesday evening
  const [sent] = await invitations(lowered, 'pending');
  const sentAt = millis(sent?.sentAt ?? null);

  expect((await request(harness.app).put(`/identities/${lowered}/linkedin/withdrawals`).set(auth()).send({ autoWithdraw: true, thresholdDays: 7 })).status).toBe(200);
  expect((await request(harness.app).put(`/identities/${switchedOff}/linkedin/withdrawals`).set(auth()).send({ autoWithdraw: false, thresholdDays: 7 })).status).toBe(200);
  const status = await request(harness.app).get(`/identities/${lowered}/status`).set(auth());
  expect(status.body.nextWithdrawalDueAt.utc).toBe(new Date(sentAt + 7 * DAY_MS).toISOString());

  await skipTo(at(sentAt).plus({ days: 7, hours: 1 }));
  const [withdrawn] = await invitations(lowered, 'withdrawn');
  expect(millis(withdrawn?.withdrawnAt ?? null) - sentAt).toBeLessThan(7 * DAY_MS + MINUTE_MS);
  expect(await invitations(switchedOff, 'pending')).toHaveLength(1);
  await skipTo(at(sentAt).plus({ days: 15 }));
  expect(await invitations(switchedOff, 'pending')).toHaveLength(1);
  expect(await withdrawals(switchedOff)).toEqual([]);
});
