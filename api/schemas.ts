import { z } from 'zod';
import { SIGNATURE_MAX_LENGTH } from '../domain/signature';
import { WEEKDAYS, canonicalTimeZone, isValidTimeZone, parseClockTime, workingHoursProblems } from '../domain/working-hours';

const clockTime = z.string().refine((value) => parseClockTime(value) !== null, 'must be a time "HH:mm" (00:00 to 24:00)');

// Field checks run independently so one response names every offending field; the rules across
// fields (end after start) run once the fields themselves are valid.
export const workingHoursSchema = z
  .strictObject({
    timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. "Europe/Paris"').transform((zone) => canonicalTimeZone(zone) ?? zone),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1, 'must name at least one day')
      .refine((days) => new Set(days).size === days.length, 'must not repeat a day'),
    start: clockTime,
    end: clockTime,
  })
  .superRefine((hours, context) => {
    for (const problem of workingHoursProblems(hours)) {
      context.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
    }
  });

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).max(2048);

const contactDetailsShape = {
  firstName: z.string().trim().min(1).max(100),
  lastName: z.string().trim().min(1).max(100),
  profilePictureUrl: httpUrl.nullable().optional(),
  jobTitle: z.string().trim().max(200).nullable().optional(),
  linkedinUrl: httpUrl.nullable().optional(),
  email: z.email().max(320).nullable().optional(),
  scheduleMeetingUrl: httpUrl.nullable().optional(),
  phoneNumber: z
    .string()
    .trim()
    .regex(/^\+?[0-9 ().-]{3,40}$/, 'must be a phone number (digits, spaces, + ( ) . -)')
    .nullable()
    .optional(),
};

const salesNavigatorEnabled = z.boolean();

export const createIdentitySchema = z.strictObject({
  ...contactDetailsShape,
  salesNavigatorEnabled: salesNavigatorEnabled.optional(),
  workingHours: workingHoursSchema,
});

/**
 * An identity from a LinkedIn account connected through hosted sign-in (POST /linkedin/hosted-auth-links):
 * its contact details come from the account's own profile; every field stays editable afterwards.
 */
export const createIdentityFromLinkedinSchema = z.strictObject({
  /** The hosted sign-in's result (the automation service's account id, e.g. Unipile's). */
  linkedinAccountId: z.string().trim().min(1).max(200),
  workingHours: workingHoursSchema,
  /** Defaults to the account's sign-in email when LinkedIn reports one. */
  email: contactDetailsShape.email,
  /** Defaults to whether the account holds a Sales Navigator seat. */
  salesNavigatorEnabled: salesNavigatorEnabled.optional(),
});

export const updateIdentitySchema = z
  .strictObject({
    firstName: contactDetailsShape.firstName.optional(),
    lastName: contactDetailsShape.lastName.optional(),
    profilePictureUrl: contactDetailsShape.profilePictureUrl,
    jobTitle: contactDetailsShape.jobTitle,
    linkedinUrl: contactDetailsShape.linkedinUrl,
    email: contactDetailsShape.email,
    scheduleMeetingUrl: contactDetailsShape.scheduleMeetingUrl,
    phoneNumber: contactDetailsShape.phoneNumber,
    salesNavigatorEnabled: salesNavigatorEnabled.optional(),
  })
  .refine((change) => Object.keys(change).length > 0, 'send at least one field to change');

const dailyCount = z.number().int('must be a whole number').min(0, 'must not be negative');

/** Shape only; the LinkedIn rules (ceilings, Sales Navigator, warnings) are domain/linkedin-limits. */
export const linkedinRateLimitsSchema = z.strictObject({
  dailyConnectionRequests: dailyCount,
  dailyMessages: dailyCount,
  dailyScrapings: dailyCount.default(0),
  raisedUntil: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant, e.g. 2026-12-31T18:00:00Z' }).nullable().default(null),
});

export const WITHDRAWAL_THRESHOLD_DAYS = { min: 1, max: 180 } as const;

export const withdrawalsSchema = z.strictObject({
  autoWithdraw: z.boolean(),
  thresholdDays: z.number().int().min(WITHDRAWAL_THRESHOLD_DAYS.min).max(WITHDRAWAL_THRESHOLD_DAYS.max),
});

export const likingsOptOutSchema = z.strictObject({ optOut: z.boolean() });

export const signatureSchema = z.strictObject({
  mode: z.enum(['rich-text', 'html']),
  html: z.string().max(SIGNATURE_MAX_LENGTH),
});

export type WorkingHoursInput = z.infer<typeof workingHoursSchema>;
