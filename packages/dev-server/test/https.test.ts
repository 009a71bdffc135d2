import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DevServer, startDevServer } from '../src/index';

const run = promisify(execFile);
let server: DevServer;

beforeAll(async () => {
  server = await startDevServer({ https: true, fga: false });
});
afterAll(async () => {
  await server.close();
});

// Runs in a child process so NODE_EXTRA_CA_CERTS applies from the start, as it would for a user's app.
const clientScript = `
import * as client from 'openid-client';
const [issuer, secret, audience] = process.argv.slice(1);
const config = await client.discovery(new URL(issuer), 'agentgate-agent', secret);
const tokens = await client.clientCredentialsGrant(config, { scope: 'docs:read', resource: audience });
console.log(JSON.stringify({ issuer: config.serverMetadata().issuer, scope: tokens.scope }));
`;

describe('startDevServer({ https: true })', () => {
  it('serves TLS with a certificate from the generated CA', async () => {
    expect(server.issuer).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/$/);
    expect(server.caFile).toEqual(expect.any(String));
    const ca = new X509Certificate(await readFile(server.caFile ?? ''));
    expect(ca.ca).toBe(true);
    await expect(fetch(server.url('/.well-known/openid-configuration'))).rejects.toThrow();
  });

  it('is trusted by openid-client with NODE_EXTRA_CA_CERTS=caFile', async () => {
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        clientScript,
        server.issuer,
        'agentgate-agent-secret',
        server.apiAudience,
      ],
      {
        cwd: new URL('..', import.meta.url).pathname,
        env: { ...process.env, NODE_EXTRA_CA_CERTS: server.caFile },
      },
    );
    expect(JSON.parse(stdout)).toEqual({ issuer: server.issuer, scope: 'docs:read' });
  });
});

describe('startDevServer({ https: true }).close()', () => {
  it('removes the folder it created for the CA file, and only that', async () => {
    const secure = await startDevServer({ https: true, fga: false });
    const caFile = secure.caFile ?? '';
    const folder = dirname(caFile);
    const neighbour = await mkdtemp(join(tmpdir(), 'agentgate-dev-'));
    expect(existsSync(caFile)).toBe(true);
    await secure.close();
    expect(existsSync(folder)).toBe(false);
    expect(existsSync(neighbour)).toBe(true);
    await rm(neighbour, { recursive: true });
  });
});
