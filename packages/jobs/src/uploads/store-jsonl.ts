import type { Duplex } from 'node:stream';
import type { PandasJsonLayout } from '@batchcast/names';
import {
  jsonArrayToJsonl,
  JsonlScanner,
  type PandasTableInfo,
  pandasColumnsToJsonl,
  pandasIndexToJsonl,
  pandasSplitToJsonl,
  pandasTableToJsonl,
} from '@batchcast/formats';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * JSON Lines, stored as it came; a JSON array of objects is converted to JSON Lines on the way (element k
 * becomes line k, its bytes copied exactly), so everything after the upload reads JSON Lines. pandas' to_json()
 * layouts that hold the whole frame in one object (`layout`: orient 'table', 'split', 'index', 'columns') are
 * converted the same way, a record per row; the job's notes say so, and name the column the index is kept in.
 */
export async function storeJsonl(step: FormatStep, array: boolean, layout?: PandasJsonLayout): Promise<StoredUpload> {
  const unwrap = layout ? pandasUnwrap(layout) : null;
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
      ...(unwrap ? { notes: [unwrap.note()] } : {}),
    }),
    unwrap ? [unwrap.stream] : array ? [jsonArrayToJsonl()] : [],
  );
}

/** The conversion of a pandas layout to JSON Lines, and the note it leaves once done. */
function pandasUnwrap(layout: PandasJsonLayout): { stream: Duplex; note: () => string } {
  switch (layout) {
    case 'split':
      return pandasSplitToJsonl();
    case 'index':
      return pandasIndexToJsonl();
    case 'columns':
      return pandasColumnsToJsonl();
    default: {
      const table = pandasTableToJsonl();
      return { stream: table.stream, note: () => tableNote(table.info()) };
    }
  }
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
