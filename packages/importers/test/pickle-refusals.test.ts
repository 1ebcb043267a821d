/**
 * Pickles that would run code in Python are refused by name, in every way a pickle can name and call something,
 * and nothing they name ever runs.
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OP } from '../src/pickle/opcodes.js';
import { PyBytes, PyObject, type PyValue, readPickle } from '../src/pickle/index.js';
import { functionTransformerPickle, pickle } from './pickle-builder.js';
import { pickleRefusal } from './refusals.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/pickle/${name}`, import.meta.url)));

/** The PickleError readPickle throws (failing the test if it returns or throws anything else). */
const MARKER = '/tmp/batchcast-pickle-ran';

describe('evil.pkl', () => {
  it('is refused naming posix.system, and its command never runs', () => {
    rmSync(MARKER, { force: true });
    const evil = fixture('evil.pkl');
    // The premise: the file does call posix.system with a command that creates the marker file.
    const text = new TextDecoder('latin1').decode(evil);
    expect(text).toContain('posix\nsystem\n');
    expect(text).toContain(`touch ${MARKER}`);

    const err = pickleRefusal(evil);
    expect(err.code).toBe('unsupported_class');
    expect(err.className).toBe('posix.system');
    expect(err.message).toBe(
      'The file names "posix.system", which batchcast never runs: only scikit-learn estimators and numpy arrays are read from pickles. ' +
        'Export the model to ONNX (skl2onnx) and upload the .onnx file.',
    );
    expect(existsSync(MARKER)).toBe(false);
  });
});

const HOSTILE: [string, string][] = [
  ['os', 'system'],
  ['posix', 'system'],
  ['nt', 'system'],
  ['builtins', 'eval'],
  ['builtins', 'exec'],
  ['builtins', 'getattr'],
  ['builtins', '__import__'],
  ['builtins', 'open'],
  ['builtins', 'type'],
  ['__builtin__', 'eval'],
  ['__builtin__', 'getattr'],
  ['__builtin__', 'reduce'],
  ['subprocess', 'Popen'],
  ['subprocess', 'check_output'],
  ['numpy', 'load'],
  ['numpy.testing._private.utils', 'runstring'],
  ['numpy.core.multiarray', 'frombuffer'],
  ['numpy.lib.npyio', 'load'],
  ['pickle', 'loads'],
  ['joblib', 'load'],
  ['marshal', 'loads'],
  ['functools', 'partial'],
  ['operator', 'attrgetter'],
  ['types', 'FunctionType'],
  ['copyreg', '_reconstruct'],
  ['__main__', 'MyTransformer'],
  ['torch', 'load'],
];

describe.each(HOSTILE)('%s.%s', (module, name) => {
  const qualified = `${module}.${name}`;
  const expectRefused = (bytes: Uint8Array) => {
    const err = pickleRefusal(bytes);
    expect(err.code).toBe('unsupported_class');
    expect(err.className).toBe(qualified);
    expect(err.message).toContain(`"${qualified}"`);
  };

  it('is refused when named by GLOBAL and called by REDUCE (protocol 2)', () => {
    expectRefused(pickle().proto(2).global(module, name).str('id').op(OP.TUPLE1).reduce().stop().toBytes());
  });

  it('is refused when named by STACK_GLOBAL (protocol 4)', () => {
    expectRefused(pickle().proto(4).stackGlobal(module, name).str('id').op(OP.TUPLE1).reduce().stop().toBytes());
  });

  it('is refused when named by GLOBAL in protocol 0', () => {
    expectRefused(pickle().global(module, name).mark().text("S'id'\n").tuple().reduce().stop().toBytes());
  });

  it('is refused when instantiated by INST (protocol 0)', () => {
    expectRefused(pickle().mark().text("S'id'\n").op(OP.INST).text(`${module}\n${name}\n`).stop().toBytes());
  });

  it('is refused when instantiated by OBJ (protocol 1)', () => {
    expectRefused(pickle().mark().global(module, name).text("S'id'\n").op(OP.OBJ).stop().toBytes());
  });

  it('is refused when created by NEWOBJ (protocol 2)', () => {
    expectRefused(pickle().proto(2).global(module, name).op(OP.EMPTY_TUPLE).op(OP.NEWOBJ).stop().toBytes());
  });

  it('is refused when it is only referenced, never called', () => {
    expectRefused(pickle().proto(4).stackGlobal(module, name).stop().toBytes());
  });
});

