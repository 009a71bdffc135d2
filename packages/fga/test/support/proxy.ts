import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the proxy does to the next requests: pass them on, or fail the way a real server cannot be made to. */
export type Fault =
  | { type: 'none' }
  /** Answers every request with this status and an OpenFGA error body (with `message`, or a fixed one). */
  | { type: 'status'; status: number; message?: string }
  /** Never answers (until the proxy closes). */
  | { type: 'hang' }
  /** Forwards, then replaces the answer's body with what `rewrite` returns (status kept). */
  | { type: 'rewrite'; rewrite: (body: string, path: string, request: string) => string }
  /** Holds every request in `held` until the test releases it: orderings without timers. */
  | { type: 'hold' };

/** A request the proxy holds (fault `hold`). */
export interface HeldRequest {
  path: string;
  /** The request's body as sent. */
  body: string;
  /** Forwards it to the server and sends the answer back. */
  forward(): void;
  /** Answers it with `status` and an OpenFGA error body. */
  fail(status: number): void;
  /** Answers it with `status` and `body` (JSON). */
  respond(status: number, body: unknown): void;
}

/** A loopback HTTP proxy in front of the real server: counts requests by path and injects faults. */
export interface CountingProxy {
  url: string;
  /** Requests received since the last `reset()`, by path after the store id (`/batch-check`, `/check`, …). */
  readonly counts: Map<string, number>;
  total(): number;
  reset(): void;
  fault: Fault;
  /** Requests held by fault `hold`, oldest first (a released one stays listed). */
  readonly held: HeldRequest[];
  /** Resolves once `count` requests have been held in all. */
  waitForHeld(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const counts = new Map<string, number>();
  const hanging = new Set<ServerResponse>();
  const held: HeldRequest[] = [];
  const heldWaiters: { count: number; resolve: () => void }[] = [];
  const proxy: CountingProxy = {
    url: '',
    counts,
    total: () => [...counts.values()].reduce((sum, count) => sum + count, 0),
    reset: () => {
      counts.clear();
      held.length = 0;
    },
    fault: { type: 'none' },
    held,
    waitForHeld: (count) =>
      held.length >= count
        ? Promise.resolve()
        : new Promise<void>((resolve) => heldWaiters.push({ count, resolve })),
    close: async () => {
      for (const response of hanging) response.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = createServer((request, response) => {
    void handle(request, response).catch(() => response.destroy());
  });
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = new URL(request.url ?? '/', 'http://proxy').pathname.replace(/^\/stores\/[^/]+/, '');
    counts.set(path, (counts.get(path) ?? 0) + 1);
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const fault = proxy.fault;
    if (fault.type === 'hang') {
      hanging.add(response);
      return;
    }
    if (fault.type === 'status') {
      fail(response, fault.status, fault.message);
      return;
    }
    if (fault.type === 'hold') {
      hanging.add(response);
      held.push({
        path,
        body: Buffer.concat(chunks).toString(),
        forward: () => {
          hanging.delete(response);
          void pass(request, chunks, response, { type: 'none' }, path).catch(() => response.destroy());
        },
        fail: (status) => {
          hanging.delete(response);
          fail(response, status);
        },
        respond: (status, body) => {
          hanging.delete(response);
          response.writeHead(status, { 'content-type': 'application/json' });
          response.end(JSON.stringify(body));
        },
      });
      for (const waiter of [...heldWaiters]) {
        if (held.length < waiter.count) continue;
        heldWaiters.splice(heldWaiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return;
    }
    await pass(request, chunks, response, fault, path);
  }
  function fail(response: ServerResponse, status: number, message = 'injected failure'): void {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ code: 'internal_error', message }));
  }
  async function pass(
    request: IncomingMessage,
    chunks: Buffer[],
    response: ServerResponse,
    fault: Fault,
    path: string,
  ): Promise<void> {
    const upstream = await fetch(`${target}${request.url}`, {
      method: request.method ?? 'GET',
      headers: {
        ...(request.headers['content-type'] ? { 'content-type': request.headers['content-type'] } : {}),
        ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}),
      },
      ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    });
    let body = await upstream.text();
    if (fault.type === 'rewrite') body = fault.rewrite(body, path, Buffer.concat(chunks).toString());
    response.writeHead(upstream.status, { 'content-type': 'application/json' });
    response.end(body);
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return proxy;
}

/** A loopback URL where nothing listens (a port that was free a moment ago). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
