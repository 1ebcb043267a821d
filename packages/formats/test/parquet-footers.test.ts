/**
 * A Parquet file whose footer is damaged is refused saying what is wrong in words (the footer is empty, its length
 * points outside the file, its metadata does not decode, the file does not end as Parquet files do) and what to do,
 * never with the text of a JavaScript error hyparquet's code ran into: a 12-byte `PAR1`, length 0, `PAR1` file was
 * refused as "the Parquet file cannot be read (Cannot read properties of undefined (reading 'map'))".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FormatError, parquetLayout, readParquetRows } from '@batchcast/formats';
import { parquetMetadata } from 'hyparquet';
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, memorySource } from './helpers.js';

/** What reading the whole file (its layout, then every chunk's rows) is refused with; null when it reads. */
async function refusal(bytes: Buffer): Promise<unknown> {
  try {
    const layout = await parquetLayout(memorySource(bytes), { chunkRows: 1000, size: bytes.length });
    for (const chunk of layout.chunks) for await (const _ of readParquetRows(memorySource(bytes), layout, chunk));
    return null;
  } catch (err) {
    return err;
  }
}

/** Texts of JavaScript's own errors (TypeError, RangeError), which say nothing to the person who uploaded the file. */
const JS_ERROR =
  /Cannot read propert|is not a function|is not iterable|Cannot convert|Invalid array length|outside the bounds|out of range|Maximum call stack/;

function expectRefusedInWords(err: unknown, what: RegExp): void {
  expect(err).toBeInstanceOf(FormatError);
  const e = err as FormatError;
  expect(e.code).toBe('invalid_parquet');
  expect(e.message).toMatch(what);
  expect(e.message).not.toMatch(JS_ERROR);
}

const PAR1 = Buffer.from('PAR1');

describe('a damaged Parquet footer', () => {
  it('PAR1, a metadata length of 0, PAR1 (12 bytes): the footer is empty, write the file again', async () => {
    const bytes = Buffer.concat([PAR1, Buffer.alloc(4), PAR1]);
    expectRefusedInWords(
      await refusal(bytes),
      /^the Parquet file's footer is empty \(its metadata length is 0\).*write the file again and upload the complete file$/,
    );
  });

  it('a metadata length reaching over the leading PAR1: it points outside the file', async () => {
    const bytes = await readFile(fixture('typed.parquet'));
    // As a tester's file had it: the length of everything before it, the leading marker included.
    bytes.writeUInt32LE(bytes.length - 8, bytes.length - 8);
    expectRefusedInWords(
      await refusal(bytes),
      new RegExp(
        `footer says its metadata is ${bytes.length - 8} bytes, more than the ${bytes.length - 12} bytes the file holds between its markers`,
      ),
    );
    bytes.writeUInt32LE(0xfffffff0, bytes.length - 8);
    expectRefusedInWords(await refusal(bytes), /footer says its metadata is 4294967280 bytes/);
  });

  it('no PAR1 at the end: cut short, upload the complete file', async () => {
    const bytes = await readFile(fixture('typed.parquet'));
    expectRefusedInWords(await refusal(bytes.subarray(0, bytes.length - 100)), /does not end with the PAR1 marker.*probably incomplete/);
  });

  it('metadata that does not decode: damaged, in words', async () => {
    const bytes = await readFile(fixture('typed.parquet'));
    const length = bytes.readUInt32LE(bytes.length - 8);
    bytes.fill(0xff, bytes.length - 8 - length, bytes.length - 8 - length + 16);
    expectRefusedInWords(await refusal(bytes), /footer metadata \(\d+ bytes\) is damaged/);
  });

  it("a column's chunk of another type than its schema says: refused before a page is read", async () => {
    // One byte of pyarrow.parquet's footer made the INT32 column "inull"'s chunk BOOLEAN: hyparquet decoded its pages
    // as run-length booleans and grew an array until V8 aborted the process. Only the layout is read here, so that
    // without the check this test fails rather than stopping the run.
    const bytes = await readFile(fixture('pyarrow.parquet'));
    bytes[27869] = 0;
    const err = await parquetLayout(memorySource(bytes), { chunkRows: 1000, size: bytes.length }).then(
      () => null,
      (e: unknown) => e,
    );
    expectRefusedInWords(
      err,
      /^the Parquet file's footer metadata is damaged: its column "inull" is stored as BOOLEAN where its schema says INT32; write the file again/,
    );
  });

  it('each byte of the footer changed: the file reads, or is refused as invalid Parquet in words', async () => {
    const original = await readFile(fixture('typed.parquet'));
    const length = original.readUInt32LE(original.length - 8);
    const counts = { read: 0, refused: 0 };
    for (let at = original.length - 8 - length; at < original.length - 8; at++) {
      for (const change of [(b: number) => b ^ 0xff, () => 0, (b: number) => (b + 1) & 0xff]) {
        const bytes = Buffer.from(original);
        bytes[at] = change(bytes[at]!);
        // A group's child count below zero: what hyparquet's GeoParquet marking looped on forever, in the test
        // below (in a process of its own, so that a loop fails that test instead of stopping this one).
        if (negativeChildCount(bytes)) continue;
        const err = await refusal(bytes);
        if (err === null) {
          counts.read++;
          continue;
        }
        counts.refused++;
        const where = `byte ${at}: ${String((err as Error).stack ?? err)}`;
        expect(err, where).toBeInstanceOf(FormatError);
        expect((err as FormatError).message, where).not.toMatch(JS_ERROR);
      }
    }
    // Both outcomes occur: the sweep would prove nothing if every change were harmless, or every one refused.
    expect(counts.read).toBeGreaterThan(100);
    expect(counts.refused).toBeGreaterThan(100);
  }, 120_000);
});

