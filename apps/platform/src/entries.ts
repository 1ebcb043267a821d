import path from 'node:path';
import { fileURLToPath } from 'node:url';

const appsDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The built entry points the supervisor starts. */
export const entries = {
  setup: path.join(appsDir, 'platform/dist/setup.js'),
  web: path.join(appsDir, 'web/dist/server.js'),
  worker: path.join(appsDir, 'worker/dist/worker.js'),
};
