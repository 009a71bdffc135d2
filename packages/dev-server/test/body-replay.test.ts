import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';

let server: DevServer;
let host: string;
let port: number;
let introspection: string;
let basic: string;

beforeAll(async () => {
  server = await startDevServer();
  const issuer = new URL(server.issuer);
  host = issuer.hostname;
  port = Number(issuer.port);
  const metadata = (await (
    await fetch(new URL('.well-known/openid-configuration', server.issuer))
  ).json()) as {
    introspection_endpoint: string;
  };
  introspection = new URL(metadata.introspection_endpoint).pathname;
  const agent = server.clients.find((c) => c.clientId === 'agentgate-agent');
  basic = Buffer.from(`${agent?.clientId}:${agent?.clientSecret}`).toString('base64');
});
afterAll(async () => {
  await server.close();
});

function chunkedRequest(path: string, body: string, extra = ''): string {
  const size = Buffer.byteLength(body).toString(16);
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Basic ${basic}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n${extra}\r\n` +
    `${size}\r\n${body}\r\n0\r\n\r\n`
  );
}

function lengthRequest(path: string, body: string): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Basic ${basic}\r\n` +
    `Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
}

/** Reads from the socket until `count` HTTP responses have started ('HTTP/1.1 ' lines) and their bodies look done. */
function collect(socket: Socket, until: (text: string) => boolean, ms = 4000): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const timer = setTimeout(() => resolve(text), ms);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (until(text)) {
        clearTimeout(timer);
        resolve(text);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

describe('a body read before oidc-provider is handed on whole, on a live connection', () => {
  it('keep-alive: a chunked request then a second request on the same socket are both answered', async () => {
    const socket = connect(port, host);
    await new Promise((r) => socket.once('connect', r));
    const first = collect(socket, (t) => count(t, '{"active":false}') >= 1);
    socket.write(chunkedRequest(introspection, 'token=not-a-token'));
    expect(await first).toContain('{"active":false}');
    socket.removeAllListeners('data');
    const second = collect(socket, (t) => count(t, '{"active":false}') >= 1);
    socket.write(lengthRequest(introspection, 'token=also-not'));
    const text = await second;
    socket.destroy();
    expect(text).toContain('HTTP/1.1 200');
    expect(text).toContain('{"active":false}');
  });

  it('pipelined chunked requests are each answered', async () => {
    const socket = connect(port, host);
    await new Promise((r) => socket.once('connect', r));
    const all = collect(socket, (t) => count(t, '{"active":false}') >= 3);
    socket.write(
      chunkedRequest(introspection, 'token=a') +
        chunkedRequest(introspection, 'token=b') +
        lengthRequest(introspection, 'token=c'),
    );
    const text = await all;
    socket.destroy();
    expect(count(text, '{"active":false}')).toBe(3);
  });

  it('a client that disconnects mid chunked body does not break the server', async () => {
    const socket = connect(port, host);
    await new Promise((r) => socket.once('connect', r));
    socket.write(
      `POST ${introspection} HTTP/1.1\r\nHost: ${host}:${port}\r\nAuthorization: Basic ${basic}\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n5\r\ntoken\r\n',
    );
    await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    await new Promise((r) => setTimeout(r, 200));
    const response = await fetch(new URL(introspection, server.issuer), {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=x',
    });
    expect(await response.json()).toEqual({ active: false });
  });

  it('expect: 100-continue on a chunked body is answered', async () => {
    const socket = connect(port, host);
    await new Promise((r) => socket.once('connect', r));
    const all = collect(socket, (t) => count(t, '{"active":false}') >= 1);
    socket.write(chunkedRequest(introspection, 'token=a', 'Expect: 100-continue\r\n'));
    const text = await all;
    socket.destroy();
    expect(text).toContain('{"active":false}');
  });
});
