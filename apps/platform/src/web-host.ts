import { superviseAfterSetup } from './after-setup.js';
import { entries } from './entries.js';
import { processOptions } from './process-options.js';

/**
 * `npm run web`: setup (database, migrations, example models), then the web app and nothing else, for the
 * host that takes uploads while other hosts score (`npm run worker` there). As under `npm start`, the web
 * process runs with its own options (process-options.ts: its young generation, malloc settings and the
 * collection after large transfers, each measured on uploads) and is restarted if it dies.
 */
await superviseAfterSetup(() => [{ name: 'web', entry: entries.web, count: 1, ...processOptions.web }]);
