/** Files registration must refuse, each with its error code and a message a user can act on. */
import { describe, expect, it } from 'vitest';
import { MAX_MODEL_COLUMNS, ModelError, prepareModel } from '../src/index.js';
import type { ModelErrorCode } from '../src/index.js';
import { onnx } from '../src/onnx-proto.js';
import { editModel, modelBytes } from './helpers.js';

const EXAMPLES = ['iris-logreg.onnx', 'breast-cancer-rf.onnx', 'diabetes-gbr.onnx', 'digits-mlp.onnx', 'churn-pipeline.onnx'];

async function refusal(bytes: Uint8Array, opts?: { features?: string[] }): Promise<ModelError> {
  try {
    await prepareModel(bytes, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    return e as ModelError;
  }
  throw new Error('prepareModel accepted the model');
}

async function expectRefusal(bytes: Uint8Array, code: ModelErrorCode, message: RegExp, opts?: { features?: string[] }) {
  const e = await refusal(bytes, opts);
  expect({ code: e.code, message: e.message }).toMatchObject({ code, message: expect.stringMatching(message) });
  return e;
}

const text = (s: string) => new TextEncoder().encode(s);
const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89,
]);

describe('not ONNX', () => {
  it('refuses a PNG image', async () => {
    await expectRefusal(PNG, 'not_onnx', /not an ONNX model.*PNG image/);
  });
  it('refuses text files (a CSV, JSON, a Python script)', async () => {
    await expectRefusal(text('sepal_length,sepal_width\n5.1,3.5\n'), 'not_onnx', /not an ONNX model.*text file/);
    await expectRefusal(text('{"model": "iris"}'), 'not_onnx', /not an ONNX model/);
    await expectRefusal(text('import onnx\nonnx.save(model, "m.onnx")\n'), 'not_onnx', /not an ONNX model/);
  });
  it('refuses an empty file', async () => {
    await expectRefusal(new Uint8Array(0), 'not_onnx', /empty/);
  });
  it('refuses a pickled scikit-learn model and a ZIP', async () => {
    await expectRefusal(new Uint8Array([0x80, 0x04, 0x95, 0x10, 0, 0, 0]), 'not_onnx', /pickle/);
    await expectRefusal(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]), 'not_onnx', /ZIP/);
  });
});

describe('truncated', () => {
  for (const file of EXAMPLES) {
    it(`refuses the first half of ${file}`, async () => {
      const bytes = modelBytes(file);
      await expectRefusal(bytes.subarray(0, Math.floor(bytes.length / 2)), 'truncated', /incomplete.*upload the complete/);
    });
  }
  it('refuses cuts anywhere after the header', async () => {
    const bytes = modelBytes('breast-cancer-rf.onnx');
    for (const cut of [40, 1000, 100_000, bytes.length - 30, bytes.length - 1]) {
      const e = await refusal(bytes.subarray(0, cut));
      expect([cut, e.code]).toEqual([cut, 'truncated']);
    }
  });
});

describe('operators ONNX Runtime lacks', () => {
  it('refuses an unknown operator in a made-up domain, naming it', async () => {
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.node![0]!.opType = 'NoSuchOp';
      m.graph!.node![0]!.domain = 'com.example.madeup';
      m.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: 'com.example.madeup', version: 1 }));
    });
    await expectRefusal(bytes, 'unsupported_operator', /NoSuchOp.*com\.example\.madeup/);
  });
  it('refuses an operator whose domain the model does not even import', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      m.graph!.node![0]!.opType = 'NoSuchOp';
      m.graph!.node![0]!.domain = 'com.example.madeup';
    });
    await expectRefusal(bytes, 'unsupported_operator', /NoSuchOp/);
  });
  it('refuses an unknown operator in the standard domain', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      m.graph!.node![4]!.opType = 'Rellu';
    });
    await expectRefusal(bytes, 'unsupported_operator', /Rellu/);
  });
});

describe('models ONNX Runtime rejects', () => {
  it('refuses a graph that reads a value nothing produces', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      m.graph!.node![2]!.input![0] = 'no_such_value';
    });
    await expectRefusal(bytes, 'runtime_rejected', /could not load the model.*no_such_value/);
  });
  it('refuses weights kept in external-data files', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      const w = m.graph!.initializer![2]!;
      w.dataLocation = 1;
      w.rawData = new Uint8Array(0);
      w.externalData = [onnx.StringStringEntryProto.create({ key: 'location', value: 'weights.bin' })];
    });
    await expectRefusal(bytes, 'external_data', /external-data files \(initializer '[^']+' in the main graph\)/);
  });
});

describe('input element types', () => {
  it('refuses float16 inputs', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 10;
    });
    await expectRefusal(bytes, 'unsupported_input_type', /'input' has element type float16/);
  });
  it('refuses uint8 inputs', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.elemType = 2;
    });
    await expectRefusal(bytes, 'unsupported_input_type', /uint8/);
  });
  it('refuses image-shaped (rank 4) inputs', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim = [{}, { dimValue: 3 }, { dimValue: 2 }, { dimValue: 2 }].map((d) =>
        onnx.TensorShapeProto.Dimension.create(d),
      );
    });
    await expectRefusal(bytes, 'unsupported_input_type', /shape \[rows, 3, 2, 2\]/);
  });
});

