/**
 * Files built to exhaust a reader: each is refused with a clear limit_exceeded (or corrupt) error, quickly and
 * before the memory it asks for is allocated.
 */
import { readFileSync } from 'node:fs';
import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/pickle/opcodes.js';
import {
  DEFAULT_PICKLE_LIMITS,
  NdArray,
  PickleError,
  PyTuple,
  type PyValue,
  readPickle,
  type ReadPickleOptions,
} from '../src/pickle/index.js';
import { type PickleBuilder, pickle } from './pickle-builder.js';
import { pickleRefusal } from './refusals.js';

/** As pickleRefusal, and the error's cause, if it has one, is a PickleError too. */
function refusal(bytes: Uint8Array, opts: ReadPickleOptions = {}): PickleError {
  const err = pickleRefusal(bytes, opts);
  expect(err.cause === undefined || err.cause instanceof PickleError).toBe(true);
  return err;
}

/** numpy.dtype('<f8') as numpy pickles it, in protocol 4. */
function float64DType(b: PickleBuilder): PickleBuilder {
  return b
    .stackGlobal('numpy', 'dtype')
    .str('f8')
    .op(OP.NEWFALSE)
    .op(OP.NEWTRUE)
    .op(OP.TUPLE3)
    .reduce()
    .dtypeState((b) => b.str('<'));
}

/** A shape tuple of BININTs. */
function shape(b: PickleBuilder, dims: number[]): PickleBuilder {
  b.mark();
  for (const d of dims) b.int(d);
  return b.tuple();
}

describe('memo', () => {
  it('refuses a GET of an index never PUT (LONG_BINGET far beyond the memo)', () => {
    const err = refusal(pickle().proto(2).none().op(OP.LONG_BINPUT).u32(0).op(OP.LONG_BINGET).u32(0xfffffff0).stop().toBytes());
    expect(err.code).toBe('corrupt');
    expect(err.message).toContain('memo has no entry 4294967280');
  });

  it('stores a PUT at index 2^32-1 without allocating a memo of that size', () => {
    const value = readPickle(
      pickle().proto(2).int(7).op(OP.LONG_BINPUT).u32(0xffffffff).op(OP.POP).op(OP.LONG_BINGET).u32(0xffffffff).stop().toBytes(),
    );
    expect(value).toBe(7);
  });

  it('refuses more MEMOIZE entries than maxMemoEntries', () => {
    const bytes = pickle()
      .proto(4)
      .none()
      .repeat(5000, (b) => b.op(OP.MEMOIZE))
      .stop()
      .toBytes();
    expect(readPickle(bytes)).toBeNull();
    const err = refusal(bytes, { maxMemoEntries: 1000 });
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxMemoEntries');
  });

  it('refuses a MEMOIZE bomb under the default limit', () => {
    const n = DEFAULT_PICKLE_LIMITS.maxMemoEntries + 1;
    const bytes = new Uint8Array(n + 4);
    bytes.set([OP.PROTO, 4, OP.NONE]);
    bytes.fill(OP.MEMOIZE, 3, 3 + n);
    bytes[3 + n] = OP.STOP;
    const err = refusal(bytes);
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxMemoEntries');
  });
});

