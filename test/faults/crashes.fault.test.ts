/**
 * Crashes in the middle of a working day, in real time: the worker killed (SIGKILL) mid-send and
 * between actions, the Temporal dev server restarted, PostgreSQL restarted. Every crash is injected
 * while the identity is sending. Counted at the receiving servers (a real SMTP server and the
 * LinkedIn automation service, which applies each idempotency key once, as its contract says):
 * every lead's step arrives exactly once — no duplicate, no loss.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { Client, Connection } from '@temporalio/client';
import { DateTime } from 'luxon';
import { IdentityWorkflows } from '../../api/identity-workflows';
import { createDatabase, type Database } from '../../db/client';
import { applyMigrations } from '../../db/migrate';
import { identityConfigOf } from '../../domain/identity-config';
import { currentWindow, type WorkingHours } from '../../domain/working-hours';
import { encryptSecret, generateKeyringEntry, inboxPasswordAssociatedData, parseKeyring } from '../../lib/secrets';
import { ensureSearchAttributes } from '../../lib/search-attributes';
import { freePort, startDevServer, type RunningDevServer } from '../../scripts/temporal-binaries';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';
import { workflowBundle } from '../support/temporal';

jest.setTimeout(20 * 60_000);

const EMAIL_LEADS = 24;
const SCRAPE_LEADS = 12;
const MESSAGE_LEADS = 10;
const TASK_QUEUE = 'crash-faults';
const KEYRING_ENTRY = generateKeyringEntry('crash');

type Crash = 'worker' | 'smtp-envelope' | 'smtp-after-store' | 'linkedin-before' | 'linkedin-after' | 'temporal' | 'postgres';
/** 24 crashes, interleaved; those named smtp-… and linkedin-… kill the worker at that exact moment of a send. */
const CRASHES: Crash[] = [
  'smtp-after-store', 'temporal', 'smtp-envelope', 'linkedin-after', 'postgres', 'smtp-after-store', 'linkedin-before', 'worker',
  'smtp-after-store', 'temporal', 'linkedin-after', 'smtp-envelope', 'postgres', 'smtp-after-store', 'linkedin-before', 'worker',
  'temporal', 'worker', 'postgres', 'linkedin-after', 'worker', 'smtp-envelope', 'worker', 'worker',
];

let root: string;
let postgres: ChildProcess | null = null;
let postgresPort: number;
let temporal: RunningDevServer;
let temporalPort: number;
let db: Database;
let smtp: SmtpTestServer;
let linkedin: http.Server;
let linkedinUrl: string;
let bundlePath: string;
let worker: ChildProcess | null = null;
let stopping = false;
/** Whether a killed worker is started again (a process manager); off where a test proves another worker takes over. */
let restartKilledWorkers = true;
let workerStarts = 0;
let secondWorker: ChildProcess | null = null;

/** The automation service: each idempotency key acts once; effects are counted per kind and person. */
const effects = new Map<string, number>();
const answers = new Map<string, string>();
let linkedinHook: 'before' | 'after' | null = null;
let linkedinHookFired = () => undefined as void;

function startLinkedinService(): Promise<number> {
  linkedin = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      const key = String(request.headers['idempotency-key'] ?? '');
      const known = answers.get(key);
      if (known !== undefined) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(known);
        return;
      }
      const { profileUrl } = JSON.parse(body || '{}') as { profileUrl?: string };
      const kind = request.url?.endsWith('/messages') ? 'message' : request.url?.endsWith('/profile-scrapes') ? 'scrape' : 'other';
      if (linkedinHook === 'before') {
        // The worker dies while its request is in flight, before anything happened on LinkedIn.
        linkedinHook = null;
        killWorker();
        linkedinHookFired();
        response.socket?.destroy();
        return;
      }
      effects.set(`${kind} ${profileUrl}`, (effects.get(`${kind} ${profileUrl}`) ?? 0) + 1);
      const answer = JSON.stringify(
        kind === 'message' ? { messageId: `msg-${randomUUID()}` } : { profileUrl, firstName: 'Lead', lastName: 'Scraped', headline: null, pictureUrl: null },
      );
      answers.set(key, answer);
      if (linkedinHook === 'after') {
        // It happened on LinkedIn, and the worker dies before hearing so.
        linkedinHook = null;
        killWorker();
        linkedinHookFired();
        response.socket?.destroy();
        return;
      }
      setTimeout(() => response.writeHead(200, { 'content-type': 'application/json' }).end(answer), 30);
    });
  });
  return new Promise((resolve) => linkedin.listen(0, '127.0.0.1', () => resolve((linkedin.address() as { port: number }).port)));
}

