/**
 * Which warm-up provider this process uses (SPEC §6): the HTTP adapter or the labelled simulator.
 * The simulator is the default only outside production; production must name its adapter.
 */
import { createHttpWarmupProvider } from './http-provider';
import type { WarmupProvider } from './provider';
import { WARMUP_SIMULATOR_LABEL, createWarmupSimulator } from './simulator';
import type { SelectionLogger } from '../linkedin';

export * from './provider';
export { DEFAULT_WARMUP_TIMEOUT_MS, createHttpWarmupProvider, type HttpWarmupProviderOptions } from './http-provider';
export { WARMUP_SIMULATOR_LABEL, createWarmupSimulator, type SimulatedWarmup, type WarmupSimulator } from './simulator';

export interface WarmupProviderConfig {
  environment: 'development' | 'test' | 'production';
  /** WARMUP_PROVIDER */
  adapter: 'http' | 'simulator' | undefined;
  /** WARMUP_PROVIDER_URL */
  baseUrl?: string;
  /** WARMUP_PROVIDER_TOKEN */
  token?: string;
}

/**
 * - `http` → the HTTP adapter (`baseUrl` and `token` required);
 * - `simulator` → the simulator in any environment (a loud warning in production);
 * - unset → the simulator in development and test, an error in production (never a silent simulator).
 */
export function selectWarmupProvider(config: WarmupProviderConfig, options: { logger?: SelectionLogger } = {}): WarmupProvider {
  const { logger } = options;
  const adapter = config.adapter ?? (config.environment === 'production' ? undefined : 'simulator');
  if (adapter === undefined) {
    throw new Error(
      'No warm-up provider configured for production. Set WARMUP_PROVIDER=http (with WARMUP_PROVIDER_URL and WARMUP_PROVIDER_TOKEN), ' +
        'or WARMUP_PROVIDER=simulator explicitly to run the in-memory simulator (no real warm-up happens).',
    );
  }
  if (adapter === 'simulator') {
    logger?.warn(
      { warmupProvider: 'simulator', environment: config.environment, chosen: config.adapter === undefined ? 'default' : 'explicit' },
      config.environment === 'production'
        ? `${WARMUP_SIMULATOR_LABEL} selected in PRODUCTION by WARMUP_PROVIDER=simulator: addresses are not really warmed up`
        : `${WARMUP_SIMULATOR_LABEL} in use${config.adapter === undefined ? ' (default outside production; set WARMUP_PROVIDER=http for the real service)' : ''}`,
    );
    return createWarmupSimulator();
  }
  if (adapter !== 'http') throw new Error(`WARMUP_PROVIDER must be "http" or "simulator", not ${JSON.stringify(adapter)}`);
  const missing = [...(config.baseUrl?.trim() ? [] : ['WARMUP_PROVIDER_URL']), ...(config.token?.trim() ? [] : ['WARMUP_PROVIDER_TOKEN'])];
  if (missing.length > 0) throw new Error(`WARMUP_PROVIDER=http needs ${missing.join(' and ')}`);
  let url: URL;
  try {
    url = new URL(config.baseUrl!.trim());
  } catch {
    throw new Error('WARMUP_PROVIDER_URL is not a URL (expected e.g. https://warmup.example.com)');
  }
  if (url.username || url.password) throw new Error('WARMUP_PROVIDER_URL must not carry credentials: put the token in WARMUP_PROVIDER_TOKEN');
  logger?.info({ warmupProvider: 'http', baseUrl: url.origin }, `Warm-up provider: HTTP service at ${url.origin}`);
  return createHttpWarmupProvider({ baseUrl: url.toString(), token: config.token!.trim() });
}
