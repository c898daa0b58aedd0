/**
 * The LinkedIn side of the dispatch under time skipping (real worker, real API, the simulator in
 * PostgreSQL, a real SMTP server): the account's connection status holds LinkedIn and lets email go
 * on, messages wait for acceptance, and the workspace's scraping pool is shared.
 */
import { DateTime } from 'luxon';
import request from 'supertest';
import { NO_SCRAPING_CAPACITY_REASON, poolDayOf } from '../../domain/scraping-pool';
import { isWithinWorkingHours } from '../../domain/working-hours';
import { createWorkspaceWithKey } from '../support/api';
import { PARIS, PARIS_OFFICE_HOURS, nextSundayEvening } from '../support/campaigns';
import { addSmtpInbox } from '../support/inboxes';
import { connectLinkedin, unipileWebhook } from '../support/linkedin';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const TASK_QUEUE = 'linkedin-dispatch-test';
const INBOX = { email: 'grace@outreach.example', password: 'grace-inbox-password' };

// Simulated weeks on a shared 2-core machine: generous, since speed is measured by the bench, not here.
jest.setTimeout(300_000);

let harness: TimeSkippingHarness;
let smtp: SmtpTestServer;

beforeAll(async () => {
  // Nobody accepts by themselves: each test accepts (or not) by hand.
  harness = await startTimeSkippingHarness(TASK_QUEUE, {}, { linkedin: { acceptanceDelayMs: () => null } });
  smtp = await startSmtpTestServer({ users: { [INBOX.email]: INBOX.password } });
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await smtp?.stop();
});

const skipTo = (instant: DateTime) => harness.skipTo(instant);
const now = () => harness.env.currentTimeMs();
const at = (instant: number) => DateTime.fromMillis(instant, { zone: PARIS });
const profile = (name: string) => `https://www.linkedin.com/in/${name}`;

async function newIdentity(name: string, auth = harness.auth(), extra: object = {}): Promise<string> {
  const created = await request(harness.app).post('/identities').set(auth).send({ firstName: name, lastName: 'Pacer', workingHours: PARIS_OFFICE_HOURS, ...extra });
  expect(created.status).toBe(201);
  return created.body.id as string;
}

async function startCampaign(identityId: string, name: string, steps: object[], leads: object[], auth = harness.auth()): Promise<string> {
  const campaign = await request(harness.app).post('/campaigns').set(auth).send({ identityId, name, steps });
  expect(campaign.status).toBe(201);
  expect((await request(harness.app).post(`/campaigns/${campaign.body.id}/leads`).set(auth).send({ leads })).body.created).toBe(leads.length);
  expect((await request(harness.app).post(`/campaigns/${campaign.body.id}/start`).set(auth)).status).toBe(200);
  return campaign.body.id as string;
}

type LeadView = { id: string; linkedinUrl: string | null; state: string; waitingReason: string | null; error: string | null; step: { kind: string } | null };

async function leadsOf(campaignId: string, auth = harness.auth()): Promise<LeadView[]> {
  const listed = await request(harness.app).get(`/campaigns/${campaignId}/leads`).query({ limit: 100 }).set(auth);
  expect(listed.status).toBe(200);
  return listed.body.items as LeadView[];
}

async function linkedinStatusOf(identityId: string): Promise<{ status: string; reason: string | null }> {
  const shown = await request(harness.app).get(`/identities/${identityId}`).set(harness.auth());
  return shown.body.linkedin as { status: string; reason: string | null };
}

