/**
 * A minimal browser for the dev server's pages: keeps cookies, follows redirects, fills the login form (with the
 * one-time code when given) and confirms consent, until the provider redirects to `redirectUri`.
 */
export class TestBrowser {
  readonly #cookies = new Map<string, string>();

  /** Pages the last `authorize` went through (`login`, `confirm`). */
  pages: string[] = [];

  async authorize(
    url: URL,
    redirectUri: string,
    user: { username: string; password: string; otp?: string },
  ): Promise<URL> {
    this.pages = [];
    let current = url;
    let response = await this.#request(current);
    for (let step = 0; step < 20; step++) {
      if (response.status >= 300 && response.status < 400) {
        current = new URL(response.headers.get('location') ?? '', current);
        if (current.href.startsWith(redirectUri)) return current;
        response = await this.#request(current);
        continue;
      }
      const html = await response.text();
      const login = /action="(\/interaction\/[\w-]+\/login)"/.exec(html)?.[1];
      const confirm = /action="(\/interaction\/[\w-]+\/confirm)"/.exec(html)?.[1];
      if (login) {
        this.pages.push('login');
        current = new URL(login, current);
        response = await this.#request(current, {
          username: user.username,
          password: user.password,
          ...(user.otp === undefined ? {} : { otp: user.otp }),
        });
        continue;
      }
      if (confirm) {
        this.pages.push('confirm');
        current = new URL(confirm, current);
        response = await this.#request(current, {});
        continue;
      }
      throw new Error(`unexpected page (HTTP ${response.status}) at ${current.pathname}`);
    }
    throw new Error('too many redirects');
  }

  async #request(url: URL, form?: Record<string, string>): Promise<Response> {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
    return response;
  }
}
