import type { Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * Custom search attributes the workflows set (ids and flags only: no customer data):
 * `PacerIdentityId` and `PacerWorkspaceId` to find an identity's runs, `PacerAttention` to find the
 * identities that need a person (`PacerAttention IS NOT NULL`; workflows/identity-contract.ts).
 */
export const PACER_SEARCH_ATTRIBUTES = {
  PacerIdentityId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  PacerWorkspaceId: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  PacerAttention: temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
} as const;

const GRPC_ALREADY_EXISTS = 6;

/**
 * Registers the search attributes in the namespace, so a fresh dev server, a self-hosted cluster
 * and the time-skipping test server need no manual step (Temporal Cloud registers them through its
 * own API). One at a time, because the test server refuses a whole batch if one already exists and
 * does not implement ListSearchAttributes.
 */
export async function ensureSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  for (const [name, type] of Object.entries(PACER_SEARCH_ATTRIBUTES)) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { [name]: type } });
    } catch (error) {
      if ((error as { code?: number }).code !== GRPC_ALREADY_EXISTS) throw error;
    }
  }
}
