import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  createGate,
  createSession,
  type Gate,
  GateDenied,
  type GateObserver,
  memoryAudit,
  type ObservedAuditEvent,
  type ObserverFailure,
  type PhaseObservation,
  verifyAuditChain,
} from '../src/index';
import { allowGuard, failingGuard } from './helpers';

// A fixed id: a random one could contain the digits the test looks for.
const alice = createSession({
  sub: 'alice',
  id: 'session-alice',
  tenant: 'acme',
  subjectToken: 'secret-subject-token',
});
const payTool = { name: 'pay', schema: z.object({ iban: z.string(), amount: z.number() }) };
const args = { iban: 'DE89370400440532013000', amount: 4321 };

/** An observer that writes every hook it hears, with its payload, into `log`. */
function recorder(log: unknown[]): GateObserver {
  const phase = (label: string): PhaseObservation => ({
    runInContext: (work) => work(),
    end: (result) => log.push([`${label}:end`, result]),
  });
  return {
    onRunStart: (run) => {
      log.push(['run:start', run]);
      return {
        onGuardStart: (guard) => {
          log.push(['guard:start', guard]);
          return phase(`guard:${guard.name}`);
        },
        onExecuteStart: (execution) => {
          log.push(['execute:start', execution]);
          return phase('execute');
        },
        onAuditEvent: (event) => log.push(['audit', event.phase, event.outcome]),
        onRunEnd: (result) => log.push(['run:end', result]),
      };
    },
  };
}

/** A call a guard refuses still ends FORBIDDEN, whatever the observers do. */
const expectForbidden = (gate: Gate) =>
  expect(
    gate.run(
      { tool: payTool, args },
      alice,
      [failingGuard('no', [], () => new GateDenied('FORBIDDEN', 'no'))],
      () => 'paid',
    ),
  ).rejects.toMatchObject({ code: 'FORBIDDEN' });

