import { validationError } from './api-error';
import { modelRoutes } from './model-routes';
import { queryRoutes } from './query-routes';
import type { Route } from './route';
import { storeRoutes } from './store-routes';
import { tupleRoutes } from './tuple-routes';
import { unimplementedRoutes } from './unimplemented-routes';

const routes: Route[] = [
  ...storeRoutes,
  ...modelRoutes,
  ...tupleRoutes,
  ...queryRoutes,
  ...unimplementedRoutes,
];

/** The route for a method and path, with its URL-decoded path parameters; `undefined` when none matches. */
export function matchRoute(method: string, pathname: string): { route: Route; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const match = route.pattern.exec(pathname);
    if (match) return { route, params: match.slice(1).map(decodeParameter) };
  }
  return undefined;
}

function decodeParameter(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    throw validationError('invalid path parameter: malformed percent-encoding');
  }
}
