import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/**
 * Serves a Fetch-style handler (such as `protectMcpServer(...).fetch`) on `node:http`: the request becomes a
 * `Request` (body streamed), the `Response` is written back (body streamed, so SSE works). For frameworks with
 * their own adapter (Hono's `@hono/node-server`), use that instead.
 *
 * @example createServer(toNodeListener((request) => mcp.fetch(request))).listen(3333)
 */
export function toNodeListener(
  handler: (request: Request) => Promise<Response>,
): (request: IncomingMessage, response: ServerResponse) => void {
  return (incoming, outgoing) => {
    const controller = new AbortController();
    outgoing.once('close', () => controller.abort());
    const host = incoming.headers.host ?? 'localhost';
    const protocol = (incoming.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
    const headers = new Headers();
    for (const [name, value] of Object.entries(incoming.headers)) {
      if (value === undefined) continue;
      for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
    }
    const hasBody = incoming.method !== 'GET' && incoming.method !== 'HEAD';
    const request = new Request(new URL(incoming.url ?? '/', `${protocol}://${host}`), {
      method: incoming.method ?? 'GET',
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: 'half' } : {}),
    } as RequestInit);
    handler(request).then(
      (response) => {
        outgoing.statusCode = response.status;
        response.headers.forEach((value, name) => {
          if (name !== 'set-cookie') outgoing.setHeader(name, value);
        });
        const cookies = response.headers.getSetCookie();
        if (cookies.length > 0) outgoing.setHeader('set-cookie', cookies);
        if (!response.body) {
          outgoing.end();
          return;
        }
        Readable.fromWeb(response.body as import('node:stream/web').ReadableStream<Uint8Array>)
          .on('error', () => outgoing.destroy())
          .pipe(outgoing);
      },
      () => {
        if (!outgoing.headersSent) outgoing.statusCode = 500;
        outgoing.end();
      },
    );
  };
}
