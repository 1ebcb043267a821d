/**
 * Dates in a workbook are numbers (days since an epoch) that a number format shows as dates. Which formats
 * are dates, and the conversion of serial numbers to ISO text, as Excel does it.
 */

/** How a number format shows a number. `duration`: elapsed time ([h]:mm) — kept as a number. */
export type NumberKind = 'number' | 'date' | 'datetime' | 'time';

/** Built-in format ids (ECMA-376 18.8.30, plus the East Asian ids Excel uses) that are dates or times. */
const BUILTIN: Record<number, NumberKind> = {
  14: 'date',
  15: 'date',
  16: 'date',
  17: 'date',
  18: 'time',
  19: 'time',
  20: 'time',
  21: 'time',
  22: 'datetime',
  45: 'time',
  47: 'time',
  27: 'date',
  28: 'date',
  29: 'date',
  30: 'date',
  31: 'date',
  32: 'time',
  33: 'time',
  34: 'time',
  35: 'time',
  36: 'date',
  50: 'date',
  51: 'date',
  52: 'date',
  53: 'date',
  54: 'date',
  55: 'time',
  56: 'time',
  57: 'date',
  58: 'date',
};

/** What a number format (by id, with the workbook's custom codes) makes of a number. */
export function numberKind(numFmtId: number, custom: ReadonlyMap<number, string>): NumberKind {
  const code = custom.get(numFmtId);
  if (code !== undefined) return kindOfCode(code);
  return BUILTIN[numFmtId] ?? 'number';
}

/**
 * Reads a format code: the first section (positive numbers) decides. Quoted text, escaped characters and
 * bracketed parts (colours, conditions, locales) are not tokens; `[h]`, `[mm]`, `[ss]` are elapsed time, which
 * is a quantity, not a date, so such formats are numbers.
 */
export function kindOfCode(code: string): NumberKind {
  const section = splitFirstSection(code);
  if (/\[(h+|m+|s+)\]/i.test(section)) return 'number';
  const bare = section
    .replace(/"[^"]*"/g, '')
    .replace(/\\./g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/AM\/PM|A\/P/gi, 'h')
    .replace(/_.|\*./g, '');
  if (/^general$/i.test(bare.trim())) return 'number';
  const date = /[yd]/i.test(bare);
  const time = /[hs]/i.test(bare);
  if (date && time) return 'datetime';
  if (date) return 'date';
  if (time) return 'time';
  // `m` alone (e.g. `mmm`): a month name.
  if (/m/i.test(bare)) return 'date';
  return 'number';
}

function splitFirstSection(code: string): string {
  let inQuote = false;
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"') inQuote = !inQuote;
    else if (c === '\\') i++;
    else if (c === ';' && !inQuote) return code.slice(0, i);
  }
  return code;
}

const MS_PER_DAY = 86_400_000;
/** 1899-12-30: day 0 of the 1900 system for serials after the fictitious 1900-02-29. */
const EPOCH_1900 = Date.UTC(1899, 11, 30);
const EPOCH_1904 = Date.UTC(1904, 0, 1);
/** 9999-12-31, the last day Excel shows. */
const MAX_SERIAL = 2_958_465;

/**
 * ISO text of a serial date: `YYYY-MM-DD` (date), `YYYY-MM-DDTHH:MM:SS[.mmm]` (datetime), `HH:MM:SS[.mmm]`
 * (time), to the millisecond, the fraction written only when there is one: Excel stores times as fractions of
 * a day, and a format that shows seconds hides milliseconds the cell still holds (pandas and openpyxl read
 * 10:11:12.123, and results must give it back). Null for a serial no date format can show (negative, after
 * 9999), which is then written as the number it is.
 *
 * The 1900 system counts the 29th of February 1900 that never was (a Lotus 1-2-3 bug Excel kept): serial 60
 * is that day, written `1900-02-29` as Excel shows it; serials before it are one day later than a plain count.
 */
export function serialToIso(serial: number, kind: 'date' | 'datetime' | 'time', date1904: boolean): string | null {
  if (!Number.isFinite(serial) || serial < 0 || serial >= MAX_SERIAL + 1) return null;
  let days = Math.floor(serial);
  let ms = Math.round((serial - days) * 86_400_000);
  if (ms === 86_400_000) {
    days += 1;
    ms = 0;
  }
  const seconds = Math.floor(ms / 1000);
  const fraction = ms % 1000 === 0 ? '' : `.${String(ms % 1000).padStart(3, '0')}`;
  const time = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}${fraction}`;
  if (kind === 'time') return time;
  let date: string;
  if (!date1904 && days === 60) date = '1900-02-29';
  else {
    const epochDays = !date1904 && days < 60 ? days + 1 : days;
    const ms = (date1904 ? EPOCH_1904 : EPOCH_1900) + epochDays * MS_PER_DAY;
    date = new Date(ms).toISOString().slice(0, 10);
  }
  return kind === 'date' ? date : `${date}T${time}`;
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
