import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import yazl from 'yazl';
import { csvObjects, parseCsv } from './support/csv.js';
import { submit, waitForEnd } from './support/http.js';
import { examples, Platform, repoRoot } from './support/platform.js';
import { resultsBytes, type SubmittedJob } from './support/faults.js';
import { upload } from './support/formats.js';

/**
 * Hostile and malformed uploads. Each gets a clear 4xx at upload (JSON error with a code and a message a
 * person can act on, and no file left behind), or, when only some rows are bad, a job that succeeds with
 * those rows counted in rows.failed and explained in the error column. Throughout, the service keeps
 * serving: /healthz stays 200 and a normal job still succeeds after the barrage.
 */
let platform: Platform;
let iris: string;
let irisHeader: string;
let irisRows: string[];

beforeAll(async () => {
  platform = await new Platform({ workers: 1, env: { RATE_LIMIT_JOBS_PER_MINUTE: '0' } }).start();
  iris = await readFile(path.join(examples, 'data/iris.csv'), 'utf8');
  [irisHeader, ...irisRows] = iris.trimEnd().split('\n') as [string, ...string[]];
});
afterAll(async () => {
  await platform?.stop();
});

/** The zstd fixtures of @batchcast/formats (packages/formats/test/fixtures/make_zstd.sh). */
const zstdFixtures = path.join(repoRoot, 'packages/formats/test/fixtures');

const uploadsLeft = async () => (await readdir(path.join(platform.dataDir, 'uploads')).catch(() => [] as string[])).length;

/** Uploads and expects a refusal: status, code, and a message worth reading; nothing left on disk. */
async function refused(
  file: Buffer | string,
  status: number,
  code: string | RegExp,
  opts: { filename?: string; messageMatch?: RegExp; fields?: Record<string, string> } = {},
) {
  const before = await uploadsLeft();
  const res = await upload(platform, Buffer.isBuffer(file) ? file : Buffer.from(file), {
    fields: { model: 'iris-logreg', ...opts.fields },
    filename: opts.filename ?? 'upload.csv',
    contentType: 'text/csv',
  });
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/application\/json/);
  const body = JSON.parse(text) as { error: { code: string; message: string } };
  if (typeof code === 'string') expect(body.error.code).toBe(code);
  else expect(body.error.code).toMatch(code);
  expect(body.error.message.length).toBeGreaterThan(15);
  expect(body.error.message.length).toBeLessThan(2000); // a 3 MB cell is not echoed back
  if (opts.messageMatch) expect(body.error.message).toMatch(opts.messageMatch);
  expect(await uploadsLeft()).toBe(before);
  await expectHealthy();
  return body.error;
}

/** Uploads, expects 202 and waits for the job to end by itself. */
async function accepted(file: Buffer | string, filename = 'upload.csv') {
  const res = await submit(platform, Buffer.isBuffer(file) ? file : Buffer.from(file), { model: 'iris-logreg', filename });
  const text = await res.text();
  expect(res.status, text.slice(0, 500)).toBe(202);
  const job = JSON.parse(text) as SubmittedJob;
  const done = await waitForEnd(platform, job.links.self, 120_000);
  return { job, done };
}

/** Each results download of `job` (CSV and the typed formats), read whole: its status and size. */
async function everyDownload(job: SubmittedJob): Promise<{ format: string; status: number; bytes: number }[]> {
  const base = new URL(job.links.results, platform.baseUrl);
  const out = [];
  for (const format of ['csv', 'jsonl', 'parquet', 'xlsx']) {
    const url = new URL(base.pathname.replace(/results\.csv$/, `results.${format}`), base);
    url.search = base.search;
    const res = await fetch(url);
    out.push({ format, status: res.status, bytes: (await res.arrayBuffer()).byteLength });
  }
  return out;
}

async function expectHealthy() {
  const res = await fetch(platform.url('/healthz'));
  expect(res.status).toBe(200);
}

/**
 * An .xlsx of the iris header and one row whose shared strings part also repeats one string `repeat` times:
 * deflated, 13 MB of XML for `repeat` 800,000 take about 13 KB, a ratio no spreadsheet writes.
 */
const sharedStringsBomb = (repeat: number): Promise<Buffer> => irisWorkbook({ repeat });

/**
 * An .xlsx of the iris header and one row; `repeat` more shared strings, `headerCells` more cells of row 1 (as
 * sheet XML) and `mergeCells` (as sheet XML after the data).
 */
