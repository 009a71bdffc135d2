/**
 * The examples are documentation that runs: each is executed as a user would (`tsx` on the workspace sources) and its
 * output checked, so a change that breaks one fails here.
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');
const example = (name: string) => fileURLToPath(new URL(`../examples/${name}/`, import.meta.url));

async function runExample(name: string): Promise<string> {
  const { stdout } = await run(process.execPath, [tsxCli, '--conditions=@agentgate/source', 'main.ts'], {
    cwd: example(name),
    timeout: 60_000,
  });
  return stdout;
}

describe('examples', () => {
  it('embedded-demo (npm run demo:tour) walks the whole path and verifies its audit file', async () => {
    const output = await runExample('embedded-demo');
    expect(output).toMatch(
      /⏸ list_events: CONNECTION_REQUIRED .*"connectUrl":"http:\/\/127\.0\.0\.1:\d+\/connections\/acme-calendar\/connect/,
    );
    expect(output).toMatch(/⏸ add_event: STEP_UP_REQUIRED .*"acr_values":"urn:agentgate:loa:2"/);
    expect(output).toMatch(/✓ add_event: \{"title":"Quarterly review"/);
    expect(output).toContain('✗ list_events {"user":"alice"}: INVALID_ARGUMENTS');
    expect(output).toMatch(/✓ list_events: \{"user":"bob","items":\[\]\}/);
    expect(output).toContain('⏸ refund_order: APPROVAL_PENDING');
    expect(output).toMatch(/✓ refund_order: /);
    expect(output).toContain('✗ refund_order replayed: FORBIDDEN');
    expect(output).toContain('refunds executed: 1');
    expect(output).toMatch(/alice\s+sees .*Roadmap/i);
    expect(output).not.toMatch(/(alice|bob)\s+sees [^\n]*Finance/i);
    expect(output).toMatch(/chain: intact, \d+ events/);
    expect(output).toContain('after deleting line 4 of the file: broken at event 4 (broken-link)');
    expect(output).toContain('tokens in the audit file: none');
  });

  it('core-demo (npm run demo:core) shows allowed, denied and interrupted calls and a verified chain', async () => {
    const output = await runExample('core-demo');
    expect(output).toContain('✗ a high-risk tool without an approval guard cannot be created');
    expect(output).toContain('⏸ alice refunds 240: interrupt');
    expect(output).toContain('✗ bob refunds 40: INSUFFICIENT_SCOPE');
    expect(output).toContain('✓ bob lists events claiming to be alice: {"for":"bob"');
    expect(output).toMatch(/chain verified: intact \(\d+ events\)/);
    expect(output).toContain('after editing event 3 in a copy: broken at event 3 (hash-mismatch)');
  });
});