test('account disconnected mid-day: LinkedIn leads wait naming it and email goes on; reconnected, they resume and nothing is sent twice', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await newIdentity('Grace');
  await connectLinkedin(harness.app, harness.linkedin, harness.auth(), identityId, await now());
  await addSmtpInbox(harness.db, { identityId, workspaceId: harness.workspaceId }, INBOX.email, smtp, { password: INBOX.password });
  const invites = await startCampaign(
    identityId,
    'Invites',
    [{ kind: 'linkedin-connection-request', delayMinutes: 0 }],
    Array.from({ length: 60 }, (_, index) => ({ firstName: `In${index}`, linkedinUrl: profile(`grace-lead-${index}`) })),
  );
  await startCampaign(
    identityId,
    'Mail',
    [{ kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}}</p>' }],
    Array.from({ length: 80 }, (_, index) => ({ firstName: `Em${index}`, email: `grace-lead-${index}@prospects.example` })),
  );

  // Monday noon: LinkedIn drops the session. Pacer learns it from the next action that fails.
  const monday = sunday.plus({ days: 1 });
  const disconnectedAt = monday.set({ hour: 12, minute: 0, second: 3 });
  await skipTo(disconnectedAt);
  await harness.linkedin.setAccountStatus(identityId, { status: 'needs-reconnect', reason: 'LinkedIn asked to sign in again' }, disconnectedAt.toMillis());
  const emailsAtNoon = smtp.messages.length;

  await skipTo(monday.plus({ days: 1 }).set({ hour: 18, minute: 30 })); // Tuesday evening
  const invitesBefore = await harness.db.leadAction.findMany({ where: { identityId, kind: 'connectionRequest' } });
  expect(invitesBefore.length).toBeGreaterThan(0);
  for (const action of invitesBefore) expect(action.performedAt.getTime()).toBeLessThan(disconnectedAt.toMillis());
  expect(await linkedinStatusOf(identityId)).toMatchObject({ status: 'needs-reconnect', reason: expect.stringContaining('sign in again') });
  // The action that met it published linkedin.needs_reconnect, once (webhooks, docs/webhooks.md).
  const { workspaceId } = await harness.db.identity.findUniqueOrThrow({ where: { id: identityId } });
  expect(await harness.db.webhookEvent.count({ where: { workspaceId, type: 'linkedin.needs_reconnect' } })).toBe(1);
  // Only one action met the disconnected account: the others waited instead of failing lead after lead.
  const waiting = (await leadsOf(invites)).filter((lead) => lead.state === 'waiting');
  expect(waiting.length).toBe(60 - invitesBefore.length);
  for (const lead of waiting) expect(lead.waitingReason).toMatch(/^waiting for the LinkedIn account to be reconnected/);
  expect((await leadsOf(invites)).filter((lead) => lead.state === 'error')).toEqual([]);
  const status = await request(harness.app).get(`/identities/${identityId}/status`).set(harness.auth());
  expect(status.body.linkedin).toMatchObject({ status: 'needs-reconnect', actionsWait: true });
  // Email went on after noon, on both days.
  const emailActions = await harness.db.leadAction.findMany({ where: { identityId, kind: 'email' } });
  expect(smtp.messages.length).toBeGreaterThan(emailsAtNoon);
  expect(emailActions.filter((action) => action.performedAt.getTime() > disconnectedAt.plus({ days: 1 }).set({ hour: 9 }).toMillis()).length).toBeGreaterThan(0);

  // Wednesday 10:00: the person signs in again (hosted sign-in); the notification wakes the workflow.
  const reconnectedAt = monday.plus({ days: 2 }).set({ hour: 10, minute: 0, second: 7 });
  await skipTo(reconnectedAt);
  await connectLinkedin(harness.app, harness.linkedin, harness.auth(), identityId, reconnectedAt.toMillis());
  await skipTo(reconnectedAt.set({ hour: 18, minute: 30 }));
  expect(await linkedinStatusOf(identityId)).toMatchObject({ status: 'connected', reason: null });
  const invitesAfter = await harness.db.leadAction.findMany({ where: { identityId, kind: 'connectionRequest' } });
  const resumed = invitesAfter.filter((action) => action.performedAt.getTime() >= reconnectedAt.toMillis());
  expect(resumed.length).toBeGreaterThan(0);
  for (const action of resumed) expect(isWithinWorkingHours(PARIS_OFFICE_HOURS, action.performedAt.getTime())).toBe(true);
  expect(invitesAfter.length).toBe(invitesBefore.length + resumed.length);
  // Nothing twice: one invitation on LinkedIn per performed step, each person once.
  const sent = await harness.linkedin.sent(identityId);
  expect(sent.invitations).toHaveLength(invitesAfter.length);
  expect(new Set(sent.invitations.map((invitation) => invitation.profileUrl)).size).toBe(invitesAfter.length);
  expect(new Set(smtp.messages.map((message) => message.to[0])).size).toBe(smtp.messages.length);
});

