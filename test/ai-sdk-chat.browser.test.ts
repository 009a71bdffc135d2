/**
 * The AI SDK chat example (`examples/ai-sdk-chat`, `npm run demo:chat`) end to end in headless Chromium. The example
 * runs as a user starts it (`tsx main.ts`, its own process); the browser signs in on the dev server's real login page,
 * the AI SDK's chat client in the page talks to the app, and the scripted model's real tool calls pass AgentGate.
 * Alice connects her calendar from the connect card, approves a refund in the page, denies another, and approves a
 * large one on her "phone" (the dev server's inbox page, CIBA); Bob is refused. What ran is read back from the app's
 * hash-chained audit file. Screenshots (the approval card first) go to `examples/ai-sdk-chat/test-output/`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readAuditLog, verifyAuditChain } from '@agentgate/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Browser,
  type BrowserContext,
  chromiumAvailable,
  chromiumPath,
  launchChromium,
  type Page,
} from '../examples/ai-sdk-chat/src/headless-chromium';

const available = chromiumAvailable();
if (!available && process.env.CI)
  throw new Error(`${chromiumPath} is required in CI for the chat browser test`);
if (!available) console.warn(`skipping the chat browser test: ${chromiumPath} is not installed`);

const exampleFolder = fileURLToPath(new URL('../examples/ai-sdk-chat/', import.meta.url));
const outputFolder = `${exampleFolder}test-output/`;

interface RunningExample {
  process: ChildProcess;
  url: string;
  inboxUrl: string;
  devServer: string;
  auditFile: string;
}

/** Starts `tsx main.ts` on a free port and reads what it prints. */
async function startExample(): Promise<RunningExample> {
  const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
  const child = spawn(process.execPath, [tsxCli, '--conditions=@agentgate/source', 'main.ts'], {
    cwd: exampleFolder,
    env: { ...process.env, PORT: '0', OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    errors += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    const value = (label: string) => new RegExp(`^${label}:\\s+(\\S+)`, 'm').exec(output)?.[1];
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const [url, inboxUrl, devServer, auditFile] = [
        value('AgentGate chat'),
        value('approval inbox'),
        value('dev server'),
        value('audit file'),
      ];
      if (url && inboxUrl && devServer && auditFile) {
        resolve({ process: child, url, inboxUrl, devServer, auditFile });
      }
    });
    child.once('exit', (code) => reject(new Error(`the example exited (${code}): ${errors}`)));
  });
}

/** The refunds that really ran: `refund_order` events of phase `execute`, outcome `executed`, in the audit file. */
async function refundsExecuted(auditFile: string): Promise<number> {
  const events = await readAuditLog(auditFile);
  return events.filter(
    (event) => event.tool === 'refund_order' && event.phase === 'execute' && event.outcome === 'executed',
  ).length;
}

