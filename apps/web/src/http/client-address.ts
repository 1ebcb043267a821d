import type { Request } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';

/**
 * Whom a request counts for in the limits kept per client address: an IPv4 address, or an IPv6 address's
 * /56, as the rate limits (express-rate-limit) count. One IPv6 subscriber holds a /64 or more, 2^64 addresses
 * and up: counted address by address, each of them had its own ADMIN_FAILURES_PER_15_MINUTES guesses of the
 * admin token. `req.ip` honours X-Forwarded-For only from a loopback proxy (app.ts).
 */
export function clientAddress(req: Request): string {
  const ip = req.ip;
  return ip ? ipKeyGenerator(ip) : 'unknown';
}
