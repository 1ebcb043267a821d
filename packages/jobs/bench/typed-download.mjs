// Writes one typed results download (jsonl, parquet, xlsx) of a scored job in this process, as a results
// thread does (writeTypedResults, no HTTP), and prints its MD5, size, wall time and this process's CPU time.
// For profiling (`node --cpu-prof`) and before/after comparisons: the platform that scored the job need not run.
//   DATABASE_URL=postgres://... DATA_DIR=... node packages/jobs/bench/typed-download.mjs JOB_ID FORMAT [OUT_FILE]
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { createBlobStore } from '@batchcast/blob';
import { loadConfig } from '@batchcast/config';
import { createPool } from '@batchcast/db';
import { createLogger } from '@batchcast/log';
import { loadJob, modelById, writeTypedResults } from '../dist/index.js';

const [jobId, format, outFile] = process.argv.slice(2);
const config = loadConfig();
const log = createLogger('web', 'warn', 'json');
const pool = createPool(config.db.url, log, { application: 'typed-download-probe', max: 2 });
const ctx = {
  config,
  log,
  pool,
  blobs: createBlobStore(config.storage.blobStore, { dataDir: config.storage.dataDir, pool, minFreeBytes: 0 }),
};
const job = await loadJob(pool, jobId);
const model = await modelById(pool, job.modelId);
const md5 = createHash('md5');
let bytes = 0;
const out = new PassThrough();
out.on('data', (b) => {
  md5.update(b);
  bytes += b.length;
});
if (outFile) out.pipe(createWriteStream(outFile));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const ended = new Promise((resolve) => out.on('end', resolve));
await writeTypedResults(ctx, job, model.schema, format, out);
// The writer has ended `out`; its last bytes may still be on their way to the 'data' listener.
await ended;
const wall = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
console.log(
  JSON.stringify({
    format,
    md5: md5.digest('hex'),
    bytes,
    wall: +wall.toFixed(2),
    cpu: +((cpu.user + cpu.system) / 1e6).toFixed(2),
    rssMb: Math.round(process.memoryUsage().rss / 1e6),
  }),
);
await pool.end();
