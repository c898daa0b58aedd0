/**
 * What automation services POST to Pacer, parsed into typed events (the API routes act on them):
 * - the hosted sign-in notification (`notify_url`), Unipile's shape, which the HTTP contract reuses:
 *   `{status: "CREATION_SUCCESS" | "RECONNECTED", account_id, name}` (https://developer.unipile.com/docs/hosted-auth);
 * - Unipile's webhooks: `new_relation` from the "users" source
 *   (https://developer.unipile.com/docs/detecting-accepted-invitations) and `AccountStatus` from the
 *   "account_status" source (https://developer.unipile.com/docs/account-lifecycle). Other events
 *   (messaging…) are recognised and ignored.
 */
import { z } from 'zod';
import type { ObservedConnection } from '../../domain/linkedin-connection';
import { profileUrlOfPublicIdentifier, tryNormaliseProfileUrl } from './gateway';
import { unipileConnection } from './unipile';

const nonEmpty = z.string().trim().min(1).max(500);

export const hostedAuthNotificationSchema = z.looseObject({
  status: z.enum(['CREATION_SUCCESS', 'RECONNECTED']),
  account_id: nonEmpty,
  name: nonEmpty,
});

export type HostedAuthNotification = z.infer<typeof hostedAuthNotificationSchema>;

const newRelationSchema = z
  .looseObject({
    event: z.literal('new_relation'),
    account_id: nonEmpty,
    account_type: z.string().optional(),
    webhook_name: z.string().optional(),
    user_full_name: z.string().optional(),
    user_provider_id: nonEmpty,
    user_public_identifier: z.string().nullable().optional(),
    user_profile_url: z.string().nullable().optional(),
  })
  .transform((event, context) => {
    const profileUrl = profileUrlOfPublicIdentifier(event.user_public_identifier) ?? tryNormaliseProfileUrl(event.user_profile_url);
    if (profileUrl === null) {
      context.addIssue({ code: 'custom', path: ['user_public_identifier'], message: 'neither user_public_identifier nor user_profile_url is a LinkedIn profile' });
      return z.NEVER;
    }
    return { kind: 'new-relation' as const, accountId: event.account_id, providerId: event.user_provider_id, profileUrl };
  });

const accountStatusSchema = z
  .looseObject({
    AccountStatus: z.looseObject({ account_id: nonEmpty, account_type: z.string().optional(), message: nonEmpty }),
  })
  .transform(({ AccountStatus: status }) => ({
    kind: 'account-status' as const,
    accountId: status.account_id,
    /** Unipile's word (OK, CREDENTIALS, …). */
    providerStatus: status.message,
    /** Null for CONNECTING: a passing state that says nothing yet; the next status decides. */
    connection: status.message === 'CONNECTING' ? null : (unipileConnection(status.message) satisfies ObservedConnection),
  }));

const otherEventSchema = z.looseObject({ event: nonEmpty }).transform((event) => ({ kind: 'ignored' as const, event: event.event }));

export const unipileWebhookSchema = z.union([
  newRelationSchema,
  accountStatusSchema,
  // Any other event of a registered source (messaging, email…): recognised, not acted on.
  otherEventSchema.refine((event) => event.event !== 'new_relation', { message: 'a new_relation event needs account_id, user_provider_id and a profile' }),
]);

export type UnipileWebhookEvent = z.infer<typeof unipileWebhookSchema>;
