/**
 * Every fixture made by fixtures/pickle/make.py reads, and what readPickle returns is what Python loads from the
 * same file: the whole object graph in canonical form for the generated fixtures, chosen attributes for the real
 * models of /work/shared/native.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALLOW_LIST, lookupGlobal, readPickle } from '../src/pickle/index.js';
import { type Canon, canon, pick } from './pickle-canon.js';

const dir = new URL('./fixtures/pickle/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));

interface Entry {
  file: string;
  format: string;
  note: string;
  bytes: number;
  canon?: Canon;
  picks?: [string, Canon][];
}
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as Entry[];
const seenGlobals = JSON.parse(readFileSync(new URL('globals.json', dir), 'utf8')) as Record<string, string[]>;

describe('fixtures read as Python reads them', () => {
  it('has fixtures of every format', () => {
    const formats = new Set(manifest.map((e) => e.format));
    for (const f of [
      'pickle0',
      'pickle1',
      'pickle2',
      'pickle3',
      'pickle4',
      'pickle5',
      'joblib',
      'joblib-zlib',
      'joblib-gzip',
      'joblib-unaligned',
      'joblib-1.1',
      'native',
    ]) {
      expect(formats, f).toContain(f);
    }
  });

  for (const entry of manifest) {
    it(`${entry.file} (${entry.note})`, () => {
      const bytes = fixture(entry.file);
      expect(bytes.length).toBe(entry.bytes);
      const value = readPickle(bytes);
      if (entry.canon !== undefined) expect(canon(value)).toEqual(entry.canon);
      for (const [path, expected] of entry.picks ?? []) expect(canon(pick(value, path)), path).toEqual(expected);
    });
  }
});

describe('the allow-list', () => {
  it('covers every global the supported estimators pickle to, in every protocol and format', () => {
    const missing = Object.keys(seenGlobals).filter((name) => {
      const dot = name.lastIndexOf('.');
      return !lookupGlobal(name.slice(0, dot), name.slice(dot + 1));
    });
    expect(missing).toEqual([]);
  });

  it('allows every numpy 1 global under its numpy 2 name too', () => {
    for (const name of ALLOW_LIST.keys()) {
      if (name.startsWith('numpy.core.')) expect(ALLOW_LIST.get(name.replace('numpy.core.', 'numpy._core.'))).toEqual(ALLOW_LIST.get(name));
    }
  });

  it('holds no module-level function that would do anything if Python ran it', () => {
    for (const dangerous of [
      'builtins.eval',
      'builtins.exec',
      'builtins.getattr',
      'builtins.__import__',
      'os.system',
      'posix.system',
      'subprocess.Popen',
      'numpy.load',
    ]) {
      expect(ALLOW_LIST.has(dangerous), dangerous).toBe(false);
    }
  });
});
