import { findModelBefore, latestModelIds, type Pool } from '@batchcast/db';
import { DomainError } from '../errors.js';
import { type Model, modelFromRecord } from '../records.js';
import { expectedColumns, modelsByIds } from './registry.js';

/**
 * What a refusal of a file's columns (missing_columns) may offer instead of the model chosen: the version of the same
 * name before it, and the other models. Looked up before the columns are checked where that check cannot wait (an
 * upload's header, checked as it arrives).
 */
export interface ColumnsAlternatives {
  /** The latest version of the chosen model's name before it, when the model was named without a version. */
  before: Model | undefined;
  /** The latest version of every other model name. */
  others: readonly Model[];
}

/**
 * The alternatives for `model`, named by `ref` (`name` or `name@version`). Asked at every upload that names its model
 * before its file, so the models are found by their ids alone (one small query; versions never change, and those not
 * read yet by this process are read in one more, modelsByIds), not read whole each time.
 */
export async function columnsAlternatives(pool: Pool, model: Model, ref: string | undefined): Promise<ColumnsAlternatives> {
  const [before, ids] = await Promise.all([versionBefore(pool, model, ref), latestModelIds(pool)]);
  const others = await modelsByIds(
    pool,
    ids.filter((id) => id !== model.id),
  );
  // A model that does not name its columns reads any file of enough columns by position: no sign it is the one meant.
  return { before, others: others.filter((m) => m.name !== model.name && expectedColumns(m) !== null) };
}

/** The latest version of `model`'s name before it, when `ref` names no version and there is one. */
async function versionBefore(pool: Pool, model: Model, ref: string | undefined): Promise<Model | undefined> {
  // A first version has none (no query), and a reference pinning its version chose it on purpose.
  if (model.version === 1 || (ref ?? '').includes('@')) return undefined;
  const before = await findModelBefore(pool, model.name, model.version);
  return before ? modelFromRecord(before) : undefined;
}

/** At most this many other models are named by a refusal: enough to find the one meant, short enough to read. */
const MAX_OTHERS_NAMED = 3;

/**
 * A refusal of the columns (missing_columns) says what else would take them:
 * - for a model named without a version that has an earlier one (`alternatives.before`, columnsAlternatives), the version it was checked against (a new
 *   version that reads other columns refused files that worked the day before, with nothing saying the model had
 *   changed), and that earlier version by its name@version when it takes these columns;
 * - the other models that take these columns: a file sent to the wrong model (churn data to the iris model) was told
 *   only what it lacked.
 * `fits(m)` says whether model `m` takes the columns. Any other error is returned as it was.
 */
export function explainColumnsRefusal(err: unknown, model: Model, alternatives: ColumnsAlternatives, fits: (m: Model) => boolean): unknown {
  if (!(err instanceof DomainError) || err.code !== 'missing_columns') return err;
  const { before, others } = alternatives;
  let extra = '';
  if (before) {
    extra += ` It was checked against ${model.name}@${model.version}, the latest version of "${model.name}".`;
    if (fitsQuietly(fits, before)) {
      extra += ` ${before.name}@${before.version} takes these columns: choose "${before.name}@${before.version}" as the model to use that version.`;
    }
  }
  const fitting = others.filter((m) => fitsQuietly(fits, m)).map((m) => `"${m.name}"`);
  if (fitting.length > 0) {
    const named = fitting.slice(0, MAX_OTHERS_NAMED);
    const more = fitting.length > named.length ? ` (and ${fitting.length - named.length} more)` : '';
    const takes = fitting.length === 1 ? 'Model' : 'Models';
    extra += ` ${takes} ${named.join(', ')}${more} take${fitting.length === 1 ? 's' : ''} these columns: if ${fitting.length === 1 ? 'it is' : 'one of them is'} the model meant, choose it.`;
  }
  return extra === '' ? err : new DomainError(err.kind, err.code, `${err.message}${extra}`, err.details);
}

function fitsQuietly(fits: (m: Model) => boolean, m: Model): boolean {
  try {
    return fits(m);
  } catch {
    return false;
  }
}
