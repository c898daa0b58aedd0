import pg from 'pg';

// adapter-pg 6.19 cannot deserialise the catalog types `name` (oid 19) and `"char"` (oid 18) that
// Prisma's migration engine reads (prisma/orm#27403). Both are plain strings, so we report them as
// `text` (oid 25) before the adapter sees them. Remove once Prisma 7's engine is installable here.
const CATALOG_STRING_OIDS = new Set([18, 19]);
const TEXT_OID = 25;

type QueryFn = (...args: unknown[]) => unknown;

function relabelCatalogStrings(result: unknown): unknown {
  const fields = (result as { fields?: { dataTypeID: number }[] } | undefined)?.fields;
  for (const field of fields ?? []) {
    if (CATALOG_STRING_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
  }
  return result;
}

function wrapQuery(target: { query: QueryFn }): void {
  const original = target.query.bind(target);
  target.query = (...args: unknown[]) => {
    const outcome = original(...args);
    return outcome instanceof Promise ? outcome.then(relabelCatalogStrings) : outcome;
  };
}

/** A pg.Pool whose results never carry the catalog types adapter-pg 6.19 rejects. */
export function createMigrationSafePool(connectionString: string): pg.Pool {
  // The Prisma CLI never closes the pool; let the process exit as soon as it is idle.
  const pool = new pg.Pool({ connectionString, allowExitOnIdle: true });
  wrapQuery(pool);
  // Wrap every client the pool creates, whichever connect() form (promise or callback) is used.
  pool.on('connect', (client) => wrapQuery(client as unknown as { query: QueryFn }));
  return pool;
}
