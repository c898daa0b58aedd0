/**
 * Records the histories that test/workflows/identity.replay.test.ts replays:
 *   npx tsx test/support/record-identity-histories.ts
 * Re-record only for a deliberate, replay-safe change (patched()) — the point of the fixtures is
 * that histories written by the version that already runs in production still replay.
 *
 * Files of earlier versions stay: `identity-v1-*` were recorded by the workflow as it first
 * shipped, `identity-v2-*` once it also withdrew invitations, `identity-v3-*` with plan → perform
 * (this script records v3; docs/workflow-versioning.md).
 *
 * Scenario (time-skipping, real PostgreSQL, real API, LinkedIn simulator, a real SMTP server):
 * created on a Friday evening with a 1-day withdrawal threshold, a started LinkedIn campaign of
 * three leads and an email campaign of two, working hours changed mid-sleep, LinkedIn limits raised
 * until the next morning (fall-back activity runs), the next window opens (continue-as-new),
 * invitations go out while the SMTP server refuses the first connections (the email kind holds
 * back, then sends), one invitation is withdrawn by hand at once, the others automatically at the
 * next window (Monday), replies are read before the follow-up, then the identity is deleted.
 */
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { DateTime } from 'luxon';
import request from 'supertest';
import { createActivities } from '../../activities';
import { createLinkedinSimulatorOn } from '../../db/linkedin-simulator-store';
import { createWarmupSimulator } from '../../integrations/warmup';
import { testKeyring } from './keyring';
import { createApp } from '../../api/app';
import { generateApiKey, hashApiKey } from '../../api/auth';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase } from '../../db/client';
import { startEmbeddedPostgres } from '../../db/embedded-postgres';
import { applyMigrations } from '../../db/migrate';
import { parseAllowlist } from '../../lib/config';
import { createLogger } from '../../lib/logger';
import { encryptSecret, inboxPasswordAssociatedData } from '../../lib/secrets';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { freePort, startTestServer } from '../../scripts/temporal-binaries';
import { identityWorkflowId } from '../../workflows/identity-contract';
import { startSmtpTestServer } from './smtp-test-server';
import { connectTimeSkippingEnv, workflowBundle } from './temporal';

