/**
 * Connecting an identity's LinkedIn account in tests, the way production does it: the API opens a
 * hosted sign-in, the simulator plays the person signing in, and the service's notification is
 * delivered to the API. Also Unipile's webhooks, authenticated like Unipile's.
 */
import type { Express } from 'express';
import request from 'supertest';
import type { LinkedinSimulator, SimulatedHostedAuthNotification } from '../../integrations/linkedin';
import { TEST_PUBLIC_BASE_URL, TEST_UNIPILE_WEBHOOK_SECRET } from './api';

/** Delivers what the service POSTs after a sign-in, to the path of its notification URL. */
export function deliverSignIn(app: Express, notification: SimulatedHostedAuthNotification): request.Test {
  if (!notification.notifyUrl.startsWith(`${TEST_PUBLIC_BASE_URL}/webhooks/linkedin/hosted-auth/`)) {
    throw new Error(`Not a notification URL of the test API: ${notification.notifyUrl}`);
  }
  return request(app).post(notification.notifyUrl.slice(TEST_PUBLIC_BASE_URL.length)).send(notification.body);
}

/** Opens a sign-in for the identity (connect or reconnect) and has the person complete it; the notification is not delivered yet. */
export async function signInOnSimulator(
  app: Express,
  linkedin: LinkedinSimulator,
  auth: { Authorization: string },
  identityId: string,
  at: number = Date.now(),
): Promise<{ opened: { id: string; type: 'create' | 'reconnect'; url: string }; notification: SimulatedHostedAuthNotification }> {
  const opened = await request(app).post(`/identities/${identityId}/linkedin/connect`).set(auth).send({ successRedirectUrl: 'https://app.example.com/done' });
  if (opened.status !== 201) throw new Error(`Opening a sign-in answered ${opened.status}: ${JSON.stringify(opened.body)}`);
  const notification = await linkedin.completeHostedAuth(opened.body.url as string, { at });
  return { opened: opened.body as { id: string; type: 'create' | 'reconnect'; url: string }, notification };
}

/** Connects (or reconnects) the identity's account end to end; answers the account id. */
export async function connectLinkedin(app: Express, linkedin: LinkedinSimulator, auth: { Authorization: string }, identityId: string, at: number = Date.now()): Promise<string> {
  const { notification } = await signInOnSimulator(app, linkedin, auth, identityId, at);
  const delivered = await deliverSignIn(app, notification);
  if (delivered.status !== 200) throw new Error(`The sign-in notification answered ${delivered.status}: ${JSON.stringify(delivered.body)}`);
  return notification.body.account_id;
}

/** POSTs a Unipile webhook body to the API with the harness's secret header (or another, or none). */
export function unipileWebhook(app: Express, body: object, secret: string | null = TEST_UNIPILE_WEBHOOK_SECRET): request.Test {
  const call = request(app).post('/webhooks/unipile');
  return (secret === null ? call : call.set('X-Pacer-Webhook-Secret', secret)).send(body);
}
