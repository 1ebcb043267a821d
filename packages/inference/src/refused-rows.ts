/**
 * Rows an ONNX graph refuses. Some operators fail a whole run for one row's value: a OneHotEncoder with
 * `zeros=0` (what skl2onnx writes for scikit-learn's default handle_unknown='error') raises "Unknown Category"
 * for a category it was not given, a CategoryMapper or Gather can fail on a value out of range. One such row
 * must fail alone, with the reason, as scikit-learn would refuse it; the rows beside it score as ever.
 *
 * Two things make that so. Rows the platform has already failed (an unreadable number holds a neutral value, an
 * unknown category its text) are given a copy of a row that has not failed before the run (`withStandIns`):
 * their predictions are discarded anyway. And a run ONNX Runtime refuses for a kernel's reason is split in
 * halves until the rows it refuses stand alone (session.ts), each failed with ONNX Runtime's reason
 * (`kernelRefusal`). Any other failure (the session itself, a broken output) still fails the chunk, to be retried.
 */
import type { RowError, TargetData } from '@batchcast/csv';
import type { ModelInput } from './types.js';

/**
 * ONNX Runtime's reason when a kernel refused the run's data ("Non-zero status code returned while running
 * OneHotEncoder node. Name:'' Status Message: Unknown Category and zeros = 0."), as a row's error; null when
 * the error is anything else.
 */
export function kernelRefusal(error: unknown): string | null {
  const message = error instanceof Error ? error.message : String(error);
  const m = /Non-zero status code returned while running (\S+) node\.(?: Name:'([^']*)')?(?: Status Message: ([\s\S]*))?/.exec(message);
  if (!m) return null;
  const [, op, name, status] = m;
  const node = name ? `${op} node '${name}'` : `its ${op} node`;
  // A node asking for more memory than there is (ConstantOfShape of a shape no row decides) fails every row
  // alike: the model is at fault, and "check the row against the training data" would send its user astray.
  const memory = /Failed to allocate memory for requested buffer of size (\d+)/.exec(status ?? '');
  if (memory) {
    return (
      `the model could not score this row: ${node} asked ONNX Runtime for ${Number(memory[1]).toLocaleString('en-US')} bytes of memory, ` +
      'more than this server can give it; the model, not the row, is at fault: whoever published it should check that node'
    );
  }
  const reason = (status ?? '').trim().replace(/\.+$/, '');
  return (
    `the model refused this row: ${node} failed${reason ? ` (${reason})` : ''}; the row holds a value the model was not ` +
    'built for (a category it was not trained on, a value out of its range): check it against the data the model was trained on'
  );
}

/**
 * The batch's input data with each failed row (`errors`, rows counted from `firstRow`) replaced by a copy of the
 * first row that has not failed, so that a value the graph would refuse cannot fail the rows run with it. The
 * arrays are copied only when a row is replaced. Null when every row has failed: there is nothing to run.
 */
export function withStandIns(
  inputs: ModelInput[],
  data: TargetData[],
  count: number,
  errors: readonly RowError[],
  firstRow: number,
): TargetData[] | null {
  if (errors.length === 0) return data;
  const failed = new Uint8Array(count);
  for (const e of errors) {
    const r = e.row - firstRow;
    if (r >= 0 && r < count) failed[r] = 1;
  }
  const standIn = failed.indexOf(0);
  if (standIn < 0) return null;
  return inputs.map((input, k) => {
    const w = input.width;
    const src = data[k]!;
    const copy = src.slice() as TargetData;
    for (let r = 0; r < count; r++) {
      if (!failed[r]) continue;
      for (let c = 0; c < w; c++) (copy as unknown[])[r * w + c] = (src as ArrayLike<unknown>)[standIn * w + c];
    }
    return copy;
  });
}
