import { z } from 'zod';
import type { CampaignStep } from '../domain/steps';

const delayMinutes = z
  .number()
  .int()
  .min(0)
  .max(365 * 24 * 60, 'must be at most a year');

/** Step kinds as the API names them (domain/steps: each spends one action kind's budget). */
export const campaignStepSchema = z.discriminatedUnion('kind', [
  // LinkedIn caps invitation notes at 300 characters.
  z.strictObject({ kind: z.literal('linkedin-connection-request'), delayMinutes, note: z.string().max(300).optional() }),
  z.strictObject({ kind: z.literal('linkedin-message'), delayMinutes, text: z.string().trim().min(1).max(8000) }),
  z.strictObject({ kind: z.literal('linkedin-profile-scrape'), delayMinutes }),
  z.strictObject({ kind: z.literal('linkedin-like'), delayMinutes }),
  z.strictObject({ kind: z.literal('email'), delayMinutes, subject: z.string().trim().min(1).max(998), body: z.string().min(1).max(100_000) }),
]) satisfies z.ZodType<CampaignStep>;

export const createCampaignSchema = z.strictObject({
  identityId: z.uuid(),
  name: z.string().trim().min(1).max(200),
  /** "SHUFFLE" spreads leads over the identity's inboxes; otherwise one inbox id. */
  emailInbox: z.union([z.literal('SHUFFLE'), z.uuid()]).default('SHUFFLE'),
  steps: z.array(campaignStepSchema).min(1).max(20),
});

export const leadRowSchema = z.strictObject({
  firstName: z.string().trim().max(100).optional(),
  lastName: z.string().trim().max(100).optional(),
  company: z.string().trim().max(200).optional(),
  linkedinUrl: z.string().max(2048).optional(),
  email: z.email().max(320).optional(),
  /** Extra template variables: {{name}} in notes, messages and emails. */
  variables: z.record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]{0,39}$/), z.string().max(1000)).optional(),
});

export const MAX_LEADS_PER_REQUEST = 1000;

/** Rows are validated one by one (bad rows are reported, good rows kept), so only the envelope is strict here. */
export const addLeadsSchema = z.strictObject({
  leads: z.array(z.unknown()).min(1).max(MAX_LEADS_PER_REQUEST),
});
