import pino from 'pino';

// Keys whose values must never reach a log line, wherever they appear in a logged object.
const SECRET_PATHS = [
  'password',
  '*.password',
  'apiKey',
  '*.apiKey',
  'authorization',
  'req.headers.authorization',
  'headers.authorization',
  'refreshToken',
  '*.refreshToken',
  'databaseUrl',
  // Webhook endpoints' signing secrets (whsec_…).
  'secret',
  '*.secret',
];

export type Logger = pino.Logger;

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: SECRET_PATHS, censor: '[redacted]' } }, destination);
}
