/**
 * What operators and their tools call: /readyz for load balancers and orchestrators, /metrics for
 * Prometheus, and the middleware that times every request by its route pattern.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { Router, type Request, type RequestHandler } from 'express';
import type { Database } from '../db/client';
import { ServiceUnavailableError, UnauthorizedError } from '../lib/errors';
import type { Logger } from '../lib/logger';
import { metricsRegistry, metricsRequestAllowed, recordHttpRequest } from '../lib/metrics';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'prisma', 'migrations');
/** Each probe answers within this, so a hung dependency reads as down instead of hanging the probe. */
const CHECK_TIMEOUT_MS = 3_000;

export type ReadinessComponent = 'postgres' | 'temporal' | 'migrations';
export type ComponentState = 'up' | 'down' | 'unknown';
export interface Readiness {
  ready: boolean;
  checks: Record<ReadinessComponent, ComponentState>;
}

const COMPONENT_NAMES: Record<ReadinessComponent, string> = { postgres: 'PostgreSQL', temporal: 'Temporal', migrations: 'database migrations' };

function withTimeout<T>(work: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** The migrations this code expects: every folder of prisma/migrations holding a migration.sql. */
function expectedMigrations(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}

/**
 * PostgreSQL answers, Temporal answers for our namespace, and every migration of this build is
 * applied. Concurrent probes share one round of checks. Reasons go to the log only: /readyz is
 * public, so the answer names the components, never hosts or driver messages.
 */
export function readinessCheck(db: Database, client: Client, logger: Logger, migrationsDir = MIGRATIONS_DIR): () => Promise<Readiness> {
  const expected = expectedMigrations(migrationsDir);
  let inFlight: Promise<Readiness> | undefined;

  const checkTemporal = async (): Promise<ComponentState> => {
    try {
      await client.connection.withDeadline(Date.now() + CHECK_TIMEOUT_MS, () =>
        client.workflowService.describeNamespace({ namespace: client.options.namespace }),
      );
      return 'up';
    } catch (error) {
      logger.warn({ err: error }, 'readiness: Temporal does not answer');
      return 'down';
    }
  };

  const checkDatabase = async (): Promise<Pick<Readiness['checks'], 'postgres' | 'migrations'>> => {
    let applied: string[] | undefined;
    try {
      const [table] = await withTimeout(db.$queryRaw<{ name: string | null }[]>`SELECT to_regclass('_prisma_migrations')::text AS name`, 'PostgreSQL');
      if (table?.name) {
        const rows = await withTimeout(
          db.$queryRaw<{ migration_name: string }[]>`SELECT migration_name FROM _prisma_migrations WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL`,
          'PostgreSQL',
        );
        applied = rows.map((row) => row.migration_name);
      } else {
        applied = [];
      }
    } catch (error) {
      logger.warn({ err: error }, 'readiness: PostgreSQL does not answer');
      return { postgres: 'down', migrations: 'unknown' };
    }
    const pending = expected.filter((name) => !applied.includes(name));
    if (pending.length > 0) logger.warn({ pending }, 'readiness: migrations not applied (run npm run migrate)');
    return { postgres: 'up', migrations: pending.length === 0 ? 'up' : 'down' };
  };

  const check = async (): Promise<Readiness> => {
    const [temporal, database] = await Promise.all([checkTemporal(), checkDatabase()]);
    const checks = { ...database, temporal };
    return { ready: Object.values(checks).every((state) => state === 'up'), checks };
  };

  return () => {
    inFlight ??= check().finally(() => (inFlight = undefined));
    return inFlight;
  };
}

/** The route pattern that answered (`/identities/:id`); requests no route answered are `(unmatched)`. */
function routeOf(request: Request): string {
  const pattern: unknown = (request.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== 'string') return '(unmatched)';
  return `${request.baseUrl}${pattern}`;
}

/** Times every request and records it by method, route pattern and status once the answer is sent. */
export const httpMetrics: RequestHandler = (request, response, next) => {
  const started = process.hrtime.bigint();
  response.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    recordHttpRequest({ method: request.method, route: routeOf(request), status: response.statusCode, seconds });
  });
  next();
};

export function operationsRoutes(options: { readiness: () => Promise<Readiness>; metricsToken: string | undefined }): Router {
  const router = Router();
  router.get('/readyz', async (_request, response) => {
    const readiness = await options.readiness();
    if (readiness.ready) {
      response.json({ status: 'ready', checks: readiness.checks });
      return;
    }
    const down = (Object.keys(readiness.checks) as ReadinessComponent[]).filter((component) => readiness.checks[component] !== 'up');
    const detail = `Not ready: ${down.map((component) => `${COMPONENT_NAMES[component]} ${readiness.checks[component]}`).join(', ')}`;
    throw new ServiceUnavailableError(detail, { checks: readiness.checks });
  });
  router.get('/metrics', async (request, response) => {
    if (!metricsRequestAllowed(request.headers.authorization, options.metricsToken)) {
      throw new UnauthorizedError('Send Authorization: Bearer <METRICS_TOKEN> to read /metrics');
    }
    response.type(metricsRegistry.contentType).send(await metricsRegistry.metrics());
  });
  return router;
}
