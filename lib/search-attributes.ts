import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Custom Keyword search attributes the workflows set (ids only: no customer data). */
export const PACER_SEARCH_ATTRIBUTES = ['PacerIdentityId', 'PacerWorkspaceId'] as const;

/**
 * Registers the search attributes in the namespace when missing, so a fresh dev server or a
 * self-hosted cluster needs no manual step. (Temporal Cloud registers them through its own API.)
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const existing = await connection.operatorService.listSearchAttributes({ namespace });
  const missing = PACER_SEARCH_ATTRIBUTES.filter((name) => !(name in existing.customAttributes));
  if (missing.length === 0) return;
  await connection.operatorService.addSearchAttributes({
    namespace,
    searchAttributes: Object.fromEntries(
      missing.map((name) => [name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
    ),
  });
}
