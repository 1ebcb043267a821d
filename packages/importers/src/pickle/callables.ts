/**
 * Our own implementation of every allow-listed function a pickle may call (REDUCE). Python would import and run
 * them; here each is a few lines that build the plain value the call would have returned, after checking its
 * arguments. Nothing here resolves a name or calls anything named by the file.
 */
import { lookupGlobal } from './allow-list.js';
import { PickleError } from './errors.js';
import { dtypeFromReduce, frombuffer, type NumpyContext, reconstructPlaceholder, scalar } from './numpy.js';
import { PyBytes, PyComplex, PyDict, PyGlobal, PyObject, PySet, PySlice, PyTuple, type PyValue } from './values.js';

export type Callable = (args: PyValue[], kwargs: PyDict | null, ctx: NumpyContext) => PyValue;

const corrupt = (ctx: NumpyContext, message: string) =>
  new PickleError('corrupt', `The pickle is inconsistent at byte ${ctx.offset}: ${message}.`, ctx.offset);

/** The items of an iterable argument (list, tuple, set) as pickles pass them to set(), frozenset() ... */
function iterableItems(v: PyValue | undefined, what: string, ctx: NumpyContext): PyValue[] {
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (v instanceof PySet) return v.items;
  throw corrupt(ctx, `${what} is called with something that is not a list`);
}

const ENCODINGS = new Set(['latin1', 'latin-1', 'iso-8859-1', 'iso8859-1', 'ascii', 'utf-8', 'utf8']);

/** `_codecs.encode(text, encoding)`: how protocol 2 writes bytes (as latin1 text). */
function encode(args: PyValue[], ctx: NumpyContext): PyBytes {
  const [text, encoding = 'utf-8'] = args;
  if (typeof text !== 'string' || typeof encoding !== 'string' || !ENCODINGS.has(encoding.toLowerCase())) {
    throw corrupt(ctx, '_codecs.encode is called with arguments other than (text, "latin1")');
  }
  ctx.budget.arrayBytesUsed(text.length, ctx.offset);
  if (encoding.toLowerCase().startsWith('utf')) return new PyBytes(new TextEncoder().encode(text));
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) throw corrupt(ctx, `_codecs.encode cannot encode character ${c} as ${encoding}`);
    out[i] = c;
  }
  return new PyBytes(out);
}

/** bytes(), bytes(b'..'), bytes([ints]) and bytearray(...) / bytearray(text, encoding). */
function bytesOf(args: PyValue[], mutable: boolean, ctx: NumpyContext): PyBytes {
  const [src, encoding] = args;
  if (src === undefined) return new PyBytes(new Uint8Array(0), mutable);
  // Never copied: a file referring to one big bytes object many times must not cost a copy each time.
  if (src instanceof PyBytes) return new PyBytes(src.bytes, mutable);
  if (typeof src === 'string' && typeof encoding === 'string') return new PyBytes(encode([src, encoding], ctx).bytes, mutable);
  if (Array.isArray(src) && src.every((b) => typeof b === 'number' && Number.isInteger(b) && b >= 0 && b <= 255)) {
    ctx.budget.arrayBytesUsed(src.length, ctx.offset);
    return new PyBytes(Uint8Array.from(src as number[]), mutable);
  }
  throw corrupt(ctx, `${mutable ? 'bytearray' : 'bytes'} is called with arguments it does not take`);
}

function newObject(cls: PyValue | undefined, args: PyValue[], kwargs: PyDict | null, ctx: NumpyContext): PyObject {
  if (!(cls instanceof PyGlobal) || lookupGlobal(cls.module, cls.name)?.kind !== 'class') {
    throw corrupt(ctx, 'an object is created from something that is not an allowed class');
  }
  ctx.budget.objectsUsed(1 + args.length, ctx.offset);
  return new PyObject(cls.module, cls.name, args, kwargs);
}

/** A RandomState / Generator / bit generator: recorded, never seeded nor drawn from. */
function randomRecord(module: string, name: string): Callable {
  return (args, _kwargs, ctx) => {
    ctx.budget.objectsUsed(1 + args.length, ctx.offset);
    return new PyObject(module, name, args);
  };
}

/** Cython's `__pyx_unpickle_<Class>(cls, checksum, state)`: the class with its state tuple. */
function cythonUnpickle(className: string): Callable {
  return (args, _kwargs, ctx) => {
    const [cls, , state] = args;
    if (!(cls instanceof PyGlobal) || cls.name !== className || lookupGlobal(cls.module, cls.name)?.kind !== 'class') {
      throw corrupt(ctx, `__pyx_unpickle_${className} is called for another class`);
    }
    const obj = new PyObject(cls.module, cls.name);
    obj.state = state ?? null;
    ctx.budget.objectsUsed(1, ctx.offset);
    return obj;
  };
}

