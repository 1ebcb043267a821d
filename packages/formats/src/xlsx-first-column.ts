import { StringDecoder } from 'node:string_decoder';
import { FormatError } from './errors.js';
import { parseCellRef, type RawCell, SheetReader } from './xlsx-sheet.js';
import type { ZipArchive } from './zip.js';

/**
 * Whether a cell holds a value, as the transcoder reads it: a shared string that is empty (or missing), an
 * empty inline string and a cell with no `<v>` (only a style) hold none.
 */
export function holdsValue(cell: RawCell, strings: readonly string[]): boolean {
  if (cell.type === 's') return cell.value !== null && (strings[Number(cell.value)] ?? '') !== '';
  return cell.value !== null && cell.value !== '';
}

/**
 * The leftmost column (0-based) where any cell of the sheet holds a value, or null when none does; read by a
 * pass over the sheet before it is transcoded, since the header row is written before the rows below it are
 * read. `DataFrame.to_excel` leaves the header cell above its index empty (A1) and writes the index below it:
 * the header row alone would start at B and lose the index. The pass stops at the first value in column A,
 * or in the first column of the sheet's `<dimension>` (the used range the writer records; no value lies left
 * of it), so a sheet whose table starts there (nearly all) costs the first rows only; a sheet whose leading
 * columns are empty everywhere, and that records no dimension, is parsed twice. XML errors end the pass with
 * what it found: the transcoding pass meets them too, and refuses the sheet saying where.
 */
export async function firstValueColumn(
  zip: ZipArchive,
  path: string,
  maxBytes: number,
  strings: readonly string[],
): Promise<number | null> {
  let leftmost: number | null = null;
  const reader = new SheetReader((_row, cells) => {
    for (const c of cells) if ((leftmost === null || c.col < leftmost) && holdsValue(c, strings)) leftmost = c.col;
  });
  const reachedStart = (): boolean => {
    if (leftmost === null) return false;
    if (leftmost === 0) return true;
    const start = reader.dimension === null ? null : parseCellRef(reader.dimension.split(':')[0]!);
    return start !== null && leftmost <= start.col;
  };
  const decoder = new StringDecoder('utf8');
  try {
    for await (const piece of zip.stream(path, maxBytes)) {
      reader.write(decoder.write(piece));
      if (reader.done || reachedStart()) return leftmost;
    }
    reader.write(decoder.end());
    reader.close();
  } catch (err) {
    if (err instanceof FormatError) throw err;
  }
  return leftmost;
}