function spawnWorker(): ChildProcess {
  return tsxProcess('../support/crash-worker.ts', [], {
    env: {
      ...process.env,
      CRASH_DATABASE_URL: `${postgresUrl()}`,
      CRASH_TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
      CRASH_TASK_QUEUE: TASK_QUEUE,
      CRASH_BUNDLE: bundlePath,
      CRASH_KEYRING: KEYRING_ENTRY,
      CRASH_LINKEDIN_URL: linkedinUrl,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function polling(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line === 'polling') resolve();
    });
  });
}

function startWorker(): Promise<void> {
  workerStarts += 1;
  const child = spawnWorker();
  worker = child;
  child.once('exit', () => {
    if (worker === child) worker = null;
    // Killed: a supervisor starts it again, as a process manager would (after a short pause).
    if (!stopping && restartKilledWorkers) setTimeout(() => void startWorker(), 500);
  });
  return polling(child);
}

function killWorker(): void {
  worker?.kill('SIGKILL');
}

let url = '';
function postgresUrl(): string {
  return url;
}

/** `node --import tsx <script>`: one process, so a signal reaches the program itself (the tsx command runs it in a child). */
function tsxProcess(script: string, args: string[], options: Parameters<typeof spawn>[2]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, script), ...args], options);
}

/** Starts PostgreSQL (support/postgres-process.ts) on the test's data folder and port; resolves with its URL. */
function startPostgres(): Promise<string> {
  const child = tsxProcess('../support/postgres-process.ts', [path.join(root, 'pg', 'cluster'), String(postgresPort)], { stdio: ['ignore', 'pipe', 'inherit'] });
  postgres = child;
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`PostgreSQL process exited (${code})`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
}

async function stopPostgres(): Promise<void> {
  const child = postgres;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}

async function restartPostgres(): Promise<void> {
  await stopPostgres();
  await startPostgres();
}

async function restartTemporal(): Promise<void> {
  await temporal.stop();
  temporal = await startDevServer({ port: temporalPort, uiPort: await freePort(), headless: true, dbFile: path.join(root, 'temporal.db') });
}

/** A zone where the whole window [00:00, now + 25 min) lies inside today, so the identity works now. */
function workingHoursAroundNow(): WorkingHours {
  for (const zone of ['UTC', 'Asia/Tokyo', 'America/New_York', 'Europe/Paris', 'Asia/Kolkata', 'Pacific/Auckland']) {
    const local = DateTime.now().setZone(zone);
    const end = local.plus({ minutes: 26 }).startOf('minute');
    if (local.hour >= 1 && end.hasSame(local, 'day')) {
      const hours: WorkingHours = { timeZone: zone, days: ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'], start: '00:00', end: end.toFormat('HH:mm') };
      if (currentWindow(hours, Date.now())) return hours;
    }
  }
  throw new Error('no time zone has a window around now');
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'pacer-crashes-'));
  await chmod(root, 0o755);
  postgresPort = await freePort();
  url = await startPostgres();
  await applyMigrations(url);
  db = createDatabase(url);
  temporalPort = await freePort();
  temporal = await startDevServer({ port: temporalPort, uiPort: await freePort(), headless: true, dbFile: path.join(root, 'temporal.db') });
  bundlePath = path.join(root, 'workflow-bundle.js');
  await writeFile(bundlePath, (await workflowBundle()).code);
  smtp = await startSmtpTestServer();
  linkedinUrl = `http://127.0.0.1:${await startLinkedinService()}`;
  await startWorker();
}, 300_000);

afterAll(async () => {
  stopping = true;
  killWorker();
  secondWorker?.kill('SIGKILL');
  await smtp?.stop();
  if (linkedin) await new Promise<void>((resolve) => linkedin.close(() => resolve()));
  await db?.$disconnect();
  await temporal?.stop();
  await stopPostgres();
});

