import type { Express, RequestHandler } from 'express';

/** What this file reads of Express 5's router (the `router` package): layers that match a path, routes that list their methods. */
interface Layer {
  match(path: string): { path: string } | false;
  route?: { _methods(): string[] };
  handle?: { stack?: Layer[] };
}

/**
 * A path the app has routes for, asked with another method: 405 with `Allow` (RFC 9110), instead of the
 * 404 that says nothing is there. A client that sent PUT where POST was meant, or GET to the real-time
 * endpoint, learns which methods the path takes.
 */
export class MethodNotAllowed extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly allow: string[],
  ) {
    super(`${method} is not allowed on ${path}: use ${allow.join(', ')}.`);
    this.name = 'MethodNotAllowed';
  }
}

/**
 * The last handler before the 404: when a route of the app matches the path with another method, a
 * MethodNotAllowed (with the `Allow` header set); otherwise on to the 404.
 */
export function methodNotAllowed(app: Express): RequestHandler {
  return (req, res, next) => {
    const allow = allowedMethods((app as unknown as { router: { stack: Layer[] } }).router.stack, req.path);
    if (allow.length === 0 || allow.includes(req.method)) return next();
    res.set('allow', allow.join(', '));
    next(new MethodNotAllowed(req.method, req.path, allow));
  };
}

/**
 * OPTIONS on a path the app has routes for: 200 with `Allow` listing every method the path takes, the same
 * list a 405 gives. Express's own answer lists only the routes of the first router that has one for the path
 * (`OPTIONS /api/jobs` said `Allow: POST`, leaving out the list of a key's jobs in another router).
 */
export function answerOptions(app: Express): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'OPTIONS') return next();
    const allow = allowedMethods((app as unknown as { router: { stack: Layer[] } }).router.stack, req.path);
    if (allow.length === 0) return next();
    const text = allow.join(', ');
    res.set('allow', text).type('text/plain').send(text);
  };
}

/** The methods of every route matching `path`, through the routers mounted at the root (as app.ts mounts them). */
export function allowedMethods(stack: Layer[], path: string): string[] {
  const methods = new Set<string>();
  const walk = (layers: Layer[]) => {
    for (const layer of layers) {
      let match: { path: string } | false;
      try {
        match = layer.match(path);
      } catch {
        continue; // a parameter that cannot be decoded: that route does not take this path
      }
      if (!match) continue;
      if (layer.route) for (const m of layer.route._methods()) methods.add(m);
      else if (match.path === '' && layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk(stack);
  if (methods.has('GET')) methods.add('HEAD'); // Express answers HEAD with the GET route
  return [...methods].sort();
}