test('a message after an invitation waits for acceptance: accepted by webhook or found by the daily relation sync, it goes in the next window; never accepted, the invitation is withdrawn at the threshold and the lead ends not-accepted', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await newIdentity('Hopper');
  const accountId = await connectLinkedin(harness.app, harness.linkedin, harness.auth(), identityId, await now());
  expect((await request(harness.app).put(`/identities/${identityId}/linkedin/withdrawals`).set(harness.auth()).send({ autoWithdraw: true, thresholdDays: 7 })).status).toBe(200);
  await harness.linkedin.addConnection(identityId, profile('hopper-friend'), sunday.toMillis());
  const campaignId = await startCampaign(
    identityId,
    'Invite then message',
    [
      { kind: 'linkedin-connection-request', delayMinutes: 0 },
      { kind: 'linkedin-message', delayMinutes: 0, text: 'Thanks for connecting, {{firstName}}' },
    ],
    [
      { firstName: 'Webhook', lastName: 'Person', linkedinUrl: profile('hopper-webhook') },
      { firstName: 'Synced', lastName: 'Person', linkedinUrl: profile('hopper-synced') },
      { firstName: 'Never', lastName: 'Person', linkedinUrl: profile('hopper-never') },
      { firstName: 'Friend', lastName: 'Already', linkedinUrl: profile('hopper-friend') },
    ],
  );
  const lead = async (name: string) => (await leadsOf(campaignId)).find((view) => view.linkedinUrl === profile(name)) as LeadView;
  const messagesTo = async (name: string) => (await harness.linkedin.sent(identityId)).messages.filter((message) => message.profileUrl === profile(name));

  const monday = sunday.plus({ days: 1 });
  await skipTo(monday.set({ hour: 18, minute: 30 }));
  // A first-degree connection is messaged at once (its invitation step has nothing to do).
  expect(await messagesTo('hopper-friend')).toHaveLength(1);
  for (const name of ['hopper-webhook', 'hopper-synced', 'hopper-never']) {
    expect(await lead(name)).toMatchObject({ state: 'waiting', step: { kind: 'linkedin-message' }, waitingReason: expect.stringMatching(/^waiting for \w+ Person to accept the invitation sent \d{4}-\d{2}-\d{2}$/) });
    expect(await messagesTo(name)).toEqual([]);
  }

  // Day 3 (Wednesday) after hours: one accepts and Unipile says so by webhook; the other accepts and no webhook comes.
  const acceptedAt = monday.plus({ days: 2 }).set({ hour: 19, minute: 30 });
  await skipTo(acceptedAt);
  const onLinkedin = (await harness.linkedin.sent(identityId)).invitations;
  for (const name of ['hopper-webhook', 'hopper-synced']) {
    const invitation = onLinkedin.find((sent) => sent.profileUrl === profile(name));
    await harness.linkedin.acceptInvitation({ identityId, invitationId: invitation?.invitationId ?? '', at: acceptedAt.toMillis() });
  }
  const delivered = await unipileWebhook(harness.app, {
    event: 'new_relation',
    account_id: accountId,
    account_type: 'LINKEDIN',
    webhook_name: 'pacer-users',
    user_full_name: 'Webhook Person',
    user_provider_id: 'ACoAAWebhookPerson',
    user_public_identifier: 'hopper-webhook',
    user_profile_url: `${profile('hopper-webhook')}/`,
  });
  expect(delivered.body).toMatchObject({ handled: true, acceptedInvitations: 1 });
  expect(await lead('hopper-webhook')).toMatchObject({ state: 'waiting', waitingReason: expect.not.stringMatching(/accept/) });

  // Thursday: both messages go out inside the window (the second after the day's relation sync found it).
  const thursday = monday.plus({ days: 3 });
  await skipTo(thursday.set({ hour: 18, minute: 30 }));
  for (const name of ['hopper-webhook', 'hopper-synced']) {
    const [message] = await messagesTo(name);
    expect(message?.text).toBe(`Thanks for connecting, ${name === 'hopper-webhook' ? 'Webhook' : 'Synced'}`);
    expect(message?.at).toBeGreaterThanOrEqual(thursday.set({ hour: 9 }).toMillis());
    expect(isWithinWorkingHours(PARIS_OFFICE_HOURS, message?.at ?? 0)).toBe(true);
    expect(await lead(name)).toMatchObject({ state: 'done' });
  }
  const invitations = await harness.db.linkedinInvitation.findMany({ where: { identityId }, orderBy: { profileUrl: 'asc' } });
  expect(invitations.map((invitation) => [invitation.profileUrl, invitation.status])).toEqual([
    [profile('hopper-never'), 'pending'],
    [profile('hopper-synced'), 'accepted'],
    [profile('hopper-webhook'), 'accepted'],
  ]);
  // The webhook's arrival is when Pacer learns it (Unipile's new_relation carries no time).
  expect((invitations[2]?.acceptedAt?.getTime() ?? 0) - acceptedAt.toMillis()).toBeGreaterThanOrEqual(0);
  expect((invitations[2]?.acceptedAt?.getTime() ?? 0) - acceptedAt.toMillis()).toBeLessThan(60_000);

  // Never accepted: withdrawn 7 days after sending (the next Monday), and its lead ends not-accepted.
  const sentAt = invitations[0]?.sentAt?.getTime() ?? NaN;
  await skipTo(at(sentAt).plus({ days: 7, hours: 1 }));
  const withdrawn = await harness.db.linkedinInvitation.findUniqueOrThrow({ where: { id: invitations[0]?.id } });
  expect(withdrawn).toMatchObject({ status: 'withdrawn', withdrawalReason: 'auto' });
  expect((withdrawn.withdrawnAt?.getTime() ?? 0) - sentAt).toBeLessThan(7 * 86_400_000 + 60_000);
  expect(await lead('hopper-never')).toMatchObject({ state: 'not-accepted', waitingReason: null, error: expect.stringMatching(/^the invitation sent \d{4}-\d{2}-\d{2} was withdrawn without being accepted$/) });
  expect(await messagesTo('hopper-never')).toEqual([]);
  expect((await harness.linkedin.sent(identityId)).messages).toHaveLength(3);
});

