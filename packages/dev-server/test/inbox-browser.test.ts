import { existsSync } from 'node:fs';
import * as client from 'openid-client';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig } from './helpers';

const executablePath = '/usr/bin/chromium';
const available = existsSync(executablePath);
if (!available && process.env.CI) {
  throw new Error(`${executablePath} is required in CI for the approval inbox browser test`);
}
if (!available) {
  console.warn(
    `skipping the approval inbox browser test: ${executablePath} is not installed (apt-get install chromium)`,
  );
}

describe.skipIf(!available)('approval inbox in Chromium', () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startDevServer({ fga: false, cibaIntervalSeconds: 1 });
    browser = await chromium.launch({
      executablePath,
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
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('logs in, shows the pending refund, approves it, and the CIBA poll returns the tokens', async () => {
    const config = await clientConfig(server);
    const refund = { type: 'refund', orderId: '1042', amount: 240, currency: 'EUR' };
    const started = await client.initiateBackchannelAuthentication(config, {
      scope: 'openid refunds:write',
      login_hint: JSON.stringify({ format: 'iss_sub', iss: server.issuer, sub: 'alice' }),
      binding_message: 'Refund order 1042',
      authorization_details: JSON.stringify([refund]),
    });
    const polling = client.pollBackchannelAuthenticationGrant(config, started);

    const page = await browser.newPage();
    await page.goto(server.url('/inbox'));
    await page.fill('#username', 'alice@acme');
    await page.fill('#password', 'alice-password');
    await page.click('#sign-in');
    await page.waitForURL((url) => url.pathname === '/inbox');

    const card = page.locator('.approval[data-status="pending"]', { hasText: 'Refund order 1042' });
    await expect(card.locator('.summary').textContent()).resolves.toBe('Refund 240.00 EUR on order 1042');
    await expect(card.locator('pre').textContent()).resolves.toContain('"orderId": "1042"');
    await expect(card.textContent()).resolves.toContain('AgentGate Demo Agent');
    await card.locator('button.approve').click();
    await page.waitForURL((url) => url.searchParams.get('done') === 'approved');
    await expect(page.locator('.approval[data-status="approved"]').count()).resolves.toBe(1);

    const tokens = await polling;
    expect(tokens.authorization_details).toEqual([refund]);
    expect(tokens.claims()).toMatchObject({ sub: 'alice', acr: 'urn:agentgate:loa:1', amr: ['pwd'] });
  });
});
