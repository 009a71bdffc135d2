import { createHash, createHmac } from 'node:crypto';
import {
  createGate,
  createSession,
  GateDenied,
  GateInterrupt,
  type Guard,
  getCredential,
  memoryAudit,
  type ObserverFailure,
} from '@agentgate/core';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createOpenTelemetryObserver } from '../src/index';
import { TestContextManager } from './support/context-manager';

const SUBJECT_TOKEN = 'eyJhbGciOiJFUzI1NiJ9.subject-token-payload.signature';
const PROVIDER_TOKEN = 'provider-access-token-7f3a9c';
const IBAN = 'DE89370400440532013000';
const AMOUNT = 987654;

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const tracer = tracerProvider.getTracer('test');
const records = new InMemoryLogRecordExporter();
const loggerProvider = new LoggerProvider({
  processors: [new SimpleLogRecordProcessor({ exporter: records })],
});
const auditLogger = loggerProvider.getLogger('agentgate');

const alice = createSession({
  sub: 'alice@example.com',
  tenant: 'acme',
  scopes: ['payments:write'],
  subjectToken: SUBJECT_TOKEN,
});
const payTool = {
  name: 'pay',
  risk: 'medium' as const,
  schema: z.object({ iban: z.string(), amount: z.number() }),
};
const args = { iban: IBAN, amount: AMOUNT };

const allow = (name: string, kind = 'identity'): Guard<unknown> => ({ name, kind, check: () => undefined });
const vault: Guard<unknown> = {
  name: 'vault(bank)',
  kind: 'vault',
  check: (guardContext) => {
    guardContext.setCredential('connection:bank', PROVIDER_TOKEN);
    guardContext.annotate({ connection: 'bank' });
  },
};

const byName = (name: string) => spans.getFinishedSpans().find((span) => span.name === name);
const spanId = (span: ReadableSpan | undefined) => span?.spanContext().spanId;
const everythingExported = () =>
  JSON.stringify([
    spans.getFinishedSpans().map((span) => ({
      name: span.name,
      attributes: span.attributes,
      events: span.events,
      status: span.status,
    })),
    records.getFinishedLogRecords().map((record) => ({
      body: record.body,
      attributes: record.attributes,
      eventName: record.eventName,
    })),
  ]);

beforeAll(() => {
  context.setGlobalContextManager(new TestContextManager());
});
afterAll(() => {
  context.disable();
});
beforeEach(() => {
  spans.reset();
  records.reset();
});