const CALLABLES = new Map<string, Callable>([
  ['numpy.core.multiarray._reconstruct', (args, _kw, ctx) => reconstructFor(args, ctx)],
  ['numpy.core.multiarray.scalar', (args, _kw, ctx) => scalar(args, ctx)],
  ['numpy.core.numeric._frombuffer', (args, _kw, ctx) => frombuffer(args, ctx)],
  ['numpy.dtype', (args, _kw, ctx) => dtypeFromReduce(args, ctx)],
  [
    'builtins.set',
    (args, _kw, ctx) => {
      const items = iterableItems(args[0], 'set', ctx);
      ctx.budget.objectsUsed(1 + items.length, ctx.offset);
      return new PySet(items.slice(), false);
    },
  ],
  [
    'builtins.frozenset',
    (args, _kw, ctx) => {
      const items = iterableItems(args[0], 'frozenset', ctx);
      ctx.budget.objectsUsed(1 + items.length, ctx.offset);
      return new PySet(items.slice(), true);
    },
  ],
  [
    'builtins.slice',
    (args, _kw, ctx) => {
      if (args.length < 1 || args.length > 3) throw corrupt(ctx, 'slice is called with a wrong number of arguments');
      const [a, b, c] = args;
      return args.length === 1 ? new PySlice(null, a ?? null, null) : new PySlice(a ?? null, b ?? null, c ?? null);
    },
  ],
  [
    'builtins.complex',
    (args, _kw, ctx) => {
      const [re = 0, im = 0] = args;
      if (typeof re !== 'number' || typeof im !== 'number') throw corrupt(ctx, 'complex is called with arguments that are not numbers');
      return new PyComplex(re, im);
    },
  ],
  ['builtins.bytes', (args, _kw, ctx) => bytesOf(args, false, ctx)],
  ['builtins.bytearray', (args, _kw, ctx) => bytesOf(args, true, ctx)],
  ['_codecs.encode', (args, _kw, ctx) => encode(args, ctx)],
  [
    'collections.OrderedDict',
    (args, _kw, ctx) => {
      // OrderedDict pickles as OrderedDict() followed by SETITEMS: a PyDict keeps insertion order anyway.
      if (args.length > 0) throw corrupt(ctx, 'OrderedDict is called with arguments');
      ctx.budget.objectsUsed(1, ctx.offset);
      return new PyDict();
    },
  ],
  [
    'copyreg._reconstructor',
    (args, _kw, ctx) => {
      // copyreg._reconstructor(cls, base, state): protocols 0 and 1 create objects this way; base is object (or a
      // builtin container the class derives from), state is None for plain objects.
      const [cls, base, state] = args;
      if (!(base instanceof PyGlobal) || !['builtins.object', 'builtins.list', 'builtins.dict'].includes(base.qualifiedName)) {
        throw corrupt(ctx, 'copyreg._reconstructor is called with an unexpected base class');
      }
      if (state !== null && state !== undefined) throw corrupt(ctx, 'copyreg._reconstructor is called with a base state');
      return newObject(cls, [], null, ctx);
    },
  ],
  ['copyreg.__newobj__', (args, _kw, ctx) => newObject(args[0], args.slice(1), null, ctx)],
  [
    'copyreg.__newobj_ex__',
    (args, _kw, ctx) => {
      const [cls, a, kw] = args;
      if (!(a instanceof PyTuple) || !(kw instanceof PyDict))
        throw corrupt(ctx, 'copyreg.__newobj_ex__ is called without (cls, args, kwargs)');
      return newObject(cls, a.items, kw, ctx);
    },
  ],
  ['numpy.random._pickle.__randomstate_ctor', randomRecord('numpy.random.mtrand', 'RandomState')],
  ['numpy.random.mtrand.__RandomState_ctor', randomRecord('numpy.random.mtrand', 'RandomState')],
  ['numpy.random._pickle.__generator_ctor', randomRecord('numpy.random._generator', 'Generator')],
  ['numpy.random._pickle.__bit_generator_ctor', randomRecord('numpy.random.bit_generator', 'BitGenerator')],
]);

function reconstructFor(args: PyValue[], ctx: NumpyContext): PyValue {
  const subtype = args[0];
  if (!(subtype instanceof PyGlobal) || !['numpy.ndarray', 'numpy.matrix', 'numpy.memmap'].includes(subtype.qualifiedName)) {
    throw corrupt(ctx, '_reconstruct is called for something other than a numpy array type');
  }
  ctx.budget.objectsUsed(1, ctx.offset);
  return reconstructPlaceholder();
}

/** The implementation of an allow-listed function, by its canonical name. */
export function callableFor(canonical: string): Callable | undefined {
  const direct = CALLABLES.get(canonical);
  if (direct) return direct;
  const pyx = /^sklearn\._loss\._loss\.__pyx_unpickle_(\w+)$/.exec(canonical);
  return pyx ? cythonUnpickle(pyx[1]!) : undefined;
}
