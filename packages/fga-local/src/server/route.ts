import type { LocalFga } from '../engine/types';

/** The server's request limits (OpenFGA's defaults in brackets). */
export interface OpenFgaServerLimits {
  /** Tuples in one write request, writes and deletes together [100]. */
  maxTuplesPerWrite: number;
  /** Contextual tuples in one query [100]. */
  maxContextualTuples: number;
  /** Checks in one batch-check request [50]. */
  maxChecksPerBatchCheck: number;
  /** Size of a request body in bytes [4 MiB, gRPC's default message size]. */
  maxBodyBytes: number;
}

/** What a handler gets: the engine, the limits, the path parameters and the parsed request. */
export interface RouteContext {
  engine: LocalFga;
  limits: OpenFgaServerLimits;
  /** Path parameters in order, e.g. `[storeId, modelId]`, already URL-decoded. */
  params: string[];
  query: URLSearchParams;
  /** The JSON body (`{}` when empty); read on first call. */
  body(): Promise<Record<string, unknown>>;
}

/** A JSON answer, or newline-delimited JSON lines for the streaming endpoint. */
export type RouteReply = { status: number; body?: unknown } | { status: number; lines: unknown[] };

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path pattern; each capture group is one path parameter. */
  pattern: RegExp;
  handle(context: RouteContext): RouteReply | Promise<RouteReply>;
}
