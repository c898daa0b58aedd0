/**
 * Small helpers shared by the benchmark groups: reading knobs from the environment, printing
 * figures, percentiles, running N concurrent lanes for a while, and stopping what was started.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { randomUUID } from 'node:crypto';
import type { Database } from '../db/client';
import { DEFAULT_LINKEDIN_LIMITS } from '../domain/linkedin-limits';
import type { WorkingHours } from '../domain/working-hours';
import type { IdentityConfig } from '../workflows/identity-contract';

export { delay };

/** A non-negative integer knob, e.g. BENCH_DAYS=14. The bench reads its own env (not the app's lib/config). */
export function intFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return value;
}

/** One figure per line on stdout, `name: value unit (target …)`; progress and diagnostics go to stderr. */
export function printFigure(name: string, value: number, unit: string, target?: string): void {
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(Math.abs(value) >= 100 ? 1 : 2);
  process.stdout.write(`${name}: ${shown} ${unit}${target ? ` (target ${target})` : ''}\n`);
}

export function note(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

export function machineLine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.trim() ?? 'unknown CPU';
  const gib = os.totalmem() / 2 ** 30;
  return `machine: ${model} × ${os.availableParallelism()}, ${gib.toFixed(1)} GiB, node ${process.version}`;
}

/** Rejects when `promise` has not settled within `ms`, so a stuck step fails the run instead of hanging it. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Nearest-rank percentile of a non-empty sample. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new Error('percentile of an empty sample');
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Runs `concurrency` lanes, each calling `operation` back to back until `seconds` have passed, and
 * returns completed operations per second. Any failure stops the measurement: a figure built on
 * failed calls would be meaningless.
 */
export async function throughputPerSecond(
  concurrency: number,
  seconds: number,
  operation: (lane: number, iteration: number) => Promise<void>,
  /** Other processes doing the work (the API), whose CPU the note reports too. */
  otherProcesses: { name: string; pid: number | undefined }[] = [],
): Promise<number> {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const othersBefore = otherProcesses.map(({ pid }) => processCpuMs(pid));
  const hostBefore = hostCpuTicks();
  const deadline = started + seconds * 1000;
  let completed = 0;
  const lane = async (index: number) => {
    for (let iteration = 0; performance.now() < deadline; iteration += 1) {
      await operation(index, iteration);
      completed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => lane(index)));
  const elapsedMs = performance.now() - started;
  const others = otherProcesses.map(({ name, pid }, index) => {
    const before = othersBefore[index];
    const after = processCpuMs(pid);
    return before === undefined || after === undefined ? '' : `; ${name} CPU ${(((after - before) / elapsedMs) * 100).toFixed(0)} %`;
  });
  // Tells whether a process (the bench's: load, client and worker; the API's) was the bottleneck.
  note(
    `  ${completed} done in ${(elapsedMs / 1000).toFixed(1)} s; bench process CPU ${cpuPercent(process.cpuUsage(cpuBefore), elapsedMs).toFixed(0)} % ` +
      `of one core${others.join('')}; whole host ${hostBusyPercent(hostBefore)} busy`,
  );
  return completed / (elapsedMs / 1000);
}

/** Linux reports process CPU times in clock ticks; USER_HZ is 100 on every mainstream kernel build. */
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time (utime + stime) another process has used so far, in ms, from /proc (undefined where there is none). */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15 overall.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND) * 1000;
  } catch {
    return undefined;
  }
}

