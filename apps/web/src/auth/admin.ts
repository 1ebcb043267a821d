import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { HttpError } from '../http/errors.js';

/** Admin endpoints need `Authorization: Bearer $ADMIN_TOKEN`: 401 without it, 403 with a wrong one. */
export function requireAdmin(adminToken: string | null): RequestHandler {
  const expected = adminToken ? createHash('sha256').update(adminToken).digest() : null;
  return (req, _res, next) => {
    if (!expected) {
      return next(new HttpError(403, 'admin_disabled', 'Admin endpoints are disabled: start batchcast with ADMIN_TOKEN set.'));
    }
    const auth = req.get('authorization');
    if (!auth || !/^Bearer\s+/i.test(auth)) {
      return next(new HttpError(401, 'unauthorized', 'This endpoint needs the header "Authorization: Bearer <ADMIN_TOKEN>".'));
    }
    const presented = createHash('sha256').update(auth.replace(/^Bearer\s+/i, '').trim()).digest();
    if (!timingSafeEqual(presented, expected)) {
      return next(new HttpError(403, 'forbidden', 'The admin token is not valid.'));
    }
    next();
  };
}