/** Signs in through the chat's "Sign in" link and the dev server's login page; back on the chat page. */
async function signIn(page: Page, url: string, username: string, password: string): Promise<void> {
  await page.goto(url);
  await page.getByRole('link', { name: 'Sign in' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(
    (current) => current.href.startsWith(url) || current.pathname.startsWith('/interaction/'),
  );
  if (!page.url().startsWith(url)) {
    // The dev server asks once whether the chat app may act for the user.
    await page.getByRole('button', { name: /^(allow|continue)/i }).click();
    await page.waitForURL((current) => current.href.startsWith(url));
  }
}

async function ask(page: Page, text: string): Promise<void> {
  await page.getByLabel('Message').fill(text);
  await page.getByRole('button', { name: 'Send' }).click();
}

/** What the assistant wrote last (its text, not the tool cards), once it is done. */
async function lastAnswer(page: Page): Promise<string> {
  await page.locator('#send:enabled').waitFor();
  const texts = await page
    .getByRole('article', { name: 'Assistant' })
    .last()
    .locator('p.text')
    .allTextContents();
  return texts.join('\n').trim();
}

describe.skipIf(!available)('AI SDK chat example in Chromium', () => {
  let example: RunningExample;
  let browser: Browser;
  let alice: BrowserContext;
  let page: Page;

  beforeAll(async () => {
    [example, browser] = await Promise.all([startExample(), launchChromium()]);
    alice = await browser.newContext({ viewport: { width: 390, height: 844 } });
    page = await alice.newPage();
    await mkdir(outputFolder, { recursive: true });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    if (example && example.process.exitCode === null) {
      const exited = new Promise((resolve) => example.process.once('exit', resolve));
      example.process.kill('SIGTERM');
      await exited;
    }
  });

  it('alice signs in, connects her calendar from the card, and gets the answer', async () => {
    await signIn(page, example.url, 'alice@acme', 'alice-password');
    await expect(page.locator('.account').textContent()).resolves.toContain('Alice Anders');

    await ask(page, 'What is on my calendar?');
    const connectCard = page.getByRole('region', { name: 'Connect your calendar' });
    await connectCard.waitFor();
    await expect(lastAnswer(page)).resolves.toContain('I need access to your Acme Calendar first.');
    const connectLink = connectCard.getByRole('link', { name: 'Connect Acme Calendar' });
    await expect(connectLink.getAttribute('href')).resolves.toMatch(
      new RegExp(`^${example.devServer}connections/acme-calendar/connect\\?scopes=events\\.read`),
    );

    // The link opens the dev server's connect page in a new tab; the browser is signed in there already.
    const [connectPage] = await Promise.all([alice.waitForEvent('page'), connectLink.click()]);
    await connectPage.getByRole('button', { name: 'Connect Acme Calendar' }).click();
    await connectPage.waitForURL((url) => !url.pathname.startsWith('/ext/') && !url.search.includes('code='));
    await connectPage.close();

    await connectCard.getByRole('button', { name: 'Try again' }).click();
    await expect
      .poll(() => lastAnswer(page), { timeout: 15_000 })
      .toBe('Your Acme Calendar is connected and has no events yet.');
  });

  it('alice approves a refund in the page: the card shows the RAR summary, the refund runs once', async () => {
    await ask(page, 'Refund 40 EUR on order 1042');
    const card = page.getByRole('region', { name: 'Approve this refund?' });
    await card.waitFor();
    await expect(card.locator('.summary').textContent()).resolves.toBe('Refund 40.00 EUR on order 1042');
    await card.screenshot({ path: `${outputFolder}approval-card.png` });
    await expect(refundsExecuted(example.auditFile)).resolves.toBe(0);

    await card.getByRole('button', { name: 'Approve' }).click();
    await page.getByRole('region', { name: 'Refund done' }).waitFor();
    await expect.poll(() => lastAnswer(page)).toContain('Refunded 40 EUR on order 1042.');
    await expect(refundsExecuted(example.auditFile)).resolves.toBe(1);
  });

  it('alice denies a refund in the page: nothing runs', async () => {
    await ask(page, 'Refund 30 EUR on order 1042');
    const card = page.getByRole('region', { name: 'Approve this refund?' }).last();
    await card.locator('button:enabled', { hasText: 'Deny' }).waitFor();
    await card.getByRole('button', { name: 'Deny' }).click();
    await page.getByRole('region', { name: 'Refund not approved' }).waitFor();
    await expect.poll(() => lastAnswer(page)).toContain('nothing was done');
    await expect(refundsExecuted(example.auditFile)).resolves.toBe(1);
  });

  it('a large refund waits on alice’s phone (CIBA); she approves in the inbox and it runs', async () => {
    await ask(page, 'Refund 900 EUR on order 1042');
    const note = page.getByRole('region', { name: 'Waiting for your approval on your phone' });
    await note.waitFor();
    await expect(note.textContent()).resolves.toContain('Refund 900 EUR on order 1042');
    const inboxLink = note.getByRole('link', { name: 'Open the approval inbox' });
    await expect(inboxLink.getAttribute('href')).resolves.toBe(example.inboxUrl);
    await note.screenshot({ path: `${outputFolder}phone-note.png` });

    // Her "phone": the dev server's inbox, opened from the note (signed in there already).
    const [inbox] = await Promise.all([alice.waitForEvent('page'), inboxLink.click()]);
    await inbox.getByRole('button', { name: 'Approve' }).first().click();
    await inbox.waitForLoadState();
    await inbox.close();

    // The app's worker settles the request in the background; asking again resumes the same approval.
    await expect
      .poll(
        async () => {
          await page.getByRole('button', { name: 'Check again' }).last().click();
          return lastAnswer(page);
        },
        { timeout: 20_000, interval: 1000 },
      )
      .toContain('Refunded 900 EUR on order 1042.');
    await expect(refundsExecuted(example.auditFile)).resolves.toBe(2);
    await page.screenshot({ path: `${outputFolder}alice-chat-390.png`, fullPage: true });
  });

  it('keeps tokens out of the browser and refuses chat requests without a session or from another origin', async () => {
    const cookies = await alice.cookies(example.url);
    const session = cookies.find((cookie) => cookie.name === 'chat_session');
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
    const jwt = /eyJ[\w-]+\.[\w-]+\./;
    expect(JSON.stringify(cookies)).not.toMatch(jwt);
    await expect(page.content()).resolves.not.toMatch(jwt);

    const chat = (headers: Record<string, string>) =>
      fetch(new URL('/api/chat', example.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ messages: [] }),
      });
    const origin = new URL(example.url).origin;
    expect((await chat({ origin })).status).toBe(401);
    expect(
      (await chat({ origin: 'http://attacker.example', cookie: `chat_session=${session?.value}` })).status,
    ).toBe(403);
    expect((await chat({ origin, cookie: `chat_session=${session?.value}` })).status).toBe(400); // not a conversation
    const logout = await fetch(new URL('/logout', example.url), {
      method: 'POST',
      headers: { origin: 'http://attacker.example', cookie: `chat_session=${session?.value}` },
      redirect: 'manual',
    });
    expect(logout.status).toBe(403);
    expect(logout.headers.get('set-cookie')).toBeNull();
  });

  it('bob, same tenant, is refused the refund and never sees the roadmap he is blocked from', async () => {
    const bob = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      const bobPage = await bob.newPage();
      await signIn(bobPage, example.url, 'bob@acme', 'bob-password');

      // A refund small enough for the chat's approval: OpenFGA refuses bob first, so he is never asked to approve.
      await ask(bobPage, 'Refund 40 EUR on order 1042');
      const denied = bobPage.getByRole('region', { name: 'Not allowed' });
      await denied.waitFor();
      await expect(denied.textContent()).resolves.toContain('Code: FORBIDDEN');
      await expect.poll(() => lastAnswer(bobPage)).toContain('I am not allowed to do that (FORBIDDEN)');
      await expect(bobPage.getByRole('region', { name: 'Approve this refund?' }).count()).resolves.toBe(0);

      await ask(bobPage, 'Refund 900 EUR on order 1042');
      await expect.poll(() => denied.count()).toBe(2);
      await expect(denied.last().textContent()).resolves.toContain('Code: FORBIDDEN');
      await expect.poll(() => lastAnswer(bobPage)).toContain('I am not allowed to do that (FORBIDDEN)');

      await ask(bobPage, 'Search the docs for budget plan');
      await expect.poll(() => lastAnswer(bobPage)).toMatch(/^I found /);
      const answer = await lastAnswer(bobPage);
      expect(answer).toContain('Expense policy');
      expect(answer).not.toContain('Roadmap');
      expect(answer).not.toMatch(/payroll|Budget 2027/i);
      await bobPage.screenshot({ path: `${outputFolder}bob-chat-1280.png`, fullPage: true });
    } finally {
      await bob.close();
    }
    await expect(refundsExecuted(example.auditFile)).resolves.toBe(2);
    // No approval was ever requested for bob, in the chat or on his phone.
    const bobApprovals = (await readAuditLog(example.auditFile)).filter(
      (event) => event.phase === 'approval' && event.sub === 'bob',
    );
    expect(bobApprovals).toEqual([]);
    expect(verifyAuditChain(await readAuditLog(example.auditFile)).valid).toBe(true);
    await expect(readFile(example.auditFile, 'utf8')).resolves.not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });
});
