/**
 * The process's one Prometheus registry and the product metrics Pacer exports (docs/operations.md
 * lists them with the alerts built on them). Recording goes through the small typed functions
 * below, so label values stay a closed set: no identity, lead or address ever becomes a label
 * (an inbox is named by its id, the one per-object label, because sends are watched per inbox).
 *
 * The API serves this registry at /metrics; a standalone worker serves it on WORKER_METRICS_PORT
 * (serveMetrics); under `npm start` the API and the worker share one process, so the API's
 * /metrics carries the worker's product metrics too.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ActionKind } from '../domain/pacing';

export const metricsRegistry = new Registry();
collectDefaultMetrics({ register: metricsRegistry, prefix: 'pacer_' });

/** What an identity performs: the paced kinds plus invitation withdrawals (which spend no budget). */
export type PerformedKind = ActionKind | 'withdrawal';
export type ActionResult = 'succeeded' | 'skipped' | 'failed-permanent' | 'failed-transient';
/**
 * Why a due action waits instead of going out now: `budget-spent` at a plan that finds a step due
 * with the kind's budget spent; `inbox-rate`, `inbox-warming-up`, `inbox-needs-reconnect` and
 * `reinvite-blocked` when a step activity puts leads off; `window-deadline` when the window closed
 * before the action could start. (Outside working hours nothing is due to put off: the workflow sleeps.)
 */
export type DeferralReason = 'budget-spent' | 'inbox-rate' | 'reinvite-blocked' | 'inbox-needs-reconnect' | 'inbox-warming-up' | 'window-deadline';
export type EmailSendResult = 'sent' | 'sent-unconfirmed' | 'failed-permanent' | 'failed-transient';
export type ReplySyncResult = 'succeeded' | 'failed';

const PERFORMED_KINDS: readonly PerformedKind[] = ['connectionRequest', 'message', 'scrape', 'like', 'email', 'withdrawal'];
const ACTION_RESULTS: readonly ActionResult[] = ['succeeded', 'skipped', 'failed-permanent', 'failed-transient'];
const BUDGET_KINDS: readonly ActionKind[] = ['connectionRequest', 'message', 'scrape', 'like', 'email'];

const httpRequestDuration = new Histogram({
  name: 'pacer_http_request_duration_seconds',
  help: 'API requests by method, route pattern and status, with their latency',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [metricsRegistry],
});

const actionsPerformed = new Counter({
  name: 'pacer_actions_performed_total',
  help: 'Actions identities performed (or tried), by kind and result',
  labelNames: ['kind', 'result'] as const,
  registers: [metricsRegistry],
});

const actionsDeferred = new Counter({
  name: 'pacer_actions_deferred_total',
  help: 'Due actions that were put off, by kind and reason',
  labelNames: ['kind', 'reason'] as const,
  registers: [metricsRegistry],
});

const emailsSent = new Counter({
  name: 'pacer_emails_sent_total',
  help: 'Email sends by inbox id and result',
  labelNames: ['inbox', 'result'] as const,
  registers: [metricsRegistry],
});

const replySyncRuns = new Counter({
  name: 'pacer_reply_sync_runs_total',
  help: 'Reply-sync runs (reading an inbox for replies and bounces) by result',
  labelNames: ['result'] as const,
  registers: [metricsRegistry],
});

// Every kind/result pair exists from the start at 0, so rate() and absence alerts work before the first event.
for (const kind of PERFORMED_KINDS) for (const result of ACTION_RESULTS) actionsPerformed.inc({ kind, result }, 0);
for (const result of ['succeeded', 'failed'] as const) replySyncRuns.inc({ result }, 0);

export interface BudgetReport {
  kind: ActionKind;
  used: number;
  left: number;
  /** Epoch ms when the budget resets (the end of the identity's local day): the report is dropped then. */
  validUntil: number;
}

/** The latest budget each identity reported, per kind; summed at scrape time, so no identity becomes a label. */
const budgets = new Map<string, BudgetReport>();

function sumBudgets(field: 'used' | 'left', gauge: Gauge<'kind'>): void {
  const now = Date.now();
  const sums = new Map<ActionKind, number>(BUDGET_KINDS.map((kind) => [kind, 0]));
  for (const [key, report] of budgets) {
    if (report.validUntil <= now) budgets.delete(key);
    else sums.set(report.kind, (sums.get(report.kind) ?? 0) + report[field]);
  }
  for (const [kind, value] of sums) gauge.set({ kind }, value);
}

new Gauge({
  name: 'pacer_budget_used',
  help: "Today's budget used, summed over the identities this process planned for, by kind",
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
  collect() {
    sumBudgets('used', this);
  },
});

new Gauge({
  name: 'pacer_budget_left',
  help: "Today's budget left, summed over the identities this process planned for, by kind",
  labelNames: ['kind'] as const,
  registers: [metricsRegistry],
  collect() {
    sumBudgets('left', this);
  },
});

/** `route` is the route pattern (`/identities/:id`), never the raw path with its ids or tokens. */
export function recordHttpRequest(request: { method: string; route: string; status: number; seconds: number }): void {
  httpRequestDuration.observe({ method: request.method, route: request.route, status: String(request.status) }, request.seconds);
}

export function recordActionPerformed(kind: PerformedKind, result: ActionResult): void {
  actionsPerformed.inc({ kind, result });
}

export function recordActionDeferred(kind: PerformedKind, reason: DeferralReason): void {
  actionsDeferred.inc({ kind, reason });
}

export function recordEmailSent(inboxId: string, result: EmailSendResult): void {
  emailsSent.inc({ inbox: inboxId, result });
}

export function recordReplySync(result: ReplySyncResult): void {
  replySyncRuns.inc({ result });
}

/** An identity's budget for one kind as last planned; replaces its previous report. */
export function recordBudget(identityId: string, report: BudgetReport): void {
  budgets.set(`${identityId}/${report.kind}`, report);
}

/** METRICS_TOKEN, when set, must come as `Authorization: Bearer <token>`. */
export function metricsRequestAllowed(authorization: string | undefined, token: string | undefined): boolean {
  if (token === undefined) return true;
  const expected = Buffer.from(`Bearer ${token}`);
  const given = Buffer.from(authorization ?? '');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** A worker's /metrics on its own port (the API serves the same registry on its own port). */
export async function serveMetrics(options: { host: string; port: number; token: string | undefined }): Promise<MetricsServer> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here\n');
      return;
    }
    if (!metricsRequestAllowed(request.headers.authorization, options.token)) {
      response.writeHead(401, { 'content-type': 'text/plain', 'www-authenticate': 'Bearer' }).end('Send Authorization: Bearer <METRICS_TOKEN>\n');
      return;
    }
    metricsRegistry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new Error(
          `Cannot serve worker metrics on ${options.host}:${options.port} (${error.code ?? error.message}): give each worker on one host its own WORKER_METRICS_PORT, or 0 to turn it off`,
        ),
      ),
    );
    server.listen(options.port, options.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host}:${port}/metrics`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
