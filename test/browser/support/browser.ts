/**
 * A real headless Chromium for the browser tests: Debian's `chromium` package (installed by .ci/run
 * with apt-get), driven by playwright-core. Playwright's own browser download does not work on these
 * machines, and nothing is downloaded at run time. Each test file gets a fresh profile folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

/** Screenshots of every page state, for review (ignored by git). */
export const SCREENSHOT_DIR = path.join(__dirname, '..', 'screenshots');

const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface TestBrowser {
  context: BrowserContext;
  /** Console errors and CSP violations the pages reported, to check that nothing was blocked. */
  consoleErrors: string[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/** A phone-sized Chromium (360 × 800: the narrow phones pages must stay readable on) with a fresh profile. */
export async function launchBrowser(options: { width?: number; height?: number } = {}): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: install Debian's chromium (apt-get update && apt-get install -y chromium), as .ci/run does`);
  }
  const profile = await mkdtemp(path.join(os.tmpdir(), 'pacer-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: FLAGS,
    viewport: { width: options.width ?? 360, height: options.height ?? 800 },
    locale: 'en-GB',
  });
  const consoleErrors: string[] = [];
  const watch = (page: Page) => page.on('console', (message) => (message.type() === 'error' ? consoleErrors.push(message.text()) : undefined));
  context.pages().forEach(watch);
  context.on('page', watch);
  return {
    context,
    consoleErrors,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

/** axe-core on the page as it is: no serious or critical violation (WCAG 2.1 A/AA rules and best practices). */
export async function expectAccessible(page: Page): Promise<void> {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map((violation) => ({ rule: violation.id, help: violation.help, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
  expect(serious).toEqual([]);
  // axe must have checked something: a page it could not read would pass vacuously.
  expect(results.passes.length).toBeGreaterThan(10);
}

/** The page fits the viewport's width: nothing to scroll sideways on a phone. */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  // A string: the project's TypeScript has no DOM types.
  const { scrollWidth, clientWidth } = await page.evaluate<{ scrollWidth: number; clientWidth: number }>(
    '({ scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth })',
  );
  expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
}
