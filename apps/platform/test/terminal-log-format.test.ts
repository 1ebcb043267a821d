import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm start` in a terminal logs lines for people; anywhere else (Docker, systemd, a pipe) JSON, and an explicit
 * LOG_FORMAT always wins. A process like the supervisor's children: the supervisor's first import decides the
 * format in the environment they inherit, then the logger of @batchcast/log logs one line. `script` gives the
 * process a real terminal (a pseudo-terminal) as its stdout.
 */
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const program = `
await import(${JSON.stringify(`${repo}apps/platform/dist/terminal-log-format.js`)});
const { createLogger } = await import(${JSON.stringify(`${repo}packages/log/dist/index.js`)});
createLogger('web').info('batchcast web listening');
`;

function logged(terminal: boolean, logFormat?: string): string {
  const env: Record<string, string> = { ...(process.env as Record<string, string>) };
  delete env.LOG_FORMAT;
  if (logFormat !== undefined) env.LOG_FORMAT = logFormat;
  const node = [process.execPath, '--input-type=module', '-e', program];
  const run = terminal
    ? spawnSync('script', ['-qefc', node.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' '), '/dev/null'], { env, encoding: 'utf8' })
    : spawnSync(node[0]!, node.slice(1), { env, encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout;
}

describe('the log format of npm start', () => {
  it('is lines for people in a terminal when LOG_FORMAT is not set', () => {
    const out = logged(true);
    expect(out).toMatch(/INFO.*web: batchcast web listening/);
    expect(out).not.toContain('{"level"');
  });

  it('is JSON when the output is no terminal, or when LOG_FORMAT says json', () => {
    for (const out of [logged(false), logged(false, ''), logged(true, 'json')]) {
      expect(JSON.parse(out.trim())).toMatchObject({ level: 30, service: 'web', msg: 'batchcast web listening' });
    }
  });
});
