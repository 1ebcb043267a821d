import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run against the TypeScript sources of the workspace packages, never a stale dist/.
    alias: [
      { find: /^@batchcast\/([a-z-]+)$/, replacement: `${root}packages/$1/src/index.ts` },
      // The browser scripts import @batchcast/bytes by the path the page loads it from (/static/bytes/dist/).
      { find: /^\.\.\/bytes\/dist\/index\.js$/, replacement: `${root}packages/bytes/src/index.ts` },
      // And @batchcast/names (the hints of a missing column) by /static/names/dist/.
      { find: /^\.\.\/names\/dist\/index\.js$/, replacement: `${root}packages/names/src/index.ts` },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a page or a server will show: a second (vitest's default) was too short for a
    // browser's header check while two test files load both cores; a wait that never ends still fails after 10 s.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    // Two cores: test files that start whole platforms must not all run at once.
    maxWorkers: 2,
    minWorkers: 1,
  },
});
