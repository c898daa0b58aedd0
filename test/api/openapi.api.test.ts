import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import request from 'supertest';
import { OPERATIONS } from '../../api/openapi';
import { createWorkspaceWithKey, startApiHarness, type ApiHarness } from '../support/api';
import { startDovecot, type DovecotServer } from '../support/dovecot';
import { testKeyring } from '../support/keyring';
import { startSmtpTestServer, type SmtpTestServer } from '../support/smtp-test-server';

const OPERATOR_KEY = 'operator-key-for-openapi-test';
const ADDRESS = 'docs@openapi-test.example';
const PASSWORD = 'docs-mailbox-pass-3f9a';

let harness: ApiHarness;
let app: Express;
/** Untyped JSON, as supertest gives it. */
type Json = request.Response['body'];

let document: Json;
let dovecot: DovecotServer;
let smtp: SmtpTestServer;

beforeAll(async () => {
  [harness, dovecot, smtp] = await Promise.all([
    startApiHarness({
      operatorApiKey: OPERATOR_KEY,
      oauth: {
        keyring: testKeyring,
        stateSecret: 'oauth-state-secret-for-openapi-tests-0123456789',
        redirectBaseUrl: 'https://pacer.example',
        google: { clientId: 'google-client.apps.googleusercontent.com', clientSecret: 'google-secret', tokenUrl: 'http://127.0.0.1:9/token', gmailRootUrl: 'http://127.0.0.1:9/' },
        microsoft: { clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'ms-secret', loginBaseUrl: 'http://127.0.0.1:9', graphBaseUrl: 'http://127.0.0.1:9' },
      },
    }),
    startDovecot({ users: { [ADDRESS]: PASSWORD } }),
    startSmtpTestServer({ users: { [ADDRESS]: PASSWORD } }),
  ]);
  app = harness.app;
  document = (await request(app).get('/openapi.json')).body;
}, 120_000);

afterAll(async () => {
  await Promise.all([harness?.stop(), dovecot?.stop(), smtp?.stop()]);
});

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/** `METHOD path` of every route the Express app serves, read from its router. */
function servedRoutes(served: Express): string[] {
  const collect = (layers: RouteLayer[]): string[] =>
    layers.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route?.path}`)
        : collect(layer.handle?.stack ?? []),
    );
  return collect((served as unknown as { router: { stack: RouteLayer[] } }).router.stack).sort();
}

/** A JSON Schema validator over the document's components (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
function validator() {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'openapi');
  return (component: string, value: unknown): string[] => {
    const validate = ajv.getSchema(`openapi#/components/schemas/${component}`);
    if (!validate) return [`no component ${component}`];
    return validate(value) ? [] : (validate.errors ?? []).map((error) => `${component}${error.instancePath} ${error.message ?? ''}`);
  };
}

const componentOf = (content: { schema?: { $ref?: string } } | undefined) => content?.schema?.$ref?.replace('#/components/schemas/', '');

test('/openapi.json is a valid OpenAPI 3.1 document', async () => {
  expect(document.openapi).toBe('3.1.0');
  // An ES module: loaded dynamically from this CommonJS test.
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const result = await new Validator().validate(document);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
});

