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

const available = requireChromium('sign-in pages browser test');
const appCallback = 'http://127.0.0.1:3000/callback';

describe.skipIf(!available)('home, sign-in and consent pages in Chromium', () => {
  let server: DevServer;
  let browser: Browser;
  let config: client.Configuration;

  beforeAll(async () => {
    [server, browser] = await Promise.all([startDevServer({ fga: false }), launchChromium()]);
    config = await clientConfig(server);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  describe.each(viewports)('at $width px', (viewport: Viewport) => {
    let context: BrowserContext;
    let page: Page;
    const heading = () => page.getByRole('heading', { level: 1 }).textContent();

    beforeAll(async () => {
      context = await newContext(browser, viewport);
      page = await context.newPage();
      // The demo app's callback: nothing listens there in the test, the browser just has to arrive.
      await context.route(`${appCallback}**`, (route) =>
        route.fulfill({ status: 200, body: 'app callback' }),
      );
    });
    afterAll(async () => {
      await context?.close();
    });

    it('the home page shows the banner and signs in from the header, coming back to it', async () => {
      await page.goto(server.url('/'));
      await expect(page.getByRole('note').textContent()).resolves.toBe(
        'Local development server — not for production',
      );
      await reviewPage(page, 'home', viewport);
      await page.getByRole('banner').getByRole('link', { name: 'Sign in' }).click();
      await expect(
        page.getByText('Sign in to continue to the AgentGate dev server.').isVisible(),
      ).resolves.toBe(true);
      await signInOnPage(page, 'carol@globex', 'carol-password');
      expect(page.url()).toBe(server.issuer);
      await expect(page.getByRole('banner').getByText('Signed in as Carol Chen').isVisible()).resolves.toBe(
        true,
      );
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.waitForURL((url) => url.searchParams.has('signed_out'));
    });

    it('names the client, keeps the username after a wrong password, and explains each scope on consent', async () => {
      const verifier = client.randomPKCECodeVerifier();
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: appCallback,
        scope: 'openid profile calendar:read',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state: client.randomState(),
      });
      await page.goto(authorizationUrl.href);
      await expect(page.getByText('Sign in to continue to AgentGate Demo Agent.').isVisible()).resolves.toBe(
        true,
      );
      await expect(page.getByText('agentgate-agent').count()).resolves.toBe(0);

      await page.getByLabel('Username').fill('bob@acme');
      await page.getByLabel('Password', { exact: true }).fill('not-the-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'Unknown username or wrong password.',
      );
      await expect(page.getByLabel('Username').inputValue()).resolves.toBe('bob@acme');
      await reviewPage(page, 'sign-in-error', viewport);

      await page.getByLabel('Password', { exact: true }).fill('bob-password');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname.startsWith('/interaction/'));
      await expect(heading()).resolves.toBe('Allow access?');
      await expect(page.getByText('See your name').isVisible()).resolves.toBe(true);
      await expect(page.getByText('See your calendar events').isVisible()).resolves.toBe(true);
      const allow = page.getByRole('button', { name: 'Allow' });
      await expect(allow.getAttribute('class')).resolves.toContain('button-primary');
      await expect(page.getByRole('button', { name: 'Deny' }).getAttribute('class')).resolves.toContain(
        'button-secondary',
      );
      await reviewPage(page, 'consent', viewport);

      await allow.click();
      await page.waitForURL((url) => url.href.startsWith(appCallback));
      expect(new URL(page.url()).searchParams.get('code')).toMatch(/\S+/);
    });

    it('Cancel on the login page returns an error to the app, and an expired sign-in offers a way on', async () => {
      const authorizationUrl = client.buildAuthorizationUrl(config, {
        redirect_uri: appCallback,
        scope: 'openid',
        code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
        code_challenge_method: 'S256',
        state: client.randomState(),
        prompt: 'login',
      });
      await page.goto(authorizationUrl.href);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.waitForURL((url) => url.href.startsWith(appCallback));
      expect(new URL(page.url()).searchParams.get('error')).toBe('access_denied');

      await page.goto(server.url('/interaction/unknown-uid'));
      await expect(page.getByRole('alert').textContent()).resolves.toBe(
        'This sign-in request has expired or is unknown.',
      );
      await reviewPage(page, 'sign-in-expired', viewport);
      await page.getByRole('link', { name: 'Start again' }).click();
      await page.waitForURL((url) => url.pathname === '/');
    });
  });
});
