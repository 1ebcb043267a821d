import { CHOOSABLE_ENCODINGS, encodingOfLabel } from '@batchcast/bytes';
import { UsageError } from './args.js';

/**
 * submit's --delimiter, --decimal, --encoding, --sheet and --no-header as the upload's form fields, checked here first: the
 * server would refuse a wrong one only once the file had been sent, in its API's words (a literal tab in the
 * list of delimiters). The values are the server's own (UploadFields in @batchcast/contract).
 */
// '' and auto: detected, as the server takes them (an empty variable in a script).
const DELIMITERS = ['', 'comma', 'semicolon', 'tab', 'pipe', ',', ';', '|', 'auto'];
const DECIMALS = ['', 'point', 'comma', '.', ',', 'auto'];

export function readingOptions(values: {
  delimiter?: string | undefined;
  decimal?: string | undefined;
  encoding?: string | undefined;
  sheet?: string | undefined;
  'no-header'?: boolean | undefined;
}): Record<string, string> {
  const fields: Record<string, string> = {};
  if (values.delimiter !== undefined) {
    // A real tab typed through the shell ($'\t') is the tab as well.
    const d = values.delimiter === '\t' ? 'tab' : values.delimiter.toLowerCase();
    if (!DELIMITERS.includes(d))
      throw new UsageError(`--delimiter: "${values.delimiter}" is not one of comma, semicolon, tab, pipe (or , ; |), or auto to detect it`);
    fields.delimiter = d;
  }
  if (values.decimal !== undefined) {
    const c = values.decimal.toLowerCase();
    if (!DECIMALS.includes(c))
      throw new UsageError(`--decimal: "${values.decimal}" is not one of point, comma (or . ,), or auto to detect it`);
    if ((c === 'comma' || c === ',') && (fields.delimiter === 'comma' || fields.delimiter === ','))
      throw new UsageError('--decimal comma needs another delimiter than the comma: give --delimiter semicolon, tab or pipe');
    fields.decimal = c;
  }
  if (values.encoding !== undefined) {
    const e = values.encoding.trim();
    if (e !== '' && e.toLowerCase() !== 'auto' && encodingOfLabel(e) === null)
      throw new UsageError(
        `--encoding: "${values.encoding}" is not a text encoding batchcast reads: give a name browsers know (${CHOOSABLE_ENCODINGS.map(([name]) => name).join(', ')}, or another WHATWG label), or auto to detect it`,
      );
    fields.encoding = e;
  }
  if (values.sheet !== undefined) fields.sheet = values.sheet;
  if (values['no-header']) fields.header = 'none';
  return fields;
}
