import { ConfigError, loadConfig } from '../../lib/config';

test('PUBLIC_BASE_URL: trailing slashes dropped, must be http(s), required in production; defaults to the API outside it', () => {
  expect(loadConfig({ PUBLIC_BASE_URL: 'https://pacer.example.com/' }).publicBaseUrl).toBe('https://pacer.example.com');
  expect(loadConfig({ API_HOST: '127.0.0.1', API_PORT: '3999' }).publicBaseUrl).toBe('http://127.0.0.1:3999');
  expect(() => loadConfig({ PUBLIC_BASE_URL: 'ftp://pacer.example.com' })).toThrow(ConfigError);
  expect(() => loadConfig({ PUBLIC_BASE_URL: 'not a url' })).toThrow(ConfigError);
  expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/PUBLIC_BASE_URL must be set in production/);
  expect(loadConfig({ NODE_ENV: 'production', PUBLIC_BASE_URL: 'https://pacer.example.com' }).publicBaseUrl).toBe('https://pacer.example.com');
});

test('the warm-up provider settings are read like the LinkedIn gateway ones', () => {
  expect(loadConfig({}).warmupProvider).toEqual({ adapter: undefined, baseUrl: undefined, token: undefined });
  expect(loadConfig({ WARMUP_PROVIDER: 'http', WARMUP_PROVIDER_URL: 'https://warmup.example.com', WARMUP_PROVIDER_TOKEN: ' t ' }).warmupProvider).toEqual({
    adapter: 'http',
    baseUrl: 'https://warmup.example.com',
    token: 't',
  });
  expect(() => loadConfig({ WARMUP_PROVIDER: 'mock' })).toThrow(ConfigError);
});

test('TRUST_PROXY: off by default, a number of hops or proxy addresses; true and nonsense are refused', () => {
  expect(loadConfig({}).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBe(false);
  expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
  expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8,fd00::/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', 'fd00::/8']);
  expect(() => loadConfig({ TRUST_PROXY: 'true' })).toThrow(/any client pick its own address/);
  expect(() => loadConfig({ TRUST_PROXY: '11' })).toThrow(ConfigError);
  expect(() => loadConfig({ TRUST_PROXY: 'proxy.internal' })).toThrow(/neither a number of hops/);
});

test('OAUTH_RETURN_URL_ORIGINS: http(s) origins only; GOOGLE_OAUTH_AUTHORIZE_URL defaults to Google', () => {
  expect(loadConfig({}).email.oauthReturnOrigins).toEqual([]);
  expect(loadConfig({ OAUTH_RETURN_URL_ORIGINS: 'https://app.example.com, http://localhost:5173/' }).email.oauthReturnOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
  expect(() => loadConfig({ OAUTH_RETURN_URL_ORIGINS: 'https://app.example.com/settings' })).toThrow(/origin only/);
  expect(() => loadConfig({ OAUTH_RETURN_URL_ORIGINS: 'javascript:alert(1)' })).toThrow(ConfigError);
  expect(() => loadConfig({ OAUTH_RETURN_URL_ORIGINS: 'app.example.com' })).toThrow(ConfigError);
  expect(loadConfig({}).email.googleAuthorizeUrl).toBe('https://accounts.google.com/o/oauth2/v2/auth');
});
