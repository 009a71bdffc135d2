import { ApiError } from './api-error';
import type { Route } from './route';

function unimplemented(what: string): Route['handle'] {
  return () => {
    throw new ApiError('unimplemented', `${what} is not implemented by @agentgate/fga-local`, 501);
  };
}

/**
 * OpenFGA endpoints the embedded engine does not serve. They answer 501 with code `unimplemented`
 * (the SDK does not retry 501), so a caller learns at once instead of after three retries.
 */
export const unimplementedRoutes: Route[] = [
  { method: 'GET', pattern: /^\/stores\/([^/]+)\/changes$/, handle: unimplemented('ReadChanges') },
  {
    method: 'GET',
    pattern: /^\/stores\/([^/]+)\/assertions\/([^/]+)$/,
    handle: unimplemented('ReadAssertions'),
  },
  {
    method: 'PUT',
    pattern: /^\/stores\/([^/]+)\/assertions\/([^/]+)$/,
    handle: unimplemented('WriteAssertions'),
  },
];