test('auto-withdrawal off: an invitation withdrawn by hand on LinkedIn is found by the daily relation sync, and the message waiting for it ends not-accepted', async () => {
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const identityId = await newIdentity('Lovelace');
  await connectLinkedin(harness.app, harness.linkedin, harness.auth(), identityId, await now());
  const campaignId = await startCampaign(
    identityId,
    'Invite then message',
    [
      { kind: 'linkedin-connection-request', delayMinutes: 0 },
      { kind: 'linkedin-message', delayMinutes: 0, text: 'Thanks, {{firstName}}' },
    ],
    [{ firstName: 'Gone', lastName: 'Person', linkedinUrl: profile('lovelace-gone') }],
  );
  const monday = sunday.plus({ days: 1 });
  await skipTo(monday.set({ hour: 18, minute: 30 }));
  const [invitation] = (await harness.linkedin.sent(identityId)).invitations;
  expect(invitation?.profileUrl).toBe(profile('lovelace-gone'));
  // The person withdraws it on LinkedIn, outside Pacer, on Monday evening.
  await harness.linkedin.withdrawInvitation({ identityId, invitationId: invitation?.invitationId ?? '', profileUrl: profile('lovelace-gone'), idempotencyKey: 'by-hand', at: monday.set({ hour: 20 }).toMillis() });

  await skipTo(monday.plus({ days: 1 }).set({ hour: 12 })); // Tuesday noon: the day's sync ran at 09:00
  const [lead] = await leadsOf(campaignId);
  expect(lead).toMatchObject({ state: 'not-accepted', error: expect.stringMatching(/^the invitation sent \d{4}-\d{2}-\d{2} expired on LinkedIn without being accepted$/) });
  expect(await harness.db.linkedinInvitation.findFirstOrThrow({ where: { identityId } })).toMatchObject({ status: 'expired', error: expect.stringContaining('gone from LinkedIn') });
  expect((await harness.linkedin.sent(identityId)).messages).toEqual([]);
});

