/**
 * joblib's array layout: joblib.dump pickles a NumpyArrayWrapper(subclass, shape, order, dtype, allow_mmap,
 * numpy_array_alignment_bytes) in place of each array and writes the array right after the wrapper's BUILD opcode,
 * outside the pickle opcodes (joblib.numpy_pickle.NumpyArrayWrapper.write_array / read_array, joblib 0.10 to 1.4):
 *
 * - object arrays: a complete nested pickle (protocol 2) of the array;
 * - other arrays: if numpy_array_alignment_bytes is set (joblib >= 1.2 writing to a seekable file), one byte
 *   holding a padding length n, then n padding bytes, so the data starts aligned; then the raw items in the
 *   wrapper's order ('C' or 'F'), in the dtype's byte order.
 */
import type { ByteReader } from './byte-reader.js';
import { PickleError } from './errors.js';
import { describe } from './py-repr.js';
import { decodeArrayBytes, hasObject, joblibNativeOrder, type NumpyContext, shapeSize } from './numpy.js';
import { NdArray, PyDType, PyGlobal, type PyObject, type PyValue } from './values.js';

const corrupt = (ctx: NumpyContext, message: string) =>
  new PickleError('corrupt', `The joblib file is inconsistent at byte ${ctx.offset}: ${message}.`, ctx.offset);

const ARRAY_TYPES = new Set(['numpy.ndarray', 'numpy.matrix', 'numpy.memmap']);

/** Reads the array a NumpyArrayWrapper stands for from the bytes after it; `loadNested` reads one nested pickle. */
export function readWrappedArray(wrapper: PyObject, reader: ByteReader, ctx: NumpyContext, loadNested: () => PyValue): NdArray {
  const dtype = wrapper.attr('dtype');
  const order = wrapper.attr('order');
  const subclass = wrapper.attr('subclass');
  const alignment = wrapper.attr('numpy_array_alignment_bytes');
  if (!(dtype instanceof PyDType)) throw corrupt(ctx, 'a NumpyArrayWrapper has no dtype');
  if (order !== 'C' && order !== 'F') throw corrupt(ctx, `a NumpyArrayWrapper has order ${describe(order)}`);
  if (subclass !== undefined && !(subclass instanceof PyGlobal && ARRAY_TYPES.has(subclass.qualifiedName))) {
    throw corrupt(ctx, 'a NumpyArrayWrapper wraps something that is not a numpy array');
  }
  const { dims, size } = shapeSize(wrapper.attr('shape') ?? null, ctx);

  if (hasObject(dtype.dtype)) {
    const nested = loadNested();
    if (!(nested instanceof NdArray)) throw corrupt(ctx, 'the pickle of an object array inside a joblib file is not an array');
    if (nested.size !== size) throw corrupt(ctx, 'the object array inside a joblib file does not have the shape its wrapper declares');
    return nested;
  }
  if (typeof alignment === 'number') {
    const padding = reader.u8('joblib array alignment');
    reader.take(padding, 'joblib array alignment padding');
  } else if (alignment !== undefined && alignment !== null) {
    throw corrupt(ctx, 'a NumpyArrayWrapper has an alignment that is not a number');
  }
  // take() refuses a length beyond the file before anything is allocated: a huge declared shape costs nothing.
  const dataOffset = reader.pos;
  const raw = reader.take(size * dtype.dtype.itemSize, `a joblib array of shape (${dims.join(', ')}) and dtype ${dtype.dtype.str}`);
  const data = decodeArrayBytes(dtype.dtype, dims, size, raw, order === 'F', { ...ctx, offset: dataOffset });
  // Values are decoded whatever the byte order; the dtype reports native order as joblib.load's arrays do.
  return new NdArray(joblibNativeOrder(dtype.dtype), dims, data);
}