describe('input width', () => {
  // A model wider than any upload could never be fed, and its column list alone took the web process's heap: an
  // XGBoost document saying num_feature 30000000 (60 kB) was registered, then its sample file ran the web out of memory.
  const widened = (width: number) =>
    editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimValue: width });
    });
  it('refuses an input wider than the widest upload, naming both widths', async () => {
    const e = await expectRefusal(widened(30_000_000), 'too_many_columns', /takes 30000000 input columns \(its input 'input'/);
    expect(e.message).toContain(`at most ${MAX_MODEL_COLUMNS} columns`);
    await expectRefusal(widened(MAX_MODEL_COLUMNS + 1), 'too_many_columns', /no upload could feed it/);
  });
  it('refuses feature_names metadata or features naming more columns than that', async () => {
    const names = Array.from({ length: MAX_MODEL_COLUMNS + 1 }, (_, i) => `f${i}`);
    const undeclared = editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'F' });
    });
    await expectRefusal(undeclared, 'too_many_columns', /as `features` names them/, { features: names });
    const named = editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'F' });
      m.metadataProps = [onnx.StringStringEntryProto.create({ key: 'feature_names', value: names.join(',') })];
    });
    await expectRefusal(named, 'too_many_columns', /feature_names metadata/);
  });
});

describe("a model's own column names", () => {
  const named = (names: string[]) =>
    editModel('iris-logreg.onnx', (m) => {
      m.metadataProps = [onnx.StringStringEntryProto.create({ key: 'feature_names', value: JSON.stringify(names) })];
    });

  it('refuses names a file header cannot tell apart: one file column would have fed both', async () => {
    // scikit-learn's feature_names_in_ of a frame with the columns "price" and "price ", kept exactly by the importer:
    // trimmed at registration, both read the file's "price" and every prediction was wrong, with no row failing.
    const e = await expectRefusal(named(['price', 'price ', 'a', 'b']), 'bad_features', /"price" and "price " name the same column/);
    expect(e.message).toContain('Fit the model again on column names that differ in more than that');
    await expectRefusal(named(['a', 'A', 'b', 'c']), 'bad_features', /"a" and "A" name the same column/);
    await expectRefusal(named(['café', 'cafe\u0301', 'b', 'c']), 'bad_features', /"café" and "cafe\u0301" name the same column/);
  });

  it('keeps them exactly as the model stores them', async () => {
    const prepared = await prepareModel(named([' price', 'qty', 'a b', 'c']));
    expect(prepared.schema.inputs[0]!.columns).toEqual([' price', 'qty', 'a b', 'c']);
  });
});

describe('outputs', () => {
  it('refuses a model whose only output is a sequence', async () => {
    const bytes = editModel('iris-logreg.onnx', (m) => {
      m.graph!.node!.push(onnx.NodeProto.create({ opType: 'SequenceConstruct', input: ['probabilities'], output: ['probs_seq'] }));
      m.graph!.output = [
        onnx.ValueInfoProto.create({
          name: 'probs_seq',
          type: { sequenceType: { elemType: { tensorType: { elemType: 1 } } } },
        }),
      ];
    });
    await expectRefusal(bytes, 'unsupported_output', /no output batchcast can read/);
  });
  it('refuses raw multi-column scores that are neither labelled nor a Softmax', async () => {
    const bytes = editModel('digits-mlp.onnx', (m) => {
      m.graph!.output = [
        onnx.ValueInfoProto.create({
          name: 'z2',
          type: { tensorType: { elemType: 1, shape: { dim: [{}, { dimValue: 10 }] } } },
        }),
      ];
    });
    await expectRefusal(bytes, 'unsupported_output', /cannot tell what the model predicts.*'z2' float32\[\?,10\]/);
  });
});

describe('features', () => {
  it('refuses a feature list of the wrong length, saying how many are needed', async () => {
    const e = await expectRefusal(
      modelBytes('iris-logreg.onnx'),
      'bad_features',
      /takes 4 feature columns.*but 3 feature names were given/,
      {
        features: ['a', 'b', 'c'],
      },
    );
    expect(e.message).toContain("'input' [rows, 4]");
  });
  it('refuses duplicate and empty feature names', async () => {
    await expectRefusal(modelBytes('iris-logreg.onnx'), 'bad_features', /"a" and "A" name the same column, as a file's header is read/, {
      features: ['a', 'b', 'A', 'c'],
    });
    // "café" typed twice, once with a combining accent: one column of a file, as the header is read (NFC).
    await expectRefusal(modelBytes('iris-logreg.onnx'), 'bad_features', /"café" and "cafe\u0301" name the same column/, {
      features: ['café', 'cafe\u0301', 'b', 'c'],
    });
    await expectRefusal(modelBytes('iris-logreg.onnx'), 'bad_features', /"b" is listed twice/, { features: ['a', 'b', 'b', 'c'] });
    await expectRefusal(modelBytes('iris-logreg.onnx'), 'bad_features', /must not be empty/, { features: ['a', ' ', 'b', 'c'] });
  });
  it('counts one feature per input for one-input-per-column graphs', async () => {
    await expectRefusal(modelBytes('churn-pipeline.onnx'), 'bad_features', /takes 5 feature columns/, { features: ['a', 'b'] });
  });
  it('refuses a 2-D input of undeclared width without features', async () => {
    const bytes = editModel('breast-cancer-rf.onnx', (m) => {
      m.graph!.input![0]!.type!.tensorType!.shape!.dim![1] = onnx.TensorShapeProto.Dimension.create({ dimParam: 'F' });
    });
    await expectRefusal(bytes, 'bad_features', /does not declare how many feature columns/);
  });
});
