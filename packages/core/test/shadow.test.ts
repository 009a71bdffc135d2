import { describe, expect, it } from 'vitest';
import {
  createGate,
  createSession,
  GateDenied,
  GateInterrupt,
  memoryAudit,
  verifyAuditChain,
} from '../src/index';
import { allowGuard, failingGuard } from './helpers';

const alice = createSession({ sub: 'alice', subjectToken: 'secret-at' });
const exportTool = { name: 'export_report' };
const refundTool = { name: 'refund', risk: 'high' as const };

describe('createGate({ shadow })', () => {
  it('audits a shadowed denial as would-deny and runs the tool', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, shadow: { guards: ['new-policy'] } });
    const trail: string[] = [];
    const result = await gate.run(
      { tool: exportTool, args: { id: 1 }, callId: 'c1' },
      alice,
      [
        failingGuard('new-policy', trail, () => new GateDenied('FORBIDDEN', 'reports are closed on Sundays')),
        allowGuard('after', trail),
      ],
      () => 'exported',
    );
    expect(result).toBe('exported');
    expect(trail).toEqual(['new-policy', 'after']);
    expect(audit.events.map((event) => [event.phase, event.guard, event.outcome, event.code])).toEqual([
      ['guard', 'new-policy', 'would-deny', 'FORBIDDEN'],
      ['guard', 'after', 'allow', undefined],
      ['execute', undefined, 'executed', undefined],
    ]);
    expect(audit.events[0]?.reason).toBe('reports are closed on Sundays');
    expect(verifyAuditChain(audit.events)).toMatchObject({ valid: true, count: 3 });
  });

  it('audits a shadowed interrupt as would-interrupt, and a guard error as would-deny GUARD_FAILED', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, shadow: { tools: { export_report: true } } });
    const trail: string[] = [];
    await expect(
      gate.run(
        { tool: exportTool, args: {} },
        alice,
        [
          failingGuard(
            'step-up',
            trail,
            () =>
              new GateInterrupt('STEP_UP_REQUIRED', 'sign in again', {
                details: { authorizationParams: { max_age: '0' } },
              }),
          ),
          failingGuard('flaky', trail, () => new Error('network down')),
        ],
        () => 'ran',
      ),
    ).resolves.toBe('ran');
    expect(audit.events.map((event) => [event.guard, event.outcome, event.code])).toEqual([
      ['step-up', 'would-interrupt', 'STEP_UP_REQUIRED'],
      ['flaky', 'would-deny', 'GUARD_FAILED'],
      [undefined, 'executed', undefined],
    ]);
  });

  it('enforces the guards it does not name, per tool', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, shadow: { tools: { export_report: ['soft'] } } });
    const trail: string[] = [];
    const guards = [
      failingGuard('soft', trail, () => new GateDenied('FORBIDDEN', 'soft says no')),
      failingGuard('hard', trail, () => new GateDenied('FORBIDDEN', 'hard says no')),
    ];
    let ran = false;
    await expect(
      gate.run({ tool: exportTool, args: {} }, alice, guards, () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', guard: 'hard' });
    expect(ran).toBe(false);
    // The same guard names on another tool are enforced.
    await expect(
      gate.run({ tool: { name: 'other' }, args: {} }, alice, guards, () => 'ran'),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', guard: 'soft' });
    expect(audit.events.map((event) => [event.tool, event.guard, event.outcome])).toEqual([
      ['export_report', 'soft', 'would-deny'],
      ['export_report', 'hard', 'deny'],
      ['other', 'soft', 'deny'],
    ]);
  });

  it('still ends an aborted call: an abort is no decision to shadow', async () => {
    const gate = createGate({ audit: memoryAudit(), shadow: { guards: ['slow'] } });
    const controller = new AbortController();
    const slow = {
      name: 'slow',
      kind: 'test',
      check: () => new Promise<void>(() => controller.abort(new Error('user left'))),
    };
    let ran = false;
    await expect(
      gate.run({ tool: exportTool, args: {}, signal: controller.signal }, alice, [slow], () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'GUARD_FAILED' });
    expect(ran).toBe(false);
  });

  it('never shadows a guard the risk policy requires: TypeError at protect, FORBIDDEN on record at run', async () => {
    const audit = memoryAudit();
    const approval = allowGuard('approve-refund', [], 'approval');
    for (const shadow of [{ guards: ['approve-refund'] }, { tools: { refund: true as const } }]) {
      const gate = createGate({ audit, shadow });
      expect(() => gate.protect(refundTool, [approval], () => 'refunded')).toThrow(TypeError);
      expect(() => gate.protect(refundTool, [approval], () => 'refunded')).toThrow(
        /cannot run in shadow mode/,
      );
      expect(() => gate.assertPolicy(refundTool, [approval])).toThrow(/approve-refund/);
      let ran = false;
      await expect(
        gate.run({ tool: refundTool, args: {} }, alice, [approval], () => {
          ran = true;
        }),
      ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { shadowedGuards: ['approve-refund'] } });
      expect(ran).toBe(false);
    }
    expect(audit.events.map((event) => [event.phase, event.outcome, event.code])).toEqual([
      ['policy', 'deny', 'FORBIDDEN'],
      ['policy', 'deny', 'FORBIDDEN'],
    ]);
  });

  it('reads a guard kind and the tool risk once: a getter cannot satisfy the policy and then escape it', async () => {
    const audit = memoryAudit();
    const gate = createGate({ audit, shadow: { guards: ['shifty'] } });
    const interrupt = () => new GateInterrupt('APPROVAL_PENDING', 'waiting');
    // A guard that is `approval` on every third reading of its kind: the reading the policy check makes, were the
    // kind read once for "is a required kind missing?" and again for "is a required guard shadowed?".
    const shiftyGuard = () => {
      let reads = 0;
      const guard = failingGuard('shifty', [], interrupt, 'approval');
      return Object.defineProperty({ ...guard }, 'kind', {
        get: () => (++reads % 3 === 2 ? 'approval' : 'notice'),
        enumerable: true,
      });
    };
    expect(() => gate.protect(refundTool, [shiftyGuard()], () => 'refunded')).toThrow(
      /cannot run in shadow mode/,
    );
    let ran = false;
    await expect(
      gate.run({ tool: refundTool, args: {} }, alice, [shiftyGuard()], () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { shadowedGuards: ['shifty'] } });

    // A tool that is high risk when the missing kinds are checked and low when shadowing is.
    let riskReads = 0;
    const shiftyTool = {
      name: 'refund',
      get risk() {
        return ++riskReads % 2 === 1 ? ('high' as const) : ('low' as const);
      },
    };
    const approve = failingGuard('shifty', [], interrupt, 'approval');
    await expect(
      gate.run({ tool: shiftyTool, args: {} }, alice, [approve], () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN', details: { shadowedGuards: ['shifty'] } });
    expect(ran).toBe(false);
    expect(audit.events.map((event) => [event.outcome, event.code])).toEqual([
      ['deny', 'FORBIDDEN'],
      ['deny', 'FORBIDDEN'],
    ]);
  });

  it('shadows a guard of a required kind on a tool whose risk does not require it', async () => {
    const gate = createGate({ audit: memoryAudit(), shadow: { guards: ['approve'] } });
    const approve = failingGuard(
      'approve',
      [],
      () => new GateInterrupt('APPROVAL_PENDING', 'waiting'),
      'approval',
    );
    const medium = gate.protect({ name: 'draft_mail', risk: 'medium' }, [approve], () => 'drafted');
    await expect(medium({}, { session: alice })).resolves.toBe('drafted');
  });

  it('checks its options at creation', () => {
    expect(() => createGate({ audit: false, shadow: { guard: ['x'] } as never })).toThrow(
      /did you mean guards/,
    );
    expect(() => createGate({ audit: false, shadow: { guards: 'x' } as never })).toThrow(TypeError);
    expect(() => createGate({ audit: false, shadow: { guards: [''] } })).toThrow(TypeError);
    expect(() => createGate({ audit: false, shadow: { tools: { a: false } } as never })).toThrow(TypeError);
    expect(() => createGate({ audit: false, shadow: { tools: [] } as never })).toThrow(TypeError);
  });
});
