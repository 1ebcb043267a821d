import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { checksQueryParameters } from './common.js';
import { contractRoutes } from './openapi.js';
import type { z } from './zod.js';

/** A route of the contract that refuses query parameters it does not take. */
interface QueryRoute {
  method: string;
  /** The OpenAPI path template, as messages name it. */
  path: string;
  pattern: RegExp;
  parameters: string[];
}

let routes: QueryRoute[] | null = null;

/**
 * The routes whose query parameters are checked: the API's (`/api/…`) and the sample files, whose clients
 * are programs. A misspelt parameter there (`?stauts=failed`) would otherwise be ignored and the answer be
 * another one than asked for (every job). The HTML pages are left alone: a link opened from an email or a
 * chat may carry parameters someone else added (`utm_source`), and the page must still open.
 */
function checkedRoutes(): QueryRoute[] {
  routes ??= contractRoutes()
    .filter((r) => checksQueryParameters(r.path))
    .map((r) => ({
      method: r.method,
      path: r.path,
      // As Express matches: any letter case, a trailing slash or not.
      pattern: new RegExp(`^${r.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`, 'i'),
      parameters: queryNames(r),
    }));
  return routes;
}

function queryNames(route: RouteConfig): string[] {
  const query = route.request?.query as z.ZodObject | undefined;
  return query ? Object.keys(query.shape) : [];
}

/**
 * The query parameters of `names` that the route of `method` and `path` does not take, with the route's
 * template and the ones it takes; null when the path is not one whose parameters are checked (or every
 * parameter is taken). HEAD is checked as GET.
 */
export function unknownQueryParameters(
  method: string,
  path: string,
  names: string[],
): { route: string; method: string; unknown: string[]; parameters: string[] } | null {
  if (names.length === 0) return null;
  const m = method.toLowerCase() === 'head' ? 'get' : method.toLowerCase();
  const route = checkedRoutes().find((r) => r.method === m && r.pattern.test(path));
  if (!route) return null;
  const unknown = names.filter((n) => !route.parameters.includes(n));
  return unknown.length ? { route: route.path, method: m.toUpperCase(), unknown, parameters: route.parameters } : null;
}
