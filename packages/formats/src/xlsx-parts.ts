import { FormatError } from './errors.js';
import { type NumberKind, numberKind } from './xlsx-dates.js';
import { cellTooLarge, MAX_CELL_CHARS } from './xlsx-sheet.js';
import { attr, parseStream, unescapeXstring, xmlParser } from './xml.js';
import type { ZipArchive } from './zip.js';

/** Small parts (workbook, relationships, styles) are read whole; they are kilobytes in practice. */
const SMALL_PART = 64 * 1024 * 1024;

export interface SheetRef {
  name: string;
  /** Zip path of the sheet XML. */
  path: string;
  hidden: boolean;
  /** A chart sheet or dialog sheet: no cells. */
  worksheet: boolean;
}

export interface WorkbookInfo {
  sheets: SheetRef[];
  /** The Mac 1904 date system (serial 0 = 1904-01-01). */
  date1904: boolean;
  sharedStringsPath: string | null;
  stylesPath: string | null;
}

interface Relationship {
  type: string;
  target: string;
}

function parseXml(text: string, what: string, handlers: Parameters<typeof xmlParser>[0]): void {
  const parser = xmlParser(handlers);
  try {
    parser.write(text).close();
  } catch (err) {
    throw new FormatError(
      'invalid_xlsx',
      `the workbook's ${what} is not valid XML (${(err as Error).message}); save the workbook again and upload it`,
    );
  }
}

/** Resolves a relationship target against the directory of the part that holds it. */
function resolvePart(fromPart: string, target: string): string {
  if (target.startsWith('/')) return target.slice(1);
  const base = fromPart.includes('/') ? fromPart.slice(0, fromPart.lastIndexOf('/') + 1) : '';
  const parts: string[] = [];
  for (const seg of (base + target).split('/')) {
    if (seg === '..') parts.pop();
    else if (seg !== '.' && seg !== '') parts.push(seg);
  }
  return parts.join('/');
}

function relsPathOf(part: string): string {
  const slash = part.lastIndexOf('/');
  return `${part.slice(0, slash + 1)}_rels/${part.slice(slash + 1)}.rels`;
}

async function readRels(zip: ZipArchive, part: string): Promise<Map<string, Relationship>> {
  const path = relsPathOf(part);
  const rels = new Map<string, Relationship>();
  if (!zip.entries.has(path)) return rels;
  parseXml(await zip.text(path, SMALL_PART), path, {
    open(name, tag) {
      if (name !== 'Relationship') return;
      const id = attr(tag, 'Id');
      const type = attr(tag, 'Type');
      const target = attr(tag, 'Target');
      if (id && type && target && attr(tag, 'TargetMode') !== 'External') rels.set(id, { type, target: resolvePart(part, target) });
    },
  });
  return rels;
}

const NOT_A_WORKBOOK = 'this zip archive is not an Excel workbook (it has no workbook part); save the data as .xlsx or CSV';

