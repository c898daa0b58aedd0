/**
 * Which LinkedIn gateway this process uses (SPEC §6): the HTTP adapter, or the labelled simulator.
 * The simulator is the default only outside production; production must name its adapter.
 */
import type { LinkedinGateway } from './gateway';
import { createHttpLinkedinGateway } from './http-gateway';
import { SIMULATOR_LABEL, createLinkedinSimulator, type LinkedinSimulatorOptions } from './simulator';

export * from './gateway';
export { DEFAULT_TIMEOUT_MS, createHttpLinkedinGateway, type HttpLinkedinGatewayOptions } from './http-gateway';
export {
  DEFAULT_PENDING_CAP,
  SIMULATOR_LABEL,
  createLinkedinSimulator,
  defaultAcceptanceDelayMs,
  type LinkedinSimulator,
  type LinkedinSimulatorOptions,
  type SimulatedCall,
  type SimulatedInvitation,
  type SimulatorRecord,
} from './simulator';

export interface LinkedinGatewayConfig {
  environment: 'development' | 'test' | 'production';
  /** LINKEDIN_GATEWAY */
  adapter: 'http' | 'simulator' | undefined;
  /** LINKEDIN_GATEWAY_URL */
  baseUrl?: string;
  /** LINKEDIN_GATEWAY_TOKEN */
  token?: string;
  /** LINKEDIN_GATEWAY_TIMEOUT_MS, if the loader offers one. */
  timeoutMs?: number;
}

/** Any pino logger fits. */
export interface SelectionLogger {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
}

export interface SelectLinkedinGatewayOptions {
  logger?: SelectionLogger;
  /** Passed to the simulator when it is selected. */
  simulator?: LinkedinSimulatorOptions;
}

/**
 * - `adapter: 'http'` → the HTTP adapter; `baseUrl` and `token` are required in every environment.
 * - `adapter: 'simulator'` → the simulator, in any environment (in production with a loud warning).
 * - `adapter: undefined` → the simulator in development and test; in production an error, never a silent simulator.
 *
 * The choice is logged once (never the token); a simulator choice is logged as a warning with {@link SIMULATOR_LABEL}.
 */
export function selectLinkedinGateway(config: LinkedinGatewayConfig, options: SelectLinkedinGatewayOptions = {}): LinkedinGateway {
  const { logger } = options;
  const adapter = config.adapter ?? (config.environment === 'production' ? undefined : 'simulator');

  if (adapter === undefined) {
    throw new Error(
      'No LinkedIn gateway configured for production. Set LINKEDIN_GATEWAY=http (with LINKEDIN_GATEWAY_URL and ' +
        'LINKEDIN_GATEWAY_TOKEN) to use the automation service, or set LINKEDIN_GATEWAY=simulator explicitly to run ' +
        'the in-memory simulator (no real LinkedIn action is ever taken).',
    );
  }

  if (adapter === 'simulator') {
    const explicitInProduction = config.environment === 'production';
    logger?.warn(
      { linkedinGateway: 'simulator', environment: config.environment, chosen: config.adapter === undefined ? 'default' : 'explicit' },
      explicitInProduction
        ? `${SIMULATOR_LABEL} selected in PRODUCTION by LINKEDIN_GATEWAY=simulator: invitations and messages are not sent to LinkedIn`
        : `${SIMULATOR_LABEL} in use${config.adapter === undefined ? ' (default outside production; set LINKEDIN_GATEWAY=http for the real service)' : ''}`,
    );
    return createLinkedinSimulator(options.simulator);
  }

  if (adapter !== 'http') {
    throw new Error(`LINKEDIN_GATEWAY must be "http" or "simulator", not ${JSON.stringify(adapter)}`);
  }
  const missing = [
    ...(config.baseUrl?.trim() ? [] : ['LINKEDIN_GATEWAY_URL']),
    ...(config.token?.trim() ? [] : ['LINKEDIN_GATEWAY_TOKEN']),
  ];
  if (missing.length > 0) {
    throw new Error(`LINKEDIN_GATEWAY=http needs ${missing.join(' and ')}: set ${missing.length === 1 ? 'it' : 'them'}, or use LINKEDIN_GATEWAY=simulator outside production`);
  }
  const baseUrl = config.baseUrl!.trim();
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error('LINKEDIN_GATEWAY_URL is not a URL (expected e.g. https://linkedin-gateway.example.com)');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new Error(`LINKEDIN_GATEWAY_URL must be an http(s) URL, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new Error('LINKEDIN_GATEWAY_URL must not carry credentials: put the token in LINKEDIN_GATEWAY_TOKEN');
  }
  if (config.timeoutMs !== undefined && !(Number.isInteger(config.timeoutMs) && config.timeoutMs > 0)) {
    throw new Error('The LinkedIn gateway timeout must be a positive whole number of milliseconds');
  }
  const where = `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
  if (config.environment === 'production' && url.protocol === 'http:') {
    logger?.warn({ linkedinGateway: 'http', baseUrl: where }, 'LINKEDIN_GATEWAY_URL is plain http in production: the gateway token travels unencrypted');
  }
  logger?.info({ linkedinGateway: 'http', baseUrl: where }, `LinkedIn gateway: HTTP automation service at ${where}`);
  return createHttpLinkedinGateway({ baseUrl, token: config.token!.trim(), timeoutMs: config.timeoutMs });
}
