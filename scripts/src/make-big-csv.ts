#!/usr/bin/env node
// The project's copy of ../shared/bin/make-big-csv.mjs: tests and the benchmark never read ../shared.
// Write a large CSV for load and performance runs by resampling the rows of a
// real data set: numeric cells get a little deterministic noise, text cells are
// kept, identifier-like first columns are renumbered.
//
//   node scripts/dist/make-big-csv.js SOURCE.csv ROWS OUT.csv [--seed N]
import { createWriteStream, readFileSync } from 'node:fs';

const [src, rowsArg, out, ...rest] = process.argv.slice(2);
if (!src || !rowsArg || !out) {
  console.error('usage: make-big-csv.js SOURCE.csv ROWS OUT.csv [--seed N]');
  process.exit(2);
}
const rows = Number(rowsArg);
let seed = rest[0] === '--seed' ? Number(rest[1]) : 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};

const [header = '', ...body] = readFileSync(src, 'utf8').trimEnd().split('\n');
const table = body.map((l) => l.split(','));
const first = table[0] ?? [];
const isId = /(^|_)id$/i.test(header.split(',')[0] ?? '');
const numeric = first.map((_, c) => table.every((r) => r[c] !== '' && !Number.isNaN(Number(r[c]))));
const integral = first.map((_, c) => numeric[c] && table.every((r) => Number.isInteger(Number(r[c]))));

const w = createWriteStream(out);
w.write(`${header}\n`);
let i = 0;
function pump(): void {
  let ok = true;
  while (i < rows && ok) {
    let chunk = '';
    for (let k = 0; k < 1000 && i < rows; k++, i++) {
      const r = table[Math.floor(rand() * table.length)]!;
      chunk += `${r
        .map((v, c) => {
          if (c === 0 && isId) return `R${i}`;
          if (!numeric[c]) return v;
          const x = Number(v) * (1 + (rand() - 0.5) * 0.02);
          return integral[c] ? String(Math.round(x)) : x.toPrecision(6);
        })
        .join(',')}\n`;
    }
    ok = w.write(chunk);
  }
  if (i < rows) w.once('drain', pump);
  else w.end();
}
pump();
