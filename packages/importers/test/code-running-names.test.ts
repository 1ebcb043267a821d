/**
 * Names inside the packages models come from (numpy, joblib, pandas, torch) that run code when Python calls them are
 * refused as `unsafe_pickle`, as posix.system is, not as a class batchcast merely does not convert
 * (`unsupported_class`): numpy.testing's runstring is `exec(astr, dict)`, under each module numpy exports it from.
 */
import { describe, expect, it } from 'vitest';
import { OP } from '../src/pickle/opcodes.js';
import { functionTransformerPickle, pickle } from './pickle-builder.js';
import { importRefusal } from './refusals.js';

/** A pickle that calls module.name('print(1)'), as a hostile file would. */
const calling = (module: string, name: string): Uint8Array =>
  pickle().proto(4).stackGlobal(module, name).str('print(1)').op(OP.TUPLE1).reduce().stop().toBytes();

const CODE_RUNNING: [string, string][] = [
  ['numpy.testing._private.utils', 'runstring'],
  ['numpy.testing', 'runstring'],
  ['numpy.testing.utils', 'runstring'],
  ['numpy.testing.nose_tools.utils', 'runstring'],
  ['numpy.testing._private.utils', 'rundocs'],
  ['numpy.testing._private.utils', 'measure'],
  ['numpy.testing._private.extbuild', 'build_and_import_extension'],
  ['numpy.distutils.exec_command', 'exec_command'],
  ['numpy.distutils.misc_util', 'exec_mod_from_location'],
  ['numpy.f2py', 'compile'],
  ['numpy', 'load'],
  ['numpy.lib.npyio', 'load'],
  ['joblib', 'load'],
  ['pandas', 'read_pickle'],
  ['torch', 'load'],
];

describe.each(CODE_RUNNING)('%s.%s', (module, name) => {
  it('is refused as unsafe_pickle, named, saying that loading the file would run it', async () => {
    const err = await importRefusal(calling(module, name), 'model.pkl');
    expect(err.code).toBe('unsafe_pickle');
    expect(err.message).toContain(`${module}.${name}, which runs code`);
    expect(err.message).toContain('loading the file in Python would run it');
  });
});

describe('names of the same packages that run nothing', () => {
  it('stay unsupported_class: a numpy function batchcast does not read is not a hostile file', async () => {
    const err = await importRefusal(calling('numpy.linalg', 'inv'), 'model.pkl');
    expect(err.code).toBe('unsupported_class');
  });

  it("a FunctionTransformer's func=runstring is unsafe_pickle, said as the FunctionTransformer's", async () => {
    const err = await importRefusal(functionTransformerPickle('numpy.testing._private.utils', 'runstring'), 'ft.pkl');
    expect(err.code).toBe('unsafe_pickle');
    expect(err.message).toMatch(/^The model's FunctionTransformer has func=numpy\.testing\._private\.utils\.runstring/);
  });
});