/** A workspace, an identity working now with one inbox on the test SMTP server, and campaigns of due leads (an email or a LinkedIn step each). */
async function identityWithDueLeads(name: string, leads: { email: number; scrape: number; message: number }, leadDomain: string) {
  const workingHours = workingHoursAroundNow();
  const workspace = await db.workspace.create({ data: { slug: `${name}-${randomUUID()}`, name, linkedinScrapingPoolPerDay: 1000 } });
  const identity = await db.identity.create({
    data: { workspaceId: workspace.id, firstName: 'Ada', lastName: name, timeZone: workingHours.timeZone, workingDays: workingHours.days, workingStart: workingHours.start, workingEnd: workingHours.end, dailyMessages: 250 },
  });
  const inboxId = randomUUID();
  const sender = `ada@${name}-sender.example`;
  await db.emailInbox.create({
    data: {
      id: inboxId,
      workspaceId: workspace.id,
      identityId: identity.id,
      email: sender,
      smtpHost: smtp.host,
      smtpPort: smtp.port,
      smtpSecurity: 'none',
      username: sender,
      passwordEnvelope: encryptSecret(parseKeyring(KEYRING_ENTRY), 'inbox-password', inboxPasswordAssociatedData(inboxId)),
      // An operator override: enough sends per hour to spread them over minutes, not hours.
      rateOverrideDaily: 2000,
      rateOverrideHourly: 1000,
      rateOverrideReason: 'crash test',
      rateOverrideExpiresAt: new Date(Date.now() + 86_400_000),
    },
  });
  const steps = {
    email: { kind: 'email', delayMinutes: 0, subject: 'Hello {{firstName}}', body: '<p>Hi {{firstName}}</p>' },
    scrape: { kind: 'linkedin-profile-scrape', delayMinutes: 0 },
    message: { kind: 'linkedin-message', delayMinutes: 0, text: 'Hi {{firstName}}' },
  };
  for (const kind of ['email', 'scrape', 'message'] as const) {
    if (leads[kind] === 0) continue;
    const campaign = await db.campaign.create({ data: { workspaceId: workspace.id, identityId: identity.id, name: kind, status: 'active', emailInbox: kind === 'email' ? inboxId : 'shuffle', steps: [steps[kind]] } });
    await db.lead.createMany({
      data: Array.from({ length: leads[kind] }, (_, index) => ({
        workspaceId: workspace.id,
        campaignId: campaign.id,
        identityId: identity.id,
        firstName: `${kind}${index}`,
        email: kind === 'email' ? `${kind}${index}@${leadDomain}` : null,
        linkedinUrl: kind === 'email' ? null : `https://www.linkedin.com/in/${leadDomain}-${kind}-${index}`,
        nextActionKind: kind,
        dueAt: new Date(),
      })),
    });
  }
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  await ensureSearchAttributes(connection, 'default');
  const workflows = new IdentityWorkflows(new Client({ connection, namespace: 'default' }), TASK_QUEUE);
  expect(await workflows.start({ id: identity.id, workspaceId: workspace.id, config: identityConfigOf(identity), workspaceScrapingPool: 1000 })).toBe(true);
  await connection.close();
  return identity;
}

/** Waits (bounded) until every lead of the identity is done. */
async function leadsDone(identityId: string, total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await db.lead.count({ where: { identityId, state: 'done' } })) < total && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

/** Arms a hook that kills the worker at one moment of a send, and waits (bounded) until it fired. */
async function crashAtMoment(crash: Crash): Promise<boolean> {
  const fired = new Promise<void>((resolve) => {
    const once = async () => {
      smtp.faults.onRecipient = null;
      smtp.faults.afterStore = null;
      killWorker();
      resolve();
      await new Promise((settle) => setTimeout(settle, 50));
    };
    if (crash === 'smtp-envelope') smtp.faults.onRecipient = once;
    if (crash === 'smtp-after-store') smtp.faults.afterStore = once;
    if (crash === 'linkedin-before' || crash === 'linkedin-after') {
      linkedinHook = crash === 'linkedin-before' ? 'before' : 'after';
      linkedinHookFired = resolve;
    }
  });
  const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), 60_000));
  const result = await Promise.race([fired.then(() => true as const), timedOut]);
  smtp.faults.onRecipient = null;
  smtp.faults.afterStore = null;
  linkedinHook = null;
  return result;
}

test('24 crashes mid-day (worker killed mid-send and between sends, Temporal and PostgreSQL restarted): every step arrives exactly once', async () => {
  const identity = await identityWithDueLeads('crashes', { email: EMAIL_LEADS, scrape: SCRAPE_LEADS, message: MESSAGE_LEADS }, 'crash-lead.example');

  const fired: Record<string, number> = {};
  for (const crash of CRASHES) {
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    if (crash === 'worker') killWorker();
    else if (crash === 'temporal') await restartTemporal();
    else if (crash === 'postgres') await restartPostgres();
    else if (!(await crashAtMoment(crash))) continue;
    fired[crash] = (fired[crash] ?? 0) + 1;
  }
  const injected = Object.values(fired).reduce((sum, count) => sum + count, 0);
  expect(injected).toBeGreaterThanOrEqual(20);
  expect(fired['smtp-after-store']).toBeGreaterThanOrEqual(3);
  expect(fired['temporal']).toBe(3);
  expect(fired['postgres']).toBe(3);

  // Let the identity finish its day's work.
  await leadsDone(identity.id, EMAIL_LEADS + SCRAPE_LEADS + MESSAGE_LEADS, 10 * 60_000);

  // At the receiving servers: each lead's step exactly once.
  const emailLeads = Array.from({ length: EMAIL_LEADS }, (_, index) => `email${index}@crash-lead.example`);
  expect(emailLeads.map((address) => smtp.messages.filter((message) => message.to.includes(address)).length)).toEqual(emailLeads.map(() => 1));
  expect(smtp.messages).toHaveLength(EMAIL_LEADS);
  for (const [kind, count] of [['scrape', SCRAPE_LEADS], ['message', MESSAGE_LEADS]] as const) {
    const people = Array.from({ length: count }, (_, index) => `${kind} https://www.linkedin.com/in/crash-lead.example-${kind}-${index}`);
    expect(people.map((person) => effects.get(person) ?? 0)).toEqual(people.map(() => 1));
  }
  // In the records: every lead done with one action, sends that may have arrived are sent-unconfirmed, never sent twice.
  const leads = await db.lead.findMany({ where: { identityId: identity.id }, include: { actions: true } });
  expect(leads.filter((lead) => lead.state !== 'done')).toEqual([]);
  expect(leads.map((lead) => lead.actions.length)).toEqual(leads.map(() => 1));
  const unconfirmed = leads.flatMap((lead) => lead.actions).filter((action) => (action.result as { state?: string }).state === 'sent-unconfirmed');
  expect(unconfirmed.length).toBeGreaterThanOrEqual(fired['smtp-after-store'] ?? 0);
  expect(workerStarts).toBeGreaterThan(CRASHES.filter((crash) => crash !== 'temporal' && crash !== 'postgres').length - 2);
});

