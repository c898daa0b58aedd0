/**
 * Which LinkedIn gateway this process uses (SPEC §6): Unipile, the HTTP contract adapter, or the
 * labelled simulator. The simulator is the default only outside production; production must name
 * its adapter, and a simulator there is only ever an explicit, loudly logged choice.
 */
import type { LinkedinAccountDirectory, LinkedinGateway } from './gateway';
import { createHttpLinkedinGateway } from './http-gateway';
import { SIMULATOR_LABEL, createLinkedinSimulator, type LinkedinSimulatorOptions, type LinkedinSimulatorStore } from './simulator';
import { createUnipileLinkedinGateway, unipileBaseUrl } from './unipile';

export * from './gateway';
export { DEFAULT_TIMEOUT_MS, createHttpLinkedinGateway, type HttpLinkedinGatewayOptions } from './http-gateway';
export {
  DEFAULT_BURST,
  DEFAULT_PENDING_CAP,
  SIMULATOR_LABEL,
  createLinkedinSimulator,
  defaultAcceptanceDelayMs,
  type LinkedinSimulator,
  type LinkedinSimulatorOptions,
  type LinkedinSimulatorStore,
  type SimulatedCall,
  type SimulatedHostedAuthNotification,
  type SimulatedInvitation,
  type SimulatorRecord,
} from './simulator';
export { DEFAULT_UNIPILE_TIMEOUT_MS, createUnipileLinkedinGateway, unipileConnection, type UnipileGatewayOptions } from './unipile';

export const LINKEDIN_ADAPTERS = ['unipile', 'http', 'simulator'] as const;

export interface LinkedinGatewayConfig {
  environment: 'development' | 'test' | 'production';
  /** LINKEDIN_GATEWAY */
  adapter: (typeof LINKEDIN_ADAPTERS)[number] | undefined;
  /** LINKEDIN_GATEWAY_URL (http) */
  baseUrl?: string;
  /** LINKEDIN_GATEWAY_TOKEN (http) */
  token?: string;
  /** Per request, if the loader offers one. */
  timeoutMs?: number;
  /** UNIPILE_DSN (unipile) */
  unipileDsn?: string;
  /** UNIPILE_API_KEY (unipile) */
  unipileApiKey?: string;
}

/** Any pino logger fits. */
export interface SelectionLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface SelectLinkedinGatewayOptions {
  /** Pacer's records: the account connected to each identity (db/linkedin-directory.ts). */
  accounts: LinkedinAccountDirectory;
  /** The simulator's shared state (db/linkedin-simulator-store.ts); used only when the simulator is selected. */
  simulatorStore: LinkedinSimulatorStore;
  logger?: SelectionLogger;
  /** Passed to the simulator when it is selected. */
  simulator?: Omit<LinkedinSimulatorOptions, 'store' | 'accounts'>;
}

/**
 * - `adapter: 'unipile'` → Unipile; `unipileDsn` and `unipileApiKey` are required in every environment.
 * - `adapter: 'http'` → the HTTP contract adapter; `baseUrl` and `token` are required in every environment.
 * - `adapter: 'simulator'` → the simulator, in any environment (in production with a loud warning).
 * - `adapter: undefined` → the simulator in development and test; in production an error, never a silent simulator.
 *
 * The choice is logged once (never a secret); a simulator choice is logged as a warning with {@link SIMULATOR_LABEL}.
 */
