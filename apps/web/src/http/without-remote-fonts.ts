import type { RequestHandler } from 'express';

/** bull-board's page links Google's web fonts (its index.ejs); nothing else it loads is remote. */
const REMOTE_FONTS = /<link\b[^>]*href="https:\/\/fonts\.(?:googleapis|gstatic)\.com\/[^"]*"[^>]*>\s*/g;

/**
 * Takes the remote font stylesheet out of a page before it is sent. The admin's browser then makes no
 * request to a third party (the CSP would refuse it, with an error in the console each time) and the page
 * uses the system's sans-serif font. Only HTML pages are touched; bull-board's API answers go through as they are.
 */
export function withoutRemoteFonts(): RequestHandler {
  return (req, res, next) => {
    if (req.method !== 'GET') return next();
    const send = res.send.bind(res);
    res.send = (body?: unknown) => send(typeof body === 'string' && body.includes('fonts.') ? body.replace(REMOTE_FONTS, '') : body);
    next();
  };
}
