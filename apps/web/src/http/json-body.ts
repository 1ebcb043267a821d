import express, { type RequestHandler } from 'express';
import { refuse } from './errors.js';

const isJson = (contentType: string | undefined) => /\bjson\b/.test(contentType ?? '');

/**
 * A JSON request body, parsed by the routes that take one and after their checks (admin token, scope), never
 * for every request: parsing is synchronous work on the event loop (a 1 MB body of nested arrays held it for
 * 0.5-0.8 s), which a client could otherwise have done for free on any path, a 404 included. The bodies these
 * routes take are small; a compressed body (`content-encoding`) is refused (415), so what is parsed is at most
 * what was sent. The real-time endpoint reads its body with its own bounded reader instead.
 */
export function jsonBody(limit: '4kb' | '64kb'): RequestHandler {
  const parse = express.json({ limit, inflate: false, type: (req) => isJson(req.headers['content-type']) });
  return (req, res, next) => {
    // A body in another type (curl -d sends application/x-www-form-urlencoded) was left unread, and the route
    // then refused its first field as missing ("Give name") although the client had sent it: say the real fault.
    if (hasBody(req.headers) && !isJson(req.headers['content-type'])) {
      return next(
        refuse(
          'unsupported_media',
          'unsupported_content_type',
          `Send the body as JSON, with the header "Content-Type: application/json" (got ${JSON.stringify(req.headers['content-type'] ?? 'none')}).`,
        ),
      );
    }
    parse(req, res, next);
  };
}

function hasBody(headers: { 'transfer-encoding'?: string; 'content-length'?: string }): boolean {
  return headers['transfer-encoding'] !== undefined || (headers['content-length'] !== undefined && headers['content-length'] !== '0');
}
