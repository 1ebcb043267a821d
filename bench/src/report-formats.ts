// The report's part for the other input formats: the issue's targets (gzip and Parquet end to end within 1.3×
// the plain CSV's, each process's peak RSS within +50 MB of the CSV's) and where each format's time goes.
import { type FormatsResult, type FormatSummary, MEMORY_KINDS, peakRssKb, summarise } from './formats.js';
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

const split = (x: FormatSummary): string => `${fmt.s(x.e2e)} s = upload->202 ${fmt.s(x.upload)} + scoring ${fmt.s(x.processing)}`;
const rounds = (x: FormatSummary): string => fmt.sList(x.runs.map((r) => r.e2e ?? Number.NaN));

export function formatTargets(f: FormatsResult | undefined, rows: number): FormatTarget[] {
  const out: FormatTarget[] = [];
  const csv = f ? summarise(f, 'csv') : null;
  for (const format of ['gzip', 'parquet'] as const) {
    const name = NAMES[format];
    const e2eFigure = `${fmt.int(rows)} rows as ${name}, end to end (upload -> succeeded) vs the plain CSV, each run on a fresh WORKERS=2 platform, median of ${csv?.runs.length ?? 0} rounds`;
    const e2eTarget = `≤ ${E2E_RATIO}× CSV`;
    const memFigure = `peak RSS per process (web, worker, supervisor = start.js, npm) uploading and scoring ${name} vs the plain CSV, largest of each one's rounds`;
    const memTarget = `each ≤ CSV + ${RSS_SLACK_MB} MB`;
    const x = f ? summarise(f, format) : null;
    // A speed is reported only for right output: a format whose results differ from the CSV's fails.
    const problem = !f || !csv || !x ? 'formats part not run' : (csv.problem ?? x.problem);
    if (problem !== null || !csv || !x) {
      const wrong = problem?.startsWith('output wrong') ?? false;
      const measured = wrong ? `${problem}; not timed` : `not measured (${problem})`;
      out.push({ figure: e2eFigure, measured, target: e2eTarget, met: wrong ? false : null });
      out.push({ figure: memFigure, measured, target: memTarget, met: wrong ? false : null });
      continue;
    }
    const ratio = x.e2e / csv.e2e;
    out.push({
      figure: e2eFigure,
      measured: `**${fmt.xAgainst(ratio, E2E_RATIO)}** (${split(x)}; CSV ${split(csv)}; each round: ${rounds(x)} s vs CSV ${rounds(csv)} s; predictions hash = CSV's ✓)`,
      target: e2eTarget,
      met: ratio <= E2E_RATIO,
    });
    const deltas = MEMORY_KINDS.map(({ label }) => ({
      label,
      mine: x.peakRssKb[label] ?? Number.NaN,
      base: csv.peakRssKb[label] ?? Number.NaN,
    }));
    out.push({
      figure: memFigure,
      measured: deltas
        .map(({ label, mine, base }) => {
          const mb = (mine - base) / 1024;
          return `${label} **${mb >= 0 ? '+' : ''}${mb.toFixed(0)} MB** (${fmt.mb(mine)} vs ${fmt.mb(base)})`;
        })
        .join(', '),
      target: memTarget,
      met: deltas.every(({ mine, base }) => Number.isFinite(mine - base) && (mine - base) / 1024 <= RSS_SLACK_MB),
    });
  }
  return out;
}

/** One line per run: file, upload / scoring split, end to end, peak RSS per process, output check. */
export function formatsTable(f: FormatsResult | undefined): string[] {
  if (!f) return [];
  const row = (...cells: string[]): string => `| ${cells.join(' | ')} |`;
  const out: string[] = [];
  out.push(
    'Other input formats, in rounds (CSV, gzip, Parquet, CSV, ...), each run on an `npm start` platform of its own (WORKERS=2, ' +
      `started afresh, slowest start ${fmt.s(f.startSeconds ?? Number.NaN)} s); peak RSS is each process’s largest sampled VmRSS ` +
      'from the upload’s start until succeeded, "before" its VmRSS just before the upload; "other load" is the CPU that work ' +
      'other than the bench’s used meanwhile, in cores:',
  );
  out.push('');
  out.push(
    row(
      'input',
      'round',
      'upload -> 202',
      '202 -> succeeded',
      'end to end',
      'vs CSV median',
      'peak RSS web / worker / supervisor / npm',
      'before',
      'other load',
      'output',
    ),
  );
  out.push(row('---', ':---:', '---:', '---:', '---:', '---:', '---', '---', '---:', '---'));
  const csv = summarise(f, 'csv');
  for (const run of f.runs) {
    if (run.error || run.e2e === undefined) {
      out.push(
        row(
          NAMES[run.format],
          String(run.round),
          '—',
          '—',
          'failed',
          '—',
          '—',
          '—',
          '—',
          (run.error ?? '').replace(/\|/g, '/').slice(0, 200),
        ),
      );
      continue;
    }
    const rss = peakRssKb(run);
    const before = MEMORY_KINDS.map(({ kind }) => fmt.mb(run.before?.kinds[kind]?.rssMaxKb ?? Number.NaN)).join(' / ');
    const p = run.predictions;
    const check = run.mismatch
      ? `✗ ${run.mismatch}`
      : p
        ? `${fmt.int(p.lines - 1)} rows ✓, predictions ${p.sha256}${run.format === 'csv' && run.round === 1 ? '' : ' = CSV ✓'} (${Object.entries(
            p.labels,
          )
            .map(([l, n]) => `${l} ${fmt.int(n)}`)
            .join(', ')})`
        : '—';
    out.push(
      row(
        NAMES[run.format],
        String(run.round),
        `${fmt.s(run.upload ?? Number.NaN)} s`,
        `${fmt.s(run.processing ?? Number.NaN)} s`,
        `**${fmt.s(run.e2e)} s**`,
        Number.isFinite(csv.e2e) ? fmt.x(run.e2e / csv.e2e) : '—',
        `${MEMORY_KINDS.map(({ label }) => fmt.mb(rss[label] ?? Number.NaN)).join(' / ')} MB`,
        `${before} MB`,
        (run.otherLoad ?? Number.NaN).toFixed(2),
        check,
      ),
    );
  }
  out.push('');
  for (const format of ['csv', 'gzip', 'parquet'] as const) {
    const file = f.files[format];
    const made = file.rowGroups ? `; ${file.rowGroups} row groups of ≤ ${fmt.int(file.rowGroupRows ?? 0)} rows, ${file.compression}` : '';
    out.push(`- ${NAMES[format]}: ${file.file.split('/').pop()}, ${(file.bytes / 1e6).toFixed(0)} MB (${file.how}${made}).`);
  }
  for (const run of f.runs) if (run.timeline) out.push(`- ${NAMES[run.format]} #${run.round}: ${run.timeline}.`);
  out.push('');
  return out;
}
