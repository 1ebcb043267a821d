import type { Model as ModelView } from '@batchcast/contract';
import { expectedColumns, type Model } from '@batchcast/jobs';
import { outputColumns } from '@batchcast/inference';

/** A model version as the API shows it. */
export function describeModel(m: Model): ModelView {
  const schema = m.schema;
  return {
    name: m.name,
    version: m.version,
    sha256: m.sha256,
    description: m.description,
    task: schema.task,
    inputs: schema.inputs.map((i) => ({ name: i.name, type: i.type, shape: i.shape })),
    columns: expectedColumns(m),
    outputs: schema.outputs,
    classLabels: schema.classLabels,
    predictionColumns: outputColumns(schema),
    createdAt: m.createdAt.toISOString(),
  };
}
