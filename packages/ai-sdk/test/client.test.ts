import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { GateDenied, GateInterrupt, isGateDenied, isGateInterrupt } from '@agentgate/core';
import { describe, expect, it } from 'vitest';
import { isAgentGateInterrupt, isAgentGateResult } from '../src/client';
import { toAgentGateResult } from '../src/index';

describe('isAgentGateResult', () => {
  it('recognises the results of denials and interrupts, also after a JSON round trip', () => {
    const denied = toAgentGateResult(new GateDenied('FORBIDDEN', 'no'));
    const pending = toAgentGateResult(
      new GateInterrupt('APPROVAL_PENDING', 'approve it', { details: { approvalId: 'a1' } }),
    );
    for (const result of [denied, pending]) {
      expect(isAgentGateResult(result)).toBe(true);
      expect(isAgentGateResult(JSON.parse(JSON.stringify(result)))).toBe(true);
    }
    expect(isAgentGateInterrupt(pending)).toBe(true);
    expect(isAgentGateInterrupt(denied)).toBe(false);
    expect(pending).toEqual({
      agentgate: {
        kind: 'interrupt',
        code: 'APPROVAL_PENDING',
        message: 'approve it',
        details: { approvalId: 'a1' },
      },
    });
    expect(toAgentGateResult(new Error('boom'))).toBeUndefined();
  });

  it.each([
    ['a plain output', { refunded: '1042' }],
    ['null', null],
    ['an unknown code', { agentgate: { kind: 'denied', code: 'NOPE', message: 'x', details: {} } }],
    [
      'an interrupt code as a denial',
      { agentgate: { kind: 'denied', code: 'APPROVAL_PENDING', message: 'x', details: {} } },
    ],
    ['a missing message', { agentgate: { kind: 'denied', code: 'FORBIDDEN', details: {} } }],
    [
      'CONNECTION_REQUIRED without its connection',
      { agentgate: { kind: 'interrupt', code: 'CONNECTION_REQUIRED', message: 'x', details: {} } },
    ],
    [
      'a throwing getter',
      {
        get agentgate() {
          throw new Error('hostile');
        },
      },
    ],
  ])('refuses %s', (_what, value) => {
    expect(isAgentGateResult(value)).toBe(false);
  });

  it.each([
    [
      'CONNECTION_REQUIRED with a non-string connectUrl',
      'interrupt',
      'CONNECTION_REQUIRED',
      { connection: 'g', requiredScopes: [], connectUrl: 7 },
    ],
    [
      'CONNECTION_REQUIRED with its facts',
      'interrupt',
      'CONNECTION_REQUIRED',
      { connection: 'g', requiredScopes: ['a'] },
    ],
    [
      'STEP_UP_REQUIRED with a non-string param',
      'interrupt',
      'STEP_UP_REQUIRED',
      { authorizationParams: { max_age: 0 } },
    ],
    [
      'STEP_UP_REQUIRED with string params',
      'interrupt',
      'STEP_UP_REQUIRED',
      { authorizationParams: { acr_values: 'x' } },
    ],
    ['RATE_LIMITED with a negative retryAfter', 'denied', 'RATE_LIMITED', { retryAfter: -1 }],
    [
      'RATE_LIMITED with an infinite retryAfter',
      'denied',
      'RATE_LIMITED',
      { retryAfter: Number.POSITIVE_INFINITY },
    ],
    ['RATE_LIMITED with a retryAfter', 'denied', 'RATE_LIMITED', { retryAfter: 3 }],
  ])('agrees with core on %s', (_what, kind, code, details) => {
    const decision = { kind, code, message: 'x', details };
    expect(isAgentGateResult({ agentgate: decision })).toBe(
      isGateDenied(decision) || isGateInterrupt(decision),
    );
  });

  it('is browser-safe: the client entry imports only @agentgate/core/errors, whose graph has no Node import', () => {
    const importsOf = (file: URL): string[] =>
      [
        ...readFileSync(file, 'utf8').matchAll(/^(?:import|export)(?!\s+type\b)[^;]*?from\s+'([^']+)'/gms),
      ].map((match) => match[1] ?? '');
    expect(importsOf(new URL('../src/client.ts', import.meta.url))).toEqual(['@agentgate/core/errors']);
    // Every module the errors entry reaches, by relative import: none imports a Node module or a package.
    const entry = createRequire(import.meta.url).resolve('@agentgate/core/package.json');
    const exported = JSON.parse(readFileSync(entry, 'utf8')).exports['./errors']['@agentgate/source'];
    const seen = new Set<string>();
    const pending = [new URL(exported, pathToFileURL(entry))];
    while (pending.length > 0) {
      const file = pending.pop() as URL;
      if (seen.has(file.href)) continue;
      seen.add(file.href);
      for (const specifier of importsOf(file)) {
        expect(
          specifier.startsWith('./') || specifier.startsWith('../'),
          `${file.pathname}: ${specifier}`,
        ).toBe(true);
        pending.push(new URL(`${specifier}.ts`, file));
      }
    }
    expect(seen.size).toBeGreaterThan(1);
  });
});
