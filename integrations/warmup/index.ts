/**
 * Which warm-up provider this process uses (SPEC §6): Instantly (a real warm-up service), the HTTP
 * adapter of Pacer's own contract, or the labelled simulator. The simulator is the default only
 * outside production; production must name its adapter.
 */
import { createHttpWarmupProvider } from './http-provider';
import { createInstantlyWarmupProvider } from './instantly';
import type { WarmupProvider } from './provider';
import { WARMUP_SIMULATOR_LABEL, createWarmupSimulator } from './simulator';
import type { SelectionLogger } from '../linkedin';

export * from './provider';
export { DEFAULT_WARMUP_TIMEOUT_MS, createHttpWarmupProvider, type HttpWarmupProviderOptions } from './http-provider';
export { INSTANTLY_API_URL, createInstantlyWarmupProvider, type InstantlyOptions } from './instantly';
export { WARMUP_SIMULATOR_LABEL, createWarmupSimulator, type SimulatedWarmup, type WarmupSimulator } from './simulator';

export interface WarmupProviderConfig {
  environment: 'development' | 'test' | 'production';
  /** WARMUP_PROVIDER */
  adapter: 'instantly' | 'http' | 'simulator' | undefined;
  /** WARMUP_PROVIDER_URL */
  baseUrl?: string | undefined;
  /** WARMUP_PROVIDER_TOKEN */
  token?: string | undefined;
  /** INSTANTLY_API_KEY / INSTANTLY_API_URL */
  instantly?: { apiKey: string | undefined; baseUrl: string | undefined };
}

/**
 * - `instantly` → Instantly's API v2 (`INSTANTLY_API_KEY` required);
 * - `http` → the HTTP adapter (`baseUrl` and `token` required);
 * - `simulator` → the simulator in any environment (a loud warning in production);
 * - unset → the simulator in development and test, an error in production (never a silent simulator).
 */
export function selectWarmupProvider(config: WarmupProviderConfig, options: { logger?: SelectionLogger } = {}): WarmupProvider {
  const { logger } = options;
  const adapter = config.adapter ?? (config.environment === 'production' ? undefined : 'simulator');
  if (adapter === undefined) {
    throw new Error(
      'No warm-up provider configured for production. Set WARMUP_PROVIDER=instantly (with INSTANTLY_API_KEY) or WARMUP_PROVIDER=http (with WARMUP_PROVIDER_URL and WARMUP_PROVIDER_TOKEN), ' +
        'or WARMUP_PROVIDER=simulator explicitly to run the in-memory simulator (no real warm-up happens).',
    );
  }
  if (adapter === 'simulator') {
    logger?.warn(
      { warmupProvider: 'simulator', environment: config.environment, chosen: config.adapter === undefined ? 'default' : 'explicit' },
      config.environment === 'production'
        ? `${WARMUP_SIMULATOR_LABEL} selected in PRODUCTION by WARMUP_PROVIDER=simulator: addresses are not really warmed up`
        : `${WARMUP_SIMULATOR_LABEL} in use${config.adapter === undefined ? ' (default outside production; set WARMUP_PROVIDER=instantly, or http for a service speaking the documented contract)' : ''}`,
    );
    return createWarmupSimulator();
  }
  if (adapter === 'instantly') {
    const apiKey = config.instantly?.apiKey?.trim();
    if (!apiKey) throw new Error('WARMUP_PROVIDER=instantly needs INSTANTLY_API_KEY');
    const baseUrl = config.instantly?.baseUrl?.trim();
    logger?.info({ warmupProvider: 'instantly' }, 'Warm-up provider: Instantly API v2 (mailboxes must be connected at Instantly)');
    return createInstantlyWarmupProvider({ apiKey, ...(baseUrl ? { baseUrl } : {}) });
  }
  if (adapter !== 'http') throw new Error(`WARMUP_PROVIDER must be "instantly", "http" or "simulator", not ${JSON.stringify(adapter)}`);
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
