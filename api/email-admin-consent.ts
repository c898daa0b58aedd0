/**
 * Where Entra sends an administrator back after the admin consent page (the `adminConsentUrl` of an
 * `admin-approval-required` answer, https://learn.microsoft.com/entra/identity-platform/v2-admin-consent):
 * `?admin_consent=True&tenant=…&scope=…` once granted, or `?error=…&error_description=…`. No API key
 * and no state: the answer only says what happened, it changes nothing; the user connects again.
 * Register `<PUBLIC_BASE_URL>/oauth/microsoft/admin-consent` as a redirect URI of the Entra app.
 */
import { Router } from 'express';
import { z } from 'zod';
import { classifyOAuthError } from '../domain/oauth-errors';
import { InboxConnectionError } from '../lib/errors';
import { parseInput } from './problem';

export const ADMIN_CONSENT_PATH = '/oauth/microsoft/admin-consent';

const adminConsentQuery = z.object({
  admin_consent: z.string().max(10).optional(),
  tenant: z.string().max(200).optional(),
  scope: z.string().max(2000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

export function adminConsentRoutes(): Router {
  const router = Router();
  router.get(ADMIN_CONSENT_PATH, (request, response) => {
    const query = parseInput(adminConsentQuery, request.query);
    if (query.admin_consent?.toLowerCase() === 'true' && !query.error) {
      response.json({
        adminConsent: 'granted',
        tenant: query.tenant ?? null,
        next: 'Consent is granted for the whole organisation. Each user can now connect their Microsoft 365 inbox (it can take a few minutes to apply).',
      });
      return;
    }
    const failure = classifyOAuthError({ error: query.error ?? 'admin_consent_not_granted', ...(query.error_description ? { description: query.error_description } : {}) });
    throw new InboxConnectionError({ ...failure, side: 'admin-consent' }, `Entra answered ${/AADSTS\d+/.exec(query.error_description ?? '')?.[0] ?? query.error ?? 'without granting consent'}`);
  });
  return router;
}
