import { z } from 'zod';
import { parseCidr, type Cidr } from '../domain/network-address';
import type { GoogleClientConfig, MicrosoftClientConfig } from '../integrations/email/senders';

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const port = z.coerce.number().int().min(1).max(65535);

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: port.default(3000),
  API_BODY_LIMIT: z.string().default('100kb'),
  API_KEYS: optionalString,
  OPERATOR_API_KEY: optionalString,
  DATABASE_URL: optionalString,
  EMBEDDED_POSTGRES_PORT: port.default(5433),
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('pacer'),
  TEMPORAL_DEV_SERVER_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  PACER_DATA_DIR: z.string().default('.data'),
  PACER_ENCRYPTION_KEYS: optionalString,
  LINKEDIN_GATEWAY: z.enum(['http', 'simulator']).optional(),
  LINKEDIN_GATEWAY_URL: optionalString,
  LINKEDIN_GATEWAY_TOKEN: optionalString,
  WARMUP_PROVIDER: z.enum(['http', 'simulator']).optional(),
  WARMUP_PROVIDER_URL: optionalString,
  WARMUP_PROVIDER_TOKEN: optionalString,
  PUBLIC_BASE_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  EMAIL_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  EMAIL_PRIVATE_HOSTS_ALLOWED: optionalString,
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_OAUTH_TOKEN_URL: z.url().default('https://oauth2.googleapis.com/token'),
  GMAIL_API_ROOT_URL: z.url().default('https://gmail.googleapis.com/'),
  MICROSOFT_CLIENT_ID: optionalString,
  MICROSOFT_CLIENT_SECRET: optionalString,
  MICROSOFT_LOGIN_BASE_URL: z.url().default('https://login.microsoftonline.com'),
  MICROSOFT_GRAPH_BASE_URL: z.url().default('https://graph.microsoft.com'),
  OAUTH_STATE_SECRET: optionalString.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  GOOGLE_OAUTH_AUTHORIZE_URL: z.url({ protocol: /^https?$/ }).default('https://accounts.google.com/o/oauth2/v2/auth'),
  OAUTH_RETURN_URL_ORIGINS: optionalString,
  TRUST_PROXY: optionalString,
});

export interface Config {
  environment: 'development' | 'test' | 'production';
  logLevel: z.infer<typeof environmentSchema>['LOG_LEVEL'];
  api: { host: string; port: number; bodyLimit: string };
  /** Clear API keys from the environment, mapped to the default workspace at start-up. */
  environmentApiKeys: string[];
  /** Guards /admin (workspaces and their API keys); /admin answers 503 when unset. */
  operatorApiKey: string | undefined;
  /** Unset means "run an embedded PostgreSQL" (npm start only). */
  databaseUrl: string | undefined;
  embeddedPostgresPort: number;
  temporal: {
    /** Unset means "run the Temporal dev server" (npm start only). */
    address: string | undefined;
    namespace: string;
    taskQueue: string;
    devServerPort: number;
    uiPort: number;
  };
  dataDir: string;
  /** `<keyId>:<base64 key>,…` (lib/secrets); unset outside production means a key kept in the data folder. */
  encryptionKeys: string | undefined;
  /** Which LinkedIn adapter the worker uses (integrations/linkedin selectLinkedinGateway decides the default). */
  linkedinGateway: { adapter: 'http' | 'simulator' | undefined; baseUrl: string | undefined; token: string | undefined };
  /** Which warm-up provider the worker uses (integrations/warmup selectWarmupProvider decides the default). */
  warmupProvider: { adapter: 'http' | 'simulator' | undefined; baseUrl: string | undefined; token: string | undefined };
  /** The API's public URL (PUBLIC_BASE_URL): share links and OAuth callbacks point there, never to a request's Host header. Required in production. */
  publicBaseUrl: string;
  email: {
    /** Bounds connecting, the greeting and every silence when validating or using an inbox's IMAP/SMTP servers. */
    connectTimeoutMs: number;
    /** CIDRs of private addresses user-supplied mail hosts may resolve to (self-hosted mail servers, tests). */
    privateHostsAllowed: Cidr[];
    /** OAuth clients; each is unset until its client id and secret are both configured. */
    google: GoogleClientConfig | undefined;
    microsoft: MicrosoftClientConfig | undefined;
    /** Signs the OAuth `state`; the OAuth endpoints answer 503 without it. */
    oauthStateSecret: string | undefined;
    /** Google's consent page (GOOGLE_OAUTH_AUTHORIZE_URL); tests point it at a local server. */
    googleAuthorizeUrl: string;
    /** Origins an API caller's `returnUrl` may point to after Google / Microsoft sign-in (OAUTH_RETURN_URL_ORIGINS). */
    oauthReturnOrigins: string[];
  };
  /** Express `trust proxy` (TRUST_PROXY): false, a number of proxy hops, or the proxies' addresses / CIDRs. */
  trustProxy: TrustProxy;
}

/** What Express's `trust proxy` is given: never `true`, which would let any client choose its address. */
export type TrustProxy = false | number | string[];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** `EMAIL_PRIVATE_HOSTS_ALLOWED`: comma-separated CIDRs or addresses; a malformed entry is a start-up error. */
export function parseAllowlist(value: string | undefined): Cidr[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const cidr = parseCidr(entry);
      if (!cidr) throw new ConfigError(`EMAIL_PRIVATE_HOSTS_ALLOWED: "${entry}" is not an IP address or CIDR (e.g. 10.0.0.0/8, 127.0.0.1, fd00::/8)`);
      return cidr;
    });
}

