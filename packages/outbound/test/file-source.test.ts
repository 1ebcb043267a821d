import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileSourceError, openInside, resolveInside } from '../src/index.js';
import type { FileSourceErrorCode } from '../src/index.js';

let root: string;
let allowed: string;
let outsideDir: string;
const SECRET = 'SECRET-FILE-CONTENT';

beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(tmpdir(), 'file-source-')));
  allowed = path.join(root, 'exports');
  outsideDir = path.join(root, 'exports-private'); // shares the prefix "exports"
  mkdirSync(path.join(allowed, 'daily'), { recursive: true });
  mkdirSync(outsideDir);
  writeFileSync(path.join(allowed, 'daily', 'data.csv'), 'a,b\n1,2\n');
  writeFileSync(path.join(outsideDir, 'secret.csv'), SECRET);
  symlinkSync(path.join(outsideDir, 'secret.csv'), path.join(allowed, 'link-out.csv'));
  symlinkSync(path.join(allowed, 'daily', 'data.csv'), path.join(allowed, 'link-in.csv'));
  symlinkSync(outsideDir, path.join(allowed, 'dir-out'));
  symlinkSync('/proc/self/environ', path.join(allowed, 'environ.csv'));
  execFileSync('mkfifo', [path.join(allowed, 'pipe.csv')]);
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function refusal(p: Promise<unknown>, code: FileSourceErrorCode): Promise<FileSourceError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FileSourceError);
  expect((e as FileSourceError).code).toBe(code);
  expect((e as Error).message).not.toContain(SECRET);
  return e as FileSourceError;
}

describe('resolveInside', () => {
  it('accepts a regular file inside an allowed directory, and a symlink that stays inside', async () => {
    expect(await resolveInside(path.join(allowed, 'daily', 'data.csv'), [allowed])).toBe(path.join(allowed, 'daily', 'data.csv'));
    expect(await resolveInside(path.join(allowed, 'link-in.csv'), [allowed])).toBe(path.join(allowed, 'daily', 'data.csv'));
    // The allowed directory itself given through a symlink is realpath'd too.
    symlinkSync(allowed, path.join(root, 'alias'));
    expect(await resolveInside(path.join(allowed, 'daily', 'data.csv'), [path.join(root, 'alias')])).toBe(
      path.join(allowed, 'daily', 'data.csv'),
    );
  });

  it('refuses everything when no directory is configured', async () => {
    const e = await refusal(resolveInside(path.join(allowed, 'daily', 'data.csv'), []), 'not_configured');
    expect(e.message).toMatch(/Set SCHEDULE_SOURCE_DIRS/);
    await refusal(resolveInside(path.join(allowed, 'daily', 'data.csv'), ['  ']), 'not_configured');
  });

  it('refuses relative paths and .. segments', async () => {
    await refusal(resolveInside('exports/daily/data.csv', [allowed]), 'invalid_path');
    await refusal(resolveInside(`${allowed}/daily/../daily/data.csv`, [allowed]), 'invalid_path');
    await refusal(resolveInside(`${allowed}/../exports-private/secret.csv`, [allowed]), 'invalid_path');
    await refusal(resolveInside(`${allowed}/daily/data.csv\0`, [allowed]), 'invalid_path');
  });

  it('refuses symlinks that lead out, and a directory that only shares the prefix', async () => {
    await refusal(resolveInside(path.join(allowed, 'link-out.csv'), [allowed]), 'outside_allowed');
    await refusal(resolveInside(path.join(allowed, 'dir-out', 'secret.csv'), [allowed]), 'outside_allowed');
    await refusal(resolveInside(path.join(outsideDir, 'secret.csv'), [allowed]), 'outside_allowed');
  });

  it('refuses /proc, /sys and /dev even when / is allowed', async () => {
    await refusal(resolveInside('/proc/self/environ', ['/']), 'outside_allowed');
    await refusal(resolveInside(path.join(allowed, 'environ.csv'), [allowed, '/proc']), 'outside_allowed');
    await refusal(resolveInside('/dev/zero', ['/']), 'outside_allowed');
    await refusal(resolveInside('/sys/kernel/mm/transparent_hugepage/enabled', ['/']), 'outside_allowed');
  });

  it('refuses directories, FIFOs and missing files', async () => {
    await refusal(resolveInside(path.join(allowed, 'daily'), [allowed]), 'not_regular_file');
    const fifo = await refusal(resolveInside(path.join(allowed, 'pipe.csv'), [allowed]), 'not_regular_file');
    expect(fifo.message).toMatch(/named pipe/);
    await refusal(resolveInside(path.join(allowed, 'none.csv'), [allowed]), 'not_found');
    // The allowed directory itself is a directory too (it was said to be "not inside" the list that named it).
    for (const dir of [allowed, `${allowed}/`]) {
      const itself = await refusal(resolveInside(dir, [allowed]), 'not_regular_file');
      expect(itself.message).toMatch(/is a directory, not a regular file: give the path of a file inside it/);
      expect(itself.message).not.toMatch(/not inside/);
    }
  });
});

describe('openInside', () => {
  it('opens the checked file and reports its real path and size', async () => {
    const { handle, path: real, size } = await openInside(path.join(allowed, 'link-in.csv'), [allowed]);
    try {
      expect({ real, size }).toEqual({ real: path.join(allowed, 'daily', 'data.csv'), size: 8 });
      expect((await handle.readFile()).toString()).toBe('a,b\n1,2\n');
    } finally {
      await handle.close();
    }
  });

  it('refuses what resolveInside refuses, without blocking on a FIFO', async () => {
    await refusal(openInside(path.join(allowed, 'pipe.csv'), [allowed]), 'not_regular_file');
    await refusal(openInside(path.join(allowed, 'link-out.csv'), [allowed]), 'outside_allowed');
  });
});
