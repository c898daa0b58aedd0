/**
 * /docs in a real headless Chromium with the network cut off from everything but the API: Swagger UI
 * (served by the API from its npm package) renders every route and every schema of /openapi.json.
 */
import type { Page } from 'playwright-core';
import request from 'supertest';
import { OPERATIONS } from '../../api/openapi';
import { expectAccessible, launchBrowser, screenshot, type TestBrowser } from './support/browser';
import { startPageStack, type PageStack } from './support/stack';

let stack: PageStack;
let browser: TestBrowser;
const blocked: string[] = [];

jest.setTimeout(120_000);

beforeAll(async () => {
  [stack, browser] = await Promise.all([startPageStack('browser-docs'), launchBrowser({ width: 1280, height: 900 })]);
  // Only the API answers: anything else (a CDN, a font service, a validator badge) is refused and noted.
  await browser.context.route('**/*', async (route) => {
    if (new URL(route.request().url()).origin === stack.baseUrl) await route.continue();
    else {
      blocked.push(route.request().url());
      await route.abort('internetdisconnected');
    }
  });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openDocs(): Promise<Page> {
  const page = await browser.newPage();
  const answer = await page.goto(`${stack.baseUrl}/docs`);
  expect(answer?.status()).toBe(200);
  await page.locator('.opblock').first().waitFor();
  return page;
}

test('/docs renders every route and every schema, with nothing fetched from outside the API', async () => {
  const page = await openDocs();
  expect(await page.locator('.opblock').count()).toBe(OPERATIONS.length);
  const shown = await page.locator('.opblock').evaluateAll((blocks) =>
    blocks.map((block) => `${block.querySelector('.opblock-summary-method')?.textContent ?? ''} ${block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? ''}`),
  );
  const documented = OPERATIONS.map((operation) => `${operation.method.toUpperCase()} ${operation.path.replace(/:(\w+)/g, '{$1}')}`);
  expect(shown.sort()).toEqual(documented.sort());

  const document = (await request(stack.app).get('/openapi.json')).body;
  // OpenAPI 3.1: each component is a top-level JSON Schema 2020-12 article of the Schemas section.
  const models = page.locator('.models article[data-json-schema-level="0"]');
  const names = await models.evaluateAll((articles) => articles.map((article) => article.querySelector('.json-schema-2020-12__title')?.textContent ?? ''));
  expect(names.sort()).toEqual(Object.keys(document.components.schemas).sort());
  // A schema opens to its fields and their descriptions.
  const leadRow = models.filter({ has: page.locator('.json-schema-2020-12__title', { hasText: /^LeadRow$/ }) });
  await leadRow.locator('.json-schema-2020-12-accordion').first().click();
  expect(await leadRow.textContent()).toContain('One lead. Rows are checked one by one');
  await leadRow.locator('.json-schema-2020-12-property', { hasText: 'linkedinUrl' }).getByRole('button', { name: 'Expand all' }).click();
  expect(await leadRow.textContent()).toContain('Required when the campaign has LinkedIn steps');
  expect(await page.getByRole('button', { name: 'Authorize', exact: true }).isVisible()).toBe(true);
  await screenshot(page, 'docs');
  await expectAccessible(page);
  expect(blocked).toEqual([]);
  await page.close();
});

test("an operation opens with its request schema, the step kinds, examples and its answer's schema", async () => {
  const page = await openDocs();
  const createCampaign = page.locator('#operations-Campaigns-postCampaigns');
  await createCampaign.locator('.opblock-summary').click();
  const body = createCampaign.locator('.opblock-body');
  await body.locator('.model-example').first().waitFor();
  const text = (await body.textContent()) ?? '';
  expect(text).toContain('linkedin-connection-request');
  expect(text).toContain('Hi {{firstName}}, glad to connect.');
  expect(text).toContain('Created as a draft');
  // The schema tab of the request body names the step schema and its kinds.
  await body.getByRole('tab', { name: 'Schema' }).first().click();
  expect(await body.textContent()).toContain('CreateCampaign');
  await screenshot(page, 'docs-create-campaign');
  await expectAccessible(page);
  expect(blocked).toEqual([]);
  await page.close();
});

test('no script or style of /docs was refused by its Content Security Policy', () => {
  expect(browser.consoleErrors.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
});
