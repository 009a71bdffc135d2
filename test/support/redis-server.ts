/**
 * Real `redis-server` processes on loopback for tests: one server (`startRedisServer`) or a 3-master cluster
 * (`startRedisCluster`). Nothing is persisted (`--save '' --appendonly no`); every process is killed when the test
 * process exits, even if a suite forgets `stop()`.
 *
 * `redis-server` and `redis-cli` come from the Debian packages `redis-server redis-tools`; `.ci/run` installs them.
 * When they are missing, starting a server throws (it never skips): in CI because CI must run these suites,
 * elsewhere with the command that installs them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;
const CLUSTER_TIMEOUT_MS = 30_000;

/** A running `redis-server` on 127.0.0.1. */
export interface RedisServer {
  /** `redis://[:password@]127.0.0.1:port` */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly password: string | undefined;
  /** Kills the server (SIGKILL) and waits for it to exit: use it to simulate "Redis down". Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if it runs, also after `stop()`); it comes back empty. */
  restart(): Promise<void>;
}

export interface StartRedisServerOptions {
  /** Sets `requirepass`; clients must authenticate. */
  password?: string;
}

/** A running 3-master Redis Cluster on 127.0.0.1 (no replicas), every slot assigned. */
export interface RedisCluster {
  readonly nodes: readonly { host: string; port: number }[];
  /** Kills every node and removes the cluster config files. Idempotent. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Starts a `redis-server` on a free loopback port and resolves once it answers PING.
 *
 * @throws Error when `redis-server` is not installed (with the `apt-get install` line), or it does not start
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServer> {
  await assertRedisInstalled();
  const password = options.password;
  const directory = mkdtempSync(join(tmpdir(), 'agentgate-redis-'));
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; child === undefined; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, directory, password, []);
    } catch (error) {
      // Another process may have taken the port between our probe and redis' bind: try another one.
      if (attempt >= 4) throw error;
    }
  }
  let current: ChildProcess | undefined = child;
  const stop = async () => {
    const running = current;
    current = undefined;
    if (running !== undefined) await kill(running);
  };
  return {
    url: `redis://${password === undefined ? '' : `:${encodeURIComponent(password)}@`}${HOST}:${port}`,
    host: HOST,
    port,
    password,
    stop: async () => {
      await stop();
      rmSync(directory, { recursive: true, force: true });
    },
    restart: async () => {
      await stop();
      mkdirSync(directory, { recursive: true });
      current = await launch(port, directory, password, []);
    },
  };
}

/**
 * Starts three `redis-server` nodes with `--cluster-enabled yes`, joins them with
 * `redis-cli --cluster create … --cluster-replicas 0`, and resolves once every node reports `cluster_state:ok`.
 *
 * @throws Error when `redis-server` / `redis-cli` are not installed, or the cluster does not form in 30 s
 */
export async function startRedisCluster(): Promise<RedisCluster> {
  await assertRedisInstalled();
  const directory = mkdtempSync(join(tmpdir(), 'agentgate-redis-cluster-'));
  const children: ChildProcess[] = [];
  const nodes: { host: string; port: number }[] = [];
  const stop = async () => {
    await Promise.all(children.splice(0).map(kill));
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < 3; index++) {
      // The cluster bus listens on port + 10000: both must be free.
      const port = await freeClusterPort(nodes.map((node) => node.port));
      children.push(
        await launch(port, directory, undefined, [
          '--cluster-enabled',
          'yes',
          '--cluster-config-file',
          join(directory, `nodes-${port}.conf`),
          '--cluster-node-timeout',
          '5000',
        ]),
      );
      nodes.push({ host: HOST, port });
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `${node.host}:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ],
      { timeout: CLUSTER_TIMEOUT_MS },
    );
    const deadline = Date.now() + CLUSTER_TIMEOUT_MS;
    for (const node of nodes) {
      for (;;) {
        const info = await command(node.port, undefined, ['CLUSTER', 'INFO']).catch(() => '');
        if (info.includes('cluster_state:ok')) break;
        if (Date.now() > deadline)
          throw new Error(`redis cluster node ${node.port} never reached cluster_state:ok`);
        await delay(100);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, stop };
}

let installed: Promise<void> | undefined;

/** Resolves when `redis-server` and `redis-cli` are on PATH; otherwise rejects with how to install them. */
export function assertRedisInstalled(): Promise<void> {
  installed ??= Promise.all([run('redis-server', ['--version']), run('redis-cli', ['--version'])]).then(
    () => undefined,
    () => {
      const how = 'apt-get install redis-server redis-tools';
      throw new Error(
        process.env.CI
          ? `redis-server and redis-cli are required in CI for the Redis suites; .ci/run should have installed them (${how})`
          : `the Redis suites need a real redis-server and redis-cli on PATH: run \`${how}\` (Debian/Ubuntu, as root)`,
      );
    },
  );
  return installed;
}

