import { csvField } from '@batchcast/csv';
import { getModelBytes, type Pool } from '@batchcast/db';
import { inputCategories, type ModelInput, type ModelSchema } from '@batchcast/inference';
import type { Model } from '../records.js';

export const SAMPLE_ROWS = 5;

// Plausible, valid values for each cell type, one per sample row. The point of the sample is the format
// (the columns the model needs, in a file the platform accepts), not meaningful predictions.
const FLOATS = ['0', '1', '0.5', '2', '1.5'];
const INTS = ['0', '1', '2', '3', '4'];
const BOOLS = ['false', 'true', 'false', 'true', 'false'];

/** The CSV column names of a model, with made-up names (input_1, …) where the model does not name them. */
export function sampleColumns(schema: ModelSchema): { column: string; input: ModelInput }[] {
  return schema.inputs.flatMap((input) => {
    const names =
      input.columns ?? Array.from({ length: input.width }, (_, k) => (input.width === 1 ? input.name : `${input.name}_${k + 1}`));
    return names.map((column) => ({ column, input }));
  });
}

/**
 * A field as results are written (csvField: quoted per RFC 4180 when needed, and a name or category a spreadsheet
 * would run as a formula, `=cmd|x`, behind a `'`: a model's names are a registrant's text, and people open this
 * file in a spreadsheet), and quoted when it has spaces around it, which an unquoted field loses.
 */
const field = (s: string): string => {
  const written = csvField(s);
  return written === s && s !== s.trim() ? `"${s.replaceAll('"', '""')}"` : written;
};

/** Categories of a model's string inputs, read once per model version (versions never change). */
const categoryCache = new Map<string, Map<string, string[]>>();

async function categories(pool: Pool, model: Model, schema: ModelSchema): Promise<Map<string, string[]>> {
  const stringInputs = schema.inputs.filter((i) => i.type === 'string').map((i) => i.name);
  if (stringInputs.length === 0) return new Map(); // numeric models: never load the (possibly large) bytes
  let found = categoryCache.get(model.sha256);
  if (!found) {
    try {
      found = inputCategories(await getModelBytes(pool, model.sha256), stringInputs);
    } catch {
      found = new Map();
    }
    if (categoryCache.size > 100) categoryCache.clear();
    categoryCache.set(model.sha256, found);
  }
  return found;
}

/** The sample's table: the model's columns, the type of the input each feeds, and SAMPLE_ROWS rows of text. */
export interface SampleTable {
  columns: { column: string; input: ModelInput }[];
  rows: string[][];
}

/** Valid values for each column's type (for string columns, categories the model's encoder knows). */
export async function sampleTable(pool: Pool, model: Model): Promise<SampleTable> {
  const schema = model.schema;
  const columns = sampleColumns(schema);
  const known = await categories(pool, model, schema);
  // Columns whose values must be among the encoder's categories (a scikit-learn OneHotEncoder with its default
  // handle_unknown='error', numbers or text): made-up values there ("example 1", 0.5) failed every sample row.
  const required = new Map((schema.knownCategories ?? []).filter((k) => k.values.length > 0).map((k) => [k.column, k.values]));
  const rows: string[][] = [];
  for (let r = 0; r < SAMPLE_ROWS; r++) {
    rows.push(
      columns.map(({ column, input }) => {
        const categories = required.get(column);
        if (categories) return String(categories[r % categories.length]!);
        switch (input.type) {
          case 'float32':
          case 'float64':
            return FLOATS[r]!;
          case 'int32':
          case 'int64':
            return INTS[r]!;
          case 'bool':
            return BOOLS[r]!;
          case 'string': {
            const cats = known.get(input.name);
            return cats && cats.length > 0 ? cats[r % cats.length]! : `example ${r + 1}`;
          }
          default:
            throw new Error(`no sample value for type ${input.type satisfies never}`);
        }
      }),
    );
  }
  return { columns, rows };
}

/**
 * A small CSV that the model accepts: its columns as the header and a few rows of valid values for each
 * column's type (for string columns, categories the model's encoder knows, when it has one).
 */
export async function sampleCsv(pool: Pool, model: Model): Promise<string> {
  const table = await sampleTable(pool, model);
  const lines = [table.columns.map((c) => field(c.column)).join(',')];
  for (const row of table.rows) lines.push(row.map(field).join(','));
  return `${lines.join('\n')}\n`;
}
