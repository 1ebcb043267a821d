// The report's part for the other input formats: the issue's targets (gzip and Parquet end to end within 1.3×
// the plain CSV's, each process's peak RSS within +50 MB of the CSV's) and where each format's time goes.
import { type FormatRun, type FormatsResult, MEMORY_KINDS, peakRssKb } from './formats.js';
import { fmt } from './util.js';

export interface FormatTarget {
  figure: string;
  measured: string;
  target: string;
  met: boolean | null;
}

const E2E_RATIO = 1.3;
const RSS_SLACK_MB = 50;
const NAMES = { csv: 'plain CSV', gzip: 'gzip (.csv.gz)', parquet: 'Parquet' } as const;

const ok = (run: FormatRun | undefined): run is FormatRun & { e2e: number } => !!run && !run.error && run.e2e !== undefined;

export function formatTargets(f: FormatsResult | undefined, rows: number): FormatTarget[] {
  const out: FormatTarget[] = [];
  const csv = f?.runs.find((x) => x.format === 'csv');
  for (const format of ['gzip', 'parquet'] as const) {
    const run = f?.runs.find((x) => x.format === format);
    const name = NAMES[format];
    const e2eFigure = `${fmt.int(rows)} rows as ${name}, end to end (upload -> succeeded) vs the plain CSV, same WORKERS=2 platform`;
    const e2eTarget = `≤ ${E2E_RATIO}× CSV`;
    const memFigure = `peak RSS per process (web, worker, supervisor = start.js, npm) uploading and scoring ${name} vs the plain CSV`;
    const memTarget = `each ≤ CSV + ${RSS_SLACK_MB} MB`;
    // A speed is reported only for right output: a format whose results differ from the CSV's fails.
    const wrong = csv?.mismatch ?? run?.mismatch ?? null;
    const missing = !f ? 'formats part not run' : (f.error ?? csv?.error ?? run?.error ?? 'run missing');
    if (wrong !== null || !ok(csv) || !ok(run)) {
      const measured = wrong !== null ? `output wrong, not timed: ${wrong}` : `not measured (${missing})`;
      out.push({ figure: e2eFigure, measured, target: e2eTarget, met: wrong !== null ? false : null });
      out.push({ figure: memFigure, measured, target: memTarget, met: wrong !== null ? false : null });
      continue;
    }
    const ratio = run.e2e / csv.e2e;
    out.push({
      figure: e2eFigure,
      measured:
        `**${fmt.x(ratio)}** (${fmt.s(run.e2e)} s = upload->202 ${fmt.s(run.upload ?? Number.NaN)} + scoring ${fmt.s(run.processing ?? Number.NaN)}; ` +
        `CSV ${fmt.s(csv.e2e)} s = ${fmt.s(csv.upload ?? Number.NaN)} + ${fmt.s(csv.processing ?? Number.NaN)}; predictions hash = CSV's ✓)`,
      target: e2eTarget,
      met: ratio <= E2E_RATIO,
    });
    const mine = peakRssKb(run);
    const base = peakRssKb(csv);
    const deltas = MEMORY_KINDS.map(({ label: k }) => ({ k, mb: ((mine[k] ?? Number.NaN) - (base[k] ?? Number.NaN)) / 1024 }));
    out.push({
      figure: memFigure,
      measured: deltas
        .map(
          ({ k, mb }) =>
            `${k} **${mb >= 0 ? '+' : ''}${mb.toFixed(0)} MB** (${fmt.mb(mine[k] ?? Number.NaN)} vs ${fmt.mb(base[k] ?? Number.NaN)})`,
        )
        .join(', '),
      target: memTarget,
      met: deltas.every(({ mb }) => Number.isFinite(mb) && mb <= RSS_SLACK_MB),
    });
  }
  return out;
}

/** One line per format: file, upload / scoring split, end to end, peak RSS per process, output check. */
export function formatsTable(f: FormatsResult | undefined): string[] {
  if (!f) return [];
  const row = (...cells: string[]): string => `| ${cells.join(' | ')} |`;
  const out: string[] = [];
  out.push(
    `Other input formats, one after another on one \`npm start\` platform (WORKERS=2; started in ${fmt.s(f.startSeconds ?? Number.NaN)} s), ` +
      'each measured alone; peak RSS is each process’s largest sampled VmRSS from the upload’s start until succeeded, ' +
      'and "before" its VmRSS just before the upload (what the previous format left):',
  );
  out.push('');
  out.push(
    row(
      'input',
      'file',
      'upload -> 202',
      '202 -> succeeded',
      'end to end',
      'vs CSV',
      'peak RSS web / worker / supervisor / npm',
      'before',
      'output',
    ),
  );
  out.push(row('---', '---', '---:', '---:', '---:', '---:', '---', '---', '---'));
  const csv = f.runs.find((x) => x.format === 'csv');
  for (const run of f.runs) {
    const file = f.files[run.format];
    const made = file.rowGroups ? `; ${file.rowGroups} row groups of ≤ ${fmt.int(file.rowGroupRows ?? 0)} rows, ${file.compression}` : '';
    const fileCell = `${run.file}, ${(run.bytes / 1e6).toFixed(0)} MB (${file.how}${made})`;
    if (run.error || run.e2e === undefined) {
      out.push(row(NAMES[run.format], fileCell, '—', '—', 'failed', '—', '—', '—', (run.error ?? '').replace(/\|/g, '/').slice(0, 200)));
      continue;
    }
    const rss = peakRssKb(run);
    const before = MEMORY_KINDS.map(({ kind }) => fmt.mb(run.before?.kinds[kind]?.rssMaxKb ?? Number.NaN)).join(' / ');
    const p = run.predictions;
    const check = run.mismatch
      ? `✗ ${run.mismatch}`
      : p
        ? `${fmt.int(p.lines - 1)} rows ✓, predictions ${p.sha256}${run.format === 'csv' ? '' : ' = CSV ✓'} (${Object.entries(p.labels)
            .map(([l, n]) => `${l} ${fmt.int(n)}`)
            .join(', ')})`
        : '—';
    out.push(
      row(
        NAMES[run.format],
        fileCell,
        `${fmt.s(run.upload ?? Number.NaN)} s`,
        `${fmt.s(run.processing ?? Number.NaN)} s`,
        `**${fmt.s(run.e2e)} s**`,
        ok(csv) ? fmt.x(run.e2e / csv.e2e) : '—',
        `${MEMORY_KINDS.map(({ label }) => fmt.mb(rss[label] ?? Number.NaN)).join(' / ')} MB`,
        `${before} MB`,
        check,
      ),
    );
  }
  out.push('');
  for (const run of f.runs) if (run.timeline) out.push(`- ${NAMES[run.format]}: ${run.timeline}.`);
  if (f.runs.some((x) => x.timeline)) out.push('');
  return out;
}
