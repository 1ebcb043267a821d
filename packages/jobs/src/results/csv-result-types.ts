import { booleanNumber, type ByteSource, type CellType, type ColumnTarget } from '@batchcast/csv';
import type { ResultColumnType } from '@batchcast/formats';
import { dialectOf } from '../inputs/dialect.js';
import { cellKind, isMissingCell, typeOfBits } from '../inputs/infer-csv-types.js';
import { readInputFields } from '../inputs/read-input-rows.js';
import type { CsvJobLayout } from '../records.js';
import type { StoredChunk } from '../uploads/stored-upload.js';

/** Model input types that read a CSV's `True`/`False` as 1/0 (boolean-text.ts). */
const NUMBER_INPUTS: ReadonlySet<CellType> = new Set(['float32', 'float64', 'int32', 'int64']);

/** Bits of what a number input's column held, apart from missing cells: true/false words, anything else. */
const WORD = 1;
const OTHER = 2;

/** A chunk as job_chunks holds it: with the columns its scoring found true/false words in (null, absent: not recorded). */
export type ChunkWithWords = StoredChunk & { booleanWordColumns?: readonly number[] | null | undefined };

/**
 * The types of a CSV job's columns in the typed results (results.jsonl, .parquet, .xlsx), by one pass over the
 * stored upload (chunk by chunk, fields only), an entry per header column:
 *  - a column that feeds no model input: InferredType's rule over the whole column (cellKind, infer-csv-types.ts);
 *  - a column that feeds a number input (float or integer): undefined (the input's type, inputColumns), but `bool`
 *    when every cell that is not missing is true/false in any case, and `string` when such words are among other
 *    values. The model read those words as 1/0, as pandas.read_csv reads a bool column (`True`/`False` from
 *    DataFrame.to_csv); a number column cannot hold them, and wrote null in results.parquet for every one, in rows
 *    that did not fail and so had no `_text` companion: the column's values were lost. A column of numbers (and
 *    of `abc` in a failed row, kept by the `_text` companion) keeps the input's type;
 *  - a column of any other input (text, bool): undefined.
 * A column is examined until its type is settled (text, or words among other values); the pass stops once every
 * column is. A number input's column is examined only when a chunk's scoring recorded a word in it, or some chunk
 * has no record (`booleanWordColumns` null: scored before it was recorded): scoring looks the words up anyway, for
 * the cells that are no number, while reading every cell of such columns here cost a 1M-row file some 4 CPU-seconds
 * per download, and almost no file holds a word. Run at a typed download, in its thread: the upload scan, the hot
 * path, is left as it is.
 */
export async function csvResultTypes(
  source: ByteSource,
  layout: CsvJobLayout,
  chunks: ChunkWithWords[],
  targets: ColumnTarget[],
): Promise<(ResultColumnType | undefined)[]> {
  const used = new Set(targets.flatMap((t) => t.columns));
  // A column read by a text or bool input as well keeps the input's type: only number inputs read the words as 1/0.
  const other = new Set(targets.filter((t) => !NUMBER_INPUTS.has(t.type)).flatMap((t) => t.columns));
  const numeric = new Set(
    targets
      .filter((t) => NUMBER_INPUTS.has(t.type))
      .flatMap((t) => t.columns)
      .filter((i) => !other.has(i)),
  );
  const width = layout.header.length;
  const kinds = new Array<number>(width).fill(0);
  const words = new Array<number>(width).fill(0);
  let free = layout.header.map((_, i) => i).filter((i) => !used.has(i));
  // The columns scoring found words in, when every chunk recorded it: the others hold none, and keep the input's type.
  const recorded = chunks.every((c) => c.booleanWordColumns != null) ? new Set(chunks.flatMap((c) => c.booleanWordColumns!)) : null;
  let inputs = [...numeric].filter((i) => recorded === null || recorded.has(i));
  const decimal = dialectOf(layout)!.decimal;
  for (const chunk of chunks) {
    if (free.length === 0 && inputs.length === 0) break;
    for await (const rows of readInputFields(source, layout, chunk)) {
      for (const fields of rows) {
        for (const i of free) {
          const text = fields[i]!;
          if (!isMissingCell(text)) kinds[i]! |= cellKind(text, decimal);
        }
        // Every cell of a model's number columns comes through here: an indexed loop, and no call for a cell that
        // starts with a digit (no word: booleanNumber's true/false in any case, spaces around), as most do.
        for (let k = 0; k < inputs.length; k++) {
          const i = inputs[k]!;
          const text = fields[i]!;
          const c = text.charCodeAt(0);
          if ((c < 48 || c > 57) && booleanNumber(text) !== undefined) words[i]! |= WORD;
          // Once the column held another value, which others it holds no longer matters.
          else if (!(words[i]! & OTHER) && !isMissingCell(text)) words[i]! |= OTHER;
        }
      }
      // A column with a value that is text now stays text whatever follows (cells only add bits).
      free = free.filter((i) => typeOfBits(kinds[i]!) !== 'string' || kinds[i] === 0);
      inputs = inputs.filter((i) => words[i] !== (WORD | OTHER));
      if (free.length === 0 && inputs.length === 0) break;
    }
  }
  return layout.header.map((_, i) => {
    if (!used.has(i)) return typeOfBits(kinds[i]!);
    if (!numeric.has(i) || !(words[i]! & WORD)) return undefined;
    return words[i]! & OTHER ? 'string' : 'bool';
  });
}
