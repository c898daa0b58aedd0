import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/** Custom Keyword search attributes the workflows set (ids only: no customer data). */
export const PACER_SEARCH_ATTRIBUTES = ['PacerIdentityId', 'PacerWorkspaceId'] as const;

const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the search attributes in the namespace, so a fresh dev server, a self-hosted cluster
 * and the time-skipping test server need no manual step (Temporal Cloud registers them through its
 * own API). One at a time, because the test server refuses a whole batch if one already exists and
 * does not implement ListSearchAttributes.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  for (const name of PACER_SEARCH_ATTRIBUTES) {
    try {
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: { [name]: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD },
      });
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
    }
  }
}
