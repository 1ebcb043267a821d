import { jsonArrayToJsonl, JsonlScanner } from '@batchcast/formats';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * JSON Lines, stored as it came; a JSON array of objects is converted to JSON Lines on the way (element k
 * becomes line k, its bytes copied exactly), so everything after the upload reads JSON Lines.
 */
export async function storeJsonl(step: FormatStep, array: boolean): Promise<StoredUpload> {
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
    }),
    array ? [jsonArrayToJsonl()] : [],
  );
}