/** Finds the workbook part and reads its sheet list, date system and the paths of shared strings and styles. */
export async function readWorkbook(zip: ZipArchive): Promise<WorkbookInfo> {
  const rootRels = await readRels(zip, '');
  let workbookPath: string | undefined;
  for (const rel of rootRels.values()) if (rel.type.endsWith('/officeDocument')) workbookPath = rel.target;
  workbookPath ??= zip.entries.has('xl/workbook.xml') ? 'xl/workbook.xml' : undefined;
  if (workbookPath === undefined || !zip.entries.has(workbookPath)) {
    if ([...zip.entries.keys()].some((n) => n.startsWith('word/'))) {
      throw new FormatError(
        'unsupported_format',
        'this is a Word document, not a workbook; put the table in a spreadsheet and save it as .xlsx or CSV',
      );
    }
    throw new FormatError('unsupported_format', NOT_A_WORKBOOK);
  }
  if (workbookPath.endsWith('.bin')) {
    throw new FormatError('unsupported_format', 'Excel binary workbooks (.xlsb) are not supported: save it as .xlsx or CSV');
  }
  const rels = await readRels(zip, workbookPath);
  const sheets: SheetRef[] = [];
  let date1904 = false;
  parseXml(await zip.text(workbookPath, SMALL_PART), workbookPath, {
    open(name, tag) {
      if (name === 'workbookPr') {
        const v = attr(tag, 'date1904');
        date1904 = v === '1' || v === 'true';
      } else if (name === 'sheet') {
        const rel = rels.get(attr(tag, 'id') ?? '');
        const state = attr(tag, 'state');
        sheets.push({
          name: attr(tag, 'name') ?? '',
          path: rel?.target ?? '',
          hidden: state === 'hidden' || state === 'veryHidden',
          worksheet: rel?.type.endsWith('/worksheet') === true,
        });
      }
    },
  });
  let sharedStringsPath: string | null = null;
  let stylesPath: string | null = null;
  for (const rel of rels.values()) {
    if (rel.type.endsWith('/sharedStrings') && zip.entries.has(rel.target)) sharedStringsPath = rel.target;
    if (rel.type.endsWith('/styles') && zip.entries.has(rel.target)) stylesPath = rel.target;
  }
  return { sheets, date1904, sharedStringsPath, stylesPath };
}

/** Cell style index (`s` attribute) -> what its number format makes of a number. */
export async function readStyles(zip: ZipArchive, path: string | null): Promise<NumberKind[]> {
  if (path === null) return [];
  const custom = new Map<number, string>();
  const xfFormats: number[] = [];
  let inCellXfs = false;
  parseXml(await zip.text(path, SMALL_PART), path, {
    open(name, tag) {
      if (name === 'numFmt') {
        const id = Number(attr(tag, 'numFmtId'));
        const code = attr(tag, 'formatCode');
        if (Number.isInteger(id) && code !== undefined) custom.set(id, code);
      } else if (name === 'cellXfs') inCellXfs = true;
      else if (name === 'xf' && inCellXfs) xfFormats.push(Number(attr(tag, 'numFmtId') ?? 0));
    },
    close(name) {
      if (name === 'cellXfs') inCellXfs = false;
    },
  });
  return xfFormats.map((id) => (Number.isInteger(id) ? numberKind(id, custom) : 'number'));
}

/**
 * The shared string table, streamed (it can be large). Rich text runs are joined; phonetic guides (`rPh`,
 * furigana) are not part of the text. This array is the only thing kept from the workbook while a sheet is
 * read; it is bounded by the file (and by `maxBytes` of XML).
 */
export async function readSharedStrings(zip: ZipArchive, path: string | null, maxBytes: number): Promise<string[]> {
  if (path === null) return [];
  const strings: string[] = [];
  let current = '';
  let inSi = false;
  let inT = false;
  let phonetic = 0;
  const parser = xmlParser({
    open(name) {
      if (name === 'si') {
        inSi = true;
        current = '';
      } else if (name === 't') inT = true;
      else if (name === 'rPh') phonetic++;
    },
    close(name) {
      if (name === 'si') {
        strings.push(unescapeXstring(current));
        inSi = false;
      } else if (name === 't') inT = false;
      else if (name === 'rPh') phonetic--;
    },
    text(text) {
      if (!(inSi && inT && phonetic === 0)) return;
      current += text;
      if (current.length > MAX_CELL_CHARS) throw cellTooLarge(`shared string ${strings.length + 1} of the workbook`);
    },
  });
  try {
    await parseStream(parser, zip.stream(path, maxBytes));
  } catch (err) {
    if (err instanceof FormatError) throw err;
    throw new FormatError(
      'invalid_xlsx',
      `the workbook's shared strings are not valid XML (${(err as Error).message}); save the workbook again and upload it`,
    );
  }
  return strings;
}