describe('nesting', () => {
  it('refuses MARKs nested beyond maxDepth', () => {
    const bytes = new Uint8Array(200_000).fill(OP.MARK);
    bytes.set([OP.PROTO, 2]);
    const err = refusal(bytes);
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxDepth');
  });

  it('refuses lists nested beyond maxDepth (built bottom-up on the stack)', () => {
    const n = 5000;
    const b = pickle().proto(2);
    for (let i = 0; i < n; i++) b.op(OP.EMPTY_LIST);
    for (let i = 1; i < n; i++) b.op(OP.APPEND);
    const err = refusal(b.stop().toBytes());
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxDepth');
  });

  it('refuses lists nested beyond maxDepth through the memo (built top-down)', () => {
    // l0 = []; then repeatedly: make a new list, keep it in the memo, append it to the previous one.
    const n = 3000;
    const b = pickle().proto(4).op(OP.EMPTY_LIST).op(OP.MEMOIZE);
    for (let i = 1; i < n; i++) b.op(OP.EMPTY_LIST).op(OP.MEMOIZE).op(OP.APPEND).op(OP.POP).op(OP.LONG_BINGET).u32(i);
    b.op(OP.POP).op(OP.LONG_BINGET).u32(0).stop();
    const err = refusal(b.toBytes());
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxDepth');
  });

  it('refuses tuples nested beyond maxDepth with one opcode each (TUPLE1 chain)', () => {
    const bytes = new Uint8Array(1_000_005).fill(OP.TUPLE1);
    bytes.set([OP.PROTO, 2, OP.NONE]);
    bytes[bytes.length - 1] = OP.STOP;
    const err = refusal(bytes);
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxDepth');
  });

  it('refuses more values on the stack than maxStackItems', () => {
    const bytes = new Uint8Array(DEFAULT_PICKLE_LIMITS.maxStackItems + 10).fill(OP.DUP);
    bytes.set([OP.PROTO, 2, OP.NONE]);
    const err = refusal(bytes);
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxStackItems');
  });

  it('keeps shared references shared: a billion-laughs DUP chain costs what its file does', () => {
    // x = (); 100 times: x = (x, x) -- 2^100 leaves if expanded, 100 tuples as read.
    const b = pickle().proto(2).op(OP.EMPTY_TUPLE);
    for (let i = 0; i < 100; i++) b.op(OP.DUP).op(OP.TUPLE2);
    const value = readPickle(b.stop().toBytes());
    let node: PyValue = value;
    for (let depth = 0; depth < 100; depth++) {
      expect(node).toBeInstanceOf(PyTuple);
      const [left, right] = (node as PyTuple).items;
      expect(left).toBe(right);
      node = left as PyValue;
    }
    expect((node as PyTuple).items).toEqual([]);
  });

  it('refuses a reference explosion beyond maxObjects (APPENDS of one value, over and over)', () => {
    // A list made of 1000 references to itself, then set(...) of it 20000 times: 2e7 slots from a 60 kB file.
    const b = pickle().proto(2).op(OP.EMPTY_LIST).op(OP.BINPUT).raw(0).mark();
    for (let i = 0; i < 1000; i++) b.op(OP.BINGET).raw(0);
    b.op(OP.APPENDS).op(OP.POP).op(OP.EMPTY_LIST).mark();
    b.repeat(20_000, (x) => x.global('builtins', 'set').op(OP.BINGET).raw(0).op(OP.TUPLE1).reduce());
    b.op(OP.APPENDS).stop();
    const err = refusal(b.toBytes(), { maxObjects: 1_000_000 });
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxObjects');
    // The message says what and how much, not the reader's option names (no one who reads it can set them).
    expect(err.message).toContain('more than 1000000 objects and container items');
    expect(err.message).not.toMatch(/max[A-Z]/);
  });
});

