/**
 * `npm start` as a person (Ctrl-C) and a process manager (SIGTERM to npm) stop it: on free ports,
 * with a data folder of its own. Every port closes and every process it started is gone within
 * 30 s, and the parts stop in order (API, worker, mailbox, Temporal, PostgreSQL). When the
 * orchestrator itself is killed, its local services still stop by themselves.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { freePort } from '../../scripts/temporal-binaries';

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '..', '..');
const GONE_WITHIN_MS = 30_000;
const START_TIMEOUT_MS = 240_000;

let dataDir: string;
let ports: Record<string, number>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(os.tmpdir(), 'pacer-npm-start-'));
  await chmod(dataDir, 0o755); // the `postgres` OS user must reach the cluster folder
  const names = ['API_PORT', 'EMBEDDED_POSTGRES_PORT', 'TEMPORAL_DEV_SERVER_PORT', 'TEMPORAL_UI_PORT', 'DEV_MAILBOX_IMAP_PORT', 'DEV_MAILBOX_SMTP_PORT', 'TEMPORAL_SDK_METRICS_PORT'];
  ports = {};
  for (const name of names) ports[name] = await freePort();
});

afterAll(() => rm(dataDir, { recursive: true, force: true }));

interface Running {
  npm: ChildProcess;
  lines: string[];
  banner: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function startNpm(): Promise<Running> {
  const { DATABASE_URL: _database, TEMPORAL_ADDRESS: _temporal, ...inherited } = process.env;
  const environment = { ...inherited, NODE_ENV: 'development', LOG_LEVEL: 'info', PACER_DATA_DIR: dataDir, API_KEYS: '', ...Object.fromEntries(Object.entries(ports).map(([name, port]) => [name, String(port)])) };
  // Its own process group, as in a terminal: the group can be signalled without reaching jest.
  const npm = spawn('npm', ['start'], { cwd: ROOT, env: environment, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  for (const stream of [npm.stdout, npm.stderr]) readline.createInterface({ input: stream }).on('line', (line) => lines.push(line));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (!lines.some((line) => line.startsWith('Press Ctrl-C to stop.'))) {
    if (npm.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${lines.join('\n')}`);
    await sleep(250);
  }
  const bannerStart = lines.findIndex((line) => line === 'Pacer is running.');
  return { npm, lines, banner: lines.slice(bannerStart).join('\n') };
}

/** pid → parent pid of every process, from /proc. */
async function parents(): Promise<Map<number, number>> {
  const map = new Map<number, number>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // Fields after the command name (which may hold spaces) are "state ppid …".
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (fields[1]) map.set(Number(entry), Number(fields[1]));
  }
  return map;
}

