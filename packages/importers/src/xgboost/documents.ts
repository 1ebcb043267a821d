/** XGBoost documents: JSON (with XGBoost's bare NaN / Infinity tokens) and UBJSON, parsed with clear errors. */
import { ModelImportError } from '../errors.js';
import { decodeUbjson, UbjsonError } from './ubjson.js';

/**
 * XGBoost writes NaN (and infinities) as bare tokens, e.g. the split_conditions of categorical splits, which
 * JSON.parse refuses. Outside strings they become the strings "NaN", "Infinity", "-Infinity", which the model
 * reader takes as those numbers.
 */
function quoteNonFinite(text: string): string {
  let out = '';
  let from = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      continue;
    }
    const token = text.startsWith('NaN', i)
      ? 'NaN'
      : text.startsWith('-Infinity', i)
        ? '-Infinity'
        : text.startsWith('Infinity', i)
          ? 'Infinity'
          : null;
    if (token) {
      out += `${text.slice(from, i)}"${token}"`;
      i += token.length - 1;
      from = i + 1;
    }
  }
  return out + text.slice(from);
}

export function parseJson(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ModelImportError(
      'unrecognized_format',
      'This file starts like JSON but is not UTF-8 text, so it is not an XGBoost JSON model.',
    );
  }
  try {
    return JSON.parse(/NaN|Infinity/.test(text) ? quoteNonFinite(text) : text);
  } catch (e) {
    const message = (e as Error).message;
    // A document cut short fails at its end: V8 then says what it expected there ("Expected ',' or '}' after
    // property value in JSON at position N", N its length), not always "end of input".
    const at = /at position (\d+)/.exec(message);
    const atEnd = at !== null && Number(at[1]) >= text.trimEnd().length;
    if (atEnd || /end of (JSON )?input|Unterminated|Unexpected end/i.test(message)) {
      throw new ModelImportError(
        'truncated',
        `The JSON model file is incomplete (${bytes.length} bytes; ${message}). The upload or copy was probably cut short: upload the complete file again.`,
      );
    }
    throw new ModelImportError('unrecognized_format', `This file is not valid JSON (${message}), so it is not an XGBoost JSON model.`);
  }
}

export function parseUbjson(bytes: Uint8Array): unknown {
  try {
    return decodeUbjson(bytes);
  } catch (e) {
    if (!(e instanceof UbjsonError)) throw e;
    if (e.kind === 'truncated') {
      throw new ModelImportError(
        'truncated',
        `The UBJSON model file is incomplete: ${e.message}. The upload or copy was probably cut short: upload the complete .ubj file again.`,
      );
    }
    if (e.kind === 'too_deep')
      throw new ModelImportError('too_large', `The UBJSON file is nested too deeply to be an XGBoost model: ${e.message}.`);
    throw new ModelImportError('unrecognized_format', `This file is not an XGBoost UBJSON model: ${e.message}.`);
  }
}