/** Aggregate CPU ticks of the host from /proc/stat (undefined where there is none). */
export function hostCpuTicks(): { busy: number; total: number } | undefined {
  try {
    const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/).slice(1).map(Number);
    const total = fields.reduce((sum, value) => sum + value, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

/** Share of all cores busy since `before`, e.g. "97 %": near 100 % means the box, not the code, set the pace. */
export function hostBusyPercent(before: ReturnType<typeof hostCpuTicks>): string {
  const after = hostCpuTicks();
  if (!before || !after || after.total === before.total) return 'unknown';
  return `${(((after.busy - before.busy) / (after.total - before.total)) * 100).toFixed(0)} %`;
}

/** 1-minute load average: other work on the box (tests, builds) skews every figure. */
export function loadAverageLine(when: string): string {
  return `host_load_average_1m_${when}: ${(os.loadavg()[0] ?? 0).toFixed(2)} runnable (on ${os.availableParallelism()} cores)`;
}

/** CPU time (all threads of this process) as a percentage of one core over `wallMs`. */
export function cpuPercent(usage: NodeJS.CpuUsage, wallMs: number): number {
  return ((usage.user + usage.system) / 1000 / wallMs) * 100;
}

/** Calls `task` for each index 0..count-1 with at most `concurrency` in flight. */
export async function forEachConcurrently(
  count: number,
  concurrency: number,
  task: (index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next;
      next += 1;
      await task(index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
}

const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Kathmandu', 'Australia/Lord_Howe'] as const;
const HOURS = [
  { start: '09:00', end: '18:00' },
  { start: '08:30', end: '17:30' },
  { start: '10:00', end: '19:00' },
] as const;

/** Mon–Fri working hours, varied by index over four zones (incl. +05:45 and a 30-min DST) and three sets of hours. */
export function variedWorkingHours(index: number): WorkingHours {
  const zone = ZONES[index % ZONES.length] ?? 'Europe/Paris';
  const hours = HOURS[Math.floor(index / ZONES.length) % HOURS.length] ?? HOURS[0];
  return { timeZone: zone, days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], ...hours };
}

/**
 * The configuration of an identity created over the API with default settings (the database's
 * defaults), for identities the bench starts straight through IdentityWorkflows.
 */
export function defaultIdentityConfig(workingHours: WorkingHours, version = 1): IdentityConfig {
  return {
    version,
    workingHours,
    linkedinLimits: DEFAULT_LINKEDIN_LIMITS,
    likingsOptOut: false,
    autoWithdraw: { enabled: false, afterDays: 14 },
  };
}

/**
 * `count` identities recorded in a workspace of their own, as the API would leave them (a workflow
 * reads its identity's record at every pass and ends when there is none). Rows go in batches.
 */
export async function recordIdleIdentities(db: Database, count: number, hoursOf: (index: number) => WorkingHours): Promise<{ workspaceId: string; ids: string[] }> {
  const workspace = await db.workspace.create({ data: { slug: `bench-${randomUUID()}`, name: 'bench' } });
  const ids = Array.from({ length: count }, () => randomUUID());
  for (let start = 0; start < count; start += 1000) {
    await db.identity.createMany({
      data: ids.slice(start, start + 1000).map((id, offset) => {
        const hours = hoursOf(start + offset);
        return { id, workspaceId: workspace.id, firstName: 'Idle', lastName: 'Bench', timeZone: hours.timeZone, workingDays: hours.days, workingStart: hours.start, workingEnd: hours.end, autoWithdrawEnabled: false };
      }),
    });
  }
  return { workspaceId: workspace.id, ids };
}

/**
 * Everything the bench starts registers how to stop it here. `stopAll` stops in reverse order. It
 * may be called twice at once (from `finally` and from a SIGINT handler): calls queue behind each
 * other, so a connection is never closed while the worker using it is still shutting down.
 */
export class Stoppers {
  private readonly stack: { what: string; stop: () => Promise<void> }[] = [];
  private stopping: Promise<void> = Promise.resolve();

  add(what: string, stop: () => Promise<void>): void {
    this.stack.push({ what, stop });
  }

  /** A group that can be stopped early (e.g. one phase's servers), and is stopped with this one otherwise. */
  group(what: string): Stoppers {
    const group = new Stoppers();
    this.add(what, () => group.stopAll());
    return group;
  }

  stopAll(): Promise<void> {
    this.stopping = this.stopping.catch(() => undefined).then(() => this.stopInOrder());
    return this.stopping;
  }

  private async stopInOrder(): Promise<void> {
    const errors: unknown[] = [];
    for (let entry = this.stack.pop(); entry; entry = this.stack.pop()) {
      try {
        await entry.stop();
      } catch (error) {
        note(`stopping ${entry.what} failed: ${(error as Error).message}`);
        errors.push(error);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, 'some services did not stop cleanly');
  }
}