describe('lengths', () => {
  it('refuses a string longer than maxStringBytes before reading it', () => {
    const bytes = pickle()
      .proto(4)
      .op(OP.BINUNICODE8)
      .u64(1n << 40n)
      .stop()
      .toBytes();
    expect(refusal(bytes).code).toBe('truncated');
    const small = pickle().proto(4).str('x'.repeat(300)).stop().toBytes();
    expect(readPickle(small)).toBe('x'.repeat(300));
    expect(refusal(small, { maxStringBytes: 100 }).limit).toBe('maxStringBytes');
  });

  it('refuses a length beyond the end of the file as truncated, whatever it claims', () => {
    for (const op of [OP.BINBYTES8, OP.BYTEARRAY8, OP.BINUNICODE8, OP.FRAME]) {
      const err = refusal(pickle().proto(5).op(op).u64(1000n).none().stop().toBytes());
      expect(err.code).toBe('truncated');
    }
    expect(refusal(pickle().proto(4).op(OP.BINBYTES).u32(0xffffff00).stop().toBytes(), { maxStringBytes: 2 ** 32 }).code).toBe('truncated');
  });

  it('says the size a 64-bit length declares, and that the file is cut short or damaged', () => {
    // The message used to say "needs 9007199254740991 bytes" (Number.MAX_SAFE_INTEGER) whatever the file declared.
    for (const [op, what, declared] of [
      [OP.FRAME, 'a frame', 1000n],
      [OP.FRAME, 'a frame', 1n << 63n],
      [OP.BINUNICODE8, 'a BINUNICODE8 length', 1n << 40n],
      [OP.BINBYTES8, 'a BINBYTES8 length', 123_456n],
    ] as const) {
      const err = refusal(pickle().proto(5).op(op).u64(declared).none().stop().toBytes());
      expect(err.code).toBe('truncated');
      expect(err.message).toContain(`${what} at byte 3 declares ${declared} bytes, but only 2 remain`);
      expect(err.message).toMatch(/cut short .* or is damaged/);
      expect(err.message).not.toContain(String(Number.MAX_SAFE_INTEGER));
    }
  });

  it('a protocol 4 file cut short in its first frame says how long the frame should have been', () => {
    const whole = new Uint8Array(readFileSync(new URL('./fixtures/pickle/gbr-quantile.p4.pkl', import.meta.url)));
    const declared = new DataView(whole.buffer, whole.byteOffset).getBigUint64(3, true);
    const cut = whole.subarray(0, Number(declared) - 100);
    const err = refusal(cut);
    expect(err.code).toBe('truncated');
    expect(err.message).toContain(`a frame at byte 3 declares ${declared} bytes, but only ${cut.length - 11} remain`);
  });

  it('refuses integers longer than Python itself converts', () => {
    expect(
      refusal(
        pickle()
          .proto(2)
          .op(OP.INT)
          .text(`${'9'.repeat(5000)}\n`)
          .stop()
          .toBytes(),
      ).code,
    ).toBe('limit_exceeded');
    expect(
      refusal(
        pickle()
          .proto(2)
          .op(OP.LONG4)
          .u32(1 << 20)
          .stop()
          .toBytes(),
      ).code,
    ).toBe('limit_exceeded');
    expect(
      readPickle(
        pickle()
          .proto(2)
          .op(OP.INT)
          .text(`${'9'.repeat(30)}\n`)
          .stop()
          .toBytes(),
      ),
    ).toBe(10n ** 30n - 1n);
  });
});

