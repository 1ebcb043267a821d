/**
 * Recognising pickles and joblib files from their bytes, the containers joblib writes, and the numpy 2 spelling
 * of numpy's globals.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { looksLikeJoblib, looksLikePickle, NdArray, PyTuple, readPickle, sniffPickle } from '../src/pickle/index.js';
import { OP } from '../src/pickle/opcodes.js';
import { pickle } from './pickle-builder.js';
import { pickleRefusal } from './refusals.js';
import { canon } from './pickle-canon.js';

const dir = new URL('./fixtures/pickle/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, dir)));
const latin1 = (bytes: Uint8Array) => new TextDecoder('latin1').decode(bytes);
const fromLatin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const manifest = JSON.parse(readFileSync(new URL('manifest.json', dir), 'utf8')) as { file: string; canon?: unknown }[];
const canonOf = (file: string) => manifest.find((e) => e.file === file)?.canon;

describe('format detection from content', () => {
  const files = readdirSync(dir).filter((f) => /\.(pkl|joblib)$/.test(f) && f !== 'evil.pkl');

  it.each(files.filter((f) => f.endsWith('.pkl')))('%s is a pickle', (f) => {
    const bytes = fixture(f);
    expect(looksLikePickle(bytes)).toBe(true);
    expect(looksLikeJoblib(bytes)).toBe(false);
  });

  it.each(files.filter((f) => f.endsWith('.joblib')))('%s is a joblib file', (f) => {
    const bytes = fixture(f);
    expect(looksLikeJoblib(bytes)).toBe(true);
    const sniff = sniffPickle(bytes);
    expect(sniff?.kind).toBe('joblib');
    // Uncompressed joblib files are pickles too (with array bytes between the opcodes).
    expect(looksLikePickle(bytes)).toBe(sniff?.compression === 'none');
  });

  it('tells the protocol and the compression', () => {
    expect(sniffPickle(fixture('linreg-df.p4.pkl'))).toEqual({ kind: 'pickle', compression: 'none', protocol: 4 });
    expect(sniffPickle(fixture('logreg-multi-str.p0.pkl'))).toEqual({ kind: 'pickle', compression: 'none', protocol: 0 });
    expect(sniffPickle(fixture('ridge.joblib'))).toEqual({ kind: 'joblib', compression: 'none', protocol: 4 });
    expect(sniffPickle(fixture('lasso-df.z.joblib'))?.compression).toBe('zlib');
    expect(sniffPickle(fixture('elasticnet.gz.joblib'))?.compression).toBe('gzip');
    expect(sniffPickle(fixture('ridge.bz2.joblib'))?.compression).toBe('bz2');
    expect(sniffPickle(fixture('ridge.xz.joblib'))?.compression).toBe('xz');
    expect(sniffPickle(fixture('ridge.lzma.joblib'))?.compression).toBe('lzma');
    expect(sniffPickle(fixture('builtins.zfile.joblib'))?.compression).toBe('zfile');
  });

  it('says no to other formats', () => {
    for (const text of ['a,b\n1,2\n', '{"learner":{}}', 'I love pickles.', '']) {
      const bytes = new TextEncoder().encode(text);
      expect(looksLikePickle(bytes), text).toBe(false);
      expect(looksLikeJoblib(bytes), text).toBe(false);
      expect(sniffPickle(bytes)).toBeNull();
    }
    const onnx = Uint8Array.of(0x08, 0x07, 0x12, 0x07, 0x70, 0x79, 0x74, 0x6f, 0x72, 0x63, 0x68);
    expect(looksLikePickle(onnx)).toBe(false);
    expect(looksLikeJoblib(onnx)).toBe(false);
  });
});

describe('joblib containers', () => {
  it.each(['bz2', 'xz', 'lzma'])('refuses %s compression with what to do instead', (method) => {
    const err = pickleRefusal(fixture(`ridge.${method}.joblib`));
    expect(err.code).toBe('unsupported_compression');
    expect(err.message).toContain(`compressed with ${method}`);
    expect(err.message).toContain('compress=3');
  });

  it('refuses lz4 compression', () => {
    expect(pickleRefusal(Uint8Array.of(0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7)).code).toBe('unsupported_compression');
  });

  it('reads the joblib < 0.9.3 ZF container', () => {
    expect(canon(readPickle(fixture('builtins.zfile.joblib')))).toEqual(canonOf('builtins.zfile.joblib'));
  });

  it('refuses a ZF container whose length header lies', () => {
    const inner = fixture('builtins.p2.pkl');
    const header = `ZF${`0x${(inner.length + 5).toString(16)}`.padEnd(19)}`;
    const bytes = new Uint8Array([...fromLatin1(header), ...deflateSync(inner)]);
    expect(pickleRefusal(bytes).code).toBe('corrupt');
  });

  it('refuses a damaged zlib stream as corrupt', () => {
    const bytes = fixture('lasso-df.z.joblib').slice();
    for (let i = 10; i < 40; i++) bytes[i] = 0xaa;
    expect(['corrupt', 'truncated']).toContain(pickleRefusal(bytes).code);
  });

  it('refuses a compressed file that holds no pickle', () => {
    const err = pickleRefusal(new Uint8Array(deflateSync(Buffer.from('not a pickle at all'))));
    expect(err.code).toBe('not_a_pickle');
    expect(err.message).toContain('decompresses (zlib)');
  });
});

describe('numpy 2 global names', () => {
  it('reads a protocol 2 pickle whose GLOBALs are rewritten to numpy._core, as numpy 2 writes them', () => {
    const original = latin1(fixture('gbc-bin-str-df.p4.pkl'));
    expect(original).toContain('numpy.core.multiarray');
    const p2 = latin1(fixture('rfr-df.p2.pkl'));
    expect(p2).toContain('cnumpy.core.multiarray\n_reconstruct\n');
    const rewritten = p2.replaceAll('cnumpy.core.multiarray\n', 'cnumpy._core.multiarray\n');
    expect(rewritten).not.toContain('numpy.core.');
    expect(canon(readPickle(fromLatin1(rewritten)))).toEqual(canonOf('rfr-df.p2.pkl'));
  });

  it('reads numpy 2 names in protocol 2, 4 and 5 pickles written by a pickler that names them', () => {
    for (const f of ['numpy2-names-gbc.p2.pkl', 'numpy2-names-gbc.p4.pkl', 'numpy2-names-arrays.p5.pkl']) {
      const text = latin1(fixture(f));
      expect(text).toContain('numpy._core');
      expect(text).not.toContain('numpy.core');
      expect(canon(readPickle(fixture(f))), f).toEqual(canonOf(f));
    }
    expect(canonOf('numpy2-names-gbc.p4.pkl')).toEqual(canonOf('gbc-bin-str-df.p4.pkl'));
  });
});

describe('Python 2 pickles', () => {
  it('reads str opcodes as latin1 text, including array data written as str', () => {
    const data = new Uint8Array(new Float64Array([1.5, -2]).buffer);
    const b = pickle()
      .proto(2)
      .global('numpy.core.multiarray', '_reconstruct')
      .global('numpy', 'ndarray')
      .int(0)
      .op(OP.TUPLE1)
      .raw(OP.SHORT_BINSTRING, 1, 0x62)
      .op(OP.TUPLE3)
      .reduce()
      .mark()
      .int(1)
      .int(2)
      .op(OP.TUPLE1)
      .global('numpy', 'dtype')
      .raw(OP.SHORT_BINSTRING, 2, 0x66, 0x38)
      .int(0)
      .int(1)
      .op(OP.TUPLE3)
      .reduce()
      .dtypeState((b) => b.raw(OP.SHORT_BINSTRING, 1, 0x3c))
      .op(OP.NEWFALSE)
      .op(OP.BINSTRING)
      .u32(data.length)
      .rawArray(data)
      .tuple()
      .build()
      .stop();
    const value = readPickle(b.toBytes());
    expect(value).toBeInstanceOf(NdArray);
    expect(Array.from((value as NdArray).data as Float64Array)).toEqual([1.5, -2]);
  });

  it('reads protocol 0 STRING escapes and Python 2 booleans', () => {
    const value = readPickle(fromLatin1("(S'a\\x00\\n\\'b\\\\'\np0\nI01\nI00\nL12345678901234567890L\ntp1\n."));
    expect(value).toEqual(new PyTuple(["a\x00\n'b\\", true, false, 12345678901234567890n]));
  });
});
