/**
 * importModel: the format comes from the content (the file name is only a hint), ONNX passes through unchanged,
 * converted graphs are what prepareModel expects (no ZipMap, named outputs, feature names in metadata).
 */
import { describe, expect, it } from 'vitest';
import { prepareModel } from '@batchcast/inference';
import { importModel } from '../src/index.js';
import { onnx } from '../src/onnx/proto.js';
import { fixtureBytes } from './helpers.js';
import { importRefusal } from './refusals.js';

describe('importModel', () => {
  it('passes ONNX through unchanged', async () => {
    const bytes = fixtureBytes('onnx/iris-logreg.onnx');
    const imported = await importModel(bytes, { filename: 'iris.onnx' });
    expect(imported).toEqual({ format: 'onnx', library: null, libraryVersion: null, onnx: bytes, converted: [] });
  });

  it('decides by content, not by file name', async () => {
    expect((await importModel(fixtureBytes('xgboost/binary-logistic.json'), { filename: 'model.pkl' })).format).toBe('xgboost-json');
    expect((await importModel(fixtureBytes('xgboost/binary-logistic.ubj'), { filename: 'model.json' })).format).toBe('xgboost-ubj');
    expect((await importModel(fixtureBytes('native/iris-pipeline.joblib'), { filename: 'model.onnx' })).format).toBe('sklearn-joblib');
    expect((await importModel(fixtureBytes('sklearn/ridge.pkl'), { filename: 'model.joblib' })).format).toBe('sklearn-pickle');
    expect((await importModel(fixtureBytes('sklearn/lasso.joblib'))).format).toBe('sklearn-joblib'); // zlib-compressed
  });

  it("refuses a file that starts with '(' and is neither a pickle nor ONNX as such, not as an incomplete ONNX file", async () => {
    for (const bytes of [Buffer.from('(this is not a model\n'), fixtureBytes('old-protocols/dict-protocol0.pkl').subarray(0, 40)]) {
      const err = await importRefusal(bytes, 'model.pkl');
      expect(err.code).toBe('unrecognized_format');
      expect(err.message).toMatch(/^This file is neither a complete pickle nor an ONNX model: .* If it is a pickle, it was cut short/);
    }
  });

  it('reads an estimator pickled with protocol 0 or 1, and says one cut short was cut short (not "an old protocol")', async () => {
    for (const protocol of [0, 1]) {
      const bytes = fixtureBytes(`old-protocols/logreg-protocol${protocol}.pkl`);
      expect((await importModel(bytes, { filename: 'model.pkl' })).format).toBe('sklearn-pickle');
      for (const cut of [bytes.subarray(0, bytes.length - 10), bytes.subarray(0, bytes.length >> 1)]) {
        const err = await importRefusal(cut, 'model.pkl');
        expect(err.code, `protocol ${protocol}, ${cut.length} bytes`).toBe('truncated');
        expect(err.message).toMatch(
          /^This file starts as a pickle of protocol 0 or 1 does, but does not end as one \(with '\.'\): it was cut short/,
        );
      }
    }
  });

  it("reads a protocol 0 pickle that starts with '(' as a pickle (MARK is also ONNX's tag of model_version)", async () => {
    // A dict around the model: refused as a pickle, saying what to save instead (it was "not a readable ONNX model").
    const err = await importRefusal(fixtureBytes('old-protocols/dict-protocol0.pkl'), 'model.pkl');
    expect(err.code).toBe('unsupported_class');
    expect(err.message).toBe(
      "The pickle holds a dict, not a scikit-learn estimator. Save the fitted model itself (joblib.dump(model, 'model.joblib')).",
    );
  });

  it('reads Node Buffers (what readFile gives the platform) as it reads Uint8Arrays', async () => {
    // A Buffer's slice() is a view and a small Buffer sits at an offset in a shared pool: arrays decoded from one
    // once took the whole pool ("1024 values in mean_ for 4 features").
    for (const file of ['native/iris-pipeline.joblib', 'native/churn-hgb.joblib', 'sklearn/ridge.pkl', 'native/diabetes-xgb.ubj']) {
      const bytes = fixtureBytes(file);
      const pooled = Buffer.alloc(bytes.length + 13);
      pooled.set(bytes, 13);
      const fromBuffer = await importModel(pooled.subarray(13), { filename: file });
      const fromArray = await importModel(bytes, { filename: file });
      expect(Buffer.from(fromBuffer.onnx).equals(Buffer.from(fromArray.onnx)), file).toBe(true);
    }
  });

  it('describes what was converted', async () => {
    const imported = await importModel(fixtureBytes('native/churn-hgb.joblib'));
    expect(imported.converted[0]).toMatch(
      /^Pipeline\(ColumnTransformer\(OneHotEncoder, Pipeline\(SimpleImputer, StandardScaler\)\), HistGradientBoostingClassifier\) -> ONNX .*TreeEnsemble/,
    );
    expect(imported.converted.join('\n')).toContain('One input per CSV column (5)');
    const xgb = await importModel(fixtureBytes('native/breast-cancer-xgb.json'));
    expect(xgb.converted[0]).toMatch(/^XGBoost binary:logistic -> .*TreeEnsemble \(60 trees/);
  });

  it('writes graphs prepareModel reads by structure: label + probabilities, feature names from the file, no ZipMap', async () => {
    const imported = await importModel(fixtureBytes('native/iris-pipeline.joblib'));
    const model = onnx.ModelProto.decode(imported.onnx);
    expect(model.graph!.node!.map((n) => n.opType)).not.toContain('ZipMap');
    expect(model.graph!.output!.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(model.metadataProps!.find((p) => p.key === 'feature_names')!.value).toBe(
      JSON.stringify(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']),
    );
    expect(model.opsetImport!.map((o) => [o.domain, Number(o.version)])).toEqual([
      ['', 21],
      ['ai.onnx.ml', 5],
    ]);
    const prepared = await prepareModel(imported.onnx);
    expect(prepared.schema).toMatchObject({
      task: 'classifier',
      labelOutput: 'label',
      probabilityOutput: 'probabilities',
      valueOutput: null,
    });
    expect(prepared.schema.notes.join(' ')).toContain('scikit-learn 1.2.1');
  });

  it('a regressor has one value output, and a model fitted on an array names no columns', async () => {
    const imported = await importModel(fixtureBytes('sklearn/ridge.pkl'));
    const prepared = await prepareModel(imported.onnx);
    expect(prepared.schema).toMatchObject({ task: 'regressor', valueOutput: 'variable', classLabels: null });
    expect(prepared.schema.inputs).toEqual([{ name: 'input', type: 'float64', shape: [null, 5], width: 5, columns: null }]);
  });

  it('refuses files that are no model, saying what they look like', async () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0]);
    const err = await importRefusal(png, 'model.pkl');
    expect(err.code).toBe('unrecognized_format');
    expect(err.message).toContain('PNG');
    expect(err.message).toContain('model.pkl');
    expect((await importRefusal(new Uint8Array(0))).code).toBe('unrecognized_format');
    expect((await importRefusal(new TextEncoder().encode('sepal_length,sepal_width\n1,2\n'))).code).toBe('unrecognized_format');
  });

  it('an ONNX file cut short is reported as truncated', async () => {
    const bytes = fixtureBytes('onnx/iris-logreg.onnx');
    expect((await importRefusal(bytes.subarray(0, bytes.length - 40))).code).toBe('truncated');
  });
});