async function descendants(pid: number): Promise<number[]> {
  const map = await parents();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const current = queue.pop() as number;
    for (const [child, parent] of map) {
      if (parent === current) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Alive and not a zombie waiting to be reaped. */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat !== undefined && stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function commandOf(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
}

/** Waits until no process of `pids` lives and no port answers; returns what is left otherwise. */
async function leftAfterStop(pids: number[]): Promise<{ processes: string[]; ports: string[] }> {
  const deadline = Date.now() + GONE_WITHIN_MS;
  for (;;) {
    const processes: string[] = [];
    for (const pid of pids) if (await alive(pid)) processes.push(`${pid} ${await commandOf(pid)}`);
    const open: string[] = [];
    for (const [name, port] of Object.entries(ports)) if (await portOpen(port)) open.push(`${name} ${port}`);
    if ((processes.length === 0 && open.length === 0) || Date.now() > deadline) return { processes, ports: open };
    await sleep(500);
  }
}

/** The "<part> stopped" log lines, in the order they were written. */
function stopOrder(lines: string[]): string[] {
  return lines.flatMap((line) => {
    if (!line.startsWith('{')) return [];
    const entry = JSON.parse(line) as { stopped?: string };
    return entry.stopped ? [entry.stopped] : [];
  });
}

async function killAllOf(pids: number[]): Promise<void> {
  for (const pid of pids) if (await alive(pid)) process.kill(pid, 'SIGKILL');
}

test('SIGTERM to the npm process stops everything in order; no port, no process is left', async () => {
  const running = await startNpm();
  const tree = await descendants(running.npm.pid as number);
  try {
    const commands = await Promise.all(tree.map(commandOf));
    expect(commands.some((command) => command.includes('scripts/start.ts'))).toBe(true);
    expect(commands.some((command) => command.includes('scripts/local-services.ts'))).toBe(true);
    expect(commands.some((command) => command.includes('temporal server start-dev'))).toBe(true);
    expect(commands.some((command) => /bin\/postgres /.test(command))).toBe(true);

    // The development mailbox in the banner can be connected to an identity as it is.
    const apiKey = /API key +(\S+)/.exec(running.banner)?.[1] as string;
    const password = /inbox ada@pacer\.test, password (\S+);/.exec(running.banner)?.[1] as string;
    const api = `http://127.0.0.1:${ports.API_PORT}`;
    const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
    const workingHours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };
    const identity = (await (await fetch(`${api}/identities`, { method: 'POST', headers, body: JSON.stringify({ firstName: 'Ada', lastName: 'Lovelace', workingHours }) })).json()) as { id: string };
    const inbox = await fetch(`${api}/identities/${identity.id}/email-accounts/imap`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ email: 'ada@pacer.test', password, imap: { host: '127.0.0.1', port: ports.DEV_MAILBOX_IMAP_PORT, security: 'none' }, smtp: { host: '127.0.0.1', port: ports.DEV_MAILBOX_SMTP_PORT, security: 'none' } }),
    });
    expect(inbox.status).toBe(201);
    expect(((await inbox.json()) as { status: string }).status).toBe('connected');
    expect((await fetch(`${api}/readyz`)).status).toBe(200);
    // One process tree: the API's /metrics carries the in-process worker's product metrics; the SDK's are on their port.
    expect(await (await fetch(`${api}/metrics`)).text()).toContain('pacer_actions_performed_total{kind="email",result="succeeded"}');
    expect(await (await fetch(`http://127.0.0.1:${ports.TEMPORAL_SDK_METRICS_PORT}/metrics`)).text()).toMatch(/^# TYPE temporal_request_latency histogram$/m);

    // The README's line: the cached CLI, pointed at this dev server, finds the identity's workflow.
    const { stdout } = await run('npm', ['run', '-s', 'temporal', '--', 'workflow', 'list', '--query', `PacerIdentityId='${identity.id}'`, '-o', 'json'], {
      cwd: ROOT,
      env: { ...process.env, TEMPORAL_DEV_SERVER_PORT: String(ports.TEMPORAL_DEV_SERVER_PORT) },
    });
    // (Its runs: one, or two if it already continued as new.)
    expect(new Set((JSON.parse(stdout) as { execution: { workflowId: string } }[]).map((workflow) => workflow.execution.workflowId))).toEqual(new Set([`identity/${identity.id}`]));

    process.kill(running.npm.pid as number, 'SIGTERM');
    expect(await leftAfterStop(tree)).toEqual({ processes: [], ports: [] });
    expect(stopOrder(running.lines)).toEqual(['API', 'worker', 'the mailbox', 'Temporal', 'PostgreSQL', 'local services']);
  } finally {
    await killAllOf(tree);
  }
}, START_TIMEOUT_MS + 60_000);

test('SIGINT to the whole group (Ctrl-C) stops everything in order; no port, no process is left', async () => {
  const running = await startNpm();
  const tree = await descendants(running.npm.pid as number);
  try {
    process.kill(-(running.npm.pid as number), 'SIGINT');
    expect(await leftAfterStop(tree)).toEqual({ processes: [], ports: [] });
    expect(stopOrder(running.lines)).toEqual(['API', 'worker', 'the mailbox', 'Temporal', 'PostgreSQL', 'local services']);
  } finally {
    await killAllOf(tree);
  }
}, START_TIMEOUT_MS + 60_000);

test('when the orchestrator is killed outright, its local services stop by themselves', async () => {
  const running = await startNpm();
  const tree = await descendants(running.npm.pid as number);
  try {
    const commands = await Promise.all(tree.map(async (pid) => ({ pid, command: await commandOf(pid) })));
    // npm runs `sh -c "node --import tsx scripts/start.ts"`: the orchestrator is the node process.
    const orchestrator = commands.find(({ command }) => command.startsWith('node ') && command.includes('scripts/start.ts'));
    expect(orchestrator).toBeDefined();
    process.kill(orchestrator?.pid as number, 'SIGKILL');
    expect(await leftAfterStop(tree)).toEqual({ processes: [], ports: [] });
    expect(stopOrder(running.lines)).toEqual(['the mailbox', 'Temporal', 'PostgreSQL']);
  } finally {
    await killAllOf(tree);
  }
}, START_TIMEOUT_MS + 60_000);
