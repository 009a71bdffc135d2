import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalFga } from '../engine/create-local-fga';
import type { LocalFga } from '../engine/types';
import { ApiError, toApiError } from './api-error';
import { bearerTokenCheck } from './bearer-token';
import { isLoopbackHost, isLoopbackHostHeader } from './loopback-host';
import { readJsonBody } from './read-json-body';
import type { OpenFgaServerLimits, RouteReply } from './route';
import { matchRoute } from './routes';

export type { OpenFgaServerLimits } from './route';

/** Options of {@link startOpenFgaServer}. */
export interface StartOpenFgaServerOptions {
  /** TCP port; `0` (default) picks a free one. */
  port?: number;
  /**
   * Interface to listen on; default `127.0.0.1` (loopback only). While bound to a loopback address the
   * server answers only requests whose `Host` is a loopback name (403 otherwise), against DNS rebinding.
   */
  host?: string;
  /**
   * When set, every API request must carry `Authorization: Bearer <apiToken>` (OpenFGA's pre-shared key);
   * others are refused with 401. `GET /healthz` stays open.
   */
  apiToken?: string;
  /** The engine to serve; default a new `createLocalFga()`. */
  engine?: LocalFga;
  /** Request limits; defaults are OpenFGA's (100 tuples per write, 100 contextual tuples, 50 checks per batch). */
  limits?: Partial<OpenFgaServerLimits>;
}

/** A running OpenFGA-compatible HTTP server. */
export interface OpenFgaServer {
  /** Base URL for `@openfga/sdk`'s `apiUrl`, e.g. `http://127.0.0.1:53412`. */
  apiUrl: string;
  /** The engine behind the server, for direct in-process use alongside HTTP. */
  engine: LocalFga;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const defaultLimits: OpenFgaServerLimits = {
  maxTuplesPerWrite: 100,
  maxContextualTuples: 100,
  maxChecksPerBatchCheck: 50,
  maxBodyBytes: 4 * 1024 * 1024,
};

/**
 * Start an HTTP server speaking OpenFGA's REST API on top of the in-process engine, so the real
 * `@openfga/sdk` (and any OpenFGA client) talks to it: stores, authorization models, write, read,
 * check, batch check, list objects (plain and streamed), list users. Errors come back as OpenFGA's
 * `{ code, message }` with its HTTP status; endpoints the engine lacks (expand, changes, assertions)
 * answer 501 `unimplemented`.
 *
 * @example
 * ```ts
 * const server = await startOpenFgaServer({ apiToken: 'dev-token' });
 * const fga = new OpenFgaClient({
 *   apiUrl: server.apiUrl,
 *   credentials: { method: CredentialsMethod.ApiToken, config: { token: 'dev-token' } },
 * });
 * const { id } = await fga.createStore({ name: 'demo' });
 * await server.close();
 * ```
 * @throws TypeError when an option is invalid (checked before anything listens).
 */
export async function startOpenFgaServer(options: StartOpenFgaServerOptions = {}): Promise<OpenFgaServer> {
  const settings = validateOptions(options);
  const engine = options.engine ?? createLocalFga();
  const authenticate = settings.apiToken === undefined ? undefined : bearerTokenCheck(settings.apiToken);
  const loopbackOnly = isLoopbackHost(settings.host);

  const server = createServer((request, response) => {
    void serve(request, response);
  });

  async function serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      if (loopbackOnly && !isLoopbackHostHeader(request.headers.host)) {
        throw new ApiError('forbidden', 'requests must address this server by a loopback host name', 403);
      }
      const url = new URL(request.url ?? '/', 'http://localhost');
      if (request.method === 'GET' && url.pathname === '/healthz') {
        return sendJson(response, 200, { status: 'SERVING' });
      }
      authenticate?.(request.headers);
      const match = matchRoute(request.method ?? 'GET', url.pathname);
      if (!match) throw new ApiError('undefined_endpoint', 'Not Found', 404);
      let body: Promise<Record<string, unknown>> | undefined;
      const reply = await match.route.handle({
        engine,
        limits: settings.limits,
        params: match.params,
        query: url.searchParams,
        body: () => {
          body ??= readJsonBody(request, settings.limits.maxBodyBytes);
          return body;
        },
      });
      sendReply(response, reply);
    } catch (error) {
      sendError(request, response, toApiError(error));
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    apiUrl: `http://${host}:${address.port}`,
    engine,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function sendReply(response: ServerResponse, reply: RouteReply): void {
  if ('lines' in reply) {
    response.writeHead(reply.status, { 'content-type': 'application/json' });
    for (const line of reply.lines) response.write(`${JSON.stringify(line)}\n`);
    response.end();
    return;
  }
  if (reply.body === undefined) {
    response.writeHead(reply.status).end();
    return;
  }
  sendJson(response, reply.status, reply.body);
}

function sendError(request: IncomingMessage, response: ServerResponse, error: ApiError): void {
  if (response.headersSent) {
    response.destroy();
    return;
  }
  // A body left unread (refused before or while reading it) cannot be skipped safely: close the connection.
  if (!request.complete) response.setHeader('connection', 'close');
  sendJson(response, error.status, error.toJSON());
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}

function validateOptions(options: StartOpenFgaServerOptions): {
  port: number;
  host: string;
  apiToken: string | undefined;
  limits: OpenFgaServerLimits;
} {
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('startOpenFgaServer: options must be an object');
  }
  const { port = 0, host = '127.0.0.1', apiToken, engine, limits = {} } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new TypeError('startOpenFgaServer: port must be an integer from 0 to 65535');
  }
  if (typeof host !== 'string' || host === '') {
    throw new TypeError('startOpenFgaServer: host must be a non-empty string');
  }
  if (apiToken !== undefined && (typeof apiToken !== 'string' || apiToken === '')) {
    throw new TypeError('startOpenFgaServer: apiToken must be a non-empty string when given');
  }
  if (
    engine !== undefined &&
    (typeof engine !== 'object' || engine === null || typeof engine.check !== 'function')
  ) {
    throw new TypeError('startOpenFgaServer: engine must be a LocalFga (from createLocalFga())');
  }
  if (typeof limits !== 'object' || limits === null) {
    throw new TypeError('startOpenFgaServer: limits must be an object');
  }
  const merged = { ...defaultLimits };
  for (const name of Object.keys(defaultLimits) as (keyof OpenFgaServerLimits)[]) {
    const value = limits[name];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < 1) {
      throw new TypeError(`startOpenFgaServer: limits.${name} must be a positive integer`);
    }
    merged[name] = value;
  }
  return { port, host, apiToken, limits: merged };
}
