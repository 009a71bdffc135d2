import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultSeed } from '../src/index';

const packageDirectory = new URL('..', import.meta.url).pathname;
let child: ChildProcess | undefined;

afterEach(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function startCli(args: string[]) {
  const spawned = spawn(
    process.execPath,
    ['--conditions=@agentgate/source', '--import', 'tsx', 'src/cli.ts', ...args],
    { cwd: packageDirectory, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = spawned;
  let output = '';
  let errors = '';
  spawned.stderr?.on('data', (chunk) => {
    errors += String(chunk);
  });
  const printed = new Promise<string>((resolve, reject) => {
    spawned.stdout?.on('data', (chunk) => {
      output += String(chunk);
      if (output.includes('one-time code:')) resolve(output);
    });
    spawned.once('exit', (code) => reject(new Error(`agentgate-dev exited with ${code}: ${errors}`)));
  });
  const exited = new Promise<number | null>((resolve) => spawned.once('exit', (code) => resolve(code)));
  return { spawned, printed, exited, errors: () => errors };
}

describe('agentgate-dev', () => {
  it('hands oidc-provider the bodies it read itself (JSON token requests, chunked bodies): no warning', async () => {
    const cli = startCli(['--port', '0']);
    const issuer = /issuer:\s+(\S+)/.exec(await cli.printed)?.[1] ?? '';
    const metadata = (await (await fetch(new URL('.well-known/openid-configuration', issuer))).json()) as {
      token_endpoint: string;
      introspection_endpoint: string;
    };
    const agent = defaultSeed.clients[0];
    // Auth0's JSON wire: rewritten into a form for oidc-provider.
    const json = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        grant_type: 'refresh_token',
        refresh_token: 'not-a-token',
        client_id: agent?.clientId,
        client_secret: agent?.clientSecret,
      }),
    });
    expect(await json.json()).toMatchObject({ error: 'invalid_grant' }); // read and judged by oidc-provider
    // A chunked body: read up front to measure it, then handed on.
    const bytes = new TextEncoder().encode(new URLSearchParams({ token: 'not-a-token' }).toString());
    const introspection = await fetch(metadata.introspection_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${agent?.clientId}:${agent?.clientSecret}`).toString('base64')}`,
      },
      body: new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(await introspection.json()).toEqual({ active: false });
    cli.spawned.kill('SIGTERM');
    await cli.exited;
    expect(cli.errors()).not.toContain('already parsed request body');
  });

  it('prints the issuer and credentials, serves discovery, and stops on SIGTERM', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'agentgate-cli-'));
    const seedFile = join(directory, 'seed.json');
    const seed = {
      ...defaultSeed,
      clients: [
        { ...defaultSeed.clients[0], clientId: 'cli-agent', clientSecret: 'cli-secret', name: 'CLI Agent' },
      ],
    };
    await writeFile(seedFile, JSON.stringify(seed));

    const cli = startCli(['--port', '0', '--seed', seedFile]);
    const output = await cli.printed;
    const issuer = /issuer:\s+(\S+)/.exec(output)?.[1] ?? '';
    expect(issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(output).toContain('cli-agent  secret cli-secret');
    expect(output).toMatch(/fga api:\s+http:\/\/127\.0\.0\.1:\d+/);

    const metadata = (await (await fetch(new URL('.well-known/openid-configuration', issuer))).json()) as {
      issuer: string;
    };
    expect(metadata.issuer).toBe(issuer);

    // The connections, their connect links and the mock external API, each usable as printed.
    expect(output).toContain(`connections:  ${issuer}connections\n`);
    expect(output).toContain('  acme-calendar  (Acme Calendar)  scopes events.read events.write\n');
    const connectUrl = /connect:\s+(\S+)/.exec(output)?.[1] ?? '';
    expect(connectUrl).toBe(`${issuer}connections/acme-calendar/connect`);
    const connect = await fetch(connectUrl, { redirect: 'manual' });
    expect(connect.status).toBe(302);
    expect(connect.headers.get('location')).toBe(
      '/signin?return_to=%2Fconnections%2Facme-calendar%2Fconnect',
    );
    const apiUrl = /mock api:\s+(\S+)/.exec(output)?.[1] ?? '';
    expect(apiUrl).toBe(`${issuer}ext/acme-calendar/api/events`);
    const api = await fetch(apiUrl);
    expect(api.status).toBe(401);
    expect(await api.json()).toMatchObject({ error: 'invalid_token' });
    expect(output).toContain('    audience: connection:acme-calendar\n');

    cli.spawned.kill('SIGTERM');
    await expect(cli.exited).resolves.toBe(0);
  });

  it('exits with an error for an invalid seed file', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'agentgate-cli-'));
    const seedFile = join(directory, 'seed.json');
    await writeFile(seedFile, JSON.stringify({ ...defaultSeed, users: [{ username: 'x' }] }));
    const cli = startCli(['--seed', seedFile]);
    cli.printed.catch(() => {});
    await expect(cli.exited).resolves.toBe(1);
  });
});
