import express, { type RequestHandler } from 'express';

/**
 * A JSON request body, parsed by the routes that take one and after their checks (admin token, scope), never
 * for every request: parsing is synchronous work on the event loop (a 1 MB body of nested arrays held it for
 * 0.5-0.8 s), which a client could otherwise have done for free on any path, a 404 included. The bodies these
 * routes take are small; a compressed body (`content-encoding`) is refused (415), so what is parsed is at most
 * what was sent. The real-time endpoint reads its body with its own bounded reader instead.
 */
export function jsonBody(limit: '4kb' | '64kb'): RequestHandler {
  return express.json({ limit, inflate: false, type: (req) => /\bjson\b/.test(req.headers['content-type'] ?? '') });
}
