import { defineGuard, GateDenied, type Guard } from '../src/index';

/** A guard that records its name in `trail` and allows. */
export function allowGuard(name: string, trail: string[], kind = 'test'): Guard<unknown> {
  return defineGuard({ name, kind, check: () => void trail.push(name) });
}

/** A guard that records its name in `trail` and throws what `fail` returns. */
export function failingGuard(
  name: string,
  trail: string[],
  fail: () => unknown,
  kind = 'test',
): Guard<unknown> {
  return defineGuard({
    name,
    kind,
    check: () => {
      trail.push(name);
      throw fail();
    },
  });
}

export const denyForbidden = () => new GateDenied('FORBIDDEN', 'not allowed here');
