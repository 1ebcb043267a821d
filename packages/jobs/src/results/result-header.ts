import { type ModelSchema, outputColumns } from '@batchcast/inference';

/**
 * The names the input's columns carry in the results, in every format. The predictions are appended after them
 * (`prediction`, `probability_<class>`…, `error`), so an input column named like one of those (a results file
 * uploaded again, a file that already has an `error` column) is renamed `<name>_input` (`<name>_input_2`… if that
 * is taken too); names are compared ignoring case, as uploads compare them. Without it a results CSV had two
 * `prediction` columns, which batchcast itself refuses as an upload (`duplicate_column`) and pandas renames.
 */
export function resultInputNames(header: readonly string[], schema: ModelSchema): string[] {
  const taken = new Set([...outputColumns(schema), 'error'].map((n) => n.toLowerCase()));
  const clashing = header.filter((n) => taken.has(n.toLowerCase()));
  if (clashing.length === 0) return [...header];
  for (const n of header) taken.add(n.toLowerCase());
  return header.map((n) => {
    if (!clashing.includes(n)) return n;
    let name = `${n}_input`;
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${n}_input_${k}`;
    taken.add(name.toLowerCase());
    return name;
  });
}

/** Whether any input column is renamed in the results (the header is then written anew, not copied). */
export const renamesInputs = (header: readonly string[], schema: ModelSchema): boolean =>
  resultInputNames(header, schema).some((n, i) => n !== header[i]);
