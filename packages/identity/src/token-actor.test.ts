import { describe, expect, it } from 'vitest';
import { tokenActor } from './token-actor';

describe('tokenActor', () => {
  it('is undefined for a token without act: the user acts themselves', () => {
    expect(tokenActor({ sub: 'alice', client_id: 'web-app' })).toBeUndefined();
  });

  it('reads the agent, and the earlier actors of a token delegated twice', () => {
    expect(tokenActor({ sub: 'alice', client_id: 'agent', act: { sub: 'agent' } })).toEqual({ sub: 'agent' });
    expect(tokenActor({ sub: 'alice', act: { sub: 'tool-runner', act: { sub: 'agent' } } })).toEqual({
      sub: 'tool-runner',
      act: { sub: 'agent' },
    });
  });

  it.each([
    ['a string', 'agent'],
    ['no sub', { client: 'agent' }],
    ['an empty sub', { sub: '' }],
    ['an array', [{ sub: 'agent' }]],
    ['a malformed nested actor', { sub: 'agent', act: { sub: 7 } }],
    [
      'nesting beyond five levels',
      {
        sub: 'a',
        act: { sub: 'b', act: { sub: 'c', act: { sub: 'd', act: { sub: 'e', act: { sub: 'f' } } } } },
      },
    ],
  ])('refuses an act claim that is %s', (_what, act) => {
    expect(() => tokenActor({ sub: 'alice', act })).toThrow(
      expect.objectContaining({ code: 'NO_SESSION', reason: 'claims' }),
    );
  });

  it('refuses an act naming another client than the token was issued to', () => {
    expect(() => tokenActor({ sub: 'alice', client_id: 'agent', act: { sub: 'evil-agent' } })).toThrow(
      /another client/,
    );
  });
});