async function irisWorkbook(opts: { repeat?: number; headerCells?: string; mergeCells?: string }): Promise<Buffer> {
  const repeat = opts.repeat ?? 0;
  const main = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
  const rel = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
  const pkg = 'http://schemas.openxmlformats.org/package/2006/relationships';
  const names = irisHeader.split(',').slice(0, 4);
  const cols = ['A', 'B', 'C', 'D'];
  const parts: [string, string | Buffer][] = [
    [
      '[Content_Types].xml',
      '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>',
    ],
    [
      '_rels/.rels',
      `<?xml version="1.0"?><Relationships xmlns="${pkg}"><Relationship Id="rId1" Type="${rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    ],
    [
      'xl/workbook.xml',
      `<?xml version="1.0"?><workbook xmlns="${main}" xmlns:r="${rel}"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    ],
    [
      'xl/_rels/workbook.xml.rels',
      `<?xml version="1.0"?><Relationships xmlns="${pkg}"><Relationship Id="rId1" Type="${rel}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    ],
    [
      'xl/sharedStrings.xml',
      Buffer.concat([
        Buffer.from(`<?xml version="1.0"?><sst xmlns="${main}">${names.map((n) => `<si><t>${n}</t></si>`).join('')}`),
        Buffer.from('<si><t>x</t></si>'.repeat(repeat)),
        Buffer.from('</sst>'),
      ]),
    ],
    [
      'xl/worksheets/sheet1.xml',
      `<?xml version="1.0"?><worksheet xmlns="${main}"><sheetData><row r="1">${cols.map((c, i) => `<c r="${c}1" t="s"><v>${i}</v></c>`).join('')}${opts.headerCells ?? ''}</row>` +
        `<row r="2">${cols.map((c, i) => `<c r="${c}2"><v>${[5.1, 3.5, 1.4, 0.2][i]}</v></c>`).join('')}</row></sheetData>${opts.mergeCells ?? ''}</worksheet>`,
    ],
  ];
  const zip = new yazl.ZipFile();
  for (const [name, content] of parts) zip.addBuffer(Buffer.isBuffer(content) ? content : Buffer.from(content), name);
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Deterministic pseudo-random bytes. */
function garbage(n: number, seed = 7): Buffer {
  const b = Buffer.alloc(n);
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    b[i] = (s >>> 16) & 0xff;
  }
  return b;
}

describe('refused at upload with a clear 4xx', () => {
  it('an empty file', () => refused('', 422, 'empty_file', { messageMatch: /^the file is empty: choose the file that holds your data/ }));
  it('a byte order mark and nothing else', () =>
    refused('\ufeff', 422, 'empty_file', { messageMatch: /^the file is empty: choose the file that holds your data/ }));
  it('a header and no rows', () => refused(`${irisHeader}\n`, 422, 'no_rows'));
  it('blank lines only', () => refused('\n\n\r\n\n', 422, 'no_header'));
  it('binary garbage', () => refused(garbage(64 * 1024), 415, /^(binary_file|invalid_utf8)$/));
  it('an image named .csv', () =>
    refused(Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), garbage(4096)]), 415, 'binary_file', {
      filename: 'photo.csv',
      messageMatch: /PNG/i,
    }));
  it('a ZIP signature then garbage, named .csv: refused as a damaged archive', () =>
    refused(Buffer.concat([Buffer.from('PK\x03\x04'), garbage(4096)]), 422, 'corrupt', {
      filename: 'book.csv',
      messageMatch: /^the ZIP archive is damaged \(its entry header is not valid, at byte 0\)/,
    }));
  it('a PDF named .csv', () => refused(Buffer.concat([Buffer.from('%PDF-1.7\n'), garbage(4096)]), 415, 'binary_file'));
  it('a NUL byte in the middle of text: its line named, and what to do', () =>
    refused(iris.replace('setosa', 'set\0osa'), 415, 'binary_file', {
      messageMatch: /^line 2 holds a NUL byte .*remove it .*or export the file again/,
    }));
  it('UTF-8 text, then a byte that is not (files saved in two encodings joined)', () => {
    // The first letter beyond ASCII (line 3) is UTF-8; the stray byte (line 302) is more than the 4 KiB that
    // decide the encoding further on, so the file was taken for UTF-8 and the byte is refused, naming its line.
    const rows = irisRows.map((r, i) => (i === 1 ? r.replace('setosa', 'setosé') : r));
    const text = `${irisHeader}\n${rows.join('\n')}\n${irisRows.join('\n')}\n5.9,3.0,5.1,1.8,virginic`;
    const bytes = Buffer.concat([Buffer.from(text), Buffer.from([0xe9]), Buffer.from('\n')]);
    return refused(bytes, 415, 'invalid_utf8', {
      messageMatch: /^line 302 is not valid UTF-8 text, though the text before it is: the file mixes two text encodings/,
    });
  });
  it('UTF-16 cut in the middle of a character', () =>
    refused(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(iris, 'utf16le')]).subarray(0, 301), 422, 'invalid_text', {
      messageMatch: /UTF-16 \(little-endian\) text but ends in the middle of a character/,
    }));
  it('JSON in UTF-16', () =>
    refused(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"sepal_length": 5.1}\n', 'utf16le')]), 415, 'invalid_utf8', {
      messageMatch: /JSON must be UTF-8/,
    }));
  it('a delimiter chosen that is not the file’s (; for a comma file)', () =>
    refused(iris, 422, 'wrong_delimiter', { fields: { delimiter: ';' }, messageMatch: /';'|semicolon/ }));
  it('HTML saved with a .csv name', () =>
    refused('<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>\n', 415, 'unsupported_format', {
      messageMatch: /HTML/,
    }));
  it('a quote never closed', () => refused(iris.replace('4.9,3.0', '"4.9,3.0'), 422, 'unterminated_quote', { messageMatch: /line 3/ }));
  it('duplicate column names', () => refused(iris.replace('species', 'sepal_length'), 422, 'duplicate_column'));
  it('columns the model needs are missing', () =>
    refused(iris.replace('petal_width', 'petal_w'), 422, 'missing_columns', { messageMatch: /petal_width/ }));
  it('values of the wrong type in every row: the rows named from 1, in the message and in `errors`', async () => {
    const error = await refused([irisHeader, ...irisRows.map((r) => r.replace(/^[^,]+/, 'abc'))].join('\n'), 422, 'invalid_rows', {
      messageMatch:
        /^None of the first \d+ rows can be scored\. row 1 \(line 2 of the file\), row 2 \(line 3 of the file\), row 3 \(line 4 of the file\): column "sepal_length": "abc" is not a number\. /,
    });
    const errors = (error as unknown as { errors: { row: number; column: string }[] }).errors;
    expect(errors.slice(0, 2)).toMatchObject([
      { row: 1, line: 2, column: 'sepal_length' },
      { row: 2, line: 3, column: 'sepal_length' },
    ]);
  });
  it('a single multi-megabyte line (one 3 MB cell)', () =>
    refused(`${irisHeader}\n5.1,3.5,1.4,0.2,${'x'.repeat(3 * 1024 * 1024)}\n`, 422, 'field_too_large'));
  it('a 5 MB quoted cell in a column the model does not use: the refusal names its row, column and the limit, and no missing quote', () =>
    // Was: "a value on line 3 is larger than 1 MiB; a line break or a closing quote is probably missing", though the
    // quote is closed and the line whole.
    refused(`${irisHeader}\n${irisRows[0]}\n5.1,3.5,1.4,0.2,"${'x'.repeat(5 * 1024 * 1024)}"\n`, 422, 'field_too_large', {
      messageMatch: new RegExp(
        '^row 2 \\(line 3\\), column 5 \\("species"\\): its value is larger than 1 MiB, the most batchcast reads in one cell; ' +
          'it is quoted and has no line break within 1 MiB: a value that large is not read; shorten it, or leave that column out of the file if the model does not need it$',
      ),
    }));
  it('a quoted cell whose closing quote is missing runs over the lines after it: the refusal says so, naming where it opens', () => {
    const rows = Array.from({ length: 100_000 }, (_, i) => irisRows[i % irisRows.length]).join('\n');
    return refused(`${irisHeader}\n5.1,3.5,1.4,0.2,"setosa\n${rows}\n`, 422, 'field_too_large', {
      messageMatch:
        /^row 1 \(line 2\), column 5 \("species"\): .* it opens with a quote on line 2 and runs on over line breaks: its closing quote is probably missing/,
    });
  });
  it('a multi-megabyte header line', () =>
    refused(`${irisHeader},${'h'.repeat(5 * 1024 * 1024)}\n5.1,3.5,1.4,0.2,setosa,x\n`, 422, /^(header_too_large|field_too_large)$/));
  it('tens of thousands of columns (30,000)', () => {
    const extra = Array.from({ length: 30_000 - 5 }, (_, i) => `c${i}`);
    return refused(`${irisHeader},${extra.join(',')}\n${irisRows[0]},${extra.map(() => '1').join(',')}\n`, 422, 'too_many_columns', {
      messageMatch: /more than 20,000 columns, the most batchcast reads: keep only the columns the model needs/,
    });
  });
  it('an .xlsx whose shared strings unpack to hundreds of times their size (a zip bomb)', async () => {
    // 2.4 MB of them that unpacked to 1 GB were read whole: two minutes of the web process's CPU and 1.7 GB
    // of its memory, and the upload went unanswered until its connection was cut.
    const bomb = await sharedStringsBomb(800_000);
    expect(bomb.length).toBeLessThan(100_000);
    await refused(bomb, 413, 'file_too_large', {
      filename: 'bomb.xlsx',
      messageMatch: /the part "xl\/sharedStrings\.xml" unpacks to 13,[0-9,]+ bytes from [0-9,]+ bytes.*refused as a zip bomb/,
    });
  });
  // A 68-byte zstd file whose header declares a 1 GiB (--long=30) or 2 GiB (--long=31) window: the decoder
  // allocated it (a gigabyte of the web process per upload, no login needed), or failed with a 500.
  it.each([
    ['win30.csv.zst', '1 GiB', 30],
    ['win31.csv.zst', '2 GiB', 31],
  ])('a zstd file compressed with a huge window (%s), refused before it is allocated', async (name, size, log) => {
    const error = await refused(await readFile(path.join(zstdFixtures, name)), 422, 'window_too_large', { filename: name });
    expect(error.message).toBe(
      `the zstd file was compressed with a ${size} window (zstd --long=${log}); this server decodes windows up to 128 MiB: compress it again without --long or with --long=27 or lower`,
    );
  });
  it('a zstd file of two frames whose second has the huge window', () =>
    refused(readFileSync(path.join(zstdFixtures, 'second-frame-win30.csv.zst')), 422, 'window_too_large', {
      filename: 'two.csv.zst',
      messageMatch:
        /^the zstd file was compressed with a 1 GiB window \(zstd --long=30\) in its frame 2; this server decodes windows up to 128 MiB/,
    }));
  it('JSON records that each name a key twice: the refusal says so, not that the objects are empty', async () => {
    const record = '{"sepal_length": 5.1, "sepal_length": 4.9, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}';
    for (const [text, filename] of [
      [`${record}\n`, 'twice.jsonl'],
      [`[${record}, ${record}]`, 'twice.json'],
    ] as const) {
      const error = await refused(text, 422, 'duplicate_key', { filename });
      expect(error.message).toBe(
        'line 1: this record has the key "sepal_length" more than once, and JSON readers differ on which value they take: keep one; ' +
          'no record names its keys once, so there are no columns to score',
      );
    }
  });

  it('one JSON record spelling a key two ways: the refusal names the same line, not "an earlier line"', () =>
    refused(
      '{"sepal_length": 5.1, "SEPAL_LENGTH": 4.9, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2}\n',
      422,
      'duplicate_column',
      {
        filename: 'spellings.jsonl',
        messageMatch: /^line 1 has the key "SEPAL_LENGTH" and the same line has "sepal_length": names are compared ignoring case/,
      },
    ));

  it('a file sent in the wrong form field', async () => {
    const form = new FormData();
    form.set('model', 'iris-logreg');
    form.set('data', new Blob([iris]), 'iris.csv');
    const res = await fetch(platform.url('/api/jobs'), { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unexpected_file');
  });
  it('no multipart body at all', async () => {
    for (const init of [
      { body: JSON.stringify({ file: iris }), headers: { 'content-type': 'application/json' } },
      { body: iris, headers: { 'content-type': 'text/csv' } },
      { body: '--x\r\nbroken', headers: { 'content-type': 'multipart/form-data; boundary=x' } },
    ]) {
      const res = await fetch(platform.url('/api/jobs'), { method: 'POST', ...init });
      expect(res.status, init.headers['content-type']).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBeTruthy();
    }
  });
});

