import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryAdapterFactory } from './memory-adapter';

afterEach(() => {
  vi.useRealTimers();
});

describe('createMemoryAdapterFactory', () => {
  it('sweeps entries past their grace period on a later write, keeping live ones', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const factory = createMemoryAdapterFactory();
    const codes = factory('AuthorizationCode');
    const sessions = factory('Session');
    for (let index = 0; index < 50; index += 1) {
      await codes.upsert(`code-${index}`, { grantId: `grant-${index}` }, 60);
    }
    await sessions.upsert('session-1', { uid: 'uid-1' }, 24 * 3600);
    expect(factory.size()).toBe(51);

    // Expired, but still inside the grace period: kept (late polls see expired_token, not "not found").
    vi.advanceTimersByTime(5 * 60_000);
    await codes.upsert('fresh', {}, 60);
    expect(factory.size()).toBe(52);

    vi.advanceTimersByTime(10 * 60_000);
    await codes.upsert('fresher', {}, 60);
    expect(factory.size()).toBe(3); // the session and the two codes written since the first batch
    await expect(sessions.findByUid('uid-1')).resolves.toEqual({ uid: 'uid-1' });
    await expect(codes.find('code-1')).resolves.toBeUndefined();
  });
});
