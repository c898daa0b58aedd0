/**
 * What an operator sees in the Temporal UI and CLI, read back through the Temporal client from the
 * dev server (real visibility): each identity run names its identity, its current details explain
 * what waits and why, and `PacerAttention` finds the identities that need a person until the cause
 * is gone.
 */
import request from 'supertest';
import type { Client } from '@temporalio/client';
import { ATTENTION_SEARCH_ATTRIBUTE, identityWorkflowId } from '../../workflows/identity-contract';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { connectLinkedin, signInOnSimulator, deliverSignIn, unipileWebhook } from '../support/linkedin';

jest.setTimeout(120_000);

/** Every day, all day, so the details are the in-window ones whenever the test runs. */
const hours = { timeZone: 'Asia/Tokyo', days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: '23:59' };

let harness: ApiHarness;
let apiKey: string;

beforeAll(async () => {
  harness = await startApiHarness();
  ({ apiKey } = await createWorkspaceWithKey(harness.db, 'operator-views'));
}, 120_000);

afterAll(() => harness?.stop());

const auth = () => ({ Authorization: `Bearer ${apiKey}` });

/** Polls `read` until `accept` holds (visibility and the workflow's pass are asynchronous); fails with the last value. */
async function eventually<T>(read: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last = await read();
  while (!accept(last)) {
    if (Date.now() > end) throw new Error(`not reached in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
    last = await read();
  }
  return last;
}

async function listed(client: Client, query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
  return ids;
}

async function details(identityId: string): Promise<string> {
  const metadata = await harness.client.workflow.getHandle(identityWorkflowId(identityId)).query<{ currentDetails?: string }>('__temporal_workflow_metadata');
  return metadata.currentDetails ?? '';
}

it('a run names its identity, and its current details say what each kind waits for', async () => {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Grace', lastName: 'Hopper', workingHours: hours });
  expect(created.status).toBe(201);
  const identityId = created.body.id as string;
  const handle = harness.client.workflow.getHandle(identityWorkflowId(identityId));
  const description = await handle.describe();
  expect(await description.staticSummary()).toBe(`Identity ${identityId}`);
  expect(await description.staticDetails()).toContain(`GET /identities/${identityId}/status`);

  const shown = await eventually(() => details(identityId), (text) => text.startsWith('**'));
  expect(shown).toMatch(/^\*\*Inside working hours\*\* until \w{3} \d+ \w{3} 23:59 Asia\/Tokyo \(14:59 UTC\)$/m);
  expect(shown).toContain('| connection requests | 0 of 20 | nothing due |');
  expect(shown).not.toContain('Needs attention');
  expect(await listed(harness.client, `PacerIdentityId = '${identityId}' AND PacerAttention IS NOT NULL`)).toEqual([]);
});

it('PacerAttention finds an identity whose LinkedIn needs reconnecting, and forgets it once reconnected', async () => {
  const created = await request(harness.app).post('/identities').set(auth()).send({ firstName: 'Ada', lastName: 'Lovelace', workingHours: hours });
  const identityId = created.body.id as string;
  const accountId = await connectLinkedin(harness.app, harness.linkedin, auth(), identityId);
  const needingAttention = `PacerIdentityId = '${identityId}' AND PacerAttention = 'linkedin-needs-reconnect'`;

  await harness.linkedin.setAccountStatus(identityId, { status: 'needs-reconnect', reason: 'signed out' }, Date.now());
  expect((await unipileWebhook(harness.app, { AccountStatus: { account_id: accountId, account_type: 'LINKEDIN', message: 'CREDENTIALS' } })).body).toMatchObject({ changed: true });
  expect(await eventually(() => listed(harness.client, needingAttention), (ids) => ids.length > 0)).toEqual([identityWorkflowId(identityId)]);
  expect(await details(identityId)).toContain('**Needs attention**: linkedin-needs-reconnect');
  const flagged = await harness.client.workflow.getHandle(identityWorkflowId(identityId)).describe();
  expect(flagged.typedSearchAttributes.get(ATTENTION_SEARCH_ATTRIBUTE)).toEqual(['linkedin-needs-reconnect']);

  const { notification } = await signInOnSimulator(harness.app, harness.linkedin, auth(), identityId);
  expect((await deliverSignIn(harness.app, notification)).body).toMatchObject({ changed: true });
  await eventually(() => listed(harness.client, `PacerIdentityId = '${identityId}' AND PacerAttention IS NOT NULL`), (ids) => ids.length === 0);
  const cleared = await harness.client.workflow.getHandle(identityWorkflowId(identityId)).describe();
  expect(cleared.typedSearchAttributes.get(ATTENTION_SEARCH_ATTRIBUTE)).toBeUndefined();
  expect(await details(identityId)).not.toContain('Needs attention');
});
