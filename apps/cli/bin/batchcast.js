#!/usr/bin/env node
// The `batchcast` command. A committed, executable shim: npm links it even on a clean clone, before
// `tsc -b` has produced dist/ (whose files tsc writes without the executable bit). Installed globally
// (`npm install -g ./apps/cli`) or run with `npx ./apps/cli`, it is a link into the checkout, which must
// be built: said in words when it is not.
import { fileURLToPath } from 'node:url';

try {
  await import('../dist/main.js');
} catch (err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  const checkout = fileURLToPath(new URL('../../..', import.meta.url));
  process.stderr.write(
    `batchcast: the command is not built (${err.message.split('\n')[0]}).\nRun "npm install && npm run build" in ${checkout}, then try again.\n`,
  );
  process.exitCode = 1;
}
