import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { z } from 'zod';
import {
  BadRequestError,
  NotFoundError,
  PacerError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
  type FieldProblem,
} from '../lib/errors';
import type { Logger } from '../lib/logger';
import { unstorableTextProblems } from '../domain/text';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/**
 * Validates `input` with `schema`; every failure names its field (unknown keys included). Strings
 * that cannot be stored (NUL, lone surrogates) are refused first, wherever they are. `textChecked:
 * false` leaves that to the caller (the lead import checks its rows one by one, to keep the good ones).
 */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, options: { textChecked?: boolean } = {}): z.infer<S> {
  if (options.textChecked !== false) {
    const unstorable = unstorableTextProblems(input);
    if (unstorable.length > 0) throw new ValidationError(unstorable);
  }
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems: FieldProblem[] = parsed.error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'unknown field' }));
    }
    return [{ field: path.join('.') || '(body)', message: issue.message }];
  });
  throw new ValidationError(problems);
}

/** Errors thrown by body-parser carry a `type`; map the ones a caller can cause to our hierarchy. */
function fromBodyParser(error: { type?: string; message: string }): PacerError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new BadRequestError('The request body is not valid JSON');
    case 'entity.too.large':
      return new PayloadTooLargeError('The request body exceeds the size limit');
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return new UnsupportedMediaTypeError(error.message);
    default:
      return undefined;
  }
}

/** Bodies must be JSON: a body of any other content type is refused before parsing. */
export const requireJsonBody: RequestHandler = (request, _response, next) => {
  const hasBody = request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0;
  if (hasBody && !request.is('application/json')) {
    next(new UnsupportedMediaTypeError('Send the request body as application/json'));
    return;
  }
  next();
};

export const notFoundHandler: RequestHandler = (request, _response, next) => {
  next(new NotFoundError(`No route ${request.method} ${request.path}`));
};

/** The one place that turns errors into RFC 9457 problem+json responses. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, request, response, _next) => {
    const known = error instanceof PacerError ? error : fromBodyParser(error as { type?: string; message: string });
    if (!known) logger.error({ err: error, method: request.method, path: request.path }, 'unhandled error');
    const status = known?.status ?? 500;
    if (known instanceof TooManyRequestsError) response.setHeader('Retry-After', String(known.retryAfterSeconds));
    response
      .status(status)
      .type(PROBLEM_CONTENT_TYPE)
      .json({
        type: `urn:pacer:problem:${known?.code ?? 'internal-error'}`,
        title: known?.title ?? 'Internal server error',
        status,
        detail: known?.message ?? 'An unexpected error occurred; it has been logged.',
        instance: request.originalUrl,
        ...known?.extensions,
        ...(known instanceof ValidationError ? { errors: known.errors } : {}),
      });
  };
}
