/** One error hierarchy for the whole backend; the API maps it to RFC 9457 problem+json in one place. */
export interface FieldProblem {
  /** Dotted path of the offending input field, e.g. `workingHours.timeZone`. */
  field: string;
  message: string;
}

export abstract class PacerError extends Error {
  abstract readonly status: number;
  /** Short stable slug, used as the problem `type` (`urn:pacer:problem:<code>`). */
  abstract readonly code: string;
  abstract readonly title: string;

  constructor(
    message?: string,
    /** Extension members of the problem document (RFC 9457 §3.2), e.g. when a block lifts. */
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export class BadRequestError extends PacerError {
  readonly status = 400;
  readonly code = 'bad-request';
  readonly title = 'Bad request';
}

export class ValidationError extends PacerError {
  readonly status = 422;
  readonly code = 'validation-failed';
  readonly title = 'Invalid input';
  constructor(readonly errors: FieldProblem[]) {
    super(errors.map((problem) => `${problem.field}: ${problem.message}`).join('; '));
  }
}

export class UnauthorizedError extends PacerError {
  readonly status = 401;
  readonly code = 'unauthorized';
  readonly title = 'Missing or invalid API key';
}

export class NotFoundError extends PacerError {
  readonly status = 404;
  readonly code = 'not-found';
  readonly title = 'Not found';
}

export class ConflictError extends PacerError {
  readonly status = 409;
  readonly code = 'conflict';
  readonly title = 'Conflict';
}

/** SPEC §2: an invitation to this person was withdrawn less than 21 days ago; `blockedUntil` says when asking again succeeds. */
export class ReinviteBlockedConflictError extends PacerError {
  readonly status = 409;
  readonly code = 'reinvite-blocked';
  readonly title = 'Re-invite blocked';
  constructor(profileUrl: string, blockedUntil: number) {
    const until = new Date(blockedUntil).toISOString();
    super(`An invitation to ${profileUrl} was withdrawn less than 3 weeks ago: a new one is possible from ${until}`, { blockedUntil: until });
  }
}

export class PayloadTooLargeError extends PacerError {
  readonly status = 413;
  readonly code = 'payload-too-large';
  readonly title = 'Request body too large';
}

export class UnsupportedMediaTypeError extends PacerError {
  readonly status = 415;
  readonly code = 'unsupported-media-type';
  readonly title = 'Unsupported media type';
}

/** A dependency (Temporal, PostgreSQL) did not answer; nothing was changed. */
export class ServiceUnavailableError extends PacerError {
  readonly status = 503;
  readonly code = 'service-unavailable';
  readonly title = 'Service unavailable';
}

/** An unexpected failure, already logged where it happened (with secrets left out): answered 500 without details. */
export class InternalError extends PacerError {
  readonly status = 500;
  readonly code = 'internal-error';
  readonly title = 'Internal server error';
}

/** The credential is valid but does not reach this resource (a share link used for another identity). */
export class ForbiddenError extends PacerError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'Forbidden';
}

/** Too many attempts; `retryAfterSeconds` goes out as Retry-After. */
export class TooManyRequestsError extends PacerError {
  readonly status = 429;
  readonly code = 'too-many-requests';
  readonly title = 'Too many requests';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/**
 * Connecting an inbox failed (SPEC §3 troubleshooting table): the problem carries a stable `code`
 * (domain/inbox-connection ConnectionFailureCode), the side that failed and the guidance to show.
 */
export class InboxConnectionError extends PacerError {
  readonly status = 422;
  readonly code: string;
  readonly title: string;
  constructor(failure: { code: string; side: string; title: string; guidance: string }, detail: string) {
    super(detail, { code: failure.code, failedStep: failure.side, guidance: failure.guidance });
    this.code = failure.code;
    this.title = failure.title;
  }
}

/**
 * A user-supplied mail host resolves to an address Pacer must not reach (private, loopback, metadata…).
 * One message whatever the reason, so the answer reveals nothing about the internal network.
 */
export class HostNotAllowedError extends PacerError {
  readonly status = 422;
  readonly code = 'host-not-allowed';
  readonly title = 'Mail host not allowed';
  constructor(host: string) {
    super(`${host} cannot be used as a mail server host`, {
      code: 'host-not-allowed',
      guidance: 'Use the public host name of the mail provider. Private and internal addresses are refused unless the operator allows them (EMAIL_PRIVATE_HOSTS_ALLOWED).',
    });
  }
}
