import type { Model as ModelView } from '@batchcast/contract';
import { expectedColumns, type Model, originalFilename } from '@batchcast/jobs';
import { outputColumns } from '@batchcast/inference';

/** Where an admin downloads the file a model version was registered from. */
export const originalPath = (m: Pick<Model, 'name' | 'version'>): string =>
  `/api/models/${encodeURIComponent(m.name)}/versions/${m.version}/original`;

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
    format: m.format,
    library: m.library,
    libraryVersion: m.libraryVersion,
    converted: m.converted,
    original: m.original
      ? { filename: originalFilename(m), bytes: m.original.size, sha256: m.original.sha256, download: originalPath(m) }
      : null,
  };
}
