import * as client from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { clientConfig } from './helpers';
import {
  launchChromium,
  newContext,
  requireChromium,
  reviewPage,
  signInOnPage,
  type Viewport,
  viewports,
} from './pages-browser-harness';

const available = requireChromium('approval inbox browser test');

describe.skipIf(!available)('approval inbox in Chromium', () => {
  let server: DevServer;
  let browser: Browser;
  let config: client.Configuration;

  beforeAll(async () => {
    [server, browser] = await Promise.all([
      startDevServer({ fga: false, cibaIntervalSeconds: 1 }),
      launchChromium(),
    ]);
    config = await clientConfig(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const askFor = (sub: string, bindingMessage: string, detail: Record<string, unknown>) =>
    client.initiateBackchannelAuthentication(config, {
      scope: 'openid refunds:write',
      login_hint: JSON.stringify({ format: 'iss_sub', iss: server.issuer, sub }),
      binding_message: bindingMessage,
      authorization_details: JSON.stringify([detail]),
    });

  describe.each(viewports)('at $width px', (viewport: Viewport) => {
    let context: BrowserContext;
    let page: Page;
    const orderId = `10${viewport.width}`;
    const refund = { type: 'refund', orderId, amount: 240, currency: 'EUR' };

    beforeAll(async () => {
      context = await newContext(browser, viewport);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('signs in, shows a request that arrives while the page is open, and approves it once', async () => {
      await page.goto(server.url('/inbox'));
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
      await reviewPage(page, 'sign-in', viewport);
      await signInOnPage(page, 'alice@acme', 'alice-password');
      expect(new URL(page.url()).pathname).toBe('/inbox');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Approval inbox');
      await expect(page.getByText('Nothing waits for your approval.').isVisible()).resolves.toBe(true);
      await reviewPage(page, 'inbox-empty', viewport);

      // The request arrives after the page loaded: it appears without a reload.
      const started = await askFor('alice', `Refund order ${orderId}`, refund);
      const polling = client.pollBackchannelAuthenticationGrant(config, started);
      const card = page.getByRole('article', { name: 'AgentGate Demo Agent asks for your approval' });
      await card.waitFor();

      const verified = card.getByRole('region', { name: 'Verified summary' });
      await expect(verified.getByText(`Refund 240.00 EUR on order ${orderId}`).isVisible()).resolves.toBe(
        true,
      );
      await expect(verified.getByText('240.00 EUR', { exact: true }).isVisible()).resolves.toBe(true);
      await expect(verified.textContent()).resolves.toContain('verified by the server');
      const agentWords = card.getByRole('region', { name: 'Message from the agent' });
      await expect(agentWords.textContent()).resolves.toContain(`“Refund order ${orderId}”`);
      await expect(agentWords.textContent()).resolves.toContain('its own words, not verified');
      await expect(card.getByText(/^expires in \d+ min$/).isVisible()).resolves.toBe(true);
      await expect(card.getByText('refunds:write').isVisible()).resolves.toBe(false);
      await reviewPage(page, 'inbox-pending', viewport);

      // Approve is the primary action, Deny the destructive one.
      const approve = card.getByRole('button', { name: 'Approve' });
      const deny = card.getByRole('button', { name: 'Deny' });
      await expect(approve.getAttribute('class')).resolves.toContain('button-primary');
      await expect(deny.getAttribute('class')).resolves.toContain('button-danger');
      await approve.click();
      await page.waitForURL((url) => url.searchParams.get('done') === 'approved');
      await expect(
        page.getByRole('status').filter({ hasText: 'Request approved.' }).isVisible(),
      ).resolves.toBe(true);
      const decided = page
        .getByRole('article', { name: 'AgentGate Demo Agent asked for your approval' })
        .filter({ hasText: `Refund order ${orderId}` });
      await expect(decided.getByText('Approved', { exact: true }).isVisible()).resolves.toBe(true);
      await expect(decided.getByRole('button').count()).resolves.toBe(0);
      await reviewPage(page, 'inbox-decided', viewport);

      // Post/redirect/get: a reload shows the same page and decides nothing again.
      const response = await page.reload();
      expect(response?.request().method()).toBe('GET');
      expect(response?.status()).toBe(200);
      const tokens = await polling;
      expect(tokens.authorization_details).toEqual([refund]);
      expect(server.approvals.list({ sub: 'alice', status: 'approved' })).toHaveLength(
        viewport === viewports[0] ? 1 : 2,
      );
    });

    it('opens a request on its own page, denies it there, and goes back to the list', async () => {
      const started = await askFor('alice', `Pay supplier ${orderId}`, {
        type: 'payment',
        creditor: 'Acme Supplies',
        amount: 99.5,
        currency: 'USD',
      });
      await page.goto(server.url('/inbox'));
      const card = page.getByRole('article', { name: 'AgentGate Demo Agent asks for your approval' });
      await card.getByRole('link', { name: 'AgentGate Demo Agent asks for your approval' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/inbox/'));
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Approval request');
      await expect(page.getByText('Pay 99.50 USD to Acme Supplies').isVisible()).resolves.toBe(true);
      await reviewPage(page, 'inbox-detail', viewport);

      await page.getByRole('button', { name: 'Deny' }).click();
      await page.waitForURL((url) => url.searchParams.get('done') === 'denied');
      await expect(client.pollBackchannelAuthenticationGrant(config, started)).rejects.toMatchObject({
        error: 'access_denied',
      });
      await page.goBack();
      // Back on the detail page: the request is decided, so it offers no buttons any more.
      await page.reload();
      await expect(page.getByText('Denied', { exact: true }).isVisible()).resolves.toBe(true);
      await expect(page.getByRole('button', { name: 'Deny' }).count()).resolves.toBe(0);
      await page.getByRole('link', { name: '← All requests' }).click();
      await page.waitForURL((url) => url.pathname === '/inbox');
    });

    it('keeps the keyboard focus and open details where they were when a new request appears', async () => {
      try {
        await askFor('alice', `Focus one ${orderId}`, refund);
        await page.goto(server.url('/inbox'));
        const first = page.getByRole('article').filter({ hasText: `Focus one ${orderId}` });
        await first.getByText('Technical details').click();
        const deny = first.getByRole('button', { name: 'Deny' });
        await deny.focus();
        await askFor('alice', `Focus two ${orderId}`, refund);
        const second = page.getByRole('article').filter({ hasText: `Focus two ${orderId}` });
        await second.waitFor();
        await expect(deny.evaluate((element) => element === document.activeElement)).resolves.toBe(true);
        await expect(
          first.locator('details').evaluate((element) => (element as HTMLDetailsElement).open),
        ).resolves.toBe(true);
        // The keyboard still decides the request it was on.
        await page.keyboard.press('Enter');
        await page.waitForURL((url) => url.searchParams.get('done') === 'denied');
        const statusOf = (message: string) =>
          server.approvals.list({ sub: 'alice' }).find((item) => item.bindingMessage === message)?.status;
        expect([statusOf(`Focus one ${orderId}`), statusOf(`Focus two ${orderId}`)]).toEqual([
          'denied',
          'pending',
        ]);
        await Promise.all([page.waitForEvent('load'), second.getByRole('button', { name: 'Deny' }).click()]);
        await expect(
          page.getByRole('article', { name: 'AgentGate Demo Agent asks for your approval' }).count(),
        ).resolves.toBe(0);
      } finally {
        // Whatever happened above, leave no pending request for the next tests to trip over.
        for (const item of server.approvals.list({ sub: 'alice', status: 'pending' })) {
          await server.approvals.deny(item.id);
        }
      }
    });

    it('signs out from the header; the inbox then asks to sign in again', async () => {
      await page.goto(server.url('/inbox'));
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((url) => url.pathname === '/');
      await expect(page.getByRole('status').textContent()).resolves.toBe('You are signed out.');
      await page.goto(server.url('/inbox'));
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Sign in');
    });
  });
});
