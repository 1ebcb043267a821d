/** XGBoost `save_model` files (JSON or UBJSON) -> ONNX. */
import { ModelImportError } from '../errors.js';
import { convertXgboost } from './convert.js';
import type { ConvertedModel } from './convert.js';
import { readXgboostModel } from './model.js';
import { decodeUbjson, UbjsonError } from './ubjson.js';

export interface XgboostImport extends ConvertedModel {
  version: string | null;
}

function parseJson(bytes: Uint8Array): unknown {
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
    return JSON.parse(text);
  } catch (e) {
    const message = (e as Error).message;
    if (/end of (JSON )?input|Unterminated|Unexpected end/i.test(message)) {
      throw new ModelImportError(
        'truncated',
        `The JSON model file is incomplete (${bytes.length} bytes; ${message}). The upload or copy was probably cut short: upload the complete file again.`,
      );
    }
    throw new ModelImportError('unrecognized_format', `This file is not valid JSON (${message}), so it is not an XGBoost JSON model.`);
  }
}

function parseUbjson(bytes: Uint8Array): unknown {
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

export function importXgboost(bytes: Uint8Array, encoding: 'json' | 'ubjson'): XgboostImport {
  const doc = encoding === 'json' ? parseJson(bytes) : parseUbjson(bytes);
  const model = readXgboostModel(doc);
  return { ...convertXgboost(model), version: model.version ? model.version.join('.') : null };
}