describe('arrays declaring more data than the file holds', () => {
  const reconstruct = (dims: number[]) =>
    shape(
      pickle()
        .proto(4)
        .stackGlobal('numpy.core.multiarray', '_reconstruct')
        .stackGlobal('numpy', 'ndarray')
        .int(0)
        .op(OP.TUPLE1)
        .bytes(Uint8Array.of(0x62))
        .op(OP.TUPLE3)
        .reduce()
        .mark()
        .int(1),
      dims,
    );

  it('reads an honest array', () => {
    const value = readPickle(
      float64DType(reconstruct([2]))
        .op(OP.NEWFALSE)
        .bytes(new Uint8Array(new Float64Array([1.5, -2]).buffer))
        .tuple()
        .build()
        .stop()
        .toBytes(),
    ) as NdArray;
    expect(value).toBeInstanceOf(NdArray);
    expect(Array.from(value.data as Float64Array)).toEqual([1.5, -2]);
  });

  it.each([[[1_000_000_000, 1_000_000_000]], [[2 ** 40, 2 ** 40]], [[1_000_000]]])(
    'refuses _reconstruct of shape %j with 8 bytes of data',
    (dims) => {
      const bytes = float64DType(reconstruct(dims)).op(OP.NEWFALSE).bytes(new Uint8Array(8)).tuple().build().stop().toBytes();
      const err = refusal(bytes);
      expect(err.code).toBe('corrupt');
      expect(err.message).toMatch(/needs \d+ bytes of data but has 8|more elements than any file can hold/);
    },
  );

  it('refuses protocol 5 _frombuffer of a huge shape with 8 bytes of data', () => {
    const b = pickle().proto(5).stackGlobal('numpy.core.numeric', '_frombuffer').mark().bytes(new Uint8Array(8));
    float64DType(b);
    shape(b, [100_000, 100_000]).str('C').tuple().reduce().stop();
    expect(refusal(b.toBytes()).code).toBe('corrupt');
  });

  it('refuses a joblib array of a huge shape before allocating it', () => {
    const b = pickle()
      .proto(4)
      .stackGlobal('joblib.numpy_pickle', 'NumpyArrayWrapper')
      .op(OP.EMPTY_TUPLE)
      .op(OP.NEWOBJ)
      .op(OP.EMPTY_DICT)
      .mark()
      .str('subclass')
      .stackGlobal('numpy', 'ndarray')
      .str('shape');
    shape(b, [1_000_000_000, 1000]).str('order').str('C').str('dtype');
    float64DType(b)
      .str('allow_mmap')
      .op(OP.NEWFALSE)
      .op(OP.SETITEMS)
      .build()
      .raw(...new Uint8Array(64))
      .stop();
    const err = refusal(b.toBytes());
    expect(err.code).toBe('truncated');
    expect(err.message).toContain('a joblib array of shape (1000000000, 1000)');
  });

  it('refuses array data beyond maxArrayBytes in total, even from one shared buffer', () => {
    // One 800-byte buffer in the memo, decoded by 100 arrays: 80 kB from a 2 kB file.
    const b = pickle().proto(5).bytes(new Uint8Array(800)).op(OP.MEMOIZE).op(OP.POP).op(OP.EMPTY_LIST).mark();
    for (let i = 0; i < 100; i++) {
      b.stackGlobal('numpy.core.numeric', '_frombuffer').mark().op(OP.BINGET).raw(0);
      float64DType(b);
      shape(b, [100]).str('C').tuple().reduce();
    }
    const ok = readPickle(b.op(OP.APPENDS).stop().toBytes());
    expect(Array.isArray(ok)).toBe(true);
    expect(refusal(b.toBytes(), { maxArrayBytes: 10_000 }).limit).toBe('maxArrayBytes');
  });
});

describe('compressed bombs', () => {
  const bomb = new Uint8Array(20 * 1024 * 1024); // 20 MiB of zeros: a ~20 kB stream

  it.each([
    ['zlib', deflateSync(bomb)],
    ['gzip', gzipSync(bomb)],
  ])('stops inflating %s at maxDecompressedBytes', (_name, compressed) => {
    expect(compressed.length).toBeLessThan(100_000);
    const err = refusal(new Uint8Array(compressed), { maxDecompressedBytes: 1024 * 1024 });
    expect(err.code).toBe('limit_exceeded');
    expect(err.limit).toBe('maxDecompressedBytes');
  });

  it('reads what fits under the limit', () => {
    const inner = pickle().proto(4).str('ok').stop().toBytes();
    expect(readPickle(new Uint8Array(deflateSync(inner)), { maxDecompressedBytes: inner.length })).toBe('ok');
    expect(refusal(new Uint8Array(deflateSync(inner)), { maxDecompressedBytes: inner.length - 1 }).code).toBe('limit_exceeded');
  });

  it('has a default limit of 1 GiB', () => {
    expect(DEFAULT_PICKLE_LIMITS.maxDecompressedBytes).toBe(1024 ** 3);
  });
});
