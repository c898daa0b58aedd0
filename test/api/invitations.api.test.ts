import request from 'supertest';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';

const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
const DAY_MS = 86_400_000;

let harness: ApiHarness;
let apiKey: string;
let workspaceId: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey, workspaceId } = await createWorkspaceWithKey(harness.db, 'invitations-api'));
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

async function newIdentity(): Promise<string> {
  const response = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'L', workingHours: hours });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

test('a direct invitation is queued for the workflow, keyed to the normalised person, and listed', async () => {
  const identityId = await newIdentity();
  const queued = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations`).set(auth()).send({ profileUrl: 'linkedin.com/in/Grace-Hopper/?trk=abc', note: 'Hello Grace' });
  expect(queued.status).toBe(202);
  expect(queued.headers.location).toBe(`/identities/${identityId}/linkedin/invitations/${queued.body.id}`);
  expect(queued.body).toMatchObject({ profileUrl: 'https://www.linkedin.com/in/grace-hopper', status: 'queued', source: 'api', note: 'Hello Grace', sentAt: null });

  const duplicate = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations`).set(auth()).send({ profileUrl: 'https://fr.linkedin.com/in/grace-hopper' });
  expect(duplicate.status).toBe(409);
  expect(duplicate.body).toMatchObject({ type: 'urn:pacer:problem:conflict', invitationId: queued.body.id });

  const all = await request(harness.app).get(`/identities/${identityId}/linkedin/invitations`).set(auth());
  expect(all.body.items.map((item: { id: string }) => item.id)).toEqual([queued.body.id]);
  const none = await request(harness.app).get(`/identities/${identityId}/linkedin/invitations`).query({ status: 'withdrawn' }).set(auth());
  expect(none.body.items).toEqual([]);
  const audit = await harness.db.auditEntry.findFirst({ where: { entityId: queued.body.id } });
  expect(audit?.action).toBe('linkedin-invitation.requested');
});

test('bad input gets a problem naming the field, and nothing is stored', async () => {
  const identityId = await newIdentity();
  const cases: [object, string][] = [
    [{ profileUrl: 'https://www.linkedin.com/company/acme' }, 'profileUrl'],
    [{ profileUrl: 'https://www.linkedin.com/in/ada', note: 'x'.repeat(301) }, 'note'],
    [{ profileUrl: 'https://www.linkedin.com/in/ada', extra: true }, 'extra'],
    [{}, 'profileUrl'],
  ];
  for (const [body, field] of cases) {
    const response = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations`).set(auth()).send(body);
    expect(response.status).toBe(422);
    expect(response.body.errors.map((problem: { field: string }) => problem.field)).toContain(field);
  }
  expect(await harness.db.linkedinInvitation.count({ where: { identityId } })).toBe(0);
  const badStatus = await request(harness.app).get(`/identities/${identityId}/linkedin/invitations`).query({ status: 'lost' }).set(auth());
  expect(badStatus.status).toBe(422);
  const emptyWithdraw = await request(harness.app).post(`/identities/${identityId}/linkedin/invitations/withdraw`).set(auth()).send({ invitationIds: [] });
  expect(emptyWithdraw.status).toBe(422);
});

test('the re-invite block is per identity: another identity of the workspace may invite the same person', async () => {
  const [withdrew, other] = [await newIdentity(), await newIdentity()];
  const withdrawnAt = Date.now() - 2 * DAY_MS;
  await harness.db.linkedinInvitation.create({
    data: {
      workspaceId,
      identityId: withdrew,
      profileUrl: 'https://www.linkedin.com/in/alan-turing',
      status: 'withdrawn',
      gatewayInvitationId: 'sim-invitation-api-1',
      idempotencyKey: `api-test/${withdrew}`,
      requestedAt: new Date(withdrawnAt - 7 * DAY_MS),
      sentAt: new Date(withdrawnAt - 7 * DAY_MS),
      withdrawnAt: new Date(withdrawnAt),
      withdrawalReason: 'manual',
    },
  });
  const refused = await request(harness.app).post(`/identities/${withdrew}/linkedin/invitations`).set(auth()).send({ profileUrl: 'https://www.linkedin.com/in/Alan-Turing' });
  expect(refused.status).toBe(409);
  expect(refused.body).toMatchObject({ type: 'urn:pacer:problem:reinvite-blocked', blockedUntil: new Date(withdrawnAt + 21 * DAY_MS).toISOString() });
  expect(refused.body.detail).toContain(new Date(withdrawnAt + 21 * DAY_MS).toISOString());
  expect((await request(harness.app).post(`/identities/${other}/linkedin/invitations`).set(auth()).send({ profileUrl: 'https://www.linkedin.com/in/alan-turing' })).status).toBe(202);

  const history = await request(harness.app).get(`/identities/${withdrew}/linkedin/withdrawals`).set(auth());
  expect(history.body.items).toEqual([
    {
      invitationId: expect.any(String),
      profileUrl: 'https://www.linkedin.com/in/alan-turing',
      sentAt: new Date(withdrawnAt - 7 * DAY_MS).toISOString(),
      withdrawnAt: new Date(withdrawnAt).toISOString(),
      reason: 'manual',
      reinviteBlockedUntil: new Date(withdrawnAt + 21 * DAY_MS).toISOString(),
    },
  ]);
});
