import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP } from '../../importers/src/pickle/opcodes.js';
import { ImportRefusal, importApart } from '../src/models/import-apart.js';

/**
 * Model imports run in a process of their own: a file that makes the importer run out of memory ends that
 * process and is refused, however many come in a row. With a worker thread instead, the second such file
 * aborted the web process. The heap is made small here so that a small file exhausts it.
 */
function listOfInts(count: number): Uint8Array {
  const bytes: number[] = [OP.PROTO, 4, OP.EMPTY_LIST];
  for (let done = 0; done < count; done += 1000) {
    bytes.push(OP.MARK);
    for (let i = 0; i < 1000; i++) bytes.push(OP.BININT1, i & 0xff);
    bytes.push(OP.APPENDS);
  }
  bytes.push(OP.STOP);
  return Uint8Array.from(bytes);
}

describe('a model import', () => {
  it('that runs out of memory is refused (too_large), every time, and leaves the caller running', async () => {
    const bomb = listOfInts(4_000_000);
    for (let attempt = 0; attempt < 2; attempt++) {
      const err = await importApart(bomb, 'bomb.pkl', { heapMb: 16 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ImportRefusal);
      expect(err).toMatchObject({ code: 'too_large' });
      expect((err as Error).message).toContain('16 MB of JavaScript heap');
    }
  });

  it("that needs more than the process's memory bound is refused (too_large), naming both bounds", async () => {
    // A 2 GiB heap but 300 MB in all (RLIMIT_DATA): V8 cannot grow the heap it may have, and says so.
    const err = await importApart(listOfInts(30_000_000), 'bomb.pkl', { memoryBytes: 300 * 1024 ** 2 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRefusal);
    expect(err).toMatchObject({ code: 'too_large' });
    expect((err as Error).message).toContain('(2,048 MB of JavaScript heap, 300 MB in all)');
  });

  it('that passes its deadline is refused (too_large) saying how long an import may take', async () => {
    const err = await importApart(listOfInts(4_000_000), 'slow.pkl', { deadlineMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImportRefusal);
    expect((err as Error).message).toMatch(
      /^Reading and preparing this model took more than the 0\.1 seconds batchcast allows one import\./,
    );
  });

  it('of a small file answers as the importer does: a refusal with its code, or the model', async () => {
    const small = await importApart(listOfInts(1000), 'list.pkl', { heapMb: 16 }).catch((e: unknown) => e);
    expect(small).toBeInstanceOf(ImportRefusal);
    expect((small as ImportRefusal).code).not.toBe('too_large');
  });
});

/** The import processes this process has running (their command ends with import-process.js). */
function importProcesses(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const zombie = stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
      if (parent === process.pid && !zombie && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('import-process.js'))
        found.push(Number(entry));
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

describe('a model import process', () => {
  it('is killed when its caller gives the import up (the client went away)', { timeout: 60_000 }, async () => {
    const gone = new AbortController();
    const importing = importApart(listOfInts(30_000_000), 'slow.pkl', { signal: gone.signal }).catch((e: unknown) => e);
    await expect.poll(importProcesses, { timeout: 20_000 }).toHaveLength(1);
    gone.abort();
    expect(((await importing) as Error).message).toBe('the model import was given up: its caller went away');
    await expect.poll(importProcesses, { timeout: 10_000 }).toHaveLength(0);
  });

  it('killed from outside (as the out-of-memory killer does) is a refusal saying so, not a fault', { timeout: 60_000 }, async () => {
    const importing = importApart(listOfInts(30_000_000), 'big.pkl').catch((e: unknown) => e);
    await expect.poll(importProcesses, { timeout: 20_000 }).toHaveLength(1);
    process.kill(importProcesses()[0]!, 'SIGKILL');
    const err = await importing;
    expect(err).toBeInstanceOf(ImportRefusal);
    expect((err as Error).message).toMatch(
      /^The process reading this model was killed before it finished \(SIGKILL\), most likely by the system/,
    );
  });
});
