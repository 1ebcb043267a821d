// Reads every cell of the first sheet of an .xlsx with one candidate library; prints time and peak RSS.
//   node bench/xlsx-read.mjs FILE MODE   (MODE: yauzl-saxes | yauzl-sax | yauzl-htmlparser2 | exceljs | xlsx-stream-reader)
import { createReadStream } from 'node:fs';
import yauzl from 'yauzl';
import { startMeasure } from './measure.mjs';

const [file, mode] = process.argv.slice(2);
const measure = startMeasure();
let cells = 0;
let sum = 0;

function openEntry(name) {
  return new Promise((resolve, reject) => {
    yauzl.open(file, { lazyEntries: true, autoClose: false }, (err, zip) => {
      if (err) return reject(err);
      zip.on('entry', (e) => {
        if (e.fileName === name) zip.openReadStream(e, (err2, s) => (err2 ? reject(err2) : resolve(s)));
        else zip.readEntry();
      });
      zip.on('end', () => reject(new Error(`no ${name}`)));
      zip.readEntry();
    });
  });
}

async function viaSaxes() {
  const { SaxesParser } = await import('saxes');
  const p = new SaxesParser({ position: process.env.POS !== '0' });
  let inV = false;
  let text = '';
  p.on('opentag', (t) => {
    if (t.name === 'v' || t.name === 't') {
      inV = true;
      text = '';
    }
  });
  p.on('text', (t) => {
    if (inV) text += t;
  });
  p.on('closetag', (t) => {
    if (t.name === 'v' || t.name === 't') {
      inV = false;
      cells++;
      const n = +text;
      if (!Number.isNaN(n)) sum += n;
    }
  });
  const s = await openEntry('xl/worksheets/sheet1.xml');
  for await (const b of s) p.write(b.toString('utf8'));
  p.close();
}
async function viaSax() {
  const sax = (await import('sax')).default;
  const p = sax.parser(true);
  let inV = false;
  let text = '';
  p.onopentag = (t) => {
    if (t.name === 'v' || t.name === 't') {
      inV = true;
      text = '';
    }
  };
  p.ontext = (t) => {
    if (inV) text += t;
  };
  p.onclosetag = (n) => {
    if (n === 'v' || n === 't') {
      inV = false;
      cells++;
      const x = +text;
      if (!Number.isNaN(x)) sum += x;
    }
  };
  const s = await openEntry('xl/worksheets/sheet1.xml');
  for await (const b of s) p.write(b.toString('utf8'));
  p.close();
}
async function viaHtmlparser2() {
  const { Parser } = await import('htmlparser2');
  let inV = false;
  let text = '';
  const p = new Parser(
    {
      onopentag(name) {
        if (name === 'v' || name === 't') {
          inV = true;
          text = '';
        }
      },
      ontext(t) {
        if (inV) text += t;
      },
      onclosetag(name) {
        if (name === 'v' || name === 't') {
          inV = false;
          cells++;
          const x = +text;
          if (!Number.isNaN(x)) sum += x;
        }
      },
    },
    { xmlMode: true, decodeEntities: true },
  );
  const s = await openEntry('xl/worksheets/sheet1.xml');
  for await (const b of s) p.write(b.toString('utf8'));
  p.end();
}
async function viaExceljs() {
  const ExcelJS = (await import('exceljs')).default;
  const wb = new ExcelJS.stream.xlsx.WorkbookReader(file, {
    sharedStrings: 'cache',
    worksheets: 'emit',
    hyperlinks: 'ignore',
    styles: 'cache',
    entries: 'emit',
  });
  for await (const ws of wb) {
    for await (const row of ws) {
      row.eachCell((c) => {
        cells++;
        if (typeof c.value === 'number') sum += c.value;
      });
    }
    break;
  }
}
async function viaXsr() {
  const XlsxStreamReader = (await import('xlsx-stream-reader')).default;
  await new Promise((resolve, reject) => {
    const r = new XlsxStreamReader({ verbose: false, formatting: false, saxTrim: false });
    r.on('error', reject);
    r.on('worksheet', (ws) => {
      ws.on('row', (row) => {
        for (const v of row.values) {
          if (v === undefined) continue;
          cells++;
          const x = +v;
          if (!Number.isNaN(x)) sum += x;
        }
      });
      ws.on('end', () => resolve());
      ws.process();
    });
    createReadStream(file).pipe(r);
  });
}
const modes = {
  'yauzl-saxes': viaSaxes,
  'yauzl-sax': viaSax,
  'yauzl-htmlparser2': viaHtmlparser2,
  exceljs: viaExceljs,
  'xlsx-stream-reader': viaXsr,
};
await modes[mode]();
measure.stop();
console.log(`${mode}: ${cells} cells, sum ${sum.toFixed(1)}, ${measure.summary()}`);
