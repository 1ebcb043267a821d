/**
 * Feature tables flowing through a converted pipeline. A table is a list of columns, each produced in the graph
 * on demand as a [N, 1] tensor of doubles or strings; a transformer's output is one double matrix [N, k].
 *
 * The model's own input is special: whether it becomes ONE double input [N, F] (named by the feature_names
 * metadata) or one input PER COLUMN (string columns for encoders, like skl2onnx's ColumnTransformer exports)
 * is only known once every consumer has asked for its columns, so InputTable hands out claimed names first and
 * writes the nodes that produce them, in front of the graph, at the end.
 */
import { ModelImportError } from '../errors.js';
import { attr } from '../onnx/attributes.js';
import type { GraphBuilder } from '../onnx/builder.js';
import { concatColumns, int64Const, sliceColumns } from '../onnx/ops.js';
import type { ImputerInFront } from '@batchcast/inference';

export type ColumnKind = 'number' | 'string';

/**
 * Which model input column a column's cells come from, when the platform can tell from that column's cells what
 * a consumer receives (an encoder whose categories it checks, ctx.knownCategories): the column as it is, or as a
 * SimpleImputer filled it. Absent after any other transformer.
 */
export interface Origin {
  /** The CSV column's name. */
  readonly source: string;
  /** The SimpleImputer the column went through: the cells it takes for missing, and what it fills them with. */
  readonly imputer?: ImputerInFront;
}

export interface Column {
  /** For messages: "column 'contract'", "output 3 of StandardScaler". */
  readonly description: string;
  /** The kind the column has, or null when the consumer decides (a model input column). */
  readonly kind: ColumnKind | null;
  /** Where its cells come from, when they are a named model input column's as they are or as an imputer left them. */
  readonly origin?: Origin;
  /** The column as a [N, 1] tensor of doubles or strings. */
  get(b: GraphBuilder, kind: ColumnKind, consumer: string): string;
}

export class Features {
  private matrixValue: string | null = null;

  constructor(
    readonly columns: Column[],
    /** Produces all columns as one double matrix, when there is a cheaper way than concatenating them. */
    private readonly wholeMatrix: ((b: GraphBuilder, consumer: string) => string) | null = null,
  ) {}

  get width(): number {
    return this.columns.length;
  }

  /** All columns as one double matrix [N, width]. */
  matrix(b: GraphBuilder, consumer: string): string {
    if (this.columns.length === 0) throw new ModelImportError('malformed', `${consumer} receives no columns.`);
    this.matrixValue ??= this.wholeMatrix
      ? this.wholeMatrix(b, consumer)
      : concatColumns(
          b,
          this.columns.map((c) => c.get(b, 'number', consumer)),
          'columns',
        );
    return this.matrixValue;
  }

  column(b: GraphBuilder, j: number, kind: ColumnKind, consumer: string): string {
    return this.columns[j]!.get(b, kind, consumer);
  }

  select(indices: number[]): Features {
    return new Features(indices.map((i) => this.columns[i]!));
  }

  /** The output of a transformer: a double matrix [N, width]; `origins[j]`: where column j's cells come from, if known. */
  static fromMatrix(value: string, width: number, producer: string, origins: readonly (Origin | undefined)[] = []): Features {
    const cache = new Map<number, string>();
    const columns: Column[] = Array.from({ length: width }, (_, j) => ({
      description: `output ${j} of ${producer}`,
      kind: 'number' as const,
      ...(origins[j] ? { origin: origins[j] } : {}),
      get(b: GraphBuilder, kind: ColumnKind, consumer: string): string {
        if (kind === 'string') {
          throw new ModelImportError(
            'unsupported_option',
            `${consumer} expects text in a column that ${producer} makes numeric; batchcast cannot convert numbers back to text.`,
          );
        }
        let v = cache.get(j);
        if (v === undefined) {
          v = width === 1 ? value : sliceColumns(b, value, j, j + 1, `${value}_${j}`);
          cache.set(j, v);
        }
        return v;
      },
    }));
    return new Features(columns, () => value);
  }

  /** Columns already in the graph as [N, 1] tensors of a known kind (per-column transformer outputs). */
  static fromColumns(cols: { value: string; kind: ColumnKind; description: string; origin?: Origin }[]): Features {
    return new Features(
      cols.map((c) => ({
        description: c.description,
        kind: c.kind,
        ...(c.origin ? { origin: c.origin } : {}),
        get(_b: GraphBuilder, kind: ColumnKind, consumer: string): string {
          if (kind !== c.kind) {
            throw new ModelImportError(
              'unsupported_option',
              `${consumer} expects ${kind === 'string' ? 'text' : 'numbers'} in ${c.description}, which holds ${c.kind === 'string' ? 'text' : 'numbers'}.`,
            );
          }
          return c.value;
        },
      })),
    );
  }

  /** Side by side (ColumnTransformer's hstack); as a matrix, each part's own matrix is reused. */
  static concat(parts: Features[]): Features {
    if (parts.length === 1) return parts[0]!;
    return new Features(
      parts.flatMap((p) => p.columns),
      (b, consumer) =>
        concatColumns(
          b,
          parts.map((p) => p.matrix(b, consumer)),
          'hstack',
        ),
    );
  }
}

