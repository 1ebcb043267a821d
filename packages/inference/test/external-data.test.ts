/**
 * Models whose tensors point at files outside the model. ONNX Runtime loads such a tensor from the working
 * directory (the first test shows it does, reading package.json), so every one must be refused, wherever in the
 * model the tensor sits, before ONNX Runtime is given the bytes.
 */
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ModelError, prepareModel, ScoringSession } from '../src/index.js';
import { onnx } from '../src/onnx-proto.js';
import type { GraphProto, NodeProto, TensorProto } from '../src/onnx-proto.js';
import { concatBytes, lenField } from '../src/wire.js';
import { encode, modelBytes } from './helpers.js';

const UINT8 = 2;
const FLOAT = 1;
const INT64 = 7;
const EXTERNAL = 1;
const AttrType = onnx.AttributeProto.AttributeType;

/** A uint8 tensor of `length` bytes read from `location` (relative to the working directory). */
function externalTensor(name: string, location: string, length = 16): TensorProto {
  return onnx.TensorProto.create({
    name,
    dataType: UINT8,
    dims: [length],
    dataLocation: EXTERNAL,
    externalData: [
      onnx.StringStringEntryProto.create({ key: 'location', value: location }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: '0' }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(length) }),
    ],
  });
}

function constantNode(output: string, value: TensorProto, name = 'leak_const'): NodeProto {
  return onnx.NodeProto.create({
    name,
    opType: 'Constant',
    output: [output],
    attribute: [onnx.AttributeProto.create({ name: 'value', type: AttrType.TENSOR, t: value })],
  });
}

function tensorValue(name: string, elemType: number, dims: number[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create({ dimValue: d })) }),
      }),
    }),
  });
}

/** A model around `graph`: X float [2, 1] -> Y float [2, 1] plus whatever the graph adds. */
function model(graph: GraphProto, extra: NonNullable<Parameters<typeof onnx.ModelProto.create>[0]> = {}): Uint8Array {
  return encode(
    onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'hostile-test',
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
      graph,
      ...extra,
    }),
  );
}

function identityGraph(nodes: NodeProto[] = [], more: NonNullable<Parameters<typeof onnx.GraphProto.create>[0]> = {}): GraphProto {
  return onnx.GraphProto.create({
    name: 'g',
    node: [onnx.NodeProto.create({ name: 'id', opType: 'Identity', input: ['X'], output: ['Y'] }), ...nodes],
    input: [tensorValue('X', FLOAT, [2, 1])],
    output: [tensorValue('Y', FLOAT, [2, 1])],
    ...more,
  });
}

/** An If node whose then/else branches are `thenGraph` and a harmless graph; its output is unused. */
function ifNode(thenGraph: GraphProto): NodeProto[] {
  const branch = (g: GraphProto) => g;
  const harmless = onnx.GraphProto.create({
    name: 'else',
    node: [constantNode('e', onnx.TensorProto.create({ name: 'e', dataType: UINT8, dims: [16], rawData: new Uint8Array(16) }), 'e')],
    output: [tensorValue('e', UINT8, [16])],
  });
  return [
    constantNode('cond', onnx.TensorProto.create({ name: 'cond', dataType: 9, dims: [], int32Data: [1] }), 'cond'),
    onnx.NodeProto.create({
      name: 'branching',
      opType: 'If',
      input: ['cond'],
      output: ['unused'],
      attribute: [
        onnx.AttributeProto.create({ name: 'then_branch', type: AttrType.GRAPH, g: branch(thenGraph) }),
        onnx.AttributeProto.create({ name: 'else_branch', type: AttrType.GRAPH, g: harmless }),
      ],
    }),
  ];
}

async function refusal(bytes: Uint8Array): Promise<ModelError> {
  const e = await prepareModel(bytes).then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ModelError);
  return e as ModelError;
}

async function expectExternalDataRefusal(bytes: Uint8Array, where: RegExp): Promise<void> {
  const e = await refusal(bytes);
  expect({ code: e.code, message: e.message }).toEqual({ code: 'external_data', message: expect.stringMatching(where) });
  expect(e.message).toContain('save_as_external_data=False');
  // The session path refuses the same bytes on its own (models registered before the check existed).
  await expect(ScoringSession.create(bytes, null as never, { intraOpNumThreads: 1 })).rejects.toMatchObject({ code: 'external_data' });
}

describe('the threat is real', () => {
  it('ONNX Runtime, given the bytes, reads the file a Constant names (here package.json, relative to the cwd)', async () => {
    const bytes = model(
      onnx.GraphProto.create({
        name: 'leak',
        node: [constantNode('leak', externalTensor('leak', 'package.json'))],
        output: [tensorValue('leak', UINT8, [16])],
      }),
    );
    const session = await ort.InferenceSession.create(bytes);
    try {
      const out = await session.run({});
      const leaked = Buffer.from(out.leak!.data as Uint8Array);
      expect(leaked).toEqual(readFileSync('package.json').subarray(0, 16));
    } finally {
      await session.release();
    }
    // ... which is exactly what registration refuses.
    await expectExternalDataRefusal(bytes, /tensor 'leak' in attribute 'value' of Constant node 'leak_const' in the main graph/);
  });
});