/** Spawns redis-server on `port` and resolves once it answers PING; rejects if it exits or stays silent. */
async function launch(
  port: number,
  directory: string,
  password: string | undefined,
  extra: string[],
): Promise<ChildProcess> {
  const args = [
    '--port',
    String(port),
    '--bind',
    HOST,
    '--save',
    '',
    '--appendonly',
    'no',
    '--daemonize',
    'no',
    '--dir',
    directory,
    ...(password === undefined ? [] : ['--requirepass', password]),
    ...extra,
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  installExitHook();
  live.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
    live.delete(child);
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) throw new Error(`redis-server on port ${port} exited at start:\n${output}`);
    const reply = await command(port, password, ['PING']).catch(() => undefined);
    if (reply === 'PONG') return child;
    if (Date.now() > deadline) {
      await kill(child);
      throw new Error(
        `redis-server on port ${port} did not answer PING within ${START_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    await delay(25);
  }
}

function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Sends one command (after AUTH when `password` is set) over a fresh connection and returns the last reply as text:
 * a simple string, a bulk string, or throws on an error reply. Enough RESP for PING and CLUSTER INFO.
 */
function command(port: number, password: string | undefined, args: string[]): Promise<string> {
  const commands = password === undefined ? [args] : [['AUTH', password], args];
  const payload = commands
    .map(
      (parts) =>
        `*${parts.length}\r\n${parts.map((part) => `$${Buffer.byteLength(part)}\r\n${part}\r\n`).join('')}`,
    )
    .join('');
  return new Promise((resolve, reject) => {
    const socket = new Socket();
    let buffer = Buffer.alloc(0);
    const replies: string[] = [];
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(1000, () => fail(new Error('redis did not reply')));
    socket.once('error', fail);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        const parsed = parseReply(buffer);
        if (parsed === undefined) return;
        buffer = buffer.subarray(parsed.length);
        if (parsed.error !== undefined) return fail(new Error(parsed.error));
        replies.push(parsed.text);
        if (replies.length === commands.length) {
          socket.end();
          return resolve(parsed.text);
        }
      }
    });
    socket.connect(port, HOST, () => socket.write(payload));
  });
}

function parseReply(buffer: Buffer): { text: string; error?: string; length: number } | undefined {
  const lineEnd = buffer.indexOf('\r\n');
  if (lineEnd < 0) return undefined;
  const line = buffer.subarray(1, lineEnd).toString();
  switch (String.fromCharCode(buffer[0] ?? 0)) {
    case '+':
    case ':':
      return { text: line, length: lineEnd + 2 };
    case '-':
      return { text: '', error: line, length: lineEnd + 2 };
    case '$': {
      const size = Number(line);
      if (size < 0) return { text: '', length: lineEnd + 2 };
      const end = lineEnd + 2 + size;
      if (buffer.length < end + 2) return undefined;
      return { text: buffer.subarray(lineEnd + 2, end).toString(), length: end + 2 };
    }
    default:
      return { text: '', error: `unexpected redis reply ${JSON.stringify(line)}`, length: buffer.length };
  }
}

/** A port the OS just handed out on 127.0.0.1 (redis has no `--port 0`). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** A port below 55535 that is free together with its cluster bus port (port + 10000). */
async function freeClusterPort(taken: number[]): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 20000);
    if (taken.some((other) => Math.abs(other - port) < 2 || Math.abs(other + 10000 - port) < 2)) continue;
    if ((await canBind(port)) && (await canBind(port + 10000))) return port;
  }
  throw new Error('no free port pair for a redis cluster node');
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, HOST, () => server.close(() => resolve(true)));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
