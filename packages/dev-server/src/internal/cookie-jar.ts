/** Cookies of one scripted browser (the login helper, the connect flow): `Set-Cookie` in, `Cookie` header out. */
export class CookieJar {
  readonly #cookies = new Map<string, string>();

  /** @param header a `Cookie` header value to start from */
  constructor(header = '') {
    for (const pair of header.split(';')) {
      const separator = pair.indexOf('=');
      if (separator > 0) this.#cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
    }
  }

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const name = pair.slice(0, separator).trim();
      const value = pair.slice(separator + 1).trim();
      const attribute = (key: string) =>
        attributes
          .find((candidate) => candidate.trim().toLowerCase().startsWith(`${key}=`))
          ?.split('=')[1]
          ?.trim();
      const expires = attribute('expires');
      const maxAge = attribute('max-age');
      const expired =
        (expires !== undefined && Date.parse(expires) <= Date.now()) ||
        (maxAge !== undefined && Number(maxAge) <= 0);
      if (value === '' || expired) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}
