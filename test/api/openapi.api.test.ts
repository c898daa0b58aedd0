import type { Express } from 'express';
import request from 'supertest';
import { OPERATIONS } from '../../api/openapi';
import { startApiHarness, type ApiHarness } from '../support/api';

let harness: ApiHarness;

beforeAll(async () => {
  harness = await startApiHarness({ operatorApiKey: 'operator-key-for-openapi-test' });
}, 120_000);

afterAll(() => harness?.stop());

interface RouteLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouteLayer[] };
}

/** `METHOD path` of every route the Express app serves, read from its router. */
function servedRoutes(app: Express): string[] {
  const collect = (layers: RouteLayer[]): string[] =>
    layers.flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route?.path}`)
        : collect(layer.handle?.stack ?? []),
    );
  return collect((app as unknown as { router: { stack: RouteLayer[] } }).router.stack).sort();
}

test('/openapi.json is a valid OpenAPI 3.1 document', async () => {
  const response = await request(harness.app).get('/openapi.json');
  expect(response.status).toBe(200);
  expect(response.body.openapi).toBe('3.1.0');
  // An ES module: loaded dynamically from this CommonJS test.
  const { Validator } = await import('@seriousme/openapi-schema-validator');
  const result = await new Validator().validate(response.body);
  expect(result.errors ?? []).toEqual([]);
  expect(result.valid).toBe(true);
});

test('the document covers exactly the routes the API serves', () => {
  const documented = OPERATIONS.map((operation) => `${operation.method.toUpperCase()} ${operation.path}`).sort();
  expect(documented).toEqual(servedRoutes(harness.app));
});

test('request bodies are the schemas the routes validate with', async () => {
  const document = (await request(harness.app).get('/openapi.json')).body;
  const workingHours = document.paths['/identities/{id}/working-hours'].put.requestBody.content['application/json'].schema;
  expect(workingHours.required).toEqual(expect.arrayContaining(['timeZone', 'days', 'start', 'end']));
  expect(workingHours.additionalProperties).toBe(false);
  expect(workingHours.properties.days.items.enum).toEqual(['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN']);
});

test('/docs renders every operation as a page without scripts', async () => {
  const response = await request(harness.app).get('/docs');
  expect(response.status).toBe(200);
  expect(response.headers['content-type']).toMatch(/^text\/html/);
  for (const operation of OPERATIONS) expect(response.text).toContain(`${operation.method.toUpperCase()} ${operation.path}`);
  expect(response.text).not.toContain('<script');
});
