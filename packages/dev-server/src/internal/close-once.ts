/**
 * The dev server's `close()`: runs every step in order (a failing step does not skip the next), then
 * always runs `last` (closing the HTTP server). It rejects with the first failure; a rejected close is
 * not remembered, so calling it again retries. A successful close is shared by every later call.
 */
export function closeOnce(steps: readonly (() => unknown)[], last: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  const run = async () => {
    const failures: unknown[] = [];
    try {
      for (const step of steps) {
        try {
          await step();
        } catch (error) {
          failures.push(error);
        }
      }
    } finally {
      await last();
    }
    if (failures.length > 0) {
      throw new Error('the dev server closed, but a part of it failed to stop', { cause: failures[0] });
    }
  };
  return () => {
    if (!closing) {
      const attempt = run();
      closing = attempt;
      attempt.catch(() => {
        if (closing === attempt) closing = undefined;
      });
    }
    return closing;
  };
}
