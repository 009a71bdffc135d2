import { describe, expect, it } from 'vitest';
import { raceAbort, sleep } from '../src/index';

describe('raceAbort', () => {
  it('settles like the promise when nothing aborts', async () => {
    await expect(raceAbort(Promise.resolve(1), new AbortController().signal)).resolves.toBe(1);
    await expect(raceAbort(Promise.reject(new Error('x')), undefined)).rejects.toThrow('x');
  });

  it('rejects with the reason as soon as the signal aborts, or at once when it already did', async () => {
    const controller = new AbortController();
    const pending = raceAbort(new Promise(() => {}), controller.signal);
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toThrow('stop');
    await expect(raceAbort(Promise.resolve(1), AbortSignal.abort(new Error('early')))).rejects.toThrow(
      'early',
    );
  });
});

describe('sleep', () => {
  it('waits, and stops early on abort', async () => {
    await expect(sleep(1)).resolves.toBeUndefined();
    await expect(sleep(60_000, AbortSignal.abort(new Error('cancelled')))).rejects.toThrow('cancelled');
  });
});