describe('createGate({ observers })', () => {
  it('reports the run, each guard, the tool and each audit event, in order, with no argument value', async () => {
    const log: unknown[] = [];
    const gate = createGate({ audit: memoryAudit(), agent: { id: 'bot' }, observers: [recorder(log)] });
    const result = await gate.run(
      { tool: payTool, args, callId: 'call-1' },
      alice,
      [allowGuard('scopes', [], 'identity'), allowGuard('fga', [], 'fga')],
      () => 'paid',
    );
    expect(result).toBe('paid');
    const digest = expect.stringMatching(/^sha256:/);
    expect(log).toEqual([
      ['run:start', { tool: 'pay', callId: 'call-1', risk: undefined, agent: 'bot' }],
      ['guard:start', { name: 'scopes', kind: 'identity', shadow: false }],
      ['guard:scopes:end', { outcome: 'allow' }],
      ['audit', 'guard', 'allow'],
      ['guard:start', { name: 'fga', kind: 'fga', shadow: false }],
      ['guard:fga:end', { outcome: 'allow' }],
      ['audit', 'guard', 'allow'],
      ['execute:start', { attempt: 1 }],
      ['execute:end', { outcome: 'executed' }],
      ['audit', 'execute', 'executed'],
      [
        'run:end',
        { outcome: 'executed', sessionId: alice.id, sub: 'alice', tenant: 'acme', argsDigest: digest },
      ],
    ]);
    const heard = JSON.stringify(log);
    expect(heard).not.toContain('DE89370400440532013000');
    expect(heard).not.toContain('4321');
    expect(heard).not.toContain('secret-subject-token');
  });

  it('hands audit events to observers without the recorded arguments, frozen', async () => {
    const audit = memoryAudit();
    const heard: ObservedAuditEvent[] = [];
    const gate = createGate({
      audit,
      recordArgs: true,
      observers: [{ onRunStart: () => ({ onAuditEvent: (event) => void heard.push(event) }) }],
    });
    await gate.run({ tool: payTool, args }, alice, [allowGuard('scopes', [], 'identity')], () => 'paid');
    expect(audit.events[0]?.args).toEqual(args); // stored, as recordArgs asks
    expect(heard.map((event) => [event.phase, event.outcome])).toEqual([
      ['guard', 'allow'],
      ['execute', 'executed'],
    ]);
    expect(JSON.stringify(heard)).not.toContain('DE89370400440532013000');
    expect(heard.every((event) => Object.isFrozen(event) && !('args' in event))).toBe(true);
    expect(heard[0]?.hash).toBe(audit.events[0]?.hash);
  });

  it('reports a denial, a shadowed refusal and a failing tool by code', async () => {
    const log: unknown[] = [];
    const gate = createGate({
      audit: memoryAudit(),
      observers: [recorder(log)],
      shadow: { guards: ['trial'] },
    });
    const deny = failingGuard('fga', [], () => new GateDenied('FORBIDDEN', 'no'));
    const trial = failingGuard('trial', [], () => new GateDenied('FORBIDDEN', 'would not'));
    await expect(gate.run({ tool: payTool, args }, alice, [deny], () => 'paid')).rejects.toThrow(GateDenied);
    expect(log.at(-1)).toEqual([
      'run:end',
      expect.objectContaining({ outcome: 'deny', code: 'FORBIDDEN', guard: 'fga' }),
    ]);
    expect(log).toContainEqual(['guard:fga:end', { outcome: 'deny', code: 'FORBIDDEN' }]);

    log.length = 0;
    await expect(
      gate.run({ tool: payTool, args }, alice, [trial], () => {
        throw new Error('bank offline');
      }),
    ).rejects.toThrow('bank offline');
    expect(log).toContainEqual(['guard:trial:end', { outcome: 'would-deny', code: 'FORBIDDEN' }]);
    expect(log).toContainEqual(['guard:start', { name: 'trial', kind: 'test', shadow: true }]);
    expect(log).toContainEqual(['execute:end', { outcome: 'failed', code: 'TOOL_ERROR' }]);
    expect(log.at(-1)).toEqual([
      'run:end',
      expect.objectContaining({ outcome: 'failed', code: 'TOOL_ERROR' }),
    ]);

    log.length = 0;
    await expect(
      gate.run({ tool: payTool, args: { iban: 1 } }, alice, [], () => 'paid'),
    ).rejects.toMatchObject({
      code: 'INVALID_ARGUMENTS',
    });
    expect(log.at(-1)).toEqual([
      'run:end',
      expect.objectContaining({ outcome: 'deny', code: 'INVALID_ARGUMENTS' }),
    ]);
  });

  it('runs guard checks and the tool inside the observer context', async () => {
    const storage = new AsyncLocalStorage<string>();
    const seen: (string | undefined)[] = [];
    const observer: GateObserver = {
      onRunStart: () => ({
        onGuardStart: (guard) => ({ runInContext: (work) => storage.run(`guard:${guard.name}`, work) }),
        onExecuteStart: () => ({ runInContext: (work) => storage.run('tool', work) }),
      }),
    };
    const gate = createGate({ audit: false, observers: [observer] });
    const probe = {
      name: 'probe',
      kind: 'test',
      check: async () => {
        await Promise.resolve();
        seen.push(storage.getStore());
      },
    };
    await gate.run({ tool: payTool, args }, alice, [probe], async () => {
      await Promise.resolve();
      seen.push(storage.getStore());
    });
    expect(seen).toEqual(['guard:probe', 'tool']);
  });

  it('never lets an observer change a decision: throwing hooks are reported and the call goes on', async () => {
    const failures: ObserverFailure[] = [];
    const boom = () => {
      throw new Error('observer broke');
    };
    const throwing: GateObserver = {
      onRunStart: () => ({
        onGuardStart: () => ({ runInContext: boom, end: boom }),
        onExecuteStart: boom,
        onAuditEvent: boom,
        onRunEnd: boom,
      }),
    };
    const audit = memoryAudit();
    const gate = createGate({
      audit,
      observers: [throwing, { onRunStart: boom }],
      onObserverError: (failure) => failures.push(failure),
    });
    const trail: string[] = [];
    await expect(
      gate.run({ tool: payTool, args }, alice, [allowGuard('a', trail)], () => 'paid'),
    ).resolves.toBe('paid');
    // runInContext threw without calling its work: the guard still ran, once.
    expect(trail).toEqual(['a']);
    expect(failures.map(({ observer, hook }) => `${observer}:${hook}`)).toEqual([
      '1:onRunStart',
      '0:runInContext',
      '0:runInContext',
      '0:end',
      '0:onAuditEvent',
      '0:onExecuteStart',
      '0:onAuditEvent',
      '0:onRunEnd',
    ]);
    await expectForbidden(gate);
    expect(verifyAuditChain(audit.events)).toMatchObject({ valid: true });
  });

  it('keeps what the work returned or threw, whatever runInContext does with it', async () => {
    const runTwice: PhaseObservation = {
      runInContext: (work) => {
        work();
        return work();
      },
    };
    const swallow: PhaseObservation = {
      runInContext: (work) => {
        try {
          return work();
        } catch {
          return undefined as never;
        }
      },
    };
    const replace: PhaseObservation = { runInContext: () => Promise.resolve('replaced') as never };
    for (const phase of [runTwice, swallow, replace]) {
      const failures: ObserverFailure[] = [];
      const gate = createGate({
        audit: false,
        observers: [{ onRunStart: () => ({ onGuardStart: () => phase, onExecuteStart: () => phase }) }],
        onObserverError: (failure) => failures.push(failure),
      });
      const trail: string[] = [];
      let runs = 0;
      await expect(
        gate.run({ tool: payTool, args }, alice, [allowGuard('once', trail)], () => {
          runs++;
          return 'paid';
        }),
      ).resolves.toBe('paid');
      expect(trail).toEqual(['once']);
      expect(runs).toBe(1);
      await expectForbidden(gate);
    }
  });

  it('drops observer errors when there is no onObserverError, and survives a throwing onObserverError', async () => {
    const boom: GateObserver = {
      onRunStart: () => {
        throw new Error('x');
      },
    };
    await expect(
      createGate({ audit: false, observers: [boom] }).run({ tool: payTool, args }, alice, [], () => 1),
    ).resolves.toBe(1);
    const gate = createGate({
      audit: false,
      observers: [boom],
      onObserverError: () => {
        throw new Error('report broke too');
      },
    });
    await expect(gate.run({ tool: payTool, args }, alice, [], () => 2)).resolves.toBe(2);
  });

  it('checks its options at creation', () => {
    expect(() => createGate({ audit: false, observers: {} as never })).toThrow(/observers must be an array/);
    expect(() => createGate({ audit: false, observers: [{} as never] })).toThrow(/onRunStart/);
    expect(() => createGate({ audit: false, onObserverError: 'log' as never })).toThrow(TypeError);
  });
});