test('two workers on one task queue, the one running the identity killed (SIGKILL) mid-send: the other takes over and every step arrives once', async () => {
  restartKilledWorkers = false;
  if (!worker) await startWorker();
  secondWorker = spawnWorker();
  await polling(secondWorker);
  const workers = new Map<number, ChildProcess>([[worker!.pid!, worker!], [secondWorker.pid!, secondWorker]]);

  const emails = 12;
  const messages = 6;
  const identity = await identityWithDueLeads('two-workers', { email: emails, scrape: 0, message: messages }, 'two-workers-lead.example');
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  const handle = new Client({ connection, namespace: 'default' }).workflow.getHandle(`identity/${identity.id}`);
  /** The worker identity (`<pid>@<host>`) of each workflow task, in history order: local activities run in the worker holding the task. */
  const taskWorkers = async () => ((await handle.fetchHistory()).events ?? []).flatMap((event) => (event.workflowTaskStartedEventAttributes?.identity ? [event.workflowTaskStartedEventAttributes.identity] : []));
  const leadMessages = () => smtp.messages.filter((message) => message.to.some((address) => address.endsWith('@two-workers-lead.example')));

  // Mid-day: after two emails, the next one is stored by the server and the worker sending it dies before hearing so.
  while (leadMessages().length < 2) await new Promise((resolve) => setTimeout(resolve, 200));
  const killed = await new Promise<number>((resolve) => {
    smtp.faults.afterStore = async () => {
      smtp.faults.afterStore = null;
      const sender = Number((await taskWorkers()).at(-1)?.split('@')[0]);
      workers.get(sender)?.kill('SIGKILL');
      resolve(sender);
    };
  });
  expect(workers.has(killed)).toBe(true);
  const survivor = [...workers.keys()].find((pid) => pid !== killed)!;

  await leadsDone(identity.id, emails + messages, 5 * 60_000);

  const addresses = Array.from({ length: emails }, (_, index) => `email${index}@two-workers-lead.example`);
  expect(addresses.map((address) => leadMessages().filter((message) => message.to.includes(address)).length)).toEqual(addresses.map(() => 1));
  const people = Array.from({ length: messages }, (_, index) => `message https://www.linkedin.com/in/two-workers-lead.example-message-${index}`);
  expect(people.map((person) => effects.get(person) ?? 0)).toEqual(people.map(() => 1));
  const leads = await db.lead.findMany({ where: { identityId: identity.id }, include: { actions: true } });
  expect(leads.filter((lead) => lead.state !== 'done')).toEqual([]);
  expect(leads.map((lead) => lead.actions.length)).toEqual(leads.map(() => 1));
  // The send the killed worker never heard about is recorded as it is: it may have arrived (it did), so it was not sent again.
  expect(leads.flatMap((lead) => lead.actions).filter((action) => (action.result as { state?: string }).state === 'sent-unconfirmed')).toHaveLength(1);
  // The killed worker held the identity; after the kill only the survivor ran its workflow tasks.
  const ran = (await taskWorkers()).map((identityOfWorker) => Number(identityOfWorker.split('@')[0]));
  const lastOfKilled = ran.lastIndexOf(killed);
  expect(lastOfKilled).toBeGreaterThanOrEqual(0);
  expect(ran.slice(lastOfKilled + 1).length).toBeGreaterThan(0);
  expect(new Set(ran.slice(lastOfKilled + 1))).toEqual(new Set([survivor]));
  await connection.close();
});
