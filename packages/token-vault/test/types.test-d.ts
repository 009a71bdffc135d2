import {
  type AgentSession,
  createGate,
  type Guard,
  type SessionView,
  type StandardSchemaV1,
} from '@agentgate/core';
import { expectTypeOf, test } from 'vitest';
import {
  type ConnectionToken,
  createTokenVault,
  getConnectionToken,
  type TokenExchangeFailure,
  type TokenVaultOptions,
} from '../src/index';

const base = { issuer: 'https://vault.example/', clientId: 'agent', clientSecret: 's' } as const;
declare const daySchema: StandardSchemaV1<unknown, { day: string }>;

test('the guard fits a tool whose arguments a schema types', () => {
  const vault = createTokenVault({ ...base, dialect: 'auth0' });
  const gate = createGate({ audit: false });
  const guard = vault.guard({ connection: 'acme-calendar', scopes: ['events.read'] });
  expectTypeOf(guard).toEqualTypeOf<Guard<unknown>>();
  const tool = gate.protect({ name: 'list_events', schema: daySchema }, [guard], async (args) => {
    expectTypeOf(args).toEqualTypeOf<{ day: string }>();
    expectTypeOf(getConnectionToken('acme-calendar')).toEqualTypeOf<string>();
    return args.day;
  });
  expectTypeOf(tool).returns.toEqualTypeOf<Promise<string>>();
});

test('getToken takes a session and gives a read-only token', () => {
  const vault = createTokenVault({ ...base, dialect: 'rfc8693' });
  expectTypeOf(vault.getToken).parameter(0).toEqualTypeOf<AgentSession>();
  expectTypeOf(vault.getToken).returns.resolves.toEqualTypeOf<ConnectionToken>();
  expectTypeOf<ConnectionToken['scopes']>().toEqualTypeOf<readonly string[]>();
  expectTypeOf<ConnectionToken['expiresAt']>().toEqualTypeOf<number | undefined>();
});

test('callbacks see the session without its subject token', () => {
  type ConnectUrl = NonNullable<TokenVaultOptions['connectUrl']>;
  expectTypeOf<Parameters<ConnectUrl>[0]['session']>().toEqualTypeOf<SessionView>();
  expectTypeOf<Parameters<ConnectUrl>[0]['session']>().not.toHaveProperty('subjectToken');
});

test('options reject an unknown dialect and failures are a closed union', () => {
  // @ts-expect-error: not a dialect
  createTokenVault({ ...base, dialect: 'okta' });
  expectTypeOf<TokenExchangeFailure>().toEqualTypeOf<
    'not_connected' | 'missing_scopes' | 'invalid_subject' | 'unavailable' | 'aborted' | 'failed'
  >();
});
