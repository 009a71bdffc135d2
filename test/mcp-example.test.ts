/**
 * examples/mcp-server runs as a user starts it (`tsx main.ts`), and a real MCP client from the SDK connects to it:
 * discovery → dynamic registration → authorization code + PKCE (the sign-in scripted over HTTP) → tools.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryOAuthProvider } from '../packages/mcp/test/support/memory-oauth-provider';
import { authorizeInBrowser } from '../packages/mcp/test/support/scripted-browser';

const exampleDir = fileURLToPath(new URL('../examples/mcp-server/', import.meta.url));
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
// The MCP SDK is the example's dependency, not this package's: load the client from there.
const sdk = createRequire(join(exampleDir, 'package.json'));

interface SdkClient {
  connect(transport: unknown): Promise<void>;
  listTools(): Promise<{ tools: { name: string }[] }>;
  callTool(call: { name: string; arguments: Record<string, unknown> }): Promise<{
    isError?: boolean;
    content: { type: string; text?: string }[];
  }>;
  close(): Promise<void>;
}
interface SdkTransport {
  finishAuth(code: string): Promise<void>;
}
type ClientClass = new (info: { name: string; version: string }) => SdkClient;
type TransportClass = new (url: URL, options: { authProvider: MemoryOAuthProvider }) => SdkTransport;

async function loadSdk() {
  const load = (path: string) => import(pathToFileURL(sdk.resolve(`@modelcontextprotocol/sdk/${path}`)).href);
  const [{ Client }, { StreamableHTTPClientTransport }, { UnauthorizedError }] = await Promise.all([
    load('client/index.js'),
    load('client/streamableHttp.js'),
    load('client/auth.js'),
  ]);
  return {
    Client: Client as ClientClass,
    Transport: StreamableHTTPClientTransport as TransportClass,
    UnauthorizedError: UnauthorizedError as new () => Error,
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let child: ChildProcess | undefined;
let auditDir = '';
let mcpUrl: URL;

beforeAll(async () => {
  const [devPort, mcpPort] = [await freePort(), await freePort()];
  auditDir = await mkdtemp(join(tmpdir(), 'agentgate-mcp-example-'));
  mcpUrl = new URL(`http://127.0.0.1:${mcpPort}/mcp`);
  child = spawn(process.execPath, [tsxCli, '--conditions=@agentgate/source', 'main.ts'], {
    cwd: exampleDir,
    env: {
      ...process.env,
      AGENTGATE_DEV_PORT: String(devPort),
      MCP_PORT: String(mcpPort),
      AUDIT_FILE: join(auditDir, 'audit.jsonl'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('sign in as')) resolve();
    });
    child!.once('exit', (code) => reject(new Error(`the example exited with ${code}: ${output}`)));
  });
}, 60_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  if (auditDir) await rm(auditDir, { recursive: true, force: true });
});

describe('examples/mcp-server', () => {
  it('lets a real MCP client sign in as alice, list her tools and call them', async () => {
    const { Client, Transport, UnauthorizedError } = await loadSdk();
    const provider = new MemoryOAuthProvider();
    const transport = new Transport(mcpUrl, { authProvider: provider });
    await expect(
      new Client({ name: 'example-test', version: '1.0.0' }).connect(transport),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    const code = await authorizeInBrowser(
      provider.authorizationUrls.at(-1)!,
      { username: 'alice@acme', password: 'alice-password' },
      provider.redirectUrl,
    );
    await transport.finishAuth(code);

    const client = new Client({ name: 'example-test', version: '1.0.0' });
    await client.connect(new Transport(mcpUrl, { authProvider: provider }));
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(['create_event', 'list_events', 'read_document']);

    const events = await client.callTool({ name: 'list_events', arguments: { day: '2026-12-02' } });
    expect(events.isError).toBeFalsy();
    expect(events.content[0]?.text).toBe('- Roadmap review');

    // OpenFGA, then the docs API on alice's behalf with the MCP server as actor.
    const document = await client.callTool({ name: 'read_document', arguments: { id: 'acme-onboarding' } });
    expect(document.isError).toBeFalsy();
    expect(document.content[0]?.text).toContain('(served to alice through the agent agentgate-agent)');
    await client.close();
  });
});
