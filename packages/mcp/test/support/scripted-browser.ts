/**
 * A scripted browser for the dev server's pages: follows redirects, keeps cookies, fills the sign-in form
 * (username, password) and submits the consent form, until the authorization server redirects to
 * `redirectUri`. Returns the authorization code from that redirect.
 */
export async function authorizeInBrowser(
  authorizationUrl: URL,
  user: { username: string; password: string },
  redirectUri: string,
): Promise<string> {
  const cookies = new Map<string, string>();
  const send = async (url: URL, form?: Record<string, string>) => {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      redirect: 'manual',
      headers: {
        cookie: [...cookies].map(([name, value]) => `${name}=${value}`).join('; '),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair = ''] = line.split(';');
      const separator = pair.indexOf('=');
      if (separator > 0) cookies.set(pair.slice(0, separator).trim(), pair.slice(separator + 1).trim());
    }
    return response;
  };

  let url = authorizationUrl;
  let response = await send(url);
  for (let step = 0; step < 20; step++) {
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.href.startsWith(redirectUri)) {
        const code = location.searchParams.get('code');
        if (!code)
          throw new Error(`authorization failed: ${location.searchParams.get('error') ?? 'no code'}`);
        return code;
      }
      url = location;
      response = await send(url);
      continue;
    }
    const html = await response.text();
    const forms = [...html.matchAll(/<form\b[^>]*\baction="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
    const form = forms.find(([, action]) => /\/interaction\//.test(action ?? ''));
    if (!form) throw new Error(`unexpected page (HTTP ${response.status}) at ${url.pathname}`);
    const fields: Record<string, string> = {};
    for (const input of (form[2] ?? '').matchAll(/<input\b[^>]*>/g)) {
      const name = /\bname="([^"]+)"/.exec(input[0])?.[1];
      if (name) fields[name] = /\bvalue="([^"]*)"/.exec(input[0])?.[1] ?? '';
    }
    if ('password' in fields) {
      fields.username = user.username;
      fields.password = user.password;
      delete fields.otp;
    }
    url = new URL((form[1] ?? '').replace(/&amp;/g, '&'), url);
    response = await send(url, fields);
  }
  throw new Error('authorization: too many steps');
}
