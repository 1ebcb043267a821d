/**
 * ONNX uploads pass through unchanged (prepareModel checks them in depth); this only makes sure the bytes are
 * an ONNX model at all, so a file that merely starts like protobuf gets the importer's error, not a crash later.
 */
import { ModelImportError, ONNX_EXPORT_HINT } from './errors.js';
import { onnx } from './onnx/proto.js';

export function checkOnnx(bytes: Uint8Array): void {
  let graphNodes: number | null = null;
  try {
    const model = onnx.ModelProto.decode(bytes);
    graphNodes = model.graph ? (model.graph.node?.length ?? 0) : null;
  } catch (e) {
    const message = (e as Error).message;
    // MARK, the first byte of most protocol 0 and 1 pickles: reaching here, the file does not end as a pickle does.
    if (bytes[0] === 0x28) {
      throw new ModelImportError(
        'unrecognized_format',
        `This file is neither a complete pickle nor an ONNX model: it starts as a pickle of protocol 0 or 1 does ('('), but does not end as one (with '.'). If it is a pickle, it was cut short: upload the complete file. ${ONNX_EXPORT_HINT}`,
      );
    }
    if (/index out of range/i.test(message)) {
      throw new ModelImportError(
        'truncated',
        `The ONNX model file is incomplete: it ends after ${bytes.length} bytes, in the middle of the model. Upload the complete .onnx file again.`,
      );
    }
    throw new ModelImportError('unrecognized_format', `This file is not a readable ONNX model (${message}). ${ONNX_EXPORT_HINT}`);
  }
  if (graphNodes === null) {
    throw new ModelImportError('unrecognized_format', `This file is not an ONNX model: it has no graph. ${ONNX_EXPORT_HINT}`);
  }
}