describe('accepted, every row handled', () => {
  it('zstd files of several frames (checksums, --long=27) and with skippable frames, every row read', async () => {
    for (const name of ['frames.csv.zst', 'skippable.csv.zst']) {
      const { done } = await accepted(readFileSync(path.join(zstdFixtures, name)), name);
      expect(done.status, done.error ?? '').toBe('succeeded');
      expect(done.input).toMatchObject({ format: 'csv', compression: 'zstd' });
      expect(done.rows).toEqual({ total: 200, processed: 200, failed: 0 });
    }
  });

  it('a `;` file and a tab-separated file (the delimiter is detected)', async () => {
    for (const delimiter of [';', '\t']) {
      const { job, done } = await accepted(iris.replaceAll(',', delimiter));
      expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
      const header = (await resultsBytes(platform, job)).toString().split('\n')[0];
      expect(header).toBe(
        [...irisHeader.split(','), 'prediction', 'probability_setosa', 'probability_versicolor', 'probability_virginica', 'error'].join(
          delimiter,
        ),
      );
    }
  });

  it('Windows-1252 text (Excel’s CSV on Windows) and UTF-16 (its Unicode Text), converted: results are UTF-8 with a BOM', async () => {
    // A column of notes in French: "é" is the byte E9 and "€" 80 in Windows-1252; the first is in the header.
    // Row 4's first measure is a word: it fails, and errors.csv shows it as written.
    const row = (r: string, i: number) => `${i === 3 ? r.replace(/^[^,]*/, 'cinq é') : r},${i % 2 ? 'été à 5 €' : 'ok'}`;
    const noted = (d: string) => `${[`${irisHeader},remarque`, ...irisRows.map(row)].join('\n').replaceAll(',', d)}\n`;
    const windows1252 = Buffer.from(noted(',').replaceAll('€', '\x80'), 'latin1');
    expect(windows1252.includes(0x80) && windows1252.includes(0xe9)).toBe(true);
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(noted('\t'), 'utf16le')]);
    // Each is compared with the same text uploaded as UTF-8 with a BOM: the results must be the same bytes.
    for (const [bytes, encoding, d] of [
      [windows1252, 'windows-1252', ','],
      [utf16, 'utf-16le', '\t'],
    ] as const) {
      const { job, done } = await accepted(bytes);
      expect(done.rows).toEqual({ total: 150, processed: 150, failed: 1 });
      expect(done.input).toMatchObject({ format: 'csv', encoding, notes: [expect.stringMatching(/^Read as (Windows-1252|UTF-16) text/)] });
      const out = await resultsBytes(platform, job);
      const reference = await accepted(Buffer.from(`\ufeff${noted(d)}`));
      expect(reference.done.input.encoding).toBeUndefined();
      expect(out.equals(await resultsBytes(platform, reference.job))).toBe(true);
      expect(out.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
      const { rows } = csvObjects(out.toString('utf8').replaceAll('\t', ','));
      expect(rows.map((r) => r.remarque).slice(0, 2)).toEqual(['ok', 'été à 5 €']);
      expect(rows.filter((r) => r.prediction === '' || r.error !== '').map((r) => r.sepal_length)).toEqual(['cinq é']);
      const errors = Buffer.from(await (await fetch(platform.url(job.links.self.replace('?', '/errors.csv?')))).arrayBuffer());
      expect(errors.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
      expect(csvObjects(errors.toString('utf8').replaceAll('\t', ',')).rows).toMatchObject([
        { row: '4', column: 'sepal_length', value: 'cinq é' },
      ]);
    }
  });

  it('a text encoding detection cannot tell (Mac Roman, Shift_JIS, UTF-16 without a mark), chosen with the upload: read as it was saved', async () => {
    const noted = (note: string) => `${[`${irisHeader},remarque`, ...irisRows.map((r, i) => `${r},${i % 2 ? note : 'ok'}`)].join('\n')}\n`;
    /** `text` in `codec`, by Python's codecs: not our encoder. */
    const encoded = (text: string, codec: string) => {
      const run = spawnSync(
        '/usr/bin/python3',
        ['-c', `import sys; sys.stdout.buffer.write(sys.stdin.buffer.read().decode().encode('${codec}'))`],
        {
          input: text,
        },
      );
      expect(run.status, String(run.stderr)).toBe(0);
      return run.stdout;
    };
    const reference = await accepted(Buffer.from(`\ufeff${noted('Zürich été à 5 €')}`));
    const referenceOut = await resultsBytes(platform, reference.job);
    for (const [bytes, label, encoding, what] of [
      [encoded(noted('Zürich été à 5 €'), 'mac_roman'), 'x-mac-roman', 'macintosh', 'Mac Roman'],
      [encoded(noted('Zürich été à 5 €'), 'utf-16-le'), 'UTF-16LE', 'utf-16le', 'UTF-16'],
    ] as const) {
      // Detected, Mac Roman is read as Windows-1252 (ü, 9F there, is Ÿ), and UTF-16 without its mark refused as binary.
      const guessed = await upload(platform, bytes, { fields: { model: 'iris-logreg' }, filename: 'notes.csv' });
      if (guessed.status === 202) {
        const job = (await guessed.json()) as SubmittedJob;
        await waitForEnd(platform, job.links.self, 120_000);
        expect((await resultsBytes(platform, job)).equals(referenceOut)).toBe(false);
      } else expect(guessed.status).toBe(415);
      const res = await upload(platform, bytes, { fields: { model: 'iris-logreg', encoding: label }, filename: 'notes.csv' });
      expect(res.status).toBe(202);
      const job = (await res.json()) as SubmittedJob;
      const done = await waitForEnd(platform, job.links.self, 120_000);
      expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
      expect(done.input).toMatchObject({ format: 'csv', encoding, notes: [expect.stringContaining(`Read as ${what}`)] });
      expect((await resultsBytes(platform, job)).equals(referenceOut)).toBe(true);
    }
    const sjis = await upload(platform, encoded(noted('東京の店'), 'shift_jis'), {
      fields: { model: 'iris-logreg', encoding: 'shift_jis' },
      filename: 'notes.csv',
    });
    const job = (await sjis.json()) as SubmittedJob;
    expect((await waitForEnd(platform, job.links.self, 120_000)).status).toBe('succeeded');
    expect(csvObjects((await resultsBytes(platform, job)).toString('utf8').replace(/^\ufeff/, '')).rows[1]!.remarque).toBe('東京の店');
  });

  it('an encoding batchcast does not know, or bytes the chosen one does not have, are refused saying what to do', async () => {
    const left = await uploadsLeft();
    const unknown = await upload(platform, Buffer.from(iris), {
      fields: { model: 'iris-logreg', encoding: 'klingon' },
      filename: 'iris.csv',
    });
    const body = (await unknown.json()) as { error: { code: string; message: string } };
    expect([unknown.status, body.error.code]).toEqual([422, 'invalid_encoding']);
    expect(body.error.message).toMatch(/^Not a text encoding batchcast reads: .*macintosh.*shift_jis.*or leave it empty to detect it\.$/);
    const damaged = Buffer.concat([Buffer.from(`${irisHeader}\n`), Buffer.from([0x82, 0x20]), Buffer.from(`${irisRows[0]}\n`)]);
    const refused = await upload(platform, damaged, { fields: { model: 'iris-logreg', encoding: 'shift_jis' }, filename: 'iris.csv' });
    const refusal = (await refused.json()) as { error: { code: string; message: string } };
    expect(refusal.error.message).toMatch(/bytes that are not shift_jis text before byte \d+: it was saved in another encoding/);
    const json = await upload(platform, Buffer.from('{"sepal_length": 1}\n'), {
      fields: { model: 'iris-logreg', encoding: 'latin1' },
      filename: 'iris.jsonl',
    });
    const jsonRefusal = (await json.json()) as { error: { code: string; message: string } };
    expect([json.status, jsonRefusal.error.code]).toEqual([415, 'invalid_utf8']);
    expect(jsonRefusal.error.message).toMatch(/^JSON must be UTF-8, and windows-1252 was chosen/);
    expect(await uploadsLeft()).toBe(left);
    // "auto" in any case, or nothing, is detection.
    for (const encoding of ['AUTO', ' ']) {
      const res = await upload(platform, Buffer.from(iris), { fields: { model: 'iris-logreg', encoding }, filename: 'iris.csv' });
      expect(res.status, encoding).toBe(202);
    }
  });

  it('columns without a name (pandas’ to_csv index, a trailing comma from Excel), named as pandas names them', async () => {
    const indexed = `${[`,${irisHeader},`, ...irisRows.map((r, i) => `${i},${r},`)].join('\n')}\n`;
    const { job, done } = await accepted(indexed);
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    // CSV results keep the header as written; the typed ones name the columns as pandas.read_csv does.
    const csv = (await resultsBytes(platform, job)).toString();
    expect(csv.split('\n')[0]).toMatch(/^,sepal_length,sepal_width,petal_length,petal_width,species,,prediction,/);
    const res = await fetch(platform.url(job.links.self.replace('?', '/results.jsonl?')));
    const first = JSON.parse((await res.text()).split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first).slice(0, 7)).toEqual(['Unnamed: 0', ...irisHeader.split(','), 'Unnamed: 6']);
    // A CSV's other columns are typed as pandas.read_csv types them: the index an int64, the empty column missing (null).
    expect(first).toMatchObject({ 'Unnamed: 0': 0, 'Unnamed: 6': null, prediction: 'setosa' });
  });

  it("Excel's `sep=;` first line, and blank lines before the header: results keep them, then the header and every row", async () => {
    const crlf = (text: string) => text.replaceAll('\n', '\r\n');
    for (const [file, start] of [
      [`sep=;\n${iris.replaceAll(',', ';')}`, `sep=;\r\n${irisHeader.replaceAll(',', ';')};prediction;`],
      [`\n\n${iris}`, `\r\n\r\n${irisHeader},prediction,`],
    ] as const) {
      const { job, done } = await accepted(crlf(file));
      expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
      const text = (await resultsBytes(platform, job)).toString();
      expect(text.startsWith(start), text.slice(0, 120)).toBe(true);
      expect(text.split('\r\n').filter((l) => /(setosa|versicolor|virginica)[;,](setosa|versicolor|virginica)[;,]/.test(l))).toHaveLength(
        150,
      );
    }
  });

  it('a byte order mark', async () => {
    const { job, done } = await accepted(`\ufeff${iris}`);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    const bytes = await resultsBytes(platform, job);
    expect(bytes.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf]))).toBe(true);
  });

  it('CRLF line endings', async () => {
    const { job, done } = await accepted(iris.replaceAll('\n', '\r\n'));
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    const text = (await resultsBytes(platform, job)).toString();
    expect(text.split('\r\n')).toHaveLength(152); // header + 150 rows + the empty string after the last CRLF
  });

  it('quoted fields with commas, doubled quotes and line breaks', async () => {
    const notes = ['"a, b"', '"she said ""hi"""', '"two\nlines"', '"three\r\nlines\nhere"', '""', '"ünïcödé ✓ 日本"'];
    const file = `${[`note,${irisHeader}`, ...irisRows.map((r, i) => `${notes[i % notes.length]},${r}`)].join('\n')}\n`;
    const { job, done } = await accepted(file);
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    const out = csvObjects((await resultsBytes(platform, job)).toString());
    const want = ['a, b', 'she said "hi"', 'two\nlines', 'three\r\nlines\nhere', '', 'ünïcödé ✓ 日本'];
    out.rows.forEach((row, i) => {
      expect(row.note).toBe(want[i % want.length]);
    });
  });

  it('an .xlsx with one stray header cell far to the right, or a header merged across the row: a few notes, not one per column', async () => {
    // Excel keeps a cell someone typed in XFD1 by mistake; the 16,378 blank cells between were a note each,
    // and the job's status, which its page polls, was 1.4 MB of them.
    const stray = await accepted(await irisWorkbook({ headerCells: '<c r="XFD1" t="inlineStr"><is><t>far</t></is></c>' }), 'stray.xlsx');
    expect(stray.done.status).toBe('succeeded');
    expect(stray.done.input.notes).toEqual([
      'header cells E1 to XFC1 are empty: their columns are named "Unnamed: 4" to "Unnamed: 16382", as pandas names them',
    ]);
    const merged = await accepted(
      await irisWorkbook({
        headerCells: '<c r="E1" t="inlineStr"><is><t>wide</t></is></c>',
        mergeCells: '<mergeCells count="1"><mergeCell ref="E1:XFD1"/></mergeCells>',
      }),
      'merged.xlsx',
    );
    expect(merged.done.status).toBe('succeeded');
    expect(merged.done.input.notes).toEqual([
      'header cells E1:XFD1 are merged: their columns are named "wide", "wide_2", "wide_3", … "wide_16380"',
    ]);
    const status = await fetch(new URL(merged.job.links.self, platform.baseUrl));
    expect((await status.text()).length).toBeLessThan(4000);
    // Names with a blank cell between each: ten blanks are noted, the rest counted.
    const named = ['F', 'H', 'J', 'L', 'N', 'P', 'R', 'T', 'V', 'X', 'Z', 'AB', 'AD'];
    const gaps = await accepted(
      await irisWorkbook({ headerCells: named.map((c) => `<c r="${c}1" t="inlineStr"><is><t>n${c}</t></is></c>`).join('') }),
      'gaps.xlsx',
    );
    expect(gaps.done.input.notes).toHaveLength(11);
    expect(gaps.done.input.notes[0]).toBe('header cell E1 is empty: its column is named "Unnamed: 4", as pandas names it');
    expect(gaps.done.input.notes[10]).toBe(
      '3 more header cells are empty, from Y1 on: each column is named "Unnamed: <its position from 0>", as pandas names it',
    );
  });

  it('ragged rows (too few or too many cells) fail alone; the others are scored', async () => {
    const rows = irisRows.map((r, i) => (i % 10 === 3 ? r.split(',').slice(0, 3).join(',') : i % 10 === 7 ? `${r},extra,cells` : r));
    const { job, done } = await accepted(`${[irisHeader, ...rows].join('\n')}\n`);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 30 });
    const out = parseCsv((await resultsBytes(platform, job)).toString());
    const header = out[0]!;
    const err = header.indexOf('error');
    const pred = header.indexOf('prediction');
    out.slice(1).forEach((r, i) => {
      // Every row has the header's columns, so that a spreadsheet or pandas reads each cell under its name
      // (the record as it was shifted the error under a probability, and pandas refused the file).
      expect(r, `row ${i + 1}`).toHaveLength(header.length);
      if (i % 10 === 3 || i % 10 === 7) {
        // A short record padded with empty cells, a long one cut to the header's columns; its predictions empty.
        const given = rows[i]!.split(',');
        expect(r.slice(0, 5)).toEqual(i % 10 === 3 ? [...given, '', ''] : given.slice(0, 5));
        expect(r[err], `row ${i + 1}`).toMatch(/^row has \d+ fields, the header has 5/);
        expect(r.slice(pred, err)).toEqual(['', '', '', '']);
      } else {
        expect(r[pred], `row ${i + 1}`).toMatch(/^(setosa|versicolor|virginica)$/);
        expect(r[err]).toBe('');
      }
    });
  });

  it('values of the wrong type in some rows fail those rows only', async () => {
    // Text and a decimal comma fail their row; an empty cell is a missing value (NaN), which the model takes;
    // True is 1, as pandas + scikit-learn read it, while yes is text.
    const bad: Record<number, string> = { 5: 'abc', 50: '', 99: '"1,5"', 120: 'yes', 130: 'True' };
    const rows = irisRows.map((r, i) => (i in bad ? r.replace(/^[^,]+/, bad[i]!) : r));
    const { job, done } = await accepted(`${[irisHeader, ...rows].join('\n')}\n`);
    expect(done.status).toBe('succeeded');
    expect(done.rows.total).toBe(150);
    const out = csvObjects((await resultsBytes(platform, job)).toString());
    for (const i of [5, 99, 120]) {
      expect(out.rows[i]!.error, `row ${i + 1}`).toMatch(/sepal_length/);
      expect(out.rows[i]!.prediction).toBe('');
    }
    expect(done.rows.failed).toBe(out.rows.filter((r) => r.error !== '').length);
    expect(done.rows.failed).toBeLessThanOrEqual(4);
    for (const i of [6, 130]) {
      expect(out.rows[i]!.error, `row ${i + 1}`).toBe('');
      expect(out.rows[i]!.prediction).not.toBe('');
    }
  });

  it('a NUL character in a JSON Lines key is refused, naming the key (it was a 500: no column name can hold one)', async () => {
    const row = '"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2';
    const text = `{${row}, "no\\u0000te": 1}\n{${row}, "no\\u0000te": 2}\n`;
    const res = await submit(platform, Buffer.from(text), { model: 'iris-logreg', filename: 'k.jsonl' });
    const body = await res.json();
    expect(res.status, JSON.stringify(body)).toBe(422);
    expect(body.error.code).toBe('invalid_text');
    expect(body.error.message).toBe(
      'the key "no\\u0000te" of line 1 has a NUL character (U+0000) in its name: no column name can hold one; remove it from the name',
    );
    await expectHealthy();
  });

  it('a NUL character in a JSON Lines value fails its row only, and every download and the summary answer', async () => {
    // PostgreSQL's text cannot hold U+0000: a row error quoting the value made the chunk's COPY fail, and the
    // whole job failed after its attempts.
    const row = '"sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2';
    const text = `{"sepal_length": 5.1, ${row}}\n{"sepal_length": "5\\u0000", ${row}}\n{"sepal_length": 5.1, ${row}, "note": "a\\u0000b"}\n`;
    const { job, done } = await accepted(text, 'nul.jsonl');
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 3, processed: 3, failed: 1 });
    for (const d of await everyDownload(job)) expect(d.status, d.format).toBe(200);
    expect((await fetch(platform.url(job.links.self.replace('?', '/summary?')))).status).toBe(200);
    const errors = await fetch(platform.url(job.links.self.replace('?', '/errors.csv?')));
    // The NUL shown as JSON wrote it: PostgreSQL's text cannot hold one.
    expect((await errors.text()).split('\n')[1]).toMatch(/^2,sepal_length,5\\u0000,/);
  });

  it('a JSON Lines record nesting a value 2,000,000 levels deep fails its row; every download and the summary answer', async () => {
    // The value, in a column the model does not use, was scored; then every results download and the summary of
    // the job failed (500, or a download cut short): JSON.stringify recursed past the stack.
    const row = '{"sepal_length": 5.1, "sepal_width": 3.5, "petal_length": 1.4, "petal_width": 0.2';
    const text = `${row}, "note": "a"}\n${row}, "note": ${'['.repeat(2_000_000)}${']'.repeat(2_000_000)}}\n${row}, "note": [1]}\n`;
    const { job, done } = await accepted(text, 'deep.jsonl');
    expect(done.rows).toEqual({ total: 3, processed: 3, failed: 1 });
    for (const d of await everyDownload(job)) {
      expect(d.status, d.format).toBe(200);
      expect(d.bytes, d.format).toBeGreaterThan(100);
    }
    const csv = (await resultsBytes(platform, job)).toString();
    expect(csv.split('\n')[2]).toMatch(/^,,,,,,,,.*more than 64 levels deep/);
    const summary = await fetch(platform.url(job.links.self.replace('?', '/summary?')));
    expect(summary.status).toBe(200);
    const errors = await fetch(platform.url(job.links.self.replace('?', '/errors.csv?')));
    expect((await errors.text()).split('\n')[1]).toMatch(/^2,,.*more than 64 levels deep/);
  });
  it('thousands of extra columns (15,000, under the limit)', { timeout: 120_000 }, async () => {
    const extra = Array.from({ length: 15_000 }, (_, i) => `x${i}`);
    const ones = extra.map(() => '1').join(',');
    const file = `${[`${irisHeader},${extra.join(',')}`, ...irisRows.slice(0, 20).map((r) => `${r},${ones}`)].join('\n')}\n`;
    const { done } = await accepted(file);
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 20, processed: 20, failed: 0 });
  });
});

describe('after the barrage', () => {
  it('the service is healthy and a normal job succeeds', async () => {
    await expectHealthy();
    const { job, done } = await accepted(iris, 'iris.csv');
    expect(done.status).toBe('succeeded');
    expect(done.rows).toEqual({ total: 150, processed: 150, failed: 0 });
    expect(csvObjects((await resultsBytes(platform, job)).toString()).rows).toHaveLength(150);
    expect(platform.output).not.toMatch(/unhandled error|uncaught|worker process exited/i);
  });
});
