const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids are UUIDs; anything else is unknown without asking the database (and answers the same 404). */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}
