import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the echoing token endpoint answers. */
export type EchoMode =
  /** 400 `invalid_grant`, `error_description` quoting every value it was sent, then the raw form body. */
  | 'description'
  /** 400 `invalid_grant` with the not-connected marker, then the values (the vault turns it into an interrupt). */
  | 'not_connected'
  /** 401 with a `WWW-Authenticate` challenge whose `error_description` quotes the values. */
  | 'challenge'
  /**
   * 400 quoting each value base64- and base64url-encoded, upper-cased, `\/`-escaped and cut short, with a forged
   * log line and 5,000 characters of padding.
   */
  | 'encoded';

/** A careless authorization server on loopback: its token endpoint quotes back whatever secrets it was sent. */
export interface EchoTokenEndpoint {
  issuer: string;
  mode: EchoMode;
  /** The parameters of the last token request, as received. */
  lastRequest: URLSearchParams | undefined;
  close(): Promise<void>;
}

export async function startEchoTokenEndpoint(): Promise<EchoTokenEndpoint> {
  let base = '';
  const state: Pick<EchoTokenEndpoint, 'mode' | 'lastRequest'> = {
    mode: 'description',
    lastRequest: undefined,
  };
  const server = createServer(async (request, response) => {
    if (request.url === '/.well-known/openid-configuration') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ issuer: `${base}/`, token_endpoint: `${base}/token` }));
      return;
    }
    if (request.url !== '/token' || request.method !== 'POST') {
      response.statusCode = 404;
      response.end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const form = new URLSearchParams(raw);
    state.lastRequest = form;
    // The values alone, with no `name=` before them: only masking what the client sent can hide these.
    const values = [...form.entries()]
      .filter(([name]) => !['grant_type', 'subject_token_type', 'requested_token_type'].includes(name))
      .map(([, value]) => value)
      .join(' | ');
    response.setHeader('content-type', 'application/json');
    if (state.mode === 'challenge') {
      response.statusCode = 401;
      response.setHeader(
        'www-authenticate',
        `Bearer error="invalid_client", error_description="unknown client credentials ${values.replaceAll('"', "'")}"`,
      );
      response.end(JSON.stringify({ error: 'invalid_client' }));
      return;
    }
    response.statusCode = 400;
    if (state.mode === 'encoded') {
      const spellings = [...form.entries()]
        .filter(([name]) => !['grant_type', 'subject_token_type', 'requested_token_type'].includes(name))
        .flatMap(([, value]) => [
          Buffer.from(value).toString('base64'),
          Buffer.from(value).toString('base64url'),
          value.toUpperCase(),
          value.replaceAll('/', '\\/'),
          `${value.slice(0, 14)}...`,
        ]);
      const description = `rejected ${spellings.join(' ; ')}\r\n2026-01-01 INFO audit: approved ${'x'.repeat(5000)}`;
      response.end(JSON.stringify({ error: 'invalid_grant', error_description: description }));
      return;
    }
    const description =
      state.mode === 'not_connected'
        ? `connection_not_found: no account linked to ${values}`
        : `cannot exchange ${values}; request was ${raw}`;
    response.end(JSON.stringify({ error: 'invalid_grant', error_description: description }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return Object.assign(state, {
    issuer: `${base}/`,
    close: () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  });
}
