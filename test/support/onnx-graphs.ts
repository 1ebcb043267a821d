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
