/**
 * A small typed builder for ONNX models: graph inputs and outputs, initializers, nodes with typed attributes,
 * opset imports and metadata_props, encoded with onnx-proto. Value names are made unique by the builder, so
 * converters name values after what they hold ("scaled", "proba") without tracking collisions.
 */
import { encodeAttribute } from './attributes.js';
import type { Attrs } from './attributes.js';
import { makeTensor } from './tensor.js';
import type { TensorData } from './tensor.js';
import { ELEM_TYPES, onnx } from './proto.js';
import type { ElemTypeName, ModelProto, NodeProto, TensorProto, ValueInfoProto } from './proto.js';

export const ML_DOMAIN = 'ai.onnx.ml';

/** A dimension: fixed (number), symbolic (string, e.g. 'N') or unknown (null). */
export type Dim = number | string | null;

export interface BuilderOptions {
  graphName: string;
  /** producer_name / producer_version of the model, e.g. 'batchcast-importers' and 'scikit-learn 1.2.1'. */
  producerName?: string;
  producerVersion?: string;
  /** ai.onnx (default 21) and ai.onnx.ml (default 5: TreeEnsemble with double outputs) opset versions. */
  opset?: number;
  mlOpset?: number;
  /** ONNX IR version (default 10, read by onnxruntime 1.17 and later). */
  irVersion?: number;
}

export interface NodeOptions {
  domain?: string;
  /** How many outputs (default 1), or their name hints (made unique). */
  outputs?: number | string[];
  /** Exact output names, already claimed with `claim` (instead of `outputs`). */
  exact?: string[];
  /** Name hint of the outputs and the node. */
  name?: string;
  /** Put the node before every other node (it must only read graph inputs and initializers). */
  first?: boolean;
}

function valueInfo(name: string, type: ElemTypeName, shape: Dim[]): ValueInfoProto {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[type],
        shape: { dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : typeof d === 'string' ? { dimParam: d } : {})) },
      },
    },
  });
}

export class GraphBuilder {
  private readonly taken = new Set<string>();
  private readonly counters = new Map<string, number>();
  private readonly nodes: NodeProto[] = [];
  private readonly initializers: TensorProto[] = [];
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly metadata = new Map<string, string>();

  constructor(private readonly opts: BuilderOptions) {}

  /** A fresh value name starting with `hint`. */
  name(hint: string): string {
    const base = hint.replace(/[^A-Za-z0-9_.:/-]+/g, '_') || 'v';
    if (!this.taken.has(base)) {
      this.taken.add(base);
      return base;
    }
    let n = this.counters.get(base) ?? 1;
    let candidate = `${base}_${n}`;
    while (this.taken.has(candidate)) candidate = `${base}_${++n}`;
    this.counters.set(base, n + 1);
    this.taken.add(candidate);
    return candidate;
  }

  /** Claims an exact name (graph inputs are named after CSV columns); throws when it is already used. */
  claim(name: string): string {
    if (this.taken.has(name)) throw new Error(`ONNX value name '${name}' is used twice`);
    this.taken.add(name);
    return name;
  }

  isTaken(name: string): boolean {
    return this.taken.has(name);
  }

  /** A graph input with exactly this name (already claimed, or claimed now). */
  addInput(name: string, type: ElemTypeName, shape: Dim[]): string {
    if (!this.taken.has(name)) this.claim(name);
    this.inputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** Makes `value` a graph output named `hint` (or `hint_2`... when taken), through an Identity; returns the name. */
  addOutput(value: string, hint: string, type: ElemTypeName, shape: Dim[]): string {
    const name = this.name(hint);
    this.node('Identity', [value], {}, { exact: [name] });
    this.outputs.push(valueInfo(name, type, shape));
    return name;
  }

  /** An initializer holding `data` with the given dims (default 1-D). */
  constant(hint: string, data: TensorData, dims?: number[]): string {
    const name = this.name(hint);
    this.initializers.push(makeTensor(name, data, dims ?? [data.values.length]));
    return name;
  }

  /**
   * Appends a node (nodes must be added in an order where every input already exists) and returns its outputs'
   * names.
   */
  node(opType: string, inputs: string[], attrs: Attrs = {}, opts: NodeOptions = {}): string[] {
    let outputs: string[];
    if (opts.exact) {
      for (const e of opts.exact) if (!this.taken.has(e)) throw new Error(`ONNX value name '${e}' was not claimed`);
      outputs = opts.exact;
    } else {
      const hints = typeof opts.outputs === 'object' ? opts.outputs : Array.from({ length: opts.outputs ?? 1 }, () => opts.name ?? opType);
      outputs = hints.map((h) => this.name(h));
    }
    const node = onnx.NodeProto.create({
      name: this.name(`${opts.name ?? opType}_node`),
      opType,
      domain: opts.domain ?? '',
      input: inputs,
      output: outputs,
      attribute: Object.entries(attrs).map(([k, a]) => encodeAttribute(k, a)),
    });
    if (opts.first) this.nodes.unshift(node);
    else this.nodes.push(node);
    return outputs;
  }

  /** A node with one output; returns its name. */
  op(opType: string, inputs: string[], attrs: Attrs = {}, opts: Omit<NodeOptions, 'outputs' | 'exact'> = {}): string {
    return this.node(opType, inputs, attrs, { ...opts, outputs: 1 })[0]!;
  }

  setMetadata(key: string, value: string): void {
    this.metadata.set(key, value);
  }

  toModel(): ModelProto {
    return onnx.ModelProto.create({
      irVersion: this.opts.irVersion ?? 10,
      producerName: this.opts.producerName ?? 'batchcast-importers',
      producerVersion: this.opts.producerVersion ?? '',
      opsetImport: [
        { domain: '', version: this.opts.opset ?? 21 },
        { domain: ML_DOMAIN, version: this.opts.mlOpset ?? 5 },
      ],
      metadataProps: [...this.metadata].map(([key, value]) => ({ key, value })),
      graph: {
        name: this.opts.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
    });
  }

  encode(): Uint8Array {
    return onnx.ModelProto.encode(this.toModel()).finish();
  }
}
