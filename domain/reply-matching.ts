/**
 * Reply sync rules (SPEC §3): what an incoming message means for Pacer's leads. Pure.
 *
 * - A delivery report is a bounce: Content-Type multipart/report with report-type=delivery-status,
 *   or a sender that is a mailer daemon / postmaster.
 * - The Message-IDs that tie a message to what Pacer sent: In-Reply-To and References (a reply),
 *   plus, for a bounce, every Pacer Message-ID quoted in its body (the returned headers).
 * - A reply is matched by those ids first, else by its sender's address.
 */

/** Pacer's own Message-IDs (integrations/email/smtp-sender deterministicMessageId). */
const PACER_MESSAGE_ID = /<pacer\.[0-9a-f]{24}@[a-z0-9.-]+>/gi;
const MESSAGE_ID = /<[^<>\s]+>/g;

export function isBounce(input: { contentType: string | undefined; from: string | undefined }): boolean {
  const type = (input.contentType ?? '').toLowerCase();
  if (type.includes('multipart/report') && /report-type\s*=\s*"?delivery-status/.test(type)) return true;
  return /^(mailer-daemon|postmaster)@/i.test(input.from ?? '');
}

/** Message-IDs a message refers to, angle brackets kept, in order, without duplicates. */
export function referencedMessageIds(input: { inReplyTo?: string | undefined; references?: string | undefined; bounceBody?: string | undefined }): string[] {
  const ids = [
    ...(input.inReplyTo?.match(MESSAGE_ID) ?? []),
    ...(input.references?.match(MESSAGE_ID) ?? []),
    ...(input.bounceBody?.match(PACER_MESSAGE_ID) ?? []),
  ];
  return [...new Set(ids)];
}

/** The address inside a From header ("Grace <grace@x>" → grace@x), lower-cased. */
export function senderAddress(from: string | undefined): string | undefined {
  const match = /<([^<>\s]+@[^<>\s]+)>/.exec(from ?? '') ?? /([^\s<>"]+@[^\s<>"]+)/.exec(from ?? '');
  return match?.[1]?.toLowerCase();
}

/** The addresses an `X-Failed-Recipients` header names (a bounce that quotes no Message-ID still names who bounced), lower-cased. */
export function failedRecipients(header: string | undefined): string[] {
  return [...new Set((header ?? '').split(',').flatMap((part) => senderAddress(part.trim()) ?? []))];
}
