// A results download reduced to what tells two runs' outputs apart: the row count, a hash of the prediction
// columns and the count of each predicted label. Used to check that every input format gave the CSV's output
// before its speed is reported.
import { createHash } from 'node:crypto';
import http from 'node:http';
import { now } from './util.js';

export interface PredictionsDigest {
  status: number;
  bytes: number;
  /** Lines, header included. */
  lines: number;
  seconds: number;
  /** The columns after the input's: the predictions and `error`. */
  columns: string[];
  /** sha256 of those columns, line by line (header excluded), first 16 hex digits. */
  sha256: string;
  /** Rows per value of the first prediction column (the label of a classifier). */
  labels: Record<string, number>;
}

/**
 * GETs a results CSV (`results.csv`) and hashes, for every data line, the fields after the first
 * `inputColumns` (the predictions never hold a comma; the input columns may, so fields are counted from the
 * end of the line).
 */
export function downloadPredictionsDigest(url: string, inputColumns: number): Promise<PredictionsDigest> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const hash = createHash('sha256');
    const labels: Record<string, number> = {};
    let columns: string[] | null = null;
    let width = 0;
    let lines = 0;
    let bytes = 0;
    let partial = '';
    const onLine = (line: string): void => {
      lines++;
      if (line === '') return;
      if (columns === null) {
        // Header names are plain identifiers: a split is exact here.
        columns = line.split(',').slice(inputColumns);
        width = columns.length;
        return;
      }
      let cut = line.length;
      for (let k = 0; k < width && cut > 0; k++) cut = line.lastIndexOf(',', cut - 1);
      const tail = line.slice(cut + 1);
      hash.update(tail);
      hash.update('\n');
      const label = tail.slice(0, tail.indexOf(',') === -1 ? undefined : tail.indexOf(','));
      labels[label] = (labels[label] ?? 0) + 1;
    };
    const req = http.get(url, { agent: false }, (res) => {
      res.setEncoding('utf8');
      res.on('data', (text: string) => {
        bytes += Buffer.byteLength(text);
        const parts = (partial + text).split('\n');
        partial = parts.pop() ?? '';
        for (const p of parts) onLine(p.endsWith('\r') ? p.slice(0, -1) : p);
      });
      res.on('error', reject);
      res.on('end', () => {
        if (partial !== '') onLine(partial);
        resolve({
          status: res.statusCode ?? 0,
          bytes,
          lines,
          seconds: (now() - t0) / 1000,
          columns: columns ?? [],
          sha256: hash.digest('hex').slice(0, 16),
          labels,
        });
      });
    });
    req.on('error', reject);
  });
}
