#!/usr/bin/env node
// `npm start`: the whole platform on one host — the web app and WORKERS worker processes, each a separate
// OS process kept running by this one (a process that dies is restarted). SIGTERM/SIGINT stop them all.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@batchcast/config';
import { createLogger } from '@batchcast/log';
import { supervise } from '@batchcast/supervisor';

const root = fileURLToPath(new URL('..', import.meta.url));
const config = loadConfig();
// Database, migrations and example models first, in a short-lived process (see server.ts --setup-only).
const setup = spawnSync(process.execPath, [path.join(root, 'apps/web/dist/server.js'), '--setup-only'], { stdio: 'inherit' });
if (setup.status !== 0) process.exit(setup.status ?? 1);
supervise(
  [
    { name: 'web', entry: path.join(root, 'apps/web/dist/server.js'), count: 1 },
    { name: 'worker', entry: path.join(root, 'apps/worker/dist/worker.js'), count: config.workers.processes },
  ],
  createLogger('supervisor', config.log.level),
);
