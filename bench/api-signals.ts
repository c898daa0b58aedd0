/**
 * Figure group 2, on the real stack: how fast a working-hours change reaches the workflow's
 * status through the API, and how much signal throughput the API keeps compared with signalling
 * the workflows straight from a Temporal client.
 */
import { identityConfigOf } from '../domain/identity-config';
import type { WorkingHours } from '../domain/working-hours';
import { identityConfigChanged, identityWorkflowId, type IdentityConfig } from '../workflows/identity-contract';
import type { RealStack } from './services';
import { forEachConcurrently, hostBusyPercent, hostCpuTicks, intFromEnv, note, percentile, printFigure, throughputPerSecond, variedWorkingHours } from './support';

interface IdentityBody {
  id: string;
  version: number;
  status?: { configVersion: number } | null;
}

export async function measureApiSignals(stack: RealStack): Promise<void> {
  const identityCount = intFromEnv('BENCH_API_IDENTITIES', 20);
  const changes = intFromEnv('BENCH_API_CHANGES', 300);
  const concurrency = intFromEnv('BENCH_CONCURRENCY', 8);
  const seconds = intFromEnv('BENCH_SECONDS', 10);
  if (identityCount === 0 || concurrency === 0) throw new Error('BENCH_API_IDENTITIES and BENCH_CONCURRENCY must be > 0');
  const api = new ApiCaller(stack);

  note(`api: creating ${identityCount} identities over HTTP`);
  const ids: string[] = [];
  await forEachConcurrently(identityCount, 4, async (index) => {
    const created = await api.send('POST', '/identities', {
      firstName: 'Bench',
      lastName: `Identity ${index}`,
      workingHours: variedWorkingHours(index),
    });
    ids.push(created.id);
  });

  // A fresh API process first compiles its hot paths (V8, Prisma's query engine): unmeasured changes
  // first, so the figures are the steady state a running deployment shows.
  const warmup = intFromEnv('BENCH_API_WARMUP', 100);
  note(`api: ${warmup} unmeasured changes to warm the API process up`);
  for (let change = 0; change < warmup; change += 1) await changeVisibleInStatus(api, ids[change % ids.length] as string, changedHours(change));

  note(`api: ${changes} sequential working-hours changes, each read back through GET until visible`);
  const hostBefore = hostCpuTicks();
  const latencies: number[] = [];
  const putOnly: number[] = [];
  let reads = 0;
  for (let change = 0; change < changes; change += 1) {
    const id = ids[change % ids.length] as string;
    const measured = await changeVisibleInStatus(api, id, changedHours(change));
    latencies.push(measured.totalMs);
    putOnly.push(measured.putMs);
    reads += measured.reads;
  }
  if (latencies.length > 0) {
    printFigure('config_change_visible_in_status_p50_ms', percentile(latencies, 50), 'ms');
    printFigure('config_change_visible_in_status_p99_ms', percentile(latencies, 99), 'ms', 'p99 < 50 ms on loopback');
    note(
      `api: of that, the PUT alone: p50 ${percentile(putOnly, 50).toFixed(1)} ms, p99 ${percentile(putOnly, 99).toFixed(1)} ms; ` +
        `${(reads / latencies.length).toFixed(2)} GETs per change; whole host ${hostBusyPercent(hostBefore)} busy`,
    );
  }

  // Lanes own disjoint identities (lane i takes ids i, i+C, …), so two PUTs never wait on the same
  // row lock; with more lanes than identities, lanes share them.
  const laneIds = Array.from({ length: concurrency }, (_, lane) => {
    const own = ids.filter((_, index) => index % concurrency === lane);
    return own.length > 0 ? own : [ids[lane % ids.length] as string];
  });
  const identityFor = (lane: number, iteration: number): string => {
    const own = laneIds[lane] ?? ids;
    return own[iteration % own.length] as string;
  };

  note(`api: PUT working-hours throughput, ${concurrency} concurrent for ${seconds} s`);
  const apiPerSecond = await throughputPerSecond(concurrency, seconds, async (lane, iteration) => {
    await api.send('PUT', `/identities/${identityFor(lane, iteration)}/working-hours`, changedHours(iteration));
  }, [{ name: 'API process', pid: stack.apiProcess.pid }]);

  // Versions far above the API's keep every raw signal "newer", so the workflow applies each one
  // like an API change (an older version would be dropped and cost less). Runs after the API
  // measurements because afterwards the workflows ignore the API's lower versions.
  note(`api: raw client signal throughput, ${concurrency} concurrent for ${seconds} s`);
  // The full config the API would send (the stored record, mapped as the API maps it), with new hours.
  const storedConfigs = new Map<string, IdentityConfig>(
    (await stack.db.identity.findMany({ where: { id: { in: ids } } })).map((row) => [row.id, identityConfigOf(row)]),
  );
  let rawVersion = 1_000_000;
  const rawPerSecond = await throughputPerSecond(concurrency, seconds, async (lane, iteration) => {
    const id = identityFor(lane, iteration);
    const stored = storedConfigs.get(id);
    if (!stored) throw new Error(`identity ${id} is not in the database`);
    rawVersion += 1;
    await stack.client.workflow
      .getHandle(identityWorkflowId(id))
      .signal(identityConfigChanged, { ...stored, workingHours: changedHours(iteration), version: rawVersion });
  });

  printFigure('api_signal_throughput_per_s', apiPerSecond, 'req/s');
  printFigure('raw_client_signal_throughput_per_s', rawPerSecond, 'signals/s');
  printFigure('api_vs_raw_signal_ratio_percent', (apiPerSecond / rawPerSecond) * 100, '%', '≥ 80');
}

/** PUT sent → the first GET whose live status carries the version the PUT answered with. */
async function changeVisibleInStatus(api: ApiCaller, id: string, hours: WorkingHours) {
  const sent = performance.now();
  const { version } = await api.send('PUT', `/identities/${id}/working-hours`, hours);
  const putMs = performance.now() - sent;
  for (let reads = 1; ; reads += 1) {
    const current = await api.send('GET', `/identities/${id}`);
    if (current.status?.configVersion === version) return { totalMs: performance.now() - sent, putMs, reads };
    if (reads === 1000) throw new Error(`identity ${id}: version ${version} not visible after 1000 reads`);
  }
}

/** A different body each time (start time cycles), so every PUT is a real change. */
function changedHours(n: number): WorkingHours {
  const starts = ['08:00', '08:30', '09:00', '09:30'] as const;
  return { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: starts[n % starts.length] ?? '09:00', end: '18:00' };
}

/** The API over Node's global fetch (keep-alive), with the workspace's key; any non-2xx answer is an error. */
class ApiCaller {
  constructor(private readonly stack: RealStack) {}

  async send(method: 'GET' | 'POST' | 'PUT', route: string, body?: unknown): Promise<IdentityBody> {
    const response = await fetch(`${this.stack.baseUrl}${route}`, {
      method,
      headers: {
        authorization: `Bearer ${this.stack.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${route} answered ${response.status}: ${text}`);
    return JSON.parse(text) as IdentityBody;
  }
}
