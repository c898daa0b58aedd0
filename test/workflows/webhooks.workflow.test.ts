/**
 * Event webhooks end to end (docs/webhooks.md): endpoints registered through the real API, events
 * recorded where their facts are (a Unipile status webhook on the API) or in a fact's own transaction,
 * delivered by the delivery workflow on a time-skipping server to a real local HTTP receiver that
 * checks every signature with its own implementation of the Standard Webhooks scheme.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createWebhookActivities } from '../../activities/webhooks';
import { recordEvents } from '../../db/webhook-events';
import { leadReplied } from '../../domain/webhooks';
import { parseAllowlist } from '../../lib/config';
import { temporalWebhookDeliveries } from '../../workflows/webhook-delivery-contract';
import { testKeyring } from '../support/keyring';
import { startTimeSkippingHarness, type TimeSkippingHarness } from '../support/time-skipping';
import { webhookEndpoints } from '../support/webhook-endpoints';
import { startReceiver, type WebhookReceiver } from '../support/webhook-receiver';

const TASK_QUEUE = 'webhooks-test';

jest.setTimeout(240_000);

let harness: TimeSkippingHarness;
let receiver: WebhookReceiver;
let endpoints: ReturnType<typeof webhookEndpoints>;

beforeAll(async () => {
  harness = await startTimeSkippingHarness(TASK_QUEUE);
  receiver = await startReceiver(3);
  endpoints = webhookEndpoints(harness, receiver);
}, 120_000);

afterAll(async () => {
  await harness?.stop();
  await receiver?.stop();
});

test('an event is recorded with its fact or not at all; the same fact twice is one event; a start that was lost is made by the outbox relay', async () => {
  const endpoint = await endpoints.register(harness.auth(), '/outbox', ['lead.replied']);
  const lead = { id: randomUUID(), workspaceId: harness.workspaceId, campaignId: randomUUID(), identityId: randomUUID(), stepIndex: 1, email: 'grace@example.com', linkedinUrl: null };
  const event = leadReplied(lead, { inboxId: randomUUID(), messageId: '<reply@example.com>', at: Date.now() });

  // The fact's transaction aborts: no event, no delivery.
  await expect(
    harness.db.$transaction(async (tx) => {
      await recordEvents(tx, [event]);
      throw new Error('the fact could not be written');
    }),
  ).rejects.toThrow('the fact could not be written');
  expect(await harness.db.webhookDelivery.count({ where: { endpointId: endpoint.id } })).toBe(0);

  // Committed twice (a retried activity): one event, one delivery.
  const first = await harness.db.$transaction((tx) => recordEvents(tx, [event]));
  const again = await harness.db.$transaction((tx) => recordEvents(tx, [event]));
  expect(first).toHaveLength(1);
  expect(again).toEqual([]);

  // The publisher died before starting it: the relay's pass starts it once the grace period is over.
  const activities = createWebhookActivities({ db: harness.db, keyring: testKeyring, webhooks: { deliveries: temporalWebhookDeliveries(harness.env.client, TASK_QUEUE), privateHostsAllowed: parseAllowlist('127.0.0.0/8') } });
  expect((await activities.startUnstartedWebhookDeliveries({ at: Date.now() })).found).toBe(0);
  const relayed = await activities.startUnstartedWebhookDeliveries({ at: Date.now() + 60_000 });
  expect(relayed.started).toBeGreaterThanOrEqual(1);
  expect(await endpoints.outcomes(first)).toEqual(['delivered']);
  expect(receiver.accepted('/outbox')).toEqual([first[0]!.eventId]);
  // Started again (a second relay, a publisher that retried): the same workflow id, nothing sent twice.
  await temporalWebhookDeliveries(harness.env.client, TASK_QUEUE).start(first);
  expect(receiver.accepted('/outbox')).toEqual([first[0]!.eventId]);
  await request(harness.app).delete(`/webhook-endpoints/${endpoint.id}`).set(harness.auth()).expect(204);
});

test('an endpoint that answers 410 Gone is disabled after one attempt, and a deleted endpoint gets no new event', async () => {
  const gone = http.createServer((_incoming, answer) => answer.writeHead(410).end('gone'));
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  try {
    const created = await request(harness.app)
      .post('/webhook-endpoints')
      .set(harness.auth())
      .send({ url: `http://127.0.0.1:${(gone.address() as AddressInfo).port}/gone` });
    expect(created.status).toBe(201);
    const lead = { id: randomUUID(), workspaceId: harness.workspaceId, campaignId: randomUUID(), identityId: randomUUID(), stepIndex: 0, email: 'gone@example.com', linkedinUrl: null };
    const deliveries = await harness.db.$transaction((tx) => recordEvents(tx, [leadReplied(lead, { inboxId: randomUUID(), messageId: null, at: Date.now() })]));
    await temporalWebhookDeliveries(harness.env.client, TASK_QUEUE).start(deliveries);
    expect(await endpoints.outcomes(deliveries)).toEqual(['failed']);
    const listed = await request(harness.app).get('/webhook-endpoints').set(harness.auth());
    expect(listed.body.items.find((item: { id: string }) => item.id === created.body.id)).toMatchObject({ status: 'disabled', disabledReason: 'gone' });
    expect(listed.body.items.every((item: Record<string, unknown>) => !('secret' in item))).toBe(true);
    const [delivery] = await endpoints.deliveriesOf(created.body.id, harness.auth());
    expect(delivery).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 410 });

    // Disabled: the next fact of the workspace gets no delivery to it.
    const next = await harness.db.$transaction((tx) => recordEvents(tx, [leadReplied({ ...lead, id: randomUUID() }, { inboxId: randomUUID(), messageId: null, at: Date.now() })]));
    expect(next.filter((ref) => ref.endpointId === created.body.id)).toEqual([]);
  } finally {
    await new Promise<void>((resolve) => gone.close(() => resolve()));
  }
});