const FIXTURES = path.resolve(__dirname, '../fixtures/histories');
const TASK_QUEUE = 'record-identity-histories';
const VERSION = 'v3';
const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'pacer-record-'));
  await chmod(root, 0o755);
  const postgres = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg', 'cluster'), port: await freePort() });
  const server = await startTestServer();
  try {
    await applyMigrations(postgres.url);
    const db = createDatabase(postgres.url);
    const env = await connectTimeSkippingEnv(server.address);
    await ensureSearchAttributes(env.connection, 'default');
    const apiKey = generateApiKey();
    await db.workspace.create({ data: { slug: 'record', name: 'record', apiKeys: { create: { name: 'record', keyHash: hashApiKey(apiKey) } } } });
    const app = createApp({ db, identityWorkflows: new IdentityWorkflows(env.client, TASK_QUEUE), logger: createLogger('silent'), bodyLimit: '100kb' });
    const auth = { Authorization: `Bearer ${apiKey}` };
    const smtp = await startSmtpTestServer();
    const mailHosts = { privateHostsAllowed: parseAllowlist('127.0.0.0/8'), timeoutMs: 2_000 };
    const activities = createActivities({ db, linkedin: createLinkedinSimulatorOn(db), keyring: testKeyring, warmup: createWarmupSimulator(), mailHosts });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: TASK_QUEUE, activities, workflowBundle: await workflowBundle() });

    await worker.runUntil(async () => {
      const skipTo = async (instant: DateTime) => env.sleep(instant.toMillis() - (await env.currentTimeMs()));
      let friday = DateTime.fromMillis(await env.currentTimeMs(), { zone: 'Europe/Paris' }).startOf('day').set({ hour: 18, minute: 30 });
      while (friday.weekday !== 5 || friday.toMillis() <= (await env.currentTimeMs())) friday = friday.plus({ days: 1 });
      await skipTo(friday);

      const { body: identity } = await request(app).post('/identities').set(auth).send({ firstName: 'Ada', lastName: 'L', workingHours: hours });
      await request(app).put(`/identities/${identity.id}/linkedin/withdrawals`).set(auth).send({ autoWithdraw: true, thresholdDays: 1 });
      const { body: campaign } = await request(app)
        .post('/campaigns')
        .set(auth)
        .send({ identityId: identity.id, name: 'record', steps: [{ kind: 'linkedin-connection-request', delayMinutes: 0 }, { kind: 'linkedin-like', delayMinutes: 60 }] });
      const leads = ['a', 'b', 'c'].map((slug) => ({ firstName: slug, linkedinUrl: `https://www.linkedin.com/in/record-${slug}` }));
      await request(app).post(`/campaigns/${campaign.id}/leads`).set(auth).send({ leads });
      await request(app).post(`/campaigns/${campaign.id}/start`).set(auth);
      const workspace = await db.workspace.findUniqueOrThrow({ where: { slug: 'record' } });
      const inboxId = randomUUID();
      await db.emailInbox.create({
        data: {
          id: inboxId,
          workspaceId: workspace.id,
          identityId: identity.id,
          email: 'ada@record.example',
          smtpHost: smtp.host,
          smtpPort: smtp.port,
          smtpSecurity: 'none',
          username: 'ada@record.example',
          passwordEnvelope: encryptSecret(testKeyring, 'record-password', inboxPasswordAssociatedData(inboxId)),
          imapHost: smtp.host,
          imapPort: smtp.port,
          imapSecurity: 'none',
        },
      });
      const { body: mailing } = await request(app)
        .post('/campaigns')
        .set(auth)
        .send({
          identityId: identity.id,
          name: 'record mail',
          emailInbox: inboxId,
          steps: [
            { kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}}</p>' },
            { kind: 'email', delayMinutes: 24 * 60, subject: 'Again', body: '<p>Any thoughts?</p>' },
          ],
        });
      await request(app).post(`/campaigns/${mailing.id}/leads`).set(auth).send({ leads: [{ firstName: 'd', email: 'd@record-lead.example' }, { firstName: 'e', email: 'e@record-lead.example' }] });
      await request(app).post(`/campaigns/${mailing.id}/start`).set(auth);
      // Refused until Saturday noon: the email kind holds back (and backs off), then sends.
      smtp.faults.refuseConnections = { responseCode: 421, message: '4.3.2 Try again later' };
      await skipTo(friday.plus({ hours: 2 }));
      await request(app).put(`/identities/${identity.id}/working-hours`).set(auth).send({ ...hours, days: ['SAT', ...hours.days], start: '10:00' });
      const raisedUntil = friday.plus({ hours: 12 });
      await request(app).put(`/identities/${identity.id}/linkedin/rate-limits`).set(auth).send({ dailyConnectionRequests: 30, dailyMessages: 100, raisedUntil: raisedUntil.toUTC().toISO() });
      await skipTo(friday.plus({ days: 1 }).set({ hour: 12 }));
      smtp.faults.refuseConnections = null;
      await skipTo(friday.plus({ days: 1 }).set({ hour: 14 }));
      const { body: sent } = await request(app).get(`/identities/${identity.id}/linkedin/invitations`).query({ status: 'pending' }).set(auth);
      await request(app).post(`/identities/${identity.id}/linkedin/invitations/withdraw`).set(auth).send({ invitationIds: [sent.items[0].id] });
      await skipTo(friday.plus({ days: 3 }).set({ hour: 12 }));
      await request(app).delete(`/identities/${identity.id}`).set(auth);

      const workflowId = identityWorkflowId(identity.id);
      await env.client.workflow.getHandle(workflowId).result();
      // Walk the continue-as-new chain back from the last run (each run names its predecessor).
      const histories = [];
      let runId: string | undefined = (await env.client.workflow.getHandle(workflowId).describe()).runId;
      while (runId) {
        const history = await env.client.workflow.getHandle(workflowId, runId).fetchHistory();
        histories.unshift(history);
        runId = history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
      }
      for (const [index, history] of histories.entries()) {
        const file = path.join(FIXTURES, `identity-${VERSION}-run${index + 1}.json`);
        // Proto3 JSON, the format `temporal workflow show --output json` writes and replay reads.
        await writeFile(file, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 1)}\n`);
        console.log(`wrote ${path.relative(process.cwd(), file)} (${history.events?.length ?? 0} events)`);
      }
    });
    await smtp.stop();
    await db.$disconnect();
    await env.teardown();
  } finally {
    await server.stop();
    await postgres.stop();
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