export function selectLinkedinGateway(config: LinkedinGatewayConfig, options: SelectLinkedinGatewayOptions): LinkedinGateway {
  const { logger } = options;
  const adapter = config.adapter ?? (config.environment === 'production' ? undefined : 'simulator');

  if (adapter === undefined) {
    throw new Error(
      'No LinkedIn gateway configured for production. Set LINKEDIN_GATEWAY=unipile (with UNIPILE_DSN and UNIPILE_API_KEY) ' +
        'to act through Unipile, LINKEDIN_GATEWAY=http (with LINKEDIN_GATEWAY_URL and LINKEDIN_GATEWAY_TOKEN) for a service ' +
        'implementing Pacer\'s contract, or LINKEDIN_GATEWAY=simulator explicitly to run the simulator (no real LinkedIn action is ever taken).',
    );
  }
  if (config.timeoutMs !== undefined && !(Number.isInteger(config.timeoutMs) && config.timeoutMs > 0)) {
    throw new Error('The LinkedIn gateway timeout must be a positive whole number of milliseconds');
  }

  switch (adapter) {
    case 'simulator': {
      const explicitInProduction = config.environment === 'production';
      logger?.warn(
        { linkedinGateway: 'simulator', environment: config.environment, chosen: config.adapter === undefined ? 'default' : 'explicit' },
        explicitInProduction
          ? `${SIMULATOR_LABEL} selected in PRODUCTION by LINKEDIN_GATEWAY=simulator: invitations and messages are not sent to LinkedIn`
          : `${SIMULATOR_LABEL} in use${config.adapter === undefined ? ' (default outside production; set LINKEDIN_GATEWAY=unipile or http for a real service)' : ''}`,
      );
      return createLinkedinSimulator({ ...options.simulator, store: options.simulatorStore, accounts: options.accounts });
    }
    case 'unipile':
      return selectUnipile(config, options);
    case 'http':
      return selectHttp(config, options);
    default:
      throw new Error(`LINKEDIN_GATEWAY must be one of ${LINKEDIN_ADAPTERS.map((name) => `"${name}"`).join(', ')}, not ${JSON.stringify(adapter)}`);
  }
}

function missingSettings(adapter: string, settings: [name: string, value: string | undefined][]): void {
  const missing = settings.filter(([, value]) => !value?.trim()).map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(`LINKEDIN_GATEWAY=${adapter} needs ${missing.join(' and ')}: set ${missing.length === 1 ? 'it' : 'them'}, or use LINKEDIN_GATEWAY=simulator outside production`);
  }
}

function selectUnipile(config: LinkedinGatewayConfig, options: SelectLinkedinGatewayOptions): LinkedinGateway {
  missingSettings('unipile', [
    ['UNIPILE_DSN', config.unipileDsn],
    ['UNIPILE_API_KEY', config.unipileApiKey],
  ]);
  const base = unipileBaseUrl(config.unipileDsn!);
  if (config.environment === 'production' && base.startsWith('http:')) {
    options.logger?.warn({ linkedinGateway: 'unipile', dsn: base }, 'UNIPILE_DSN is plain http in production: the API key travels unencrypted');
  }
  options.logger?.info({ linkedinGateway: 'unipile', dsn: base }, `LinkedIn gateway: Unipile at ${base}`);
  return createUnipileLinkedinGateway({ dsn: base, apiKey: config.unipileApiKey!.trim(), accounts: options.accounts, timeoutMs: config.timeoutMs });
}

function selectHttp(config: LinkedinGatewayConfig, options: SelectLinkedinGatewayOptions): LinkedinGateway {
  missingSettings('http', [
    ['LINKEDIN_GATEWAY_URL', config.baseUrl],
    ['LINKEDIN_GATEWAY_TOKEN', config.token],
  ]);
  let url: URL;
  try {
    url = new URL(config.baseUrl!.trim());
  } catch {
    throw new Error('LINKEDIN_GATEWAY_URL is not a URL (expected e.g. https://linkedin-gateway.example.com)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`LINKEDIN_GATEWAY_URL must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new Error('LINKEDIN_GATEWAY_URL must not carry credentials: put the token in LINKEDIN_GATEWAY_TOKEN');
  }
  const where = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  if (config.environment === 'production' && url.protocol === 'http:') {
    options.logger?.warn({ linkedinGateway: 'http', baseUrl: where }, 'LINKEDIN_GATEWAY_URL is plain http in production: the gateway token travels unencrypted');
  }
  options.logger?.info({ linkedinGateway: 'http', baseUrl: where }, `LinkedIn gateway: HTTP automation service at ${where}`);
  return createHttpLinkedinGateway({ baseUrl: config.baseUrl!.trim(), token: config.token!.trim(), timeoutMs: config.timeoutMs, accounts: options.accounts });
}
