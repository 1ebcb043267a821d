import { CsvScanner } from '@batchcast/csv';
import { xlsxToCsv } from '@batchcast/formats';
import { storeWithScanner } from './store-scanned.js';
import type { FormatStep, StoredUpload } from './stored-upload.js';

/**
 * An Excel workbook: stored as it came (a zip is read by random access, its index is at the end), then one
 * sheet transcoded into canonical CSV (`,`, `.`, `\n`) that is stored and scanned like any CSV; the workbook
 * is removed afterwards. The columns' types (numbers, dates, booleans, text) are kept for typed results.
 */
export async function storeXlsx(step: FormatStep): Promise<StoredUpload> {
  const workbookKey = `${step.key.replace(/\.[^./]*$/, '')}.workbook.xlsx`;
  try {
    const workbookSize = await step.blobs.write(workbookKey, step.content);
    const headerless = step.choices.header === 'none';
    const transcode = xlsxToCsv(() => step.blobs.open(workbookKey), { size: workbookSize, sheet: step.choices.sheet, headerless });
    // The CSV is canonical: scanned as comma and point, never sniffed (a one-column sheet holding `;` is data).
    const scanner = new CsvScanner({ chunkRows: step.chunkRows, dialect: { delimiter: ',', decimal: '.' }, sepLine: false });
    return await storeWithScanner(step, transcode.stream, scanner, async (scanned) => {
      const summary = await transcode.summary;
      return {
        format: 'xlsx',
        header: scanned.header,
        bom: scanned.bom,
        newline: scanned.newline,
        dataStart: scanned.dataStart,
        sheet: summary.sheet,
        sheets: summary.worksheets,
        // A sheet read without a header row has none (and no title rows above one to look for).
        ...(headerless ? { headerless: true as const } : { headerRow: summary.headerRow }),
        ...(summary.widerRows.length > 0 ? { widerRows: summary.widerRows } : {}),
        ...(summary.duplicateColumns.length > 0 ? { duplicateColumns: summary.duplicateColumns } : {}),
        columnTypes: summary.columnTypes,
        ...(summary.notes.length > 0 ? { notes: summary.notes } : {}),
        ...(summary.sheetRows !== null ? { sheetRows: summary.sheetRows } : {}),
        ...(summary.formulaCells.length > 0 ? { formulaCells: summary.formulaCells } : {}),
      };
    });
  } finally {
    await step.blobs.delete(workbookKey).catch(() => undefined);
  }
}
