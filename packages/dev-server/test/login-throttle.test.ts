import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';
import { PageSession } from './helpers';

let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ fga: false, loginThrottle: { maxFailures: 3, lockoutSeconds: 60 } });
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  vi.useRealTimers();
});

/** Opens the login page of a fresh sign-in; returns a function that posts its form. */
async function loginForm() {
  const browser = new PageSession();
  const { response, url } = await browser.follow(server.url('/inbox'));
  const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(await response.text())?.[1];
  if (!action) throw new Error('no login form');
  const loginUrl = new URL(action, url);
  return async (username: string, password: string) => {
    const answer = await browser.request(loginUrl, { form: { username, password } });
    return {
      status: answer.status,
      retryAfter: answer.headers.get('retry-after'),
      html: await answer.text(),
    };
  };
}

/** Moves the clock the server and the tests read forward (only `Date`; timers stay real). */
function advanceSeconds(seconds: number) {
  vi.setSystemTime(Date.now() + seconds * 1000);
}

let hoursAhead = 0;
/** Fakes `Date` an hour past the previous test's clock (the real clock returns after each test). */
function clockPastEarlierTests() {
  vi.useFakeTimers({ toFake: ['Date'] });
  hoursAhead += 1;
  advanceSeconds(hoursAhead * 3600);
}

describe('startDevServer login throttle', () => {
  it('locks an account out after maxFailures wrong passwords, with a doubling lockout', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const submit = await loginForm();
    for (let attempt = 0; attempt < 3; attempt++) {
      expect((await submit('alice@acme', 'wrong')).status).toBe(401);
    }
    // Locked: even the right password is refused, without being checked.
    const locked = await submit('alice@acme', 'alice-password');
    expect(locked).toMatchObject({ status: 429, retryAfter: '60' });
    expect(locked.html).toContain(
      'Too many failed sign-in attempts for this account. Try again in 60 seconds.',
    );
    await expect(server.login('alice@acme')).rejects.toThrow(
      "login: too many failed sign-in attempts for 'alice@acme'; the login page accepts another in 60 seconds",
    );
    // Another account from the same address is not affected.
    await expect(server.login('bob@acme')).resolves.toMatchObject({ access_token: expect.any(String) });

    advanceSeconds(61);
    expect((await submit('alice@acme', 'wrong')).status).toBe(401);
    expect(await submit('alice@acme', 'alice-password')).toMatchObject({ status: 429, retryAfter: '120' });

    advanceSeconds(121);
    expect((await submit('Alice@Acme', 'alice-password')).status).toBe(303);
    // The success cleared the account's count: one more failure is a plain 401 again.
    const next = await loginForm();
    expect((await next('alice@acme', 'wrong')).status).toBe(401);
    expect((await next('alice@acme', 'alice-password')).status).toBe(303);
  });

  it('counts an account once whichever name is typed: username or e-mail address', async () => {
    clockPastEarlierTests();
    const submit = await loginForm();
    expect((await submit('bob@acme', 'wrong')).status).toBe(401);
    expect((await submit('BOB@acme.example', 'wrong')).status).toBe(401);
    expect((await submit('bob@acme', 'wrong')).status).toBe(401);
    expect(await submit('bob@acme.example', 'bob-password')).toMatchObject({ status: 429, retryAfter: '60' });
    expect(await submit('bob@acme', 'bob-password')).toMatchObject({ status: 429, retryAfter: '60' });

    // A success under one name clears the account's count for the other name too.
    advanceSeconds(61);
    expect((await submit('bob@acme.example', 'bob-password')).status).toBe(303);
    const next = await loginForm();
    expect((await next('bob@acme', 'wrong')).status).toBe(401);
    expect((await next('bob@acme', 'wrong')).status).toBe(401);
    expect((await next('bob@acme', 'bob-password')).status).toBe(303);
  });

  it('counts names that match no account under their first 256 characters', async () => {
    clockPastEarlierTests();
    const submit = await loginForm();
    const prefix = 'x'.repeat(256);
    for (const suffix of ['a', 'b', 'c']) {
      expect((await submit(`${prefix}${suffix}`, 'guess')).status).toBe(401);
    }
    expect((await submit(`${prefix}d`, 'guess')).status).toBe(429);
  });

  it('locks a client address out after 4 × maxFailures failures across accounts, and says so', async () => {
    clockPastEarlierTests();
    const submit = await loginForm();
    for (let attempt = 0; attempt < 12; attempt++) {
      expect((await submit(`nobody-${attempt}@acme`, 'guess')).status).toBe(401);
    }
    const locked = await submit('carol@globex', 'carol-password');
    expect(locked).toMatchObject({ status: 429, retryAfter: '60' });
    expect(locked.html).toContain(
      'Too many failed sign-in attempts from this client address (127.0.0.1), whichever the account. Try again in 60 seconds.',
    );
    expect(locked.html).not.toContain('for this account');
    await expect(server.login('bob@acme')).rejects.toThrow(
      'login: too many failed sign-in attempts from this client address (127.0.0.1), whichever the account; the login page accepts another in 60 seconds',
    );
    advanceSeconds(61);
    expect((await submit('carol@globex', 'carol-password')).status).toBe(303);
  });
});

describe('startDevServer loginThrottle option', () => {
  it.each([
    [{ maxFailures: 0 }, 'startDevServer: loginThrottle.maxFailures must be a positive integer'],
    [
      { lockoutSeconds: 901 },
      'startDevServer: loginThrottle.lockoutSeconds must be an integer from 1 to 900',
    ],
    ['yes', 'startDevServer: loginThrottle must be an object or false'],
  ])('refuses %j with a TypeError', async (loginThrottle, message) => {
    await expect(startDevServer({ fga: false, loginThrottle: loginThrottle as never })).rejects.toThrow(
      new TypeError(message),
    );
  });

  it('loginThrottle: false turns it off', async () => {
    const open = await startDevServer({ fga: false, loginThrottle: false });
    try {
      const browser = new PageSession();
      const { response, url } = await browser.follow(open.url('/inbox'));
      const action = /action="(\/interaction\/[\w-]+\/login)"/.exec(await response.text())?.[1] ?? '';
      for (let attempt = 0; attempt < 8; attempt++) {
        const answer = await browser.request(new URL(action, url), {
          form: { username: 'alice@acme', password: 'wrong' },
        });
        expect(answer.status).toBe(401);
      }
    } finally {
      await open.close();
    }
  });
});
