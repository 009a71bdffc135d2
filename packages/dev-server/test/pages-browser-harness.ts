import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { expect } from 'vitest';

/** Debian's Chromium, driven by playwright-core (no downloaded browser). */
export const chromiumPath = '/usr/bin/chromium';
export const chromiumAvailable = existsSync(chromiumPath);

/** Where the page screenshots go for review (git-ignored: `packages/dev-server/test-output/`). */
export const screenshotFolder = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'test-output',
  'screenshots',
);

/** Fails in CI without Chromium; elsewhere warns once and lets the suite skip. */
export function requireChromium(what: string): boolean {
  if (!chromiumAvailable && process.env.CI) {
    throw new Error(`${chromiumPath} is required in CI for the ${what}`);
  }
  if (!chromiumAvailable) {
    console.warn(`skipping the ${what}: ${chromiumPath} is not installed (apt-get install chromium)`);
  }
  return chromiumAvailable;
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The two sizes every page is checked at: a desktop window and a phone. */
export const viewports = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
] as const;
export type Viewport = (typeof viewports)[number];

const consoleErrors = new WeakMap<Page, string[]>();

/**
 * A browser context at `viewport` whose pages record script errors and console errors (a CSP
 * violation is one), except the browser's note that a page answered with an error status.
 */
export async function newContext(browser: Browser, viewport: Viewport): Promise<BrowserContext> {
  const context = await browser.newContext({
    viewport: { width: viewport.width, height: viewport.height },
    ...(viewport.name === 'phone' ? { hasTouch: true, isMobile: true } : {}),
  });
  context.on('page', (page) => {
    const errors: string[] = [];
    consoleErrors.set(page, errors);
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
        errors.push(message.text());
      }
    });
  });
  return context;
}

/** Signs in on the dev server's login page (found by label) and waits until it leaves `/interaction/`. */
export async function signInOnPage(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/interaction/'));
}

let axeSource: Promise<string> | undefined;

interface AxeViolation {
  id: string;
  impact?: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/**
 * Runs axe-core (injected from the installed package) on the page and returns its serious and
 * critical violations, each as `rule: help (targets)`.
 */
export async function seriousAccessibilityViolations(page: Page): Promise<string[]> {
  axeSource ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  // The pages' CSP allows only the server's own scripts, so an injected <script> tag would be blocked:
  // axe is evaluated through the DevTools protocol instead, which CSP does not govern.
  await page.evaluate(await axeSource);
  const violations = await page.evaluate(async () => {
    const axe = (
      globalThis as unknown as {
        axe: { run(context: unknown, options: unknown): Promise<{ violations: AxeViolation[] }> };
      }
    ).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(({ id, impact, help, nodes }) => ({
      id,
      impact,
      help,
      nodes: nodes.map((node) => ({ target: node.target })),
    }));
  });
  return violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => JSON.stringify(node.target)).join(', ')})`,
    );
}

/** Visible buttons, button-styled links and disclosure toggles smaller than 44 × 44 CSS pixels. */
export function smallTouchTargets(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('button, .button, summary, input:not([type=hidden])'))
      .map((element) => ({ element, box: element.getBoundingClientRect() }))
      .filter(({ box }) => box.width > 0 && box.height > 0 && (box.width < 44 || box.height < 44))
      .map(
        ({ element, box }) => `${element.textContent?.trim() || element.tagName} ${box.width}×${box.height}`,
      ),
  );
}

/**
 * Checks one page state: no console error so far (CSP violations included), no serious or critical
 * axe violation, 44 px touch targets, and a full-page
 * screenshot written to {@link screenshotFolder} as `<name>-<viewport>.png`.
 */
export async function reviewPage(page: Page, name: string, viewport: Viewport): Promise<void> {
  expect(consoleErrors.get(page) ?? [], `console errors up to ${name} (${viewport.name})`).toEqual([]);
  await mkdir(screenshotFolder, { recursive: true });
  await page.screenshot({ path: join(screenshotFolder, `${name}-${viewport.name}.png`), fullPage: true });
  expect(await seriousAccessibilityViolations(page), `axe on ${name} (${viewport.name})`).toEqual([]);
  expect(await smallTouchTargets(page), `touch targets on ${name} (${viewport.name})`).toEqual([]);
}
