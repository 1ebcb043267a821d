import type { ModelProto } from './onnx-proto.js';
import type { ModelSchema } from './types.js';

/**
 * The converted graph's metadata saying its class labels stand for booleans: a scikit-learn classifier fitted on a y
 * of True/False (classes_ of dtype bool), whose labels the graph holds as the text `False`/`True`, as pandas writes
 * them in a CSV. Written by @batchcast/importers.
 */
export const LABEL_TYPE_KEY = 'batchcast.label_type';

/**
 * `{ labelType: 'bool' }` when the metadata says so and the labels are `False`/`True` text; otherwise nothing (a
 * label type the platform cannot read leaves the labels text, as they were).
 */
export function readLabelType(model: ModelProto, classLabels: ModelSchema['classLabels']): Pick<ModelSchema, 'labelType'> {
  const entry = (model.metadataProps ?? []).find((p) => p.key === LABEL_TYPE_KEY);
  if (entry?.value !== 'bool' || !classLabels || classLabels.length === 0) return {};
  return classLabels.every((l) => l === 'False' || l === 'True') ? { labelType: 'bool' } : {};
}