describe('createOpenTelemetryObserver', () => {
  it('exports a span per run with a child per guard and one for the tool, whose own spans are its children', async () => {
    const gate = createGate({
      audit: memoryAudit(),
      agent: { id: 'pay-bot' },
      observers: [createOpenTelemetryObserver({ tracer, auditLogger })],
    });
    const result = await gate.run(
      { tool: payTool, args, callId: 'call-42' },
      alice,
      [allow('requireScopes(payments:write)'), vault],
      async () => {
        getCredential<string>('connection:bank');
        const query = tracer.startSpan('bank.transfer');
        query.end();
        return 'paid';
      },
    );
    expect(result).toBe('paid');

    const run = byName('agentgate.run pay');
    const scopes = byName('agentgate.guard requireScopes(payments:write)');
    const vaultSpan = byName('agentgate.guard vault(bank)');
    const tool = byName('execute_tool pay');
    const inner = byName('bank.transfer');
    expect(scopes?.parentSpanContext?.spanId).toBe(spanId(run));
    expect(vaultSpan?.parentSpanContext?.spanId).toBe(spanId(run));
    expect(tool?.parentSpanContext?.spanId).toBe(spanId(run));
    expect(inner?.parentSpanContext?.spanId).toBe(spanId(tool));
    expect(run?.attributes).toEqual({
      'agentgate.tool': 'pay',
      'agentgate.call_id': 'call-42',
      'agentgate.agent': 'pay-bot',
      'agentgate.risk': 'medium',
      'agentgate.outcome': 'executed',
      'agentgate.session.id': alice.id,
      'agentgate.sub': 'alice@example.com',
      'agentgate.tenant': 'acme',
    });
    expect(vaultSpan?.attributes).toMatchObject({
      'agentgate.guard': 'vault(bank)',
      'agentgate.guard.kind': 'vault',
      'agentgate.shadow': false,
      'agentgate.outcome': 'allow',
    });
    expect(tool?.attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'pay',
      'gen_ai.tool.call.id': 'call-42',
      'agentgate.outcome': 'executed',
    });

    // Audit events as log records, in the run's trace.
    const logs = records.getFinishedLogRecords();
    expect(
      logs.map((record) => [
        record.eventName,
        record.attributes['agentgate.audit.phase'],
        record.attributes['agentgate.outcome'],
      ]),
    ).toEqual([
      ['agentgate.audit', 'guard', 'allow'],
      ['agentgate.audit', 'guard', 'allow'],
      ['agentgate.audit', 'execute', 'executed'],
    ]);
    for (const record of logs) {
      expect(record.spanContext?.traceId).toBe(run?.spanContext().traceId);
      expect(record.spanContext?.spanId).toBe(spanId(run));
    }
    expect(logs[1]?.attributes).toMatchObject({
      'agentgate.connection': 'bank',
      'agentgate.guard': 'vault(bank)',
    });

    // Nothing secret: no argument value, no subject token, no credential.
    const exported = everythingExported();
    for (const secret of [IBAN, String(AMOUNT), SUBJECT_TOKEN, PROVIDER_TOKEN])
      expect(exported).not.toContain(secret);
  });

  it('marks a denied call: the run and the guard end in error with the code, and no tool span', async () => {
    const gate = createGate({
      audit: memoryAudit(),
      observers: [createOpenTelemetryObserver({ tracer, auditLogger })],
    });
    const fga: Guard<unknown> = {
      name: 'fga(can_pay)',
      kind: 'fga',
      check: () => {
        throw new GateDenied('FORBIDDEN', `may not pay ${IBAN}`);
      },
    };
    await expect(gate.run({ tool: payTool, args }, alice, [fga], () => 'paid')).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    const run = byName('agentgate.run pay');
    expect(run?.status).toEqual({ code: SpanStatusCode.ERROR, message: 'FORBIDDEN' });
    expect(run?.attributes).toMatchObject({
      'agentgate.outcome': 'deny',
      'agentgate.code': 'FORBIDDEN',
      'agentgate.guard': 'fga(can_pay)',
      'error.type': 'FORBIDDEN',
    });
    expect(byName('agentgate.guard fga(can_pay)')?.attributes).toMatchObject({
      'agentgate.outcome': 'deny',
      'agentgate.code': 'FORBIDDEN',
    });
    expect(byName('execute_tool pay')).toBeUndefined();
    const [denial] = records.getFinishedLogRecords();
    expect(denial).toMatchObject({ severityText: 'WARN', body: 'guard deny FORBIDDEN: pay' });
    // The reason carries the IBAN; reasons stay in the audit log and never reach the exporters.
    expect(everythingExported()).not.toContain(IBAN);
  });

  it('shows shadowed refusals: the guard span says would-interrupt and the call runs', async () => {
    const gate = createGate({
      audit: memoryAudit(),
      shadow: { guards: ['trial-approval'] },
      observers: [createOpenTelemetryObserver({ tracer, auditLogger })],
    });
    const trial: Guard<unknown> = {
      name: 'trial-approval',
      kind: 'approval',
      check: () => {
        throw new GateInterrupt('APPROVAL_PENDING', 'waiting', { details: { approvalId: 'ap-1' } });
      },
    };
    await expect(gate.run({ tool: payTool, args }, alice, [trial], () => 'paid')).resolves.toBe('paid');
    expect(byName('agentgate.guard trial-approval')?.attributes).toMatchObject({
      'agentgate.shadow': true,
      'agentgate.outcome': 'would-interrupt',
      'agentgate.code': 'APPROVAL_PENDING',
    });
    expect(byName('agentgate.run pay')?.attributes['agentgate.outcome']).toBe('executed');
    expect(records.getFinishedLogRecords()[0]?.attributes['agentgate.outcome']).toBe('would-interrupt');
  });

  it.each([
    [
      '{ key } (HMAC)',
      { key: 'a-key-of-at-least-16-chars' },
      createHmac('sha256', 'a-key-of-at-least-16-chars').update('alice@example.com').digest('hex'),
    ],
    ['true (bare SHA-256)', true, createHash('sha256').update('alice@example.com').digest('hex')],
    ['a function', (sub: string) => `user-${sub.length}`, 'user-17'],
  ] as const)(
    'hashes the subject with hashSubject: %s, in spans and log records',
    async (_label, hashSubject, expected) => {
      const gate = createGate({
        audit: memoryAudit(),
        observers: [createOpenTelemetryObserver({ tracer, auditLogger, hashSubject })],
      });
      await gate.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid');
      expect(byName('agentgate.run pay')?.attributes['agentgate.sub']).toBe(expected);
      const logs = records.getFinishedLogRecords();
      expect(logs).toHaveLength(2);
      for (const record of logs) expect(record.attributes['agentgate.sub']).toBe(expected);
      expect(everythingExported()).not.toContain('alice@example.com');
    },
  );

  it('turns audit events into span events without a logger, and exports none with auditLogger: false', async () => {
    const withEvents = createGate({
      audit: memoryAudit(),
      observers: [createOpenTelemetryObserver({ tracer })],
    });
    await withEvents.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid');
    const events = byName('agentgate.run pay')?.events ?? [];
    expect(events.map((event) => [event.name, event.attributes?.['agentgate.outcome']])).toEqual([
      ['agentgate.audit', 'allow'],
      ['agentgate.audit', 'executed'],
    ]);
    expect(records.getFinishedLogRecords()).toHaveLength(0);

    spans.reset();
    const silent = createGate({
      audit: memoryAudit(),
      observers: [createOpenTelemetryObserver({ tracer, auditLogger: false })],
    });
    await silent.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid');
    expect(byName('agentgate.run pay')?.events).toEqual([]);
  });

  it('is a no-op when no SDK is registered, and uses the global provider once one is', async () => {
    const gate = createGate({ audit: memoryAudit(), observers: [createOpenTelemetryObserver()] });
    await expect(gate.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid')).resolves.toBe(
      'paid',
    );
    expect(spans.getFinishedSpans()).toHaveLength(0);
    trace.setGlobalTracerProvider(tracerProvider);
    try {
      await gate.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid');
      expect(byName('agentgate.run pay')?.instrumentationScope.name).toBe('@agentgate/otel');
    } finally {
      trace.disable();
    }
  });

  it('never changes a decision when the exporter side fails', async () => {
    const failures: ObserverFailure[] = [];
    const broken = {
      emit: () => {
        throw new Error('collector unreachable');
      },
    };
    const gate = createGate({
      audit: memoryAudit(),
      observers: [createOpenTelemetryObserver({ tracer, auditLogger: broken })],
      onObserverError: (failure) => failures.push(failure),
    });
    await expect(gate.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid')).resolves.toBe(
      'paid',
    );
    expect(failures.map((failure) => failure.hook)).toEqual(['onAuditEvent', 'onAuditEvent']);
    expect(byName('agentgate.run pay')?.attributes['agentgate.outcome']).toBe('executed');
  });

  it('still ends and exports the run span when a hashSubject function throws, without the subject', async () => {
    const failures: ObserverFailure[] = [];
    const gate = createGate({
      audit: memoryAudit(),
      observers: [
        createOpenTelemetryObserver({
          tracer,
          auditLogger: false,
          hashSubject: () => {
            throw new Error('pseudonymiser down');
          },
        }),
      ],
      onObserverError: (failure) => failures.push(failure),
    });
    await expect(gate.run({ tool: payTool, args }, alice, [allow('scopes')], () => 'paid')).resolves.toBe(
      'paid',
    );
    expect(failures.map((failure) => failure.hook)).toEqual(['onRunEnd']);
    const run = byName('agentgate.run pay');
    expect(run?.attributes['agentgate.outcome']).toBe('executed');
    expect(run?.attributes['agentgate.session.id']).toBe(alice.id);
    expect(everythingExported()).not.toContain('alice@example.com');
  });

  it('checks its options', () => {
    expect(() => createOpenTelemetryObserver({ tracer: {} as never })).toThrow(TypeError);
    expect(() => createOpenTelemetryObserver({ auditLogger: {} as never })).toThrow(/auditLogger/);
    expect(() => createOpenTelemetryObserver({ hashSubject: { key: 'short' } })).toThrow(/16/);
    expect(() =>
      createOpenTelemetryObserver({
        hashSubject: { key: 'a-key-of-32-characters-at-least!', algorithm: 'sha512' } as never,
      }),
    ).toThrow(/unknown options\.hashSubject\.algorithm/);
    expect(() => createOpenTelemetryObserver({ hashSubjects: true } as never)).toThrow(
      /did you mean hashSubject/,
    );
  });
});
