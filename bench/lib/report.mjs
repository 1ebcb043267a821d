// The markdown report: the main table (stage / seconds / rows per second / notes), then the facts behind it.
import { fmt } from './util.mjs';

const row = (...cells) => `| ${cells.join(' | ')} |`;
const MB = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

function cpuLine(d) {
  const order = ['web', 'supervisor', 'worker', 'launcher', 'postgres', 'postgres-bg', 'redis', 'bench', 'other-postgres', 'other'];
  const parts = order.filter((k) => (d.kinds[k] ?? 0) >= 0.05).map((k) => `${k} ${d.kinds[k].toFixed(1)}`);
  if (d.unattributed >= 0.05) parts.push(`ended processes ${d.unattributed.toFixed(1)}`);
  return parts.join(', ');
}

/** CPU-seconds of processes that are not this benchmark's (other engineers' tests...), as cores on average. */
export function foreignCores(d) {
  const foreign = (d.kinds.other ?? 0) + (d.kinds['other-postgres'] ?? 0) + d.unattributed;
  return d.wall > 0 ? foreign / d.wall : 0;
}

export function buildReport(r) {
  const N = r.stages?.rows ?? r.rows;
  const out = [];
  const lines = [];
  const t = (name, seconds, notes, rows = N) =>
    lines.push(row(name, fmt.s(seconds), Number.isFinite(seconds) && rows ? fmt.rate(rows / seconds) : '—', notes));

  lines.push(row('stage', 'seconds', 'rows per second', 'notes'));
  lines.push(row('---', '---:', '---:', '---'));
  const s = r.stages;
  if (s) {
    t('read (raw fs read)', s.read.seconds, `${MB(s.read.bytes)} in 1 MiB blocks, page cache warm`);
    t(
      'scan (CsvScanner)',
      s.scan.seconds,
      `push() + finish() CPU only (${fmt.s(s.scan.withReads)} s with its reads); ${s.chunks} chunks of 100,000 rows`,
    );
    t(
      'parse (readBatches)',
      s.parse.seconds,
      `${s.chunks} chunk ranges -> ${s.parse.batches} batches of ≤8192 rows, ${s.features} float32 columns; includes its own (overlapped) reads; row errors ${s.parse.rowErrors}`,
    );
    t('inference, 1 thread', s.inference1.seconds, 'ScoringSession.score over the pre-parsed batches (warm session)');
    t('inference, 2 threads', s.inference2.seconds, 'same, intraOpNumThreads 2');
    t(
      'store (storeChunkPredictions)',
      s.store.seconds,
      `${s.chunks} chunk transactions, binary COPY into a scratch DB; prediction_batches ${MB(s.store.tableBytes)}`,
    );
    t('**sum of stages alone**', r.sumOfStages, 'read + parse + inference (1 thread) + store; scan left out (it runs inside the upload)');
  }
  for (const p of r.platforms) {
    if (p.error) {
      lines.push(row(`platform end-to-end, ${p.label}`, 'failed', '—', p.error.replace(/\|/g, '/').slice(0, 300)));
      continue;
    }
    t(
      `**platform end-to-end, ${p.label}**`,
      p.e2e,
      `upload request -> status succeeded (polled every 50 ms): upload->202 ${fmt.s(p.upload)} s, 202->succeeded ${fmt.s(p.processing)} s` +
        (p.timeline ? `; ${p.timeline}` : ''),
    );
  }
  for (const p of r.platforms) {
    if (p.error || !r.sumOfStages) continue;
    lines.push(
      row(
        `ratio end-to-end / sum of stages, ${p.label}`,
        `${(p.e2e / r.sumOfStages).toFixed(2)}×`,
        '—',
        `${fmt.s(p.e2e)} s / ${fmt.s(r.sumOfStages)} s`,
      ),
    );
  }
  for (const p of r.platforms) {
    if (p.error) continue;
    t(
      `upload (request -> 202), ${p.label}`,
      p.upload,
      `${MB(p.uploadBytes)} streamed multipart from disk (${fmt.rate(p.uploadBytes / 1e6 / p.upload)} MB/s); body fully sent after ${fmt.s(p.uploadSent)} s`,
    );
  }
  for (const p of r.platforms) {
    if (p.error || !p.download) continue;
    const d = p.download;
    const ok = d.lines === N + 1 && d.status === 200;
    t(
      `download results, ${p.label}`,
      d.seconds,
      `${MB(d.bytes)}, ${fmt.int(d.lines)} lines ${ok ? `= ${fmt.int(N + 1)} ✓` : `✗ expected ${fmt.int(N + 1)} (HTTP ${d.status})`}; first byte after ${fmt.s(d.firstByteSeconds)} s`,
    );
  }
  const w2 = r.platforms.find((p) => p.workers === 2 && !p.error && p.smallJobs);
  if (w2?.smallJobs) {
    const j = w2.smallJobs;
    const ms = (x) => `${fmt.ms(x)} ms`;
    lines.push(
      row(
        '1,000-row job latency p50 (WORKERS=2)',
        fmt.s(j.p50 / 1000),
        fmt.rate(1000 / (j.p50 / 1000)),
        `${ms(j.p50)}; upload request -> succeeded, ${j.n} jobs one after another, polled every 5 ms; upload->202 p50 ${ms(j.uploadP50)}`,
      ),
    );
    lines.push(
      row(
        '1,000-row job latency p95 (WORKERS=2)',
        fmt.s(j.p95 / 1000),
        fmt.rate(1000 / (j.p95 / 1000)),
        `${ms(j.p95)}; min ${ms(j.min)}, max ${ms(j.max)}`,
      ),
    );
  }
  if (w2?.realtime) {
    const q = w2.realtime;
    const ms = (x) => `${fmt.ms(x)} ms`;
    lines.push(
      row(
        'real-time predict, 1,000 rows, p50',
        fmt.s(q.p50 / 1000),
        fmt.rate(1000 / (q.p50 / 1000)),
        `${ms(q.p50)}; POST /api/models/breast-cancer-rf/predict, ${q.n} requests after ${q.warmup} warm-up, ${fmt.int(q.requestBytes / 1000)} kB JSON each`,
      ),
    );
    lines.push(
      row(
        'real-time predict, 1,000 rows, p95',
        fmt.s(q.p95 / 1000),
        fmt.rate(1000 / (q.p95 / 1000)),
        `${ms(q.p95)}; min ${ms(q.min)}, max ${ms(q.max)}`,
      ),
    );
  }
  for (const p of r.platforms) {
    if (!p.memory) continue;
    const m = p.memory;
    const k = (name) => m.kinds[name];
    for (const name of ['web', 'supervisor', 'worker']) {
      const e = k(name);
      if (!e) continue;
      const per =
        name === 'worker' && e.processes > 1
          ? `; per worker ${Object.values(e.hwmByPid)
              .map((x) => fmt.mb(x))
              .join(' / ')} MB`
          : '';
      lines.push(
        row(
          `peak RSS ${name}${name === 'worker' ? ' (largest)' : ''}, ${p.label}`,
          '—',
          '—',
          `**${fmt.mb(e.hwmKb)} MB** VmHWM (sampled VmRSS max ${fmt.mb(e.rssMaxKb)} MB)${per}`,
        ),
      );
    }
    lines.push(
      row(
        `peak RSS whole platform, ${p.label}`,
        '—',
        '—',
        `**${fmt.mb(m.peakSumRssKb)} MB** peak of summed VmRSS (100 ms samples); sum of VmHWM ${fmt.mb(m.sumHwmKb)} MB (upper bound); launcher included (${fmt.mb(k('launcher')?.hwmKb ?? NaN)} MB)`,
      ),
    );
  }
  out.push(...lines);
  out.push('');

  // Machine facts.
  const f = r.machine;
  out.push(
    `Machine: ${f.cores} cores (${f.cpuModel}), availableParallelism ${f.parallelism}, ${fmt.int(f.memMb)} MB RAM, node ${f.node}, ${f.platform}; PostgreSQL ${f.postgres}; Redis ${f.redis}.`,
  );
  out.push(
    `Load average at start ${f.loadStart}, at end ${r.loadEnd}. Input: ${r.input.file} (${MB(r.input.bytes)}, ${fmt.int(N)} rows, ${r.input.generator}${r.input.cached ? ', cached' : `, made in ${fmt.s(r.input.seconds)} s`}).`,
  );
  out.push(`Total bench duration: ${fmt.s(r.totalSeconds)} s.`);
  out.push('');

  // CPU accounting: who used the CPU during each phase (noise and attribution).
  out.push('CPU-seconds by process kind per phase (from /proc; "other" = processes that are not this benchmark, e.g. other test runs):');
  out.push('');
  out.push(row('phase', 'wall s', 'machine busy cpu-s', 'by kind (cpu-s)', 'other load (cores)'));
  out.push(row('---', '---:', '---:', '---', '---:'));
  for (const [name, d] of r.cpu) {
    out.push(row(name, fmt.s(d.wall), fmt.s(d.machineBusy), cpuLine(d) || '—', foreignCores(d).toFixed(2)));
  }
  out.push('');
  if (r.noise.length) {
    out.push('Noise:');
    for (const n of r.noise) out.push(`- ${n}`);
    out.push('');
  }
  if (r.observations.length) {
    out.push('Observations:');
    for (const n of r.observations) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}
