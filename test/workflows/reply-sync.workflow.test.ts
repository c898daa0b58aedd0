import request from 'supertest';
import { deliver, startDovecot, type DovecotServer } from '../support/dovecot';
import { PARIS_OFFICE_HOURS, nextSundayEvening } from '../support/campaigns';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';

const TASK_QUEUE = 'reply-sync-workflow-test';
const ADDRESS = 'ada@replies.example';
const PASSWORD = 'reply-sync-pass-3e9a';

jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;

beforeAll(async () => {
  [harness, dovecot, smtp] = await Promise.all([
    startTimeSkippingHarness(TASK_QUEUE),
    startDovecot({ users: { [ADDRESS]: PASSWORD } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD } }),
  ]);
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), dovecot?.stop(), smtp?.stop()]);
});

const auth = () => harness.auth();

test('a lead who replies to the first email gets no follow-up; the one who stays quiet does', async () => {
  const sunday = await nextSundayEvening(harness);
  await harness.skipTo(sunday);
  const { app, db } = harness;
  const identity = (await request(app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Replies', workingHours: PARIS_OFFICE_HOURS })).body;
  const inbox = await request(app)
    .post(`/identities/${identity.id}/email-accounts/imap`)
    .set(auth())
    .send({ email: ADDRESS, password: PASSWORD, imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' } });
  expect(inbox.status).toBe(201);
  const campaign = await request(app)
    .post('/campaigns')
    .set(auth())
    .send({
      identityId: identity.id,
      name: 'Replies',
      emailInbox: 'SHUFFLE',
      steps: [
        { kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}}</p>' },
        { kind: 'email', delayMinutes: 24 * 60, subject: 'Following up', body: '<p>Any thoughts?</p>' },
      ],
    });
  await request(app)
    .post(`/campaigns/${campaign.body.id}/leads`)
    .set(auth())
    .send({ leads: [{ firstName: 'Grace', email: 'grace@prospects.example' }, { firstName: 'Linus', email: 'linus@prospects.example' }] });
  expect((await request(app).post(`/campaigns/${campaign.body.id}/start`).set(auth())).status).toBe(200);

  const monday = sunday.plus({ days: 1 });
  await harness.skipTo(monday.set({ hour: 18 }));
  expect(smtp.messages.map((message) => message.subject).sort()).toEqual(['Hello Grace', 'Hello Linus']);
  const grace = await db.lead.findFirstOrThrow({ where: { campaignId: campaign.body.id, email: 'grace@prospects.example' }, include: { actions: true } });
  const sent = grace.actions[0]?.result as { messageId: string };

  // Grace answers Monday evening, into the identity's real mailbox.
  await deliver(
    dovecot,
    ADDRESS,
    PASSWORD,
    [`From: Grace <grace@prospects.example>`, `To: ${ADDRESS}`, 'Subject: Re: Hello Grace', `Message-ID: <reply-1@prospects.example>`, `In-Reply-To: ${sent.messageId}`, `References: ${sent.messageId}`, `Date: ${monday.set({ hour: 19 }).toHTTP()}`, '', 'Yes, let us talk on Thursday.', ''].join('\r\n'),
  );

  await harness.skipTo(monday.plus({ days: 1 }).set({ hour: 18 }));
  expect(smtp.messages.map((message) => message.subject).sort()).toEqual(['Following up', 'Hello Grace', 'Hello Linus']);
  expect(smtp.messages.find((message) => message.subject === 'Following up')?.envelope.rcptTo).toEqual(['linus@prospects.example']);
  const leads = await request(app).get(`/campaigns/${campaign.body.id}/leads`).set(auth());
  const byEmail = Object.fromEntries(leads.body.items.map((lead: { email: string; state: string }) => [lead.email, lead.state]));
  expect(byEmail).toEqual({ 'grace@prospects.example': 'replied', 'linus@prospects.example': 'done' });
  const reply = await db.leadAction.findFirstOrThrow({ where: { leadId: grace.id, kind: 'reply' } });
  expect(reply.result).toMatchObject({ matchedBy: 'message-id', messageId: '<reply-1@prospects.example>' });

  // Published with their facts (docs/webhooks.md): Grace's reply, and the campaign's completion once no lead waited.
  const events = (await db.webhookEvent.findMany({ where: { workspaceId: harness.workspaceId }, orderBy: { createdAt: 'asc' } })).map((event) => JSON.parse(event.body));
  const replied = events.filter((event) => event.type === 'lead.replied' && event.data.leadId === grace.id);
  expect(replied).toEqual([expect.objectContaining({ data: expect.objectContaining({ campaignId: campaign.body.id, email: 'grace@prospects.example', messageId: '<reply-1@prospects.example>' }) })]);
  const completed = events.filter((event) => event.type === 'campaign.completed' && event.data.campaignId === campaign.body.id);
  expect(completed).toEqual([expect.objectContaining({ data: expect.objectContaining({ name: 'Replies', leads: { replied: 1, done: 1 } }) })]);
});
