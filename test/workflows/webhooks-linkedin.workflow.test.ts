/**
 * Event webhooks end to end for a fact recorded by the API (a time-skipping server of its own, so no
 * other scenario's timers run meanwhile) (docs/webhooks.md): endpoints registered through the real API, events
 * recorded where their facts are (a Unipile status webhook on the API) or in a fact's own transaction,
 * delivered by the delivery workflow on a time-skipping server to a real local HTTP receiver that
 * checks every signature with its own implementation of the Standard Webhooks scheme.
 */
import request from 'supertest';
import { identityWorkflowId } from '../../workflows/identity-contract';
import { createWorkspaceWithKey, TEST_UNIPILE_WEBHOOK_SECRET } from '../support/api';
import { connectLinkedin, unipileWebhook } from '../support/linkedin';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { webhookEndpoints } from '../support/webhook-endpoints';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const TASK_QUEUE = 'webhooks-linkedin-test';
const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let receiver: WebhookReceiver;
let endpoints: ReturnType<typeof webhookEndpoints>;
let otherKey: string;
let otherWorkspaceId: string;

beforeAll(async () => {
  harness = await startTimeSkippingHarness(TASK_QUEUE);
  receiver = await startReceiver(3);
  endpoints = webhookEndpoints(harness, receiver);
  ({ apiKey: otherKey, workspaceId: otherWorkspaceId } = await createWorkspaceWithKey(harness.db, 'webhooks-other'));
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await receiver?.stop();
});

const otherAuth = () => ({ Authorization: `Bearer ${otherKey}` });

/** An identity with a connected LinkedIn account in the workspace of `auth`. */
async function connectedIdentity(auth: { Authorization: string }) {
  const created = await request(harness.app).post('/identities').set(auth).send({ firstName: 'Ada', lastName: 'Lovelace', workingHours: hours });
  expect(created.status).toBe(201);
  const identityId = created.body.id as string;
  return { identityId, accountId: await connectLinkedin(harness.app, harness.linkedin, auth, identityId) };
}

test('a lost LinkedIn session is delivered to its own workspace only, signed, once per id after three failed attempts, with the same webhook-id each time', async () => {
  const mine = await endpoints.register(harness.auth(), '/mine');
  const theirs = await endpoints.register(otherAuth(), '/theirs');
  const own = await connectedIdentity(harness.auth());
  const other = await connectedIdentity(otherAuth());

  for (const { identityId, accountId } of [own, other]) {
    await harness.linkedin.setAccountStatus(identityId, { status: 'needs-reconnect', reason: 'signed out' }, Date.now());
    const lost = await unipileWebhook(harness.app, { AccountStatus: { account_id: accountId, account_type: 'LINKEDIN', message: 'CREDENTIALS' } }, TEST_UNIPILE_WEBHOOK_SECRET);
    expect(lost.status).toBe(200);
  }
  // The same status seen again is no new fact: no second event.
  await unipileWebhook(harness.app, { AccountStatus: { account_id: own.accountId, account_type: 'LINKEDIN', message: 'CREDENTIALS' } }, TEST_UNIPILE_WEBHOOK_SECRET);

  const [mineDeliveries, theirDeliveries] = [await harness.db.webhookDelivery.findMany({ where: { endpointId: mine.id } }), await harness.db.webhookDelivery.findMany({ where: { endpointId: theirs.id } })];
  expect(mineDeliveries).toHaveLength(1);
  expect(theirDeliveries).toHaveLength(1);
  expect(await endpoints.outcomes([...mineDeliveries, ...theirDeliveries])).toEqual(['delivered', 'delivered']);

  // Every request carried a valid signature (the receiver answers 401 otherwise).
  expect(receiver.received.length).toBeGreaterThanOrEqual(8);
  expect(receiver.received.every((entry) => entry.signatureValid)).toBe(true);
  // Four attempts per event, all with the event's id and the same body; accepted once.
  for (const [path, delivery, identityId, workspaceId] of [
    ['/mine', mineDeliveries[0]!, own.identityId, harness.workspaceId],
    ['/theirs', theirDeliveries[0]!, other.identityId, otherWorkspaceId],
  ] as const) {
    const attempts = receiver.received.filter((entry) => entry.path === path);
    expect(attempts.map((entry) => entry.status)).toEqual([503, 503, 503, 204]);
    expect(new Set(attempts.map((entry) => entry.headers['webhook-id']))).toEqual(new Set([delivery.eventId]));
    expect(new Set(attempts.map((entry) => entry.body)).size).toBe(1);
    expect(receiver.accepted(path)).toEqual([delivery.eventId]);
    const body = JSON.parse(attempts[0]!.body);
    expect(body).toEqual({ id: delivery.eventId, type: 'linkedin.needs_reconnect', timestamp: expect.any(String), data: expect.objectContaining({ identityId }) });
    expect(delivery.workspaceId).toBe(workspaceId);
  }
  // Never an event of another workspace: each path saw only its own identity.
  expect(receiver.received.filter((entry) => entry.path === '/mine').every((entry) => JSON.parse(entry.body).data.identityId === own.identityId)).toBe(true);

  // The delivery log: delivered after four attempts; the attempts show the three refusals.
  const log = await endpoints.deliveriesOf(mine.id, harness.auth());
  expect(log).toEqual([expect.objectContaining({ eventId: mineDeliveries[0]!.eventId, eventType: 'linkedin.needs_reconnect', state: 'delivered', attempts: 4, lastStatus: 204 })]);
  const detail = await request(harness.app).get(`/webhook-endpoints/${mine.id}/deliveries/${log[0]!.id}`).set(harness.auth());
  expect(detail.body.attemptLog.map((attempt: { status: number }) => attempt.status)).toEqual([503, 503, 503, 204]);
  expect(detail.body.attemptLog[0].error).toContain('answered 503: busy, try later');
  // The other workspace cannot read this log.
  expect((await request(harness.app).get(`/webhook-endpoints/${mine.id}/deliveries`).set(otherAuth())).status).toBe(404);
  // No secret in what the API logged.
  expect(harness.logLines.join('\n')).not.toContain(mine.secret.slice('whsec_'.length));

  await request(harness.app).delete(`/webhook-endpoints/${mine.id}`).set(harness.auth()).expect(204);
  await request(harness.app).delete(`/webhook-endpoints/${theirs.id}`).set(otherAuth()).expect(204);
  // The identities' own workflows have nothing more to show here.
  for (const { identityId } of [own, other]) await harness.env.client.workflow.getHandle(identityWorkflowId(identityId)).terminate('test done');
});