test('two identities with a pool of 30 and own capacities 0 and 20 scrape exactly 30 from the pool a day, plus 20; without a pool the scrapes wait naming what to set', async () => {
  // A workspace of its own, so its pool is the only one in play.
  const { apiKey, workspaceId } = await createWorkspaceWithKey(harness.db, 'pool');
  const auth = { Authorization: `Bearer ${apiKey}` };
  const sunday = await nextSundayEvening(harness);
  await skipTo(sunday);
  const poolOnly = await newIdentity('Pooled', auth);
  const withOwn = await newIdentity('Navigator', auth, { salesNavigatorEnabled: true });
  const limits = await request(harness.app).put(`/identities/${withOwn}/linkedin/rate-limits`).set(auth).send({ dailyConnectionRequests: 20, dailyMessages: 50, dailyScrapings: 20 });
  expect(limits.status).toBe(200);
  const scrapes = (name: string) => Array.from({ length: 80 }, (_, index) => ({ firstName: `S${index}`, linkedinUrl: profile(`${name}-scrape-${index}`) }));
  const pooledCampaign = await startCampaign(poolOnly, 'Pool scrapes', [{ kind: 'linkedin-profile-scrape', delayMinutes: 0 }], scrapes('pooled'), auth);
  await startCampaign(withOwn, 'Navigator scrapes', [{ kind: 'linkedin-profile-scrape', delayMinutes: 0 }], scrapes('navigator'), auth);

  // Monday morning, pool 0: the identity without its own capacity waits, saying what to set.
  const monday = sunday.plus({ days: 1 });
  await skipTo(monday.set({ hour: 10 }));
  const [waiting] = await leadsOf(pooledCampaign, auth);
  expect(waiting?.waitingReason).toBe(NO_SCRAPING_CAPACITY_REASON);
  expect(await harness.db.leadAction.count({ where: { identityId: poolOnly } })).toBe(0);

  // The operator gives the workspace a pool of 30 (what PATCH /admin/workspaces/:id does).
  await skipTo(monday.set({ hour: 10, minute: 0, second: 11 }));
  await harness.db.workspace.update({ where: { id: workspaceId }, data: { linkedinScrapingPoolPerDay: 30 } });
  for (const identityId of [poolOnly, withOwn]) await harness.identityWorkflows.workspaceScrapingPoolChanged(identityId, 30);

  const tuesday = monday.plus({ days: 1 });
  await skipTo(tuesday.set({ hour: 18, minute: 30 }));
  const claims = await harness.db.linkedinScrapingClaim.findMany({ where: { workspaceId } });
  const count = (day: string, ledger: string, identityId?: string) => claims.filter((claim) => claim.day === day && claim.ledger === ledger && (!identityId || claim.identityId === identityId)).length;
  for (const day of [monday, tuesday]) {
    const poolDay = poolDayOf(day.set({ hour: 12 }).toMillis());
    expect(count(poolDay, 'pool')).toBe(30);
    expect(count(poolDay, 'own')).toBe(20);
    expect(count(poolDay, 'own', poolOnly)).toBe(0);
  }
  // Every claim is one scrape on LinkedIn, none twice.
  const scraped = [...(await harness.linkedin.sent(poolOnly)).scrapes, ...(await harness.linkedin.sent(withOwn)).scrapes];
  expect(scraped).toHaveLength(claims.length);
  expect(new Set(scraped.map((scrape) => scrape.profileUrl)).size).toBe(claims.length);
  expect(await harness.db.leadAction.count({ where: { kind: 'scrape', identityId: { in: [poolOnly, withOwn] } } })).toBe(claims.length);

  const status = await request(harness.app).get(`/identities/${poolOnly}/status`).set(auth);
  expect(status.body.budgetsToday.scrapings).toMatchObject({ pool: { day: poolDayOf(tuesday.set({ hour: 12 }).toMillis()), size: 30, used: 30, left: 0 }, own: { capacity: 0, used: 0, left: 0 } });
  const [spent] = (await leadsOf(pooledCampaign, auth)).filter((lead) => lead.state === 'waiting');
  expect(spent?.waitingReason).toMatch(/^held back: the workspace's scraping pool is spent for UTC day/);
});
