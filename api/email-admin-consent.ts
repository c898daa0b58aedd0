/**
 * Where Entra sends an administrator back after the admin consent page (the `adminConsentUrl` of an
 * `admin-approval-required` answer, https://learn.microsoft.com/entra/identity-platform/v2-admin-consent):
 * `?admin_consent=True&tenant=…&scope=…` once granted, or `?error=…&error_description=…`. A person's
 * browser lands here, so the answer is a page (as every OAuth ending, docs/share-links.md): granted,
 * or the refusal with its guidance. No API key and no state: it changes nothing; users connect again.
 * Register `<PUBLIC_BASE_URL>/oauth/microsoft/admin-consent` as a redirect URI of the Entra app.
 */
import { Router } from 'express';
import { z } from 'zod';
import { classifyOAuthError, describeOAuthFailure } from '../domain/oauth-errors';
import { sendPage } from './pages';

export const ADMIN_CONSENT_PATH = '/oauth/microsoft/admin-consent';

/** What Entra adds to the redirect (granted, or the error). */
export const adminConsentQuery = z.object({
  admin_consent: z.string().max(10).optional(),
  tenant: z.string().max(200).optional(),
  scope: z.string().max(2000).optional(),
  error: z.string().max(200).optional(),
  error_description: z.string().max(2000).optional(),
});

export function adminConsentRoutes(): Router {
  const router = Router();
  router.get(ADMIN_CONSENT_PATH, (request, response) => {
    response.setHeader('Cache-Control', 'no-store');
    const query = adminConsentQuery.safeParse(request.query);
    if (!query.success) {
      sendPage(response, 400, 'message', { title: 'This address is not one Microsoft sends', paragraphs: ['Nothing was changed. Open the admin consent link again from the start.'] });
      return;
    }
    if (query.data.admin_consent?.toLowerCase() === 'true' && !query.data.error) {
      sendPage(response, 200, 'message', {
        title: 'Admin consent granted',
        paragraphs: [
          `Consent is granted for the whole organisation${query.data.tenant ? ` (tenant ${query.data.tenant})` : ''}.`,
          'Each user can now connect their Microsoft 365 inbox again (it can take a few minutes to apply). You can close this page.',
        ],
      });
      return;
    }
    const { code } = classifyOAuthError({ error: query.data.error ?? 'admin_consent_not_granted', ...(query.data.error_description ? { description: query.data.error_description } : {}) });
    const { title, guidance } = describeOAuthFailure(code);
    sendPage(response, 422, 'message', { title, paragraphs: ['Consent was not granted; nothing was changed.', guidance] });
  });
  return router;
}
