/**
 * Column planning: which CSV columns feed which model input, decided once per upload from its header.
 * Column order in the CSV never matters once names are known, and columns the model does not use are left
 * alone (the platform carries them through to the results).
 */
import type { ColumnTarget } from '@batchcast/csv';
import { describeMissing, HeaderIndex, MATCHING, missingAdvice, noHeaderHint, printedTableHint, showInvisible } from '@batchcast/names';
import type { ModelSchema } from './types.js';

export type ColumnPlan =
  | {
      ok: true;
      /** One target per model input, in schema.inputs order. */
      targets: ColumnTarget[];
      /** The header names used, flattened in target order (what the model reads, for display). */
      columns: string[];
    }
  | {
      ok: false;
      /** Every model column the header lacks (or matches ambiguously), in the model's order. */
      missing: string[];
      /** A sentence a business user can act on. */
      message: string;
    };

function quoteList(names: string[], max = 20): string {
  const shown = names.slice(0, max).join(', ');
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

/**
 * `source` names what the header came from in messages (`CSV`, `Excel sheet`, `Parquet file`, `file`): an
 * .xlsx or Parquet upload told "The CSV is missing…" was told about a file it never sent. `addTo` says where
 * a missing column goes (a real-time request has no file: its columns are the rows' keys). `elsewhere` says
 * where else the columns may be, when not one is in the header (a workbook's other sheets, and how to choose one).
 */
export function planColumns(schema: ModelSchema, header: string[], source = 'CSV', addTo = 'to the file', elsewhere?: string): ColumnPlan {
  const column = source === 'CSV' ? 'CSV column' : 'column';
  const index = new HeaderIndex(header);

  const missing: string[] = [];
  const ambiguous: string[] = [];
  const ambiguousNames = new Set<string>();
  const resolved: (number[] | null)[] = schema.inputs.map((input) => {
    if (!input.columns) return null;
    return input.columns.map((name) => {
      const r = index.find(name);
      if (typeof r === 'number') return r;
      missing.push(name);
      if (r !== 'missing') ambiguousNames.add(name);
      if (r !== 'missing') ambiguous.push(`"${name}" matches ${r.map((i) => `"${header[i]}"`).join(' and ')}`);
      return -1;
    });
  });

  if (missing.length > 0) {
    const n = missing.length;
    // The header names no model column claimed: a missing name written differently is one of them.
    const claimed = new Set(resolved.flatMap((r) => r ?? []));
    const free = header.filter((_, i) => !claimed.has(i));
    const where = source === 'request' ? 'the rows have' : source === 'Excel sheet' ? 'the sheet has' : 'the file has';
    const { described, hinted, unseen } = describeMissing(missing, free, where, ambiguousNames);
    let message =
      `The ${source} is missing ${n} column${n === 1 ? '' : 's'} the model needs: ${quoteList(described)}. ` +
      `${missingAdvice(n, hinted, addTo)} ${MATCHING}.${unseen}`;
    if (ambiguous.length > 0) {
      message += ` Some names match more than one ${column}, rename all but one: ${ambiguous.join('; ')}.`;
    }
    const named = schema.inputs.reduce((k, input) => k + (input.columns?.length ?? 0), 0);
    if (missing.length === named && ambiguous.length === 0 && !hinted && source !== 'request') {
      // Not one name matches: most likely the header is not the line it was taken for (a title line above it,
      // as some reports have), or the file is meant for another model. Say what was read as the header.
      const shown = quoteList(
        header.map((h) => `"${showInvisible(h.length > 60 ? `${h.slice(0, 57)}...` : h)}"`),
        8,
      );
      const noHeader =
        printedTableHint(header) ||
        noHeaderHint(
          header,
          schema.inputs.flatMap((input) => input.columns ?? []),
          { sheet: source === 'Excel sheet' },
        );
      message += noHeader
        ? ` ${noHeader}`
        : ` None of them is in the header as read, ${shown}: ${elsewhere ? `${elsewhere}; ` : ''}if the column names are on a ` +
          'later line, delete the lines above them; if the file is meant for another model, choose that model.';
    }
    return { ok: false, missing, message };
  }

  // Inputs whose columns the model does not name take the header columns nobody else claimed, but only when
  // their count is exactly right: guessing among extra columns (ids, true labels) would score garbage.
  const claimed = new Set(resolved.flatMap((r) => r ?? []));
  const unclaimed = header.map((_, i) => i).filter((i) => !claimed.has(i));
  const unnamed = schema.inputs.filter((_, k) => resolved[k] === null);
  if (unnamed.length > 0) {
    const width = unnamed.reduce((n, i) => n + i.width, 0);
    if (unnamed.length > 1 || unclaimed.length !== width) {
      const other = claimed.size > 0 ? ' other' : '';
      return {
        ok: false,
        missing: [],
        message:
          `The model needs ${width} feature column${width === 1 ? '' : 's'} but does not name them, and the ${source} has ` +
          `${unclaimed.length}${other} column${unclaimed.length === 1 ? '' : 's'}, so batchcast cannot tell which to use. ` +
          `Register the model with "features" naming its ${width} ${column}s in the model's order, or upload a ${source} ` +
          `with exactly those ${width} columns in that order.`,
      };
    }
    const k = schema.inputs.indexOf(unnamed[0]!);
    resolved[k] = unclaimed;
  }

  const targets: ColumnTarget[] = schema.inputs.map((input, k) => ({
    name: input.name,
    type: input.type,
    columns: resolved[k]!,
  }));
  return { ok: true, targets, columns: targets.flatMap((t) => t.columns.map((i) => header[i]!)) };
}
