import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

// Both resolve the same from src/ (tests) and dist/ (npm start): the stylesheet is a source file, the
// scripts are compiled from src/browser and src/shared by tsconfig.browser.json into dist/static.
const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const publicDir = path.join(webRoot, 'public');
const browserScriptsDir = path.join(webRoot, 'dist/static');
// Shared code the browser scripts load as it is (no bundler): @batchcast/bytes's build, at /static/bytes/dist/,
// and @batchcast/names's (the hints of a missing column), at /static/names/dist/.
const require = createRequire(import.meta.url);
const bytesDist = path.dirname(require.resolve('@batchcast/bytes'));
const namesDist = path.dirname(require.resolve('@batchcast/names'));

/**
 * /static: the stylesheet, the icons and the pages' scripts, for every listener whose pages link them (the
 * app's, and the loopback development outbox's, whose page was unstyled without them).
 */
export function staticFiles(env: string | undefined): Router {
  const options = { maxAge: env === 'production' ? '1h' : 0 };
  const router = Router();
  router.use('/static', express.static(publicDir, options), express.static(browserScriptsDir, options));
  router.use('/static/bytes/dist', express.static(bytesDist, options));
  router.use('/static/names/dist', express.static(namesDist, options));
  return router;
}
