import type { ApiRoute } from './simulator';

export interface RouteMatch {
  route: ApiRoute;
  params: Record<string, string>;
}

/** `/a/b/` → `['a', 'b']`; `''` → `[]`. Inner empty segments stay (they match nothing). */
function segments(path: string): string[] {
  const trimmed = path.replace(/^\/+/, '').replace(/\/$/, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

/**
 * The route of a simulator's API a request path (relative to `/sandbox/<provider>/api`) names, with
 * its `:name` parameters. Literal segments compare case-insensitively, as the app's router does; a
 * parameter takes one non-empty segment. HEAD is answered like GET.
 */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch | null {
  const verb = method.toUpperCase() === 'HEAD' ? 'GET' : method.toUpperCase();
  const given = segments(path);
  for (const route of routes) {
    if (route.method !== verb) continue;
    const pattern = segments(route.path);
    if (pattern.length !== given.length) continue;
    const params: Record<string, string> = {};
    const matches = pattern.every((part, i) => {
      if (part.startsWith(':')) {
        if (given[i] === '') return false;
        params[part.slice(1)] = given[i];
        return true;
      }
      return part.toLowerCase() === given[i].toLowerCase();
    });
    if (matches) return { route, params };
  }
  return null;
}