describe('refusals inside otherwise valid models', () => {
  it('names a scikit-learn class batchcast does not read, and lists what it reads', () => {
    const original = new TextDecoder('latin1').decode(fixture('logreg-bin-str-df.p2.pkl'));
    expect(original).toContain('csklearn.linear_model._logistic\nLogisticRegression\n');
    const swapped = original.replace(
      'csklearn.linear_model._logistic\nLogisticRegression\n',
      'csklearn.neighbors._classification\nKNeighborsClassifier\n',
    );
    const err = pickleRefusal(Uint8Array.from(swapped, (c) => c.charCodeAt(0)));
    expect(err.code).toBe('unsupported_class');
    expect(err.className).toBe('sklearn.neighbors._classification.KNeighborsClassifier');
    expect(err.message).toContain('a scikit-learn class batchcast does not convert');
    expect(err.message).toContain('LogisticRegression');
    expect(err.message).toContain('skl2onnx');
  });

  it('refuses the function a FunctionTransformer carries', () => {
    expect(pickleRefusal(functionTransformerPickle('numpy', 'log1p')).className).toBe('numpy.log1p');
  });

  it('refuses calling an allow-listed type that may only appear as a value', () => {
    const err = pickleRefusal(pickle().proto(2).global('numpy', 'ndarray').int(3).op(OP.TUPLE1).reduce().stop().toBytes());
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toContain('calls "numpy.ndarray"');
  });

  it('refuses creating an object of an allow-listed function with NEWOBJ', () => {
    const err = pickleRefusal(
      pickle().proto(2).global('numpy.core.multiarray', 'scalar').op(OP.EMPTY_TUPLE).op(OP.NEWOBJ).stop().toBytes(),
    );
    expect(err.code).toBe('unsupported_class');
  });

  it('refuses copyreg._reconstructor of a class outside the allow-list (protocol 0 objects)', () => {
    const bytes = pickle()
      .global('copy_reg', '_reconstructor')
      .mark()
      .global('__main__', 'Evil')
      .global('__builtin__', 'object')
      .none()
      .tuple()
      .reduce()
      .stop()
      .toBytes();
    expect(pickleRefusal(bytes).className).toBe('__main__.Evil');
  });

  it('refuses joblib < 0.10 files, whose arrays live in other files', () => {
    const bytes = pickle().proto(2).global('joblib.numpy_pickle', 'NDArrayWrapper').op(OP.EMPTY_TUPLE).op(OP.NEWOBJ).stop().toBytes();
    const err = pickleRefusal(bytes);
    expect(err.code).toBe('unsupported_format');
    expect(err.message).toContain('joblib older than 0.10');
  });
});

describe('opcodes that reach outside the file', () => {
  it('refuses persistent ids', () => {
    const err = pickleRefusal(pickle().proto(2).str('ref').op(OP.BINPERSID).stop().toBytes());
    expect(err.code).toBe('unsupported_opcode');
    expect(err.message).toContain('persistent id');
  });

  it.each([
    [OP.EXT1, [1]],
    [OP.EXT2, [1, 0]],
    [OP.EXT4, [1, 0, 0, 0]],
  ])('refuses the copyreg extension registry (opcode %i)', (op, arg) => {
    const err = pickleRefusal(
      pickle()
        .proto(2)
        .op(op)
        .raw(...arg)
        .stop()
        .toBytes(),
    );
    expect(err.code).toBe('unsupported_opcode');
    expect(err.message).toContain('extension code');
  });

  it('refuses out-of-band buffers it was not given, and reads those it was', () => {
    const bytes = pickle().proto(5).op(OP.NEXT_BUFFER).op(OP.READONLY_BUFFER).stop().toBytes();
    const err = pickleRefusal(bytes);
    expect(err.code).toBe('unsupported_opcode');
    expect(err.message).toContain('out-of-band buffer');
    const value = readPickle(bytes, { buffers: [Uint8Array.of(1, 2, 3)] }) as PyValue;
    expect(value).toBeInstanceOf(PyBytes);
    expect(Array.from((value as PyBytes).bytes)).toEqual([1, 2, 3]);
  });

  it('refuses unknown opcodes and protocols newer than 5', () => {
    expect(pickleRefusal(pickle().proto(4).raw(0xff).stop().toBytes()).code).toBe('unsupported_opcode');
    expect(pickleRefusal(pickle().proto(6).none().stop().toBytes()).code).toBe('not_a_pickle');
    expect(pickleRefusal(pickle().proto(5).proto(6).none().stop().toBytes()).code).toBe('unsupported_opcode');
  });

  it('records an allow-listed class without running anything of it', () => {
    const value = readPickle(
      pickle().proto(4).stackGlobal('sklearn.linear_model._ridge', 'Ridge').op(OP.EMPTY_TUPLE).op(OP.NEWOBJ).stop().toBytes(),
    );
    expect(value).toBeInstanceOf(PyObject);
    expect((value as PyObject).qualifiedName).toBe('sklearn.linear_model._ridge.Ridge');
    expect((value as PyObject).state).toBeNull();
  });
});