/** Whether the footer decodes to a schema with a child count below zero (decoded without hyparquet's GeoParquet marking). */
function negativeChildCount(bytes: Buffer): boolean {
  try {
    const footer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
    return parquetMetadata(footer, { geoparquet: false }).schema.some((e) => (e.num_children ?? 0) < 0);
  } catch {
    return false;
  }
}

let child: ChildProcess | null = null;
afterEach(() => {
  // A child still reading (the loop this test is about): ended, so that it does not outlive the test.
  if (child && child.exitCode === null) child.kill('SIGKILL');
  child = null;
});

describe('a group whose child count a damaged footer makes negative', () => {
  // One byte: the count of DuckDB's `tags` list group, 1 (zigzag 0x02), made -2 (0x03). hyparquet's GeoParquet
  // marking steps over each group's children by their count: with -2 it stepped back and forth forever, and the
  // upload's request never had an answer. Read by the built package (`npx tsc -b` first, as `npm test` does) in a
  // process of its own: a loop there fails this test (its timeout) rather than stopping the test run.
  it('is refused as a damaged footer, in words', async () => {
    const bytes = await readFile(fixture('typed.parquet'));
    const tags = bytes.indexOf(Buffer.from('tags'), bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8));
    expect(bytes.subarray(tags + 4, tags + 6)).toEqual(Buffer.from([0x15, 0x02])); // num_children: i32 1
    bytes[tags + 5] = 0x03;
    expect(negativeChildCount(bytes)).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'batchcast-parquet-'));
    try {
      const file = join(dir, 'negative-children.parquet');
      await writeFile(file, bytes);
      const script = [
        `const { parquetLayout } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});`,
        'const err = await parquetLayout(process.argv[1], { chunkRows: 1000 }).then(() => null, (e) => e);',
        'console.log(JSON.stringify(err && { name: err.name, code: err.code, message: err.message }));',
      ].join('\n');
      const started = spawn(process.execPath, ['--input-type=module', '-e', script, file], { stdio: ['ignore', 'pipe', 'pipe'] });
      child = started;
      let out = '';
      started.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
      });
      const status = await new Promise<number | null>((resolve) => started.on('exit', resolve));
      expect(status).toBe(0);
      const err = JSON.parse(out) as { name: string; code: string; message: string } | null;
      expect(err).toMatchObject({ name: 'FormatError', code: 'invalid_parquet' });
      expect(err!.message).toMatch(
        /^the Parquet file's footer metadata is damaged: its schema does not describe its columns; write the file again/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
