/**
 * Webhook endpoints through the real API and the outcomes of their deliveries, for the time-skipping
 * webhook tests (test/workflows/webhooks*.workflow.test.ts).
 */
import request from 'supertest';
import type { WebhookDeliveryRef } from '../../domain/webhooks';
import { webhookDeliveryWorkflowId } from '../../workflows/webhook-delivery-contract';
import type { TimeSkippingHarness } from './time-skipping';
import type { WebhookReceiver } from './webhook-receiver';

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  state: string;
  attempts: number;
  lastStatus: number | null;
}

export function webhookEndpoints(harness: TimeSkippingHarness, receiver: WebhookReceiver) {
  return {
    /** Registers `receiver`'s `path` as an endpoint of the workspace of `auth`; the receiver learns its secret. */
    async register(auth: { Authorization: string }, path: string, eventTypes?: string[]): Promise<{ id: string; secret: string }> {
      const response = await request(harness.app)
        .post('/webhook-endpoints')
        .set(auth)
        .send({ url: receiver.url(path), ...(eventTypes ? { eventTypes } : {}) });
      expect(response.status).toBe(201);
      expect(response.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
      receiver.secrets.set(path, response.body.secret);
      return { id: response.body.id, secret: response.body.secret };
    },

    /** The endpoint's delivery log as the API lists it. */
    async deliveriesOf(endpointId: string, auth: { Authorization: string }): Promise<DeliveryRow[]> {
      const response = await request(harness.app).get(`/webhook-endpoints/${endpointId}/deliveries`).set(auth);
      expect(response.status).toBe(200);
      return response.body.items as DeliveryRow[];
    },

    /**
     * Waits for each delivery's workflow to end; the time-skipping server runs every workflow's timers
     * meanwhile. One wait at a time: each `result()` unlocks time skipping once, so two at once would
     * let time jump while an activity runs, and the attempt would time out in skipped time.
     */
    async outcomes(deliveries: readonly Pick<WebhookDeliveryRef, 'endpointId' | 'eventId'>[]): Promise<string[]> {
      const ended: string[] = [];
      for (const delivery of deliveries) ended.push(await harness.env.client.workflow.getHandle(webhookDeliveryWorkflowId(delivery)).result());
      return ended;
    },
  };
}
