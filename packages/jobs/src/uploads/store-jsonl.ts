import { jsonArrayToJsonl, JsonlScanner, type PandasTableInfo, pandasTableToJsonl } from '@batchcast/formats';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * JSON Lines, stored as it came; a JSON array of objects is converted to JSON Lines on the way (element k
 * becomes line k, its bytes copied exactly), so everything after the upload reads JSON Lines. pandas'
 * to_json(orient='table') (`table`) is its array of records under "data", converted the same way; the job's notes
 * say so, and name the column pandas wrote its index in.
 */
export async function storeJsonl(step: FormatStep, array: boolean, table = false): Promise<StoredUpload> {
  const unwrap = table ? pandasTableToJsonl() : null;
  return storeWithScanner(
    step,
    step.content,
    new JsonlScanner({ chunkRows: step.chunkRows }),
    (scanned) => ({
      format: 'jsonl',
      header: scanned.header,
      bom: scanned.bom,
      dataStart: scanned.dataStart,
      columnTypes: scanned.columnTypes,
      array,
      ...(unwrap ? { notes: [tableNote(unwrap.info())] } : {}),
    }),
    unwrap ? [unwrap.stream] : array ? [jsonArrayToJsonl()] : [],
  );
}

/** What a job's notes say of a file pandas wrote with to_json(orient='table'). */
function tableNote(info: PandasTableInfo): string {
  const index =
    info.index.length === 0
      ? ''
      : ` pandas wrote the DataFrame's index as the column${info.index.length === 1 ? '' : 's'} ${info.index.map((k) => `"${k}"`).join(', ')}: ` +
        'the results keep it, and the model reads it only if it is one of its columns.';
  return `Read as pandas' to_json(orient='table') output: the records under "data", one row each.${index}`;
}
