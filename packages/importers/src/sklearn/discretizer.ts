/**
 * KBinsDiscretizer: each value's bin is the number of inner edges at or below it (np.searchsorted(bin_edges_[j][1:-1],
 * x, side='right')), given as that number (encode='ordinal') or one-hot over the feature's n_bins_ bins ('onehot',
 * 'onehot-dense': the fitted encoder knows bins 0..n_bins_-1 and nothing else, and every bin number is one of them).
 */
import { attr } from '../onnx/attributes.js';
import { cast, concatColumns, doubleConst, int64Const } from '../onnx/ops.js';
import { NdArray, PyGlobal } from '../pickle/values.js';
import type { TransformerConverter } from './context.js';
import { checkWidth, unsupportedOption } from './context.js';
import { Features } from './features.js';
import { asNumbers, isNone } from './py.js';
import { refuseNonFinite } from './refused-inputs.js';

export const kbinsDiscretizer: TransformerConverter = (ctx, est, input) => {
  checkWidth(est, input);
  const b = ctx.b;
  const dtype = est.get('dtype');
  if (!isNone(dtype) && !(dtype instanceof PyGlobal && dtype.name === 'float64')) {
    unsupportedOption(est, 'dtype other than float64', 'bins of float32 values compare other numbers than the CSV holds');
  }
  const encode = est.str('encode', 'onehot');
  if (encode !== 'ordinal' && encode !== 'onehot' && encode !== 'onehot-dense') {
    unsupportedOption(est, `encode='${encode}'`, "scikit-learn's encodings are 'onehot', 'onehot-dense' and 'ordinal'");
  }
  const edgesRaw = est.list('bin_edges_');
  const bins = est.numbers('n_bins_');
  if (edgesRaw.length !== input.width || bins.length !== input.width) {
    est.malformed(`has bin edges for ${edgesRaw.length} and n_bins_ for ${bins.length} features, but receives ${input.width}`);
  }
  refuseNonFinite(ctx, input.matrix(b, est.label), { nan: true });
  const parts: string[] = [];
  let width = 0;
  for (const [j, raw] of edgesRaw.entries()) {
    const edges = raw instanceof NdArray ? asNumbers(raw) : null;
    if (!edges || edges.length !== bins[j]! + 1)
      return est.malformed(`has bin_edges_ of feature ${j} that are not ${bins[j]! + 1} numbers`);
    const inner = edges.slice(1, -1);
    const x = input.column(b, j, 'number', est.label);
    const bin =
      inner.length === 0
        ? b.op('Mul', [x, doubleConst(b, 'zero', [0], [])], {}, { name: `bin_${j}` })
        : b.op(
            'ReduceSum',
            [
              cast(
                b,
                b.op('GreaterOrEqual', [x, doubleConst(b, `edges_${j}`, inner, [inner.length])], {}, { name: `at_or_above_${j}` }),
                'double',
              ),
              int64Const(b, 'axis_1', [1]),
            ],
            { keepdims: attr.int(1) },
            { name: `bin_${j}` },
          );
    if (encode === 'ordinal') {
      parts.push(bin);
      width += 1;
      continue;
    }
    const levels = Array.from({ length: bins[j]! }, (_, k) => k);
    parts.push(
      cast(
        b,
        b.op('Equal', [bin, doubleConst(b, `bins_${j}`, levels, [levels.length])], {}, { name: `in_bin_${j}` }),
        'double',
        `onehot_${j}`,
      ),
    );
    width += levels.length;
  }
  return Features.fromMatrix(concatColumns(b, parts, 'binned'), width, est.cls);
};
