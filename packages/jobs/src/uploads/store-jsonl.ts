import { jsonArrayToJsonl, JsonlScanner } from '@batchcast/formats';
import { storeScanned } from './store-scanned.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * JSON Lines, stored as it came; a JSON array of objects is converted to JSON Lines on the way (element k
 * becomes line k, its bytes copied exactly), so everything after the upload reads JSON Lines.
 */
export async function storeJsonl(step: FormatStep, array: boolean): Promise<StoredUpload> {
  const scanner = new JsonlScanner({ chunkRows: step.chunkRows });
  const size = await storeScanned(step.blobs, step.key, step.content, (buf) => scanner.push(buf), array ? [jsonArrayToJsonl()] : []);
  const scanned = scanner.finish();
  return {
    key: step.key,
    size,
    rows: scanned.rows,
    chunks: scanned.chunks,
    layout: {
      format: 'jsonl',
      header: scanned.header,
      bom: scanned.bom,
      dataStart: scanned.dataStart,
      columnTypes: scanned.columnTypes,
      array,
      ...(step.compression ? { compression: step.compression } : {}),
    },
  };
}