test('the document covers exactly the routes the API serves', () => {
  const documented = OPERATIONS.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`).sort();
  expect(documented).toEqual(servedRoutes(app));
});

test('request bodies are the schemas the routes validate with', () => {
  const { schemas } = document.components;
  const workingHours = schemas.WorkingHours;
  expect(document.paths['/identities/{id}/working-hours'].put.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/WorkingHours' });
  expect(workingHours.required).toEqual(expect.arrayContaining(['timeZone', 'days', 'start', 'end']));
  expect(workingHours.additionalProperties).toBe(false);
  expect(workingHours.properties.days.items.enum).toEqual(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN']);
  // A lead row is described field by field, not `{}`; each step kind says what it does.
  expect(schemas.AddLeads.properties.leads.items).toEqual({ $ref: '#/components/schemas/LeadRow' });
  expect(Object.keys(schemas.LeadRow.properties)).toEqual(['firstName', 'lastName', 'company', 'linkedinUrl', 'email', 'variables']);
  for (const field of Object.values<{ description?: string }>(schemas.LeadRow.properties)) expect(field.description).toEqual(expect.any(String));
  expect(schemas.CampaignStep.oneOf).toHaveLength(5);
  for (const kind of ['linkedin-connection-request', 'linkedin-message', 'linkedin-profile-scrape', 'linkedin-like', 'email']) {
    expect(schemas[`CampaignStep.${kind}`].properties.kind).toMatchObject({ const: kind, description: expect.stringContaining(kind) });
  }
  expect(schemas.CampaignStep.description).toContain('`kind`');
});

test('every operation documents its answer with a named schema and an example, and every body with an example; each example matches its schema', () => {
  const check = validator();
  const problems: string[] = [];
  for (const [path, methods] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary).toEqual(expect.any(String));
      for (const [status, success] of Object.entries(operation.responses as Record<string, Json>).filter(([code]) => /^2/.test(code))) {
        const json = success.content?.['application/json'];
        const isPage = json === undefined && success.content?.['text/html'] !== undefined;
        if (status === '204' || isPage) continue;
        const component = componentOf(json);
        if (!component) problems.push(`${where} ${status}: answer without a named schema`);
        else if (json.example === undefined) problems.push(`${where} ${status}: answer without an example`);
        else problems.push(...check(component, json.example).map((problem) => `${where} ${status} answer example: ${problem}`));
      }
      for (const [type, body] of Object.entries((operation.requestBody?.content ?? {}) as Record<string, Json>)) {
        const component = componentOf(body);
        if (!component) problems.push(`${where}: ${type} body without a named schema`);
        else if (body.example === undefined) problems.push(`${where}: ${type} body without an example`);
        else problems.push(...check(component, body.example).map((problem) => `${where} ${type} example: ${problem}`));
      }
      // Errors are documented too, with the problem schema.
      expect(Object.keys(operation.responses).some((code) => /^[45]/.test(code)) || path === '/healthz' || path === '/openapi.json' || path === '/docs').toBe(true);
    }
  }
  expect(problems).toEqual([]);
  expect(document.components.securitySchemes.apiKey).toMatchObject({ type: 'http', scheme: 'bearer', description: expect.stringContaining('Authorization: Bearer') });
  expect(document.info.description).toContain('Authorization: Bearer <key>');
});

test('real answers match their documented schemas, route by route', async () => {
  const check = validator();
  const covered = new Set<string>();
  const problems: string[] = [];
  /** Validates an answer against the schema OPERATIONS documents for its route and status. */
  const expectDocumented = (method: string, route: string, answer: request.Response) => {
    const operation = document.paths[route.replace(/:(\w+)/g, '{$1}')]?.[method];
    const documented = operation?.responses?.[String(answer.status)]?.content?.['application/json'];
    const component = componentOf(documented);
    if (!component) {
      problems.push(`${method.toUpperCase()} ${route} answered ${answer.status}, which is not documented as JSON: ${answer.text.slice(0, 200)}`);
      return answer;
    }
    problems.push(...check(component, answer.body).map((problem) => `${method.toUpperCase()} ${route}: ${problem}`));
    covered.add(`${method.toUpperCase()} ${route}`);
    return answer;
  };
  const { apiKey, workspaceId } = await createWorkspaceWithKey(harness.db, 'openapi-contract');
  const key = { Authorization: `Bearer ${apiKey}` };
  const operator = { Authorization: `Bearer ${OPERATOR_KEY}` };
  const call = async (method: 'get' | 'post' | 'put' | 'patch' | 'delete', route: string, path: string, body?: unknown, headers = key) => {
    const pending = request(app)[method](path).set(headers);
    return expectDocumented(method, route, await (body === undefined ? pending : pending.send(body as object)));
  };
  const hours = { timeZone: 'Europe/Paris', days: ['MON', 'TUE', 'WED', 'THU', 'FRI'], start: '09:00', end: '18:00' };

  await call('get', '/healthz', '/healthz');
  await call('get', '/openapi.json', '/openapi.json');
  await call('get', '/workspace', '/workspace');
  const identity = (await call('post', '/identities', '/identities', { firstName: 'Ada', lastName: 'Docs', workingHours: hours })).body;
  const id = identity.id as string;
  await call('post', '/identities/from-linkedin', '/identities/from-linkedin', { profile: { profileUrl: 'https://www.linkedin.com/in/grace-docs', firstName: 'Grace', lastName: 'Docs', headline: 'CTO' }, workingHours: hours });
  await call('get', '/identities', '/identities?limit=1');
  await call('get', '/identities/:id', `/identities/${id}`);
  await call('patch', '/identities/:id', `/identities/${id}`, { jobTitle: 'Head of Docs' });
  await call('put', '/identities/:id/working-hours', `/identities/${id}/working-hours`, hours);
  await call('put', '/identities/:id/linkedin/rate-limits', `/identities/${id}/linkedin/rate-limits`, { dailyConnectionRequests: 30, dailyMessages: 100 });
  await call('put', '/identities/:id/linkedin/withdrawals', `/identities/${id}/linkedin/withdrawals`, { autoWithdraw: true, thresholdDays: 7 });
  await call('put', '/identities/:id/likings-opt-out', `/identities/${id}/likings-opt-out`, { optOut: true });
  await call('put', '/identities/:id/signature', `/identities/${id}/signature`, { mode: 'html', html: '<p>Ada<script>x</script></p>' });
  await call('get', '/identities/:id/status', `/identities/${id}/status`);
  const invitation = (await call('post', '/identities/:id/linkedin/invitations', `/identities/${id}/linkedin/invitations`, { profileUrl: 'https://www.linkedin.com/in/alan-docs' })).body;
  await call('get', '/identities/:id/linkedin/invitations', `/identities/${id}/linkedin/invitations?status=queued`);
  await call('post', '/identities/:id/linkedin/invitations/withdraw', `/identities/${id}/linkedin/invitations/withdraw`, { invitationIds: [invitation.id, 'not-an-id'] });
  await call('get', '/identities/:id/linkedin/withdrawals', `/identities/${id}/linkedin/withdrawals`);

  const servers = { imap: { host: '127.0.0.1', port: dovecot.port, security: 'none' }, smtp: { host: '127.0.0.1', port: smtp.port, security: 'none' } };
  const inbox = (await call('post', '/identities/:id/email-accounts/imap', `/identities/${id}/email-accounts/imap`, { email: ADDRESS, password: PASSWORD, ...servers })).body;
  await call('post', '/identities/:id/email-accounts/imap', `/identities/${id}/email-accounts/imap`, { email: ADDRESS, password: PASSWORD, ...servers });
  await call('get', '/identities/:id/email-accounts', `/identities/${id}/email-accounts`);
  await call('put', '/identities/:id/email-accounts/:accountId/rate', `/identities/${id}/email-accounts/${inbox.id}/rate`, { dailyRate: 40, hourlyRate: 6 });
  await call('put', '/admin/email-accounts/:accountId/rate-override', `/admin/email-accounts/${inbox.id}/rate-override`, { dailyRate: 150, hourlyRate: 20, reason: 'docs test', expiresAt: new Date(Date.now() + 86_400_000).toISOString() }, operator);
  await call('post', '/identities/:id/email-accounts/google/authorize', `/identities/${id}/email-accounts/google/authorize`);
  await call('post', '/identities/:id/email-accounts/microsoft/authorize', `/identities/${id}/email-accounts/microsoft/authorize`, {});

  const campaign = (
    await call('post', '/campaigns', '/campaigns', {
      identityId: id,
      name: 'Docs',
      emailInbox: inbox.id,
      steps: [
        { kind: 'linkedin-connection-request', delayMinutes: 0, note: 'Hi {{firstName}}' },
        { kind: 'email', delayMinutes: 60, subject: 'Hello', body: 'Hi {{firstName}}' },
      ],
    })
  ).body;
  await call('get', '/campaigns', '/campaigns');
  await call('post', '/campaigns/:id/leads', `/campaigns/${campaign.id}/leads`, { leads: [{ firstName: 'Lin', linkedinUrl: 'https://www.linkedin.com/in/lin-docs', email: 'lin@example.org' }, { firstName: 'Bad' }] });
  await call('post', '/campaigns/:id/start', `/campaigns/${campaign.id}/start`);
  await call('post', '/campaigns/:id/pause', `/campaigns/${campaign.id}/pause`);
  await call('post', '/campaigns/:id/resume', `/campaigns/${campaign.id}/resume`);
  await call('get', '/campaigns/:id', `/campaigns/${campaign.id}`);
  await call('get', '/campaigns/:id/leads', `/campaigns/${campaign.id}/leads`);

  await call('post', '/identities/:id/email-accounts/:accountId/warmup', `/identities/${id}/email-accounts/${inbox.id}/warmup`, { pauseCampaigns: true });
  await call('get', '/identities/:id/email-accounts/:accountId/warmup', `/identities/${id}/email-accounts/${inbox.id}/warmup`);
  await call('delete', '/identities/:id/email-accounts/:accountId/warmup', `/identities/${id}/email-accounts/${inbox.id}/warmup`);

  const link = (await call('post', '/identities/:id/share-links', `/identities/${id}/share-links`)).body;
  await call('get', '/identities/:id/share-links', `/identities/${id}/share-links`);
  const token = String(link.url).split('/').pop()!;
  const shareBase = `/share/${token}/identities/${id}`;
  await call('get', '/share/:token', `/share/${token}`);
  await call('post', '/share/:token/identities/:identityId/linkedin/reconnect', `${shareBase}/linkedin/reconnect`);
  await call('post', '/share/:token/identities/:identityId/oauth/:provider/start', `${shareBase}/oauth/google/start`);
  await call('post', '/share/:token/identities/:identityId/email-accounts', `${shareBase}/email-accounts`, { email: ADDRESS, password: PASSWORD, ...servers });
  await call('post', '/share/:token/identities/:identityId/email-accounts/:accountId/reconnect', `${shareBase}/email-accounts/${inbox.id}/reconnect`, { password: PASSWORD });
  await call('delete', '/identities/:id/email-accounts/:accountId', `/identities/${id}/email-accounts/${inbox.id}?force=true`);

  const created = (await call('post', '/admin/workspaces', '/admin/workspaces', { slug: `docs-${Date.now()}`, name: 'Docs' }, operator)).body;
  await call('get', '/admin/workspaces', '/admin/workspaces?limit=2', undefined, operator);
  await call('patch', '/admin/workspaces/:id', `/admin/workspaces/${created.id}`, { linkedinScrapingPoolPerDay: 50 }, operator);
  await call('post', '/admin/workspaces/:id/api-keys', `/admin/workspaces/${created.id}/api-keys`, { name: 'docs' }, operator);
  await call('get', '/admin/workspaces/:id/api-keys', `/admin/workspaces/${workspaceId}/api-keys`, undefined, operator);

  expect(problems).toEqual([]);
  // Every operation that answers JSON was checked against its schema here.
  const jsonOperations = OPERATIONS.filter((operation) => operation.response).map((operation) => `${operation.method.toUpperCase()} ${operation.path}`);
  expect(jsonOperations.filter((operation) => !covered.has(operation))).toEqual([]);
});

test('/docs is Swagger UI served by the API itself: every asset comes from the API, none from a CDN', async () => {
  const page = await request(app).get('/docs');
  expect(page.status).toBe(200);
  expect(page.headers['content-type']).toMatch(/^text\/html/);
  expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map(([, url]) => url!);
  expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css', '/assets/docs.js']));
  for (const asset of assets) {
    expect(asset.startsWith('/')).toBe(true);
    const answer = await request(app).get(asset);
    expect(answer.status).toBe(200);
  }
  expect(page.text).not.toMatch(/https?:\/\//);
  // Only the renderer's files are served from the package, not its demo page.
  expect((await request(app).get('/docs/assets/index.html')).status).not.toBe(200);
});
