/** XGBoost `save_model` files (JSON or UBJSON) -> ONNX. */
import { convertXgboost } from './convert.js';
import type { ConvertedModel } from './convert.js';
import { readXgboostModel } from './model.js';
import { parseJson, parseUbjson } from './documents.js';

export interface XgboostImport extends ConvertedModel {
  version: string | null;
}

export function importXgboost(bytes: Uint8Array, encoding: 'json' | 'ubjson'): XgboostImport {
  const doc = encoding === 'json' ? parseJson(bytes) : parseUbjson(bytes);
  const model = readXgboostModel(doc);
  return { ...convertXgboost(model), version: model.version ? model.version.join('.') : null };
}
