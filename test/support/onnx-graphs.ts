import { onnx } from '../../packages/inference/src/onnx-proto.js';

/** A graph input or output: a tensor of ONNX element type `elemType`, its dimensions numbers or named (`N`: any). */
export function tensorInfo(name: string, elemType: number, dims: (number | string)[]): ReturnType<typeof onnx.ValueInfoProto.create> {
  return onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType,
        shape: onnx.TensorShapeProto.create({
          dim: dims.map((d) => onnx.TensorShapeProto.Dimension.create(typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        }),
      }),
    }),
  });
}

const encode = (graph: ReturnType<typeof onnx.GraphProto.create>): Uint8Array =>
  onnx.ModelProto.encode(
    onnx.ModelProto.create({ irVersion: 8, opsetImport: [onnx.OperatorSetIdProto.create({ domain: '', version: 13 })], graph }),
  ).finish();

const int = (name: string, value: number) => onnx.AttributeProto.create({ name, type: onnx.AttributeProto.AttributeType.INT, i: value });

/**
 * `looped` = `input` after `M` turns of a Loop whose body adds 0 to it (`c`: its condition, true): as much work as
 * `M` says, and the input's own values.
 */
function addZeroLoop(): ReturnType<typeof onnx.NodeProto.create> {
  const body = onnx.GraphProto.create({
    name: 'body',
    node: [
      onnx.NodeProto.create({ opType: 'Identity', input: ['cond_in'], output: ['cond_out'] }),
      onnx.NodeProto.create({ opType: 'Add', input: ['v_in', 'zero'], output: ['v_out'] }),
    ],
    initializer: [onnx.TensorProto.create({ name: 'zero', dataType: 1, dims: [], floatData: [0] })],
    input: [tensorInfo('iter', 7, []), tensorInfo('cond_in', 9, []), tensorInfo('v_in', 1, ['N', 4])],
    output: [tensorInfo('cond_out', 9, []), tensorInfo('v_out', 1, ['N', 4])],
  });
  return onnx.NodeProto.create({
    opType: 'Loop',
    input: ['M', 'c', 'input'],
    output: ['looped'],
    attribute: [onnx.AttributeProto.create({ name: 'body', type: onnx.AttributeProto.AttributeType.GRAPH, g: body })],
  });
}

/**
 * A regressor of four float inputs (`input` [N, 4]) that adds 0 to them `M` times in an ONNX Loop and answers each
 * row's sum (`variable` [N, 1]), `M` made by `count`'s nodes and initializers.
 */
function loopGraph(
  name: string,
  count: { node?: ReturnType<typeof onnx.NodeProto.create>[]; initializer: ReturnType<typeof onnx.TensorProto.create>[] },
): Uint8Array {
  return encode(
    onnx.GraphProto.create({
      name,
      node: [
        ...(count.node ?? []),
        addZeroLoop(),
        onnx.NodeProto.create({ opType: 'ReduceSum', input: ['looped', 'axes'], output: ['variable'], attribute: [int('keepdims', 1)] }),
      ],
      initializer: [
        ...count.initializer,
        onnx.TensorProto.create({ name: 'c', dataType: 9, dims: [], int32Data: [1] }),
        onnx.TensorProto.create({ name: 'axes', dataType: 7, dims: [1], int64Data: [1] }),
      ],
      input: [tensorInfo('input', 1, ['N', 4])],
      output: [tensorInfo('variable', 1, ['N', 1])],
    }),
  );
}

/** loopGraph of `iterations` turns: the right shapes, a run as long as one asks (10^12: for ever). */
export function loopingModel(iterations: number): Uint8Array {
  return loopGraph('loop', { initializer: [onnx.TensorProto.create({ name: 'M', dataType: 7, dims: [], int64Data: [iterations] })] });
}

/**
 * loopGraph whose count is the rows' largest value times `perUnit` (`a` = 0 everywhere: no iteration at all): a
 * model whose run takes as long as its rows make it, quick for some requests and slow for others.
 */
export function rowDrivenLoopModel(perUnit: number): Uint8Array {
  return loopGraph('row-driven-loop', {
    node: [
      onnx.NodeProto.create({ opType: 'ReduceMax', input: ['input'], output: ['largest'], attribute: [int('keepdims', 0)] }),
      onnx.NodeProto.create({ opType: 'Mul', input: ['largest', 'per_unit'], output: ['count_f'] }),
      onnx.NodeProto.create({ opType: 'Cast', input: ['count_f'], output: ['M'], attribute: [int('to', 7)] }),
    ],
    initializer: [onnx.TensorProto.create({ name: 'per_unit', dataType: 1, dims: [], floatData: [perUnit] })],
  });
}

/**
 * A regressor of four float inputs that also makes a tensor of `elements` zeros (ConstantOfShape [1, elements],
 * 4 bytes each) and adds its sum, 0, to each row's sum: right answers, at the price of that much memory per run.
 */
export function hugeTensorModel(elements: number): Uint8Array {
  return encode(
    onnx.GraphProto.create({
      name: 'huge',
      node: [
        onnx.NodeProto.create({ opType: 'ConstantOfShape', input: ['shape'], output: ['zeros'] }),
        onnx.NodeProto.create({ opType: 'ReduceSum', input: ['zeros'], output: ['nothing'], attribute: [int('keepdims', 0)] }),
        onnx.NodeProto.create({ opType: 'ReduceSum', input: ['input', 'axes'], output: ['sum'], attribute: [int('keepdims', 1)] }),
        onnx.NodeProto.create({ opType: 'Add', input: ['sum', 'nothing'], output: ['variable'] }),
      ],
      initializer: [
        onnx.TensorProto.create({ name: 'shape', dataType: 7, dims: [2], int64Data: [1, elements] }),
        onnx.TensorProto.create({ name: 'axes', dataType: 7, dims: [1], int64Data: [1] }),
      ],
      input: [tensorInfo('input', 1, ['N', 4])],
      output: [tensorInfo('variable', 1, ['N', 1])],
    }),
  );
}
