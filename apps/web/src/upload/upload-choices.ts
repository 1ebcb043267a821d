import { encodingOfLabel } from '@batchcast/bytes';
import type { UploadFields } from '@batchcast/contract';
import type { UploadChoices } from '@batchcast/jobs';

const DELIMITERS = { ',': ',', comma: ',', ';': ';', semicolon: ';', '\t': '\t', tab: '\t', '|': '|', pipe: '|' } as const;
const DECIMALS = { '.': '.', point: '.', ',': ',', comma: ',' } as const;

/**
 * The upload form's overrides of detection (the contract has validated them) as the domain takes them:
 * words (`semicolon`, `tab`, `comma`) are the characters, an encoding label is its WHATWG name (`latin1` is
 * windows-1252), and empty or `auto` means "detect".
 */
export function uploadChoices(fields: Pick<UploadFields, 'delimiter' | 'decimal' | 'sheet' | 'encoding' | 'header'>): UploadChoices {
  const choices: UploadChoices = {};
  if (fields.delimiter && fields.delimiter !== 'auto') choices.delimiter = DELIMITERS[fields.delimiter];
  if (fields.decimal && fields.decimal !== 'auto') choices.decimal = DECIMALS[fields.decimal];
  if (fields.sheet?.trim()) choices.sheet = fields.sheet.trim();
  const label = fields.encoding?.trim().toLowerCase();
  const encoding = label && label !== 'auto' ? encodingOfLabel(label) : null;
  if (encoding !== null) choices.encoding = encoding;
  if (fields.header === 'none') choices.header = 'none';
  return choices;
}

/**
 * The choices of a form the server refused, to show them chosen again: each field as uploadChoices reads it,
 * a value it does not know (the contract's refusal may be the reason) left out rather than refused again.
 */
export function formChoices(body: unknown): UploadChoices {
  const fields = (body ?? {}) as Record<string, unknown>;
  const known = <T extends object>(map: T, value: unknown): keyof T | undefined =>
    typeof value === 'string' && Object.hasOwn(map, value) ? (value as keyof T) : undefined;
  return uploadChoices({
    delimiter: known(DELIMITERS, fields.delimiter),
    decimal: known(DECIMALS, fields.decimal),
    sheet: typeof fields.sheet === 'string' ? fields.sheet : undefined,
    encoding: typeof fields.encoding === 'string' ? fields.encoding : undefined,
    header: fields.header === 'none' ? 'none' : undefined,
  });
}

/** Whether two sets of choices say the same thing (the fields seen before the file, and all of them). */
export const sameChoices = (a: UploadChoices, b: UploadChoices): boolean =>
  a.delimiter === b.delimiter && a.decimal === b.decimal && a.sheet === b.sheet && a.encoding === b.encoding && a.header === b.header;
