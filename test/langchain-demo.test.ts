/**
 * The main demo (`npm run demo`, examples/langchain-agent) is documentation that runs: a `createAgent` agent with the
 * scripted model goes through the real loop against the dev server, and its transcript must show what the gate
 * allowed, refused and paused. It runs as a user runs it: `main.ts` as a `tsx` process (which calls `runDemo()`).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDemoArguments } from '../examples/langchain-agent/arguments';
import { ScriptedChatModel } from '../examples/langchain-agent/scripted-model';
import { createTranscript } from '../examples/langchain-agent/transcript';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const exampleDirectory = fileURLToPath(new URL('../examples/langchain-agent/', import.meta.url));

/** Splits the transcript into its parts: alice's turns, the replay, bob's turns, the audit trail. */
function parts(transcript: string) {
  const between = (start: string, end: string) => {
    const from = transcript.indexOf(start);
    const to = transcript.indexOf(end, from);
    expect(from, `missing "${start}"`).toBeGreaterThanOrEqual(0);
    expect(to, `missing "${end}"`).toBeGreaterThan(from);
    return transcript.slice(from, to);
  };
  return {
    alice: between('━━ alice signs in', '━━ the same refund again'),
    replay: between('━━ the same refund again', '━━ bob signs in'),
    bob: between('━━ bob signs in', '━━ the audit trail'),
    audit: transcript.slice(transcript.indexOf('━━ the audit trail')),
  };
}

