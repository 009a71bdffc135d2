import { describe, expect, it } from 'vitest';
import { type CreateDevTokenVaultOptions, createDevTokenVault } from '../src/vault';

const calendar = { name: 'acme-calendar', displayName: 'Acme Calendar', scopes: ['events.read'] };

describe('createDevTokenVault', () => {
  it.each([
    ['no options', undefined],
    ['no connections', { connections: [] }],
    ['a bad name', { connections: [{ ...calendar, name: 'Acme Calendar' }] }],
    ['a duplicate name', { connections: [calendar, calendar] }],
    ['no display name', { connections: [{ ...calendar, displayName: '' }] }],
    ['no scopes', { connections: [{ ...calendar, scopes: [] }] }],
    ['a scope with a space', { connections: [{ ...calendar, scopes: ['events read'] }] }],
    ['a zero TTL', { connections: [calendar], externalTokenTtlSeconds: 0 }],
    ['a fractional TTL', { connections: [calendar], externalTokenTtlSeconds: 1.5 }],
    ['a non-function signIn', { connections: [calendar], signIn: 'alice' }],
  ])('throws a TypeError for %s', (_case, options) => {
    expect(() => createDevTokenVault(options as unknown as CreateDevTokenVaultOptions)).toThrow(TypeError);
  });

  it('exposes the connection definitions and audiences before it is attached', () => {
    const vault = createDevTokenVault({ connections: [calendar] });
    expect(vault.handle.definitions).toEqual([calendar]);
    expect(vault.handle.audience('acme-calendar')).toBe('connection:acme-calendar');
    expect(() => vault.handle.audience('acme-mail')).toThrow(TypeError);
    expect(vault.handle.exchangeCount()).toBe(0);
  });

  it('rejects connect() without a signIn function', async () => {
    const vault = createDevTokenVault({ connections: [calendar] });
    await expect(vault.handle.connect('alice', 'acme-calendar')).rejects.toThrow(/signIn/);
  });
});