/**
 * `OAUTH_RETURN_URL_ORIGINS`: comma-separated http(s) origins (`https://app.example.com`); an entry with
 * a path, query or credentials is a start-up error, because only the origin is compared.
 */
export function parseReturnOrigins(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      let url: URL;
      try {
        url = new URL(entry);
      } catch {
        throw new ConfigError(`OAUTH_RETURN_URL_ORIGINS: "${entry}" is not an origin (e.g. https://app.example.com)`);
      }
      const bare = url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
      if (!/^https?:$/.test(url.protocol) || !bare) {
        throw new ConfigError(`OAUTH_RETURN_URL_ORIGINS: "${entry}" must be an http(s) origin only, e.g. https://app.example.com (no path)`);
      }
      return url.origin;
    });
}

/**
 * `TRUST_PROXY`: unset or `false` (the socket address is the client), a number of reverse-proxy hops
 * in front of the API (0–10), or comma-separated proxy addresses / CIDRs / Express names (`loopback`,
 * `linklocal`, `uniquelocal`). `true` is refused: it would take the left-most X-Forwarded-For entry,
 * which any client can write.
 */
export function parseTrustProxy(value: string | undefined): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') {
    throw new ConfigError('TRUST_PROXY=true would let any client pick its own address through X-Forwarded-For: give the number of proxies in front of the API (e.g. 1) or their addresses');
  }
  if (/^[0-9]+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) throw new ConfigError(`TRUST_PROXY: ${hops} hops is not plausible (0–10)`);
    return hops === 0 ? false : hops;
  }
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    if (!['loopback', 'linklocal', 'uniquelocal'].includes(entry) && !parseCidr(entry)) {
      throw new ConfigError(`TRUST_PROXY: "${entry}" is neither a number of hops, an IP address or CIDR, nor loopback / linklocal / uniquelocal`);
    }
  }
  return entries;
}

/** The one place that reads the environment. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(environment);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid environment:\n${problems.join('\n')}`);
  }
  const env = parsed.data;
  return {
    environment: env.NODE_ENV,
    logLevel: env.LOG_LEVEL,
    api: { host: env.API_HOST, port: env.API_PORT, bodyLimit: env.API_BODY_LIMIT },
    environmentApiKeys: (env.API_KEYS ?? '')
      .split(',')
      .map((key) => key.trim())
      .filter((key) => key !== ''),
    operatorApiKey: env.OPERATOR_API_KEY,
    databaseUrl: env.DATABASE_URL,
    embeddedPostgresPort: env.EMBEDDED_POSTGRES_PORT,
    temporal: {
      address: env.TEMPORAL_ADDRESS,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      devServerPort: env.TEMPORAL_DEV_SERVER_PORT,
      uiPort: env.TEMPORAL_UI_PORT,
    },
    dataDir: env.PACER_DATA_DIR,
    encryptionKeys: env.PACER_ENCRYPTION_KEYS,
    linkedinGateway: { adapter: env.LINKEDIN_GATEWAY, baseUrl: env.LINKEDIN_GATEWAY_URL, token: env.LINKEDIN_GATEWAY_TOKEN },
    warmupProvider: { adapter: env.WARMUP_PROVIDER, baseUrl: env.WARMUP_PROVIDER_URL, token: env.WARMUP_PROVIDER_TOKEN },
    publicBaseUrl: publicBaseUrlOf(env.PUBLIC_BASE_URL, env.NODE_ENV, env.API_HOST, env.API_PORT),
    email: {
      connectTimeoutMs: env.EMAIL_CONNECT_TIMEOUT_MS,
      privateHostsAllowed: parseAllowlist(env.EMAIL_PRIVATE_HOSTS_ALLOWED),
      google:
        env.GOOGLE_CLIENT_ID && env.GOOGLE_CLIENT_SECRET
          ? { clientId: env.GOOGLE_CLIENT_ID, clientSecret: env.GOOGLE_CLIENT_SECRET, tokenUrl: env.GOOGLE_OAUTH_TOKEN_URL, gmailRootUrl: env.GMAIL_API_ROOT_URL }
          : undefined,
      microsoft:
        env.MICROSOFT_CLIENT_ID && env.MICROSOFT_CLIENT_SECRET
          ? { clientId: env.MICROSOFT_CLIENT_ID, clientSecret: env.MICROSOFT_CLIENT_SECRET, loginBaseUrl: env.MICROSOFT_LOGIN_BASE_URL, graphBaseUrl: env.MICROSOFT_GRAPH_BASE_URL }
          : undefined,
      oauthStateSecret: env.OAUTH_STATE_SECRET,
      googleAuthorizeUrl: env.GOOGLE_OAUTH_AUTHORIZE_URL,
      oauthReturnOrigins: parseReturnOrigins(env.OAUTH_RETURN_URL_ORIGINS),
    },
    trustProxy: parseTrustProxy(env.TRUST_PROXY),
  };
}

/** PUBLIC_BASE_URL without a trailing slash; outside production it defaults to the API's own address. */
function publicBaseUrlOf(value: string | undefined, environment: Config['environment'], host: string, port: number): string {
  if (value !== undefined) return value.replace(/\/+$/, '');
  if (environment === 'production') throw new ConfigError('PUBLIC_BASE_URL must be set in production: share links are built from it');
  return `http://${host}:${port}`;
}

/** For processes that need an external service (worker, API alone): fail with the variable's name. */
export function required<T>(value: T | undefined, variable: string): T {
  if (value === undefined) throw new ConfigError(`${variable} must be set (see README, "Configuration")`);
  return value;
}
