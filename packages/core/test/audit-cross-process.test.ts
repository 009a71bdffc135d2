import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type AuditEvent, createAuditLog, jsonlAudit, readAuditLog, verifyAuditChain } from '../src/index';

/** A second process that appends to the audit file on command, one reply line per command. */
const WRITER = `
import { createInterface } from 'node:readline';
const { createAuditLog, jsonlAudit } = await import(process.env.AUDIT_MODULE);
const log = createAuditLog({ sink: jsonlAudit(process.env.AUDIT_FILE) });
const draft = (callId) => ({ tool: 't', callId, phase: 'execute', outcome: 'executed' });
for await (const command of createInterface({ input: process.stdin })) {
  const [verb, argument] = command.split(' ');
  if (verb === 'append') {
    const event = await log.append(draft(argument));
    process.stdout.write('appended ' + event.chain + '\\n');
  } else if (verb === 'burst') {
    await Promise.all(Array.from({ length: Number(argument) }, (_, index) => log.append(draft('child-burst-' + index))));
    process.stdout.write('burst-done\\n');
  } else if (verb === 'close') {
    await log.close();
    process.stdout.write('closed\\n');
    process.stdin.destroy();
  }
}
`;

function startWriter(path: string) {
  const tsx = createRequire(import.meta.url).resolve('tsx');
  const source = pathToFileURL(fileURLToPath(new URL('../src/index.ts', import.meta.url))).href;
  const child = spawn(
    process.execPath,
    ['--import', pathToFileURL(tsx).href, '--input-type=module', '-e', WRITER],
    {
      env: { ...process.env, AUDIT_FILE: path, AUDIT_MODULE: source },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const replies = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return async (command: string): Promise<string> => {
    child.stdin.write(`${command}\n`);
    const reply = await replies.next();
    if (reply.done) throw new Error(`the second writer exited before answering '${command}': ${stderr}`);
    return reply.value;
  };
}

const draft = (callId: string) => ({
  tool: 't',
  callId,
  phase: 'execute' as const,
  outcome: 'executed' as const,
});

describe('jsonlAudit across processes', () => {
  it('lets two processes append to one file: whole lines, two chains, both intact; an edit names its chain', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'agentgate-audit-')), 'audit.jsonl');
    const log = createAuditLog({ sink: jsonlAudit(path) });
    const first = await log.append(draft('parent-0'));
    const writer = startWriter(path);

    // Turn by turn: each process's chain head is stale in the other, which forked one shared chain before.
    let childChain = '';
    for (let index = 0; index < 5; index++) {
      childChain = (await writer(`append child-${index}`)).replace('appended ', '');
      await log.append(draft(`parent-${index + 1}`));
    }
    // Both at once.
    const [burst] = await Promise.all([
      writer('burst 200'),
      Promise.all(Array.from({ length: 200 }, (_, index) => log.append(draft(`parent-burst-${index}`)))),
    ]);
    expect(burst).toBe('burst-done');
    expect(await writer('close')).toBe('closed');
    await log.close();

    const events = await readAuditLog(path);
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(events.length);
    expect(events).toHaveLength(411);
    expect(events.slice(0, 11).map((event) => event.callId)).toEqual([
      'parent-0',
      ...Array.from({ length: 5 }, (_, index) => [`child-${index}`, `parent-${index + 1}`]).flat(),
    ]);
    const verdict = verifyAuditChain(events);
    expect(verdict).toMatchObject({
      valid: true,
      count: 411,
      chains: [
        { id: first.chain, count: 206 },
        { id: childChain, count: 205, anchor: first.hash },
      ],
    });

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    const target = lines.findIndex((line) => (JSON.parse(line) as AuditEvent).callId === 'child-burst-100');
    lines[target] = lines[target]!.replace('"outcome":"executed"', '"outcome":"failed"');
    await writeFile(path, `${lines.join('\n')}\n`);
    expect(verifyAuditChain(await readAuditLog(path))).toMatchObject({
      valid: false,
      index: target,
      chain: childChain,
      reason: 'hash-mismatch',
    });
  });
});