/**
 * The model input: F columns, named by feature_names_in_ when the model was fitted on a DataFrame.
 * Call features() while converting, then finish() once, before the graph is encoded.
 */
export class InputTable {
  private readonly requested = new Map<number, { kind: ColumnKind; value: string; consumer: string }>();
  private whole: string | null = null;
  private finished = false;

  constructor(
    private readonly b: GraphBuilder,
    readonly names: string[] | null,
    readonly width: number,
  ) {
    // Per-column inputs are named exactly like their CSV columns: keep those names for them.
    for (const n of names ?? []) if (!b.isTaken(n)) b.claim(n);
  }

  private describe(j: number): string {
    return this.names ? `column '${this.names[j]}'` : `column ${j}`;
  }

  features(): Features {
    const columns: Column[] = Array.from({ length: this.width }, (_, j) => ({
      description: this.describe(j),
      kind: null,
      ...(this.names ? { origin: { source: this.names[j]! } } : {}),
      get: (b: GraphBuilder, kind: ColumnKind, consumer: string) => this.column(b, j, kind, consumer),
    }));
    return new Features(columns, (b) => this.matrix(b));
  }

  private column(b: GraphBuilder, j: number, kind: ColumnKind, consumer: string): string {
    const seen = this.requested.get(j);
    if (seen) {
      if (seen.kind !== kind) {
        throw new ModelImportError(
          'unsupported_option',
          `${this.describe(j)} is read as ${seen.kind === 'string' ? 'text' : 'numbers'} by ${seen.consumer} and as ` +
            `${kind === 'string' ? 'text' : 'numbers'} by ${consumer}; batchcast gives each CSV column one type.`,
        );
      }
      return seen.value;
    }
    const value = b.name(`col_${this.names?.[j] ?? j}`);
    this.requested.set(j, { kind, value, consumer });
    return value;
  }

  private matrix(b: GraphBuilder): string {
    for (let j = 0; j < this.width; j++) {
      const seen = this.requested.get(j);
      if (seen?.kind === 'string') this.column(b, j, 'number', 'a step that reads every column as numbers');
    }
    this.whole ??= b.name('features');
    return this.whole;
  }

  /** Creates the graph inputs and the nodes that produce every requested column; returns notes. */
  finish(): string[] {
    if (this.finished) throw new Error('InputTable.finish called twice');
    this.finished = true;
    const b = this.b;
    const perColumn = [...this.requested.values()].some((r) => r.kind === 'string');
    if (perColumn && !this.names) {
      throw new ModelImportError(
        'unsupported_option',
        'The model reads some columns as text, but it was fitted on a NumPy array, so the file does not name its ' +
          'columns. Fit it on a pandas DataFrame (the column names are saved with the model) and save it again.',
      );
    }
    // Prelude nodes, in the order they must run; each is put in front of the graph, so they are added in reverse.
    const prelude: (() => void)[] = [];
    const notes: string[] = [];
    if (perColumn) {
      const names = this.names!;
      const used = [...this.requested.keys()].sort((x, y) => x - y);
      for (const j of used) {
        const r = this.requested.get(j)!;
        b.addInput(names[j]!, r.kind === 'string' ? 'string' : 'double', ['N', 1]);
        prelude.push(() => b.node('Identity', [names[j]!], {}, { exact: [r.value], first: true }));
      }
      if (this.whole) {
        const whole = this.whole;
        const parts = Array.from({ length: this.width }, (_, j) => this.requested.get(j)!.value);
        prelude.push(() => b.node('Concat', parts, { axis: attr.int(1) }, { exact: [whole], first: true }));
      }
      b.setMetadata('feature_names', JSON.stringify(used.map((j) => names[j]!)));
      notes.push(
        `One input per CSV column (${used.length}): ${used.map((j) => `${names[j]} (${this.requested.get(j)!.kind === 'string' ? 'text' : 'number'})`).join(', ')}.`,
      );
    } else {
      // Named columns nobody reads (a ColumnTransformer's remainder='drop', text columns among them) are left out
      // of the input, so a CSV needs only the columns the model uses and a text cell in a dropped column cannot fail
      // its row. Without names the input keeps every column: the CSV's columns are then taken by position.
      const used = this.whole || !this.names ? null : [...this.requested.keys()].sort((x, y) => x - y);
      const position = new Map((used ?? []).map((j, k) => [j, k]));
      const input = b.addInput(b.name('input'), 'double', ['N', used ? used.length : this.width]);
      if (this.whole) {
        const whole = this.whole;
        prelude.push(() => b.node('Identity', [input], {}, { exact: [whole], first: true }));
      }
      for (const [j, r] of this.requested) {
        const k = position.get(j) ?? j;
        prelude.push(() =>
          b.node(
            'Slice',
            [input, int64Const(b, 'starts', [k]), int64Const(b, 'ends', [k + 1]), int64Const(b, 'axes', [1])],
            {},
            { exact: [r.value], first: true },
          ),
        );
      }
      if (this.names) b.setMetadata('feature_names', JSON.stringify(used ? used.map((j) => this.names![j]!) : this.names));
      if (used && used.length < this.width) {
        const unused = this.names!.filter((_, j) => !position.has(j));
        notes.push(`Columns the model does not use are not read: ${unused.join(', ')}.`);
      }
    }
    for (const p of prelude.reverse()) p();
    return notes;
  }
}
