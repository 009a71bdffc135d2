import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import {
  launchChromium,
  newContext,
  requireChromium,
  reviewPage,
  signInOnPage,
  type Viewport,
  viewports,
} from './pages-browser-harness';

const available = requireChromium('connections pages browser test');

describe.skipIf(!available)('connections pages in Chromium', () => {
  let server: DevServer;
  let browser: Browser;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDevServer({ fga: false }), launchChromium()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const users = { desktop: { login: 'alice@acme', sub: 'alice' }, phone: { login: 'bob@acme', sub: 'bob' } };

  describe.each(viewports)('at $width px', (viewport: Viewport) => {
    let context: BrowserContext;
    let page: Page;
    const user = users[viewport.name];
    const card = () => page.getByRole('article', { name: /^Acme Calendar/ });
    const heading = () => page.getByRole('heading', { level: 1 }).textContent();

    beforeAll(async () => {
      context = await newContext(browser, viewport);
      page = await context.newPage();
    });
    afterAll(async () => {
      await context?.close();
    });

    it('sends a signed-out person through sign-in and back; lists what each scope allows', async () => {
      await page.goto(server.url('/connections'));
      await signInOnPage(page, user.login, `${user.sub}-password`);
      expect(new URL(page.url()).pathname).toBe('/connections');
      await expect(heading()).resolves.toBe('Connected accounts');
      await expect(card().getByText('Not connected').isVisible()).resolves.toBe(true);
      await expect(card().getByText('See the events in your Acme calendar').isVisible()).resolves.toBe(true);
      await expect(
        card().getByText('Create, change and delete events in your Acme calendar').isVisible(),
      ).resolves.toBe(true);
      await reviewPage(page, 'connections-empty', viewport);
    });

    it('a connect link names the agent and the scopes, and Cancel changes nothing', async () => {
      await page.goto(
        server.url('/connections/acme-calendar/connect?scopes=events.read&client_id=agentgate-agent'),
      );
      await expect(heading()).resolves.toBe('Connect Acme Calendar?');
      await expect(
        page.getByText('AgentGate Demo Agent asks to use your Acme Calendar').isVisible(),
      ).resolves.toBe(true);
      await expect(page.getByText('See the events in your Acme calendar').isVisible()).resolves.toBe(true);
      await expect(page.getByText('Create, change and delete events').count()).resolves.toBe(0);
      await reviewPage(page, 'connect-confirm', viewport);
      await page.getByRole('link', { name: 'Cancel' }).click();
      await page.waitForURL((url) => url.pathname === '/connections');
      expect(server.connections.list(user.sub)).toEqual([]);
    });

    it('connects, lands on a result page that survives reloads, and a second visit of the callback is harmless', async () => {
      const callbacks: string[] = [];
      page.on('request', (request) => {
        if (new URL(request.url()).pathname.endsWith('/callback')) callbacks.push(request.url());
      });
      await page.goto(server.url('/connections/acme-calendar/connect?scopes=events.read'));
      await page.getByRole('button', { name: 'Connect Acme Calendar' }).click();
      await page.waitForURL((url) => url.pathname === '/connections' && url.searchParams.has('connected'));
      await expect(page.getByRole('status').textContent()).resolves.toBe('Acme Calendar is connected.');
      await expect(card().getByText('Connected', { exact: true }).isVisible()).resolves.toBe(true);
      await reviewPage(page, 'connections-connected', viewport);

      const reloaded = await page.reload();
      expect(reloaded?.status()).toBe(200);
      expect(callbacks).toHaveLength(1);
      const again = await page.goto(callbacks[0] ?? '');
      expect(again?.status()).toBe(200);
      expect(new URL(page.url()).pathname).toBe('/connections');
      await expect(page.getByText('Connection failed').count()).resolves.toBe(0);
      expect(server.connections.list(user.sub)).toMatchObject([{ scopes: ['events.read'] }]);
      expect(server.connections.externalRefreshTokens(user.sub, 'acme-calendar')).toHaveLength(1);
    });

    it('offers the missing scopes only while some are missing', async () => {
      await page.goto(server.url('/connections'));
      await card().getByRole('button', { name: 'Grant these too' }).click();
      await page.waitForURL((url) => url.searchParams.has('connected'));
      expect(server.connections.list(user.sub)).toMatchObject([{ scopes: ['events.read', 'events.write'] }]);
      await expect(card().getByRole('button', { name: 'Grant these too' }).count()).resolves.toBe(0);
    });

    it('asks to confirm Disconnect, then disconnects once; a reload posts nothing', async () => {
      await page.goto(server.url('/connections'));
      const confirm = card().getByRole('button', { name: 'Yes, disconnect' });
      await expect(confirm.isVisible()).resolves.toBe(false);
      await card().getByText('Disconnect Acme Calendar…').click();
      await expect(confirm.isVisible()).resolves.toBe(true);
      await reviewPage(page, 'connections-disconnect-confirm', viewport);
      await confirm.click();
      await page.waitForURL((url) => url.searchParams.has('disconnected'));
      await expect(page.getByRole('status').textContent()).resolves.toBe(
        'Acme Calendar is disconnected. Its grant was revoked.',
      );
      expect(server.connections.list(user.sub)).toEqual([]);
      const reloaded = await page.reload();
      expect(reloaded?.request().method()).toBe('GET');
      await expect(card().getByText('Not connected').isVisible()).resolves.toBe(true);
    });
  });
});
