import { isIP } from 'node:net';

const loopbackNames = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** True for `localhost`, `127.x.y.z` and `::1`: names that only ever reach this machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase();
  if (loopbackNames.has(name) || name.endsWith('.localhost')) return true;
  return isIP(name) === 4 && name.startsWith('127.');
}

/**
 * True when a `Host` header names a loopback host (any port). A server bound to loopback refuses other
 * names, so a web page that rebinds its own domain to 127.0.0.1 (DNS rebinding) cannot call it.
 */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (!header) return false;
  const match = /^(\[[^\]]+\]|[^:]+)(?::\d+)?$/.exec(header.trim());
  return match?.[1] !== undefined && isLoopbackHost(match[1]);
}
