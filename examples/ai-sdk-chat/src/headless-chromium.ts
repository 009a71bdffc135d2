/**
 * Headless Debian Chromium through `playwright-core`, for the chat's browser test (the launch flags of the dev
 * server's inbox test). Here, next to the example that depends on `playwright-core`, so a test anywhere in the
 * workspace can drive the page.
 */
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

export type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

export const chromiumPath = '/usr/bin/chromium';

/** True when Debian's Chromium is installed (`apt-get install chromium`). */
export function chromiumAvailable(): boolean {
  return existsSync(chromiumPath);
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
