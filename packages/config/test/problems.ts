import { ConfigError, parseConfig } from '../src/index.js';

/** What parseConfig refuses in `env` (on top of NODE_ENV=test), each problem as its line; none: []. */
export const problemsOf = (env: Record<string, string>): string[] => {
  try {
    parseConfig({ NODE_ENV: 'test', ...env });
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};
