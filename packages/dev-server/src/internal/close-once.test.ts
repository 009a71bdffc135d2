import { describe, expect, it } from 'vitest';
import { closeOnce } from './close-once';

describe('closeOnce', () => {
  it('closes the HTTP server even when a part fails, rejects, and retries on the next call', async () => {
    const calls: string[] = [];
    let vaultFails = true;
    const close = closeOnce(
      [
        async () => {
          calls.push('vault');
          if (vaultFails) throw new Error('vault would not stop');
        },
        async () => {
          calls.push('fga');
        },
      ],
      async () => {
        calls.push('http');
      },
    );

    await expect(close()).rejects.toMatchObject({
      message: expect.stringMatching(/failed to stop/),
      cause: { message: 'vault would not stop' },
    });
    expect(calls).toEqual(['vault', 'fga', 'http']);

    vaultFails = false;
    await expect(close()).resolves.toBeUndefined();
    expect(calls).toEqual(['vault', 'fga', 'http', 'vault', 'fga', 'http']);

    // A successful close is remembered: nothing runs twice.
    await expect(close()).resolves.toBeUndefined();
    expect(calls).toHaveLength(6);
  });

  it('shares one close between concurrent callers', async () => {
    let runs = 0;
    const close = closeOnce([], async () => {
      runs += 1;
    });
    await Promise.all([close(), close(), close()]);
    expect(runs).toBe(1);
  });
});
