import { z } from 'zod';
import { WEEKDAYS, isValidTimeZone, parseClockTime, workingHoursProblems } from '../domain/working-hours';

/** The canonical IANA spelling ("europe/paris" → "Europe/Paris"); stored and shown that way. */
function canonicalTimeZone(zone: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    return zone;
  }
}

const clockTime = z.string().refine((value) => parseClockTime(value) !== null, 'must be a time "HH:mm" (00:00 to 24:00)');

// Field checks run independently so one response names every offending field; the rules across
// fields (end after start) run once the fields themselves are valid.
export const workingHoursSchema = z
  .strictObject({
    timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. "Europe/Paris"').transform(canonicalTimeZone),
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

export const createIdentitySchema = z.strictObject({
  ...contactDetailsShape,
  workingHours: workingHoursSchema,
});

export type CreateIdentityInput = z.infer<typeof createIdentitySchema>;
export type WorkingHoursInput = z.infer<typeof workingHoursSchema>;