/** Runs the demo as `npm run demo` does (`tsx` on the workspace sources, stdout piped) and returns its transcript. */
async function runMain(): Promise<string> {
  // main.ts keeps its audit file for the reader: here it goes to a folder the test removes.
  const temporary = await mkdtemp(join(tmpdir(), 'agentgate-langchain-demo-test-'));
  try {
    const { stdout } = await run(process.execPath, [tsxCli, '--conditions=@agentgate/source', 'main.ts'], {
      cwd: exampleDirectory,
      timeout: 150_000,
      // The scripted model, whatever keys the machine has.
      env: { ...process.env, TMPDIR: temporary, OPENAI_API_KEY: '', ANTHROPIC_API_KEY: '' },
    });
    expect(stdout).toContain(`audit file ${temporary}`);
    return stdout;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}

describe('examples/langchain-agent', () => {
  it('runs the agent loop end to end with the scripted model: allowed, paused, resumed, denied, audited', {
    timeout: 180_000,
  }, async () => {
    const transcript = await runMain();
    const { alice, replay, bob, audit } = parts(transcript);
    expect(transcript).toContain('model scripted (offline, deterministic)');
    // list_events: not connected ⇒ the connect link; the demo connects; the same call resumes and runs.
    expect(alice).toMatch(
      /⏸ list_events paused: CONNECTION_REQUIRED — connect acme-calendar \(events\.read\): http:\/\/127\.0\.0\.1:\d+\/connections\/acme-calendar\/connect\?scopes=events\.read/,
    );
    expect(alice).toMatch(
      /✓ list_events allowed — requireScopes\(calendar:read\) ✓ · vault\(acme-calendar\) ✓/,
    );
    expect(alice).toContain('→ {"user":"alice","items":[]}');

    // search_docs: FGA-filtered retrieval — her team's documents, never the finance folder.
    const aliceSearch = alice.slice(alice.indexOf('→ search_docs'), alice.indexOf('▸ Refund'));
    expect(aliceSearch).toMatch(/✓ search_docs allowed/);
    expect(aliceSearch).toContain('"title":"Roadmap 2027"');
    expect(aliceSearch).not.toMatch(/acme-finance|Q3 payroll|Budget 2027|acme-payroll|acme-budget/);
    expect(aliceSearch).not.toMatch(/bob-notes|globex/);
    expect(aliceSearch).toMatch(/⤷ FgaRetriever fga\(viewer\): top-3: 3 returned .* \d+ removed/);
    expect(aliceSearch).toContain(
      '◂ I found 3 documents you can read: “Roadmap 2027”, “Onboarding guide”, “Expense policy”.',
    );

    // refund_order: high risk ⇒ CIBA approval with RAR refund details, approved on the phone, then run once.
    expect(alice).toContain('⏸ refund_order paused: APPROVAL_PENDING — “Refund 240 EUR on order 1042”');
    expect(alice).toContain(
      '📱 alice\'s phone: “Refund 240 EUR on order 1042” [{"amount":240,"currency":"EUR","orderId":"1042","type":"refund"}] → approve',
    );
    expect(alice).toMatch(/✓ refund_order allowed — .*fga\(can_refund\) ✓ · approval\(ciba\) ✓/);
    expect(alice).toMatch(/◂ Done: order 1042 was refunded 240 EUR under approval [\w-]+\./);

    // The same refund again: the approval was used once.
    expect(replay).toMatch(/✗ refund_order denied: FORBIDDEN — approval [\w-]+ was already used/);

    // bob: his documents only (blocked from the roadmap, no finance), and his refund refused by OpenFGA.
    const bobSearch = bob.slice(bob.indexOf('→ search_docs'), bob.indexOf('▸ Refund'));
    expect(bobSearch).toMatch(/✓ search_docs allowed/);
    expect(bobSearch).not.toMatch(/Roadmap 2027|acme-finance|Q3 payroll|Budget 2027/);
    expect(bobSearch).toContain(
      "◂ I found 3 documents you can read: “Bob's meeting notes”, “Onboarding guide”, “Expense policy”.",
    );
    expect(bob).toContain("✗ refund_order denied: FORBIDDEN — not allowed: 'can_refund' on 'order:1042'");
    expect(bob).not.toContain('APPROVAL_PENDING'); // refused before anyone's phone rings

    // The audit trail, its chain verified.
    expect(audit).toMatch(/chain verified: intact, \d+ events/);
    expect(audit).toMatch(/bob\s+refund_order\s+fga\(can_refund\)\s+deny\s+FORBIDDEN/);
    expect(audit).toContain('tokens in the audit file: none');
    expect(audit).toContain('refunds executed: 1');
    expect(transcript).not.toContain('\u001b['); // piped, not a terminal: no colour
  });

  it('the scripted model is a chat model that calls bound tools and reads their results', async () => {
    const searchDocs = {
      type: 'function' as const,
      function: {
        name: 'search_docs',
        description: 'search',
        parameters: { type: 'object', properties: {} },
      },
    };
    const request = { role: 'user', content: 'Search the docs for travel budgets.' };
    const model = new ScriptedChatModel().bindTools([searchDocs]);
    const call = await model.invoke([request]);
    expect(call.tool_calls).toEqual([
      { id: expect.any(String), name: 'search_docs', args: { query: 'travel budgets' }, type: 'tool_call' },
    ]);
    const refused = {
      role: 'tool',
      name: 'search_docs',
      tool_call_id: call.tool_calls![0]!.id!,
      content: JSON.stringify({
        agentgate: { kind: 'denied', code: 'INSUFFICIENT_SCOPE', message: "scope 'docs:read' is required" },
      }),
    };
    const reply = await model.invoke([request, call, refused]);
    expect(reply.tool_calls ?? []).toEqual([]);
    expect(reply.text).toBe(
      "The gate refused search_docs (INSUFFICIENT_SCOPE): scope 'docs:read' is required.",
    );
    const unbound = await new ScriptedChatModel().invoke([request]); // no tools bound: it cannot call one
    expect(unbound.tool_calls ?? []).toEqual([]);
    expect(unbound.text).toBe('I have no search_docs tool in this conversation.');
  });

  it('colours the transcript for a terminal only, and never with NO_COLOR', () => {
    const render = (isTTY: boolean) => {
      let text = '';
      createTranscript({ isTTY, write: (chunk: string) => (text += chunk) }).denied(
        'refund_order',
        'FORBIDDEN',
        'no',
      );
      return text;
    };
    const noColour = process.env['NO_COLOR'];
    try {
      delete process.env['NO_COLOR'];
      expect(render(true)).toContain('\u001b[');
      expect(render(false)).toBe('    gate  ✗ refund_order denied: FORBIDDEN — no\n');
      process.env['NO_COLOR'] = '1';
      expect(render(true)).not.toContain('\u001b[');
    } finally {
      if (noColour === undefined) delete process.env['NO_COLOR'];
      else process.env['NO_COLOR'] = noColour;
    }
  });

  it('parses --interactive and refuses unknown options', () => {
    expect(parseDemoArguments([])).toEqual({ interactive: false, help: false });
    expect(parseDemoArguments(['--interactive'])).toEqual({ interactive: true, help: false });
    expect(parseDemoArguments(['--', '--interactive'])).toEqual({ interactive: true, help: false });
    expect(() => parseDemoArguments(['--interactiv'])).toThrow(TypeError);
    expect(() => parseDemoArguments(['alice'])).toThrow(/usage: npm run demo/);
  });
});