describe('external data is refused wherever the tensor is', () => {
  it('a Constant in the main graph', async () => {
    const bytes = model(identityGraph([constantNode('leak', externalTensor('leak', 'package.json'))]));
    await expectExternalDataRefusal(bytes, /attribute 'value' of Constant node 'leak_const' in the main graph/);
  });

  it('a ConstantOfShape value', async () => {
    const shape = onnx.TensorProto.create({ name: 'shape', dataType: INT64, dims: [1], int64Data: [16] });
    const bytes = model(
      identityGraph([
        constantNode('shape', shape, 'shape'),
        onnx.NodeProto.create({
          name: 'fill',
          opType: 'ConstantOfShape',
          input: ['shape'],
          output: ['filled'],
          attribute: [onnx.AttributeProto.create({ name: 'value', type: AttrType.TENSOR, t: externalTensor('v', 'package.json', 1) })],
        }),
      ]),
    );
    await expectExternalDataRefusal(bytes, /tensor 'v' in attribute 'value' of ConstantOfShape node 'fill'/);
  });

  it('a TENSORS attribute', async () => {
    const node = onnx.NodeProto.create({
      name: 'custom',
      opType: 'Identity',
      input: ['X'],
      output: ['Z'],
      attribute: [onnx.AttributeProto.create({ name: 'many', type: AttrType.TENSORS, tensors: [externalTensor('t', 'package.json')] })],
    });
    await expectExternalDataRefusal(model(identityGraph([node])), /attribute 'many' of Identity node 'custom'/);
  });

  it('a Constant inside an If branch', async () => {
    const then = onnx.GraphProto.create({
      name: 'then',
      node: [constantNode('t', externalTensor('t', 'package.json'))],
      output: [tensorValue('t', UINT8, [16])],
    });
    await expectExternalDataRefusal(model(identityGraph(ifNode(then))), /in a subgraph in attribute 'then_branch' of If node 'branching'/);
  });

  it('a Constant inside a Loop body nested in an If branch', async () => {
    const body = onnx.GraphProto.create({
      name: 'body',
      node: [
        onnx.NodeProto.create({ name: 'keep', opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }),
        constantNode('scan_out', externalTensor('s', 'package.json'), 'deep_const'),
      ],
      input: [tensorValue('i', INT64, []), tensorValue('cond_in', 9, [])],
      output: [tensorValue('cond_out', 9, []), tensorValue('scan_out', UINT8, [16])],
    });
    const loop = onnx.NodeProto.create({
      name: 'looping',
      opType: 'Loop',
      input: ['', 'cond_in'],
      output: ['loop_out'],
      attribute: [onnx.AttributeProto.create({ name: 'body', type: AttrType.GRAPH, g: body })],
    });
    const then = onnx.GraphProto.create({ name: 'then', node: [loop], output: [tensorValue('loop_out', UINT8, [1, 16])] });
    await expectExternalDataRefusal(
      model(identityGraph(ifNode(then))),
      /Constant node 'deep_const' in a subgraph in attribute 'body' of Loop node 'looping' in a subgraph in attribute 'then_branch'/,
    );
  });

  it('an initializer of a subgraph', async () => {
    const then = onnx.GraphProto.create({
      name: 'then',
      node: [onnx.NodeProto.create({ name: 'pass', opType: 'Identity', input: ['w'], output: ['t'] })],
      initializer: [externalTensor('w', 'package.json')],
      output: [tensorValue('t', UINT8, [16])],
    });
    await expectExternalDataRefusal(model(identityGraph(ifNode(then))), /initializer 'w' in a subgraph in attribute 'then_branch'/);
  });

  it('a GRAPHS attribute', async () => {
    const inner = onnx.GraphProto.create({ name: 'inner', initializer: [externalTensor('w', 'package.json')] });
    const node = onnx.NodeProto.create({
      name: 'holder',
      opType: 'Identity',
      input: ['X'],
      output: ['Z'],
      attribute: [onnx.AttributeProto.create({ name: 'graphs', type: AttrType.GRAPHS, graphs: [inner] })],
    });
    await expectExternalDataRefusal(model(identityGraph([node])), /initializer 'w' in a subgraph in attribute 'graphs'/);
  });

  it('a sparse initializer with external values, or external indices', async () => {
    const values = onnx.SparseTensorProto.create({
      values: externalTensor('sparse_w', 'package.json', 2),
      indices: onnx.TensorProto.create({ name: 'idx', dataType: INT64, dims: [2], int64Data: [0, 1] }),
      dims: [4],
    });
    await expectExternalDataRefusal(
      model(identityGraph([], { sparseInitializer: [values] })),
      /values 'sparse_w' in a sparse initializer in the main graph/,
    );
    const indices = onnx.SparseTensorProto.create({
      values: onnx.TensorProto.create({ name: 'sparse_w', dataType: FLOAT, dims: [2], floatData: [1, 2] }),
      indices: externalTensor('idx', 'package.json', 2),
      dims: [4],
    });
    await expectExternalDataRefusal(model(identityGraph([], { sparseInitializer: [indices] })), /indices 'idx' in a sparse initializer/);
  });

  it('a sparse tensor attribute (Constant sparse_value)', async () => {
    const sparse = onnx.SparseTensorProto.create({
      values: externalTensor('sv', 'package.json', 2),
      indices: onnx.TensorProto.create({ name: 'i', dataType: INT64, dims: [2], int64Data: [0, 1] }),
      dims: [4],
    });
    const node = onnx.NodeProto.create({
      name: 'sparse_const',
      opType: 'Constant',
      output: ['s'],
      attribute: [onnx.AttributeProto.create({ name: 'sparse_value', type: AttrType.SPARSE_TENSOR, sparseTensor: sparse })],
    });
    await expectExternalDataRefusal(model(identityGraph([node])), /values 'sv' in a sparse tensor in attribute 'sparse_value'/);
  });

  it('a model-local function whose body has such a Constant', async () => {
    const fn = onnx.FunctionProto.create({
      name: 'Leaky',
      domain: 'local.fn',
      input: [],
      output: ['o'],
      node: [constantNode('o', externalTensor('f', 'package.json'), 'fn_const')],
      opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 17 })],
    });
    const call = onnx.NodeProto.create({ name: 'call', opType: 'Leaky', domain: 'local.fn', output: ['called'] });
    const bytes = model(identityGraph([call]), {
      functions: [fn],
      opsetImport: [
        onnx.OperatorSetIdProto.create({ domain: '', version: 17 }),
        onnx.OperatorSetIdProto.create({ domain: 'local.fn', version: 1 }),
      ],
    });
    await expectExternalDataRefusal(bytes, /Constant node 'fn_const' in function 'Leaky'/);
  });

  it("a function's attribute default (a field the bundled ONNX 1.10 schema does not know)", async () => {
    const fn = onnx.FunctionProto.create({ name: 'WithDefault', domain: 'local.fn', output: ['o'] });
    const attr = onnx.AttributeProto.encode(
      onnx.AttributeProto.create({ name: 'default_value', type: AttrType.TENSOR, t: externalTensor('d', 'package.json') }),
    ).finish();
    // FunctionProto.attribute_proto is field 11 (ONNX 1.13+); protobufjs would drop it, ONNX Runtime reads it.
    const fnBytes = concatBytes([onnx.FunctionProto.encode(fn).finish(), lenField(11, attr)]);
    const bytes = concatBytes([model(identityGraph()), lenField(25, fnBytes)]);
    await expectExternalDataRefusal(bytes, /attribute 'default_value' of function 'WithDefault'/);
  });

  it('a training graph', async () => {
    const training = onnx.TrainingInfoProto.create({
      initialization: onnx.GraphProto.create({ name: 'init', initializer: [externalTensor('w', 'package.json')] }),
    });
    await expectExternalDataRefusal(model(identityGraph(), { trainingInfo: [training] }), /initializer 'w' in a training graph/);
  });

  it('a location entry without data_location=EXTERNAL, and data_location=EXTERNAL without entries', async () => {
    const onlyLocation = externalTensor('w', 'package.json');
    onlyLocation.dataLocation = 0;
    onlyLocation.rawData = new Uint8Array(16);
    await expectExternalDataRefusal(model(identityGraph([], { initializer: [onlyLocation] })), /initializer 'w' in the main graph/);
    const onlyFlag = externalTensor('w', 'package.json');
    onlyFlag.externalData = [];
    await expectExternalDataRefusal(model(identityGraph([], { initializer: [onlyFlag] })), /initializer 'w' in the main graph/);
  });

  it('counts every external tensor and names the first three', async () => {
    const bytes = model(identityGraph([], { initializer: ['a', 'b', 'c', 'd', 'e'].map((n) => externalTensor(n, 'package.json')) }));
    const e = await refusal(bytes);
    expect(e.message).toMatch(
      /keeps 5 tensors in external-data files \(initializer 'a' in the main graph; initializer 'b'.*'c'.* and 2 more\)/,
    );
  });
});

describe('models without external data', () => {
  it('the harmless test graph itself registers (so the refusals above are about the external tensor)', async () => {
    const harmless = model(
      identityGraph([constantNode('k', onnx.TensorProto.create({ name: 'k', dataType: UINT8, dims: [16], rawData: new Uint8Array(16) }))]),
    );
    const p = await prepareModel(harmless);
    expect(p.schema).toMatchObject({ task: 'regressor', valueOutput: 'Y' });
  });

  it('large inline initializers still register', async () => {
    // digits-mlp keeps its weights inline (about 200 kB of raw_data).
    const p = await prepareModel(modelBytes('digits-mlp.onnx'));
    expect(p.schema.task).toBe('classifier');
  });
});
