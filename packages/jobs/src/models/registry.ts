import { forgetResolvedModels } from './recently-resolved.js';
import {
  findModel,
  findModelNameOwner,
  findRemovedModel,
  getModelById,
  getModelsByIds,
  getModelBytes,
  insertModelVersion,
  listModels,
  type ModelNameOwner,
  type ModelRecord,
  type NewModelVersion,
  type Pool,
  removeModelVersions,
  type StreamedBytes,
} from '@batchcast/db';
import { createReadStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import type { ImportedModel } from '@batchcast/importers';
import { leaseSession, type SessionLease, sha256Hex } from '@batchcast/inference';
import { closestName, showInvisible } from '@batchcast/names';
import { DomainError } from '../errors.js';
import { type Model, type ModelFormat, modelFromRecord } from '../records.js';
import type { ModelSchema } from '@batchcast/inference';
import { convertUpload, convertUploadFile } from './convert-upload.js';

/** Model (and schedule) names: what the URL paths and the database CHECK constraint accept. */
export const MODEL_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The largest version a model can have (models.version is a PostgreSQL integer). */
const MAX_VERSION = 2_147_483_647;

/** `name` or `name@version`; the default model when empty. An unknown model is refused with the list of models. */
export async function resolveModel(pool: Pool, ref: string | undefined, defaultName: string): Promise<Model> {
  const text = (ref ?? '').trim() || defaultName;
  const at = text.indexOf('@');
  const name = at < 0 ? text : text.slice(0, at);
  const versionText = at < 0 ? undefined : text.slice(at + 1);
  // Digits only: Number() also read "1e3" as version 1000 and "0x2" as 2. A leading "v" is allowed: the pages
  // and `models list` show versions as "v1", and "iris-logreg@v1" was refused as no model reference.
  if (versionText !== undefined && !/^v?[1-9][0-9]*$/i.test(versionText)) {
    throw new DomainError(
      'unprocessable',
      'unknown_model',
      `"${text}" is not a model reference: use a name, or name@version (e.g. iris-logreg@2 or iris-logreg@v2).`,
    );
  }
  const version = versionText === undefined ? undefined : Number(versionText.replace(/^v/i, ''));
  const model = await findModelVersion(pool, name, version);
  if (!model) {
    const models = await listModels(pool);
    await refuseRemoved(pool, name, version, models);
    // The name is right and the version is not: saying "there is no model iris-logreg@9" and listing
    // iris-logreg among the available ones left the reader to guess which part was wrong.
    const versions = models.filter((m) => m.name === name).map((m) => m.version);
    if (version !== undefined && versions.length > 0) {
      throw new DomainError(
        'unprocessable',
        'unknown_model',
        `Model "${name}" has no version ${versionText}; its versions are ${versions.sort((a, b) => a - b).join(', ')} (leave out "@${versionText}" for the latest).`,
      );
    }
    const names = [...new Set(models.map((m) => m.name))];
    // Names are lowercase by registration (MODEL_NAME), so "Iris-Logreg" is never one; the closest name is
    // offered rather than taken: a guess that runs a job on the wrong model costs more than a second try.
    const near = closestName(name, names);
    const hint = near === null ? '' : ` Did you mean "${near}${versionText === undefined ? '' : `@${versionText}`}"?`;
    const lower = near !== null && near === name.toLowerCase() ? ' (model names are lowercase)' : '';
    throw new DomainError(
      'unprocessable',
      'unknown_model',
      `There is no model "${showInvisible(text)}".${hint}${lower} Available: ${names.length ? names.join(', ') : 'none (an administrator must register one)'}.`,
    );
  }
  return model;
}

/**
 * A removed version (or a name whose every version was removed) is refused as gone (410, `model_removed`),
 * saying when, and what is left to use instead: "not found" alone sent people looking for a typo.
 */
async function refuseRemoved(
  pool: Pool,
  name: string,
  version: number | undefined,
  models: { name: string; version: number }[],
): Promise<void> {
  if (!MODEL_NAME.test(name) || (version !== undefined && version > MAX_VERSION)) return;
  const removed = await findRemovedModel(pool, name, version);
  if (!removed) return;
  const when = removed.removedAt.toISOString();
  const left = models
    .filter((m) => m.name === name)
    .map((m) => m.version)
    .sort((a, b) => a - b);
  const instead = left.length
    ? `its versions still offered are ${left.join(', ')} (leave out the version for the latest)`
    : `no version of it is offered any more; available: ${[...new Set(models.map((m) => m.name))].join(', ') || 'none'}`;
  throw new DomainError(
    'gone',
    'model_removed',
    `Model ${version === undefined ? `"${name}"` : `${name}@${version}`} was removed on ${when}: ${instead}.`,
    { model: name, ...(version === undefined ? {} : { version }), removedAt: when, versions: left },
  );
}

/**
 * A model name belongs to whoever registered its first version: the admin (also for every name registered before
 * keys could, and the examples), or an API key with `models:write`. A key adds versions to, and removes versions
 * of, only the names it owns; a name it does not own is refused (403 `model_not_yours`) without saying which key
 * owns it. The admin (`byKeyId` null) manages every name. A name stays its owner's when its key is revoked (only the
 * admin manages it then) and when every version of it is removed: version numbers go on from where they were, so
 * a client still asking for the name (410 `model_removed` meanwhile) would otherwise be handed another team's model.
 */
export function refuseIfNotYours(
  name: string,
  owner: ModelNameOwner | null,
  byKeyId: string | null,
  adminNames: readonly string[] = [],
): void {
  // DEFAULT_MODEL (`adminNames`) is the admin's before it is registered: a key that took the name would have every
  // upload naming no model scored by its model, and the admin could not remove it (409 default_model).
  if (byKeyId !== null && owner === null && adminNames.includes(name)) {
    throw new DomainError(
      'forbidden',
      'model_not_yours',
      `Model "${name}" is this server's default model (DEFAULT_MODEL), which only the admin registers: uploads that name no model are scored by it. ` +
        'Register your model under another name, or ask the admin to register this one.',
      { model: name, registeredBy: 'admin' },
    );
  }
  if (byKeyId === null || owner === null || owner.keyId === byKeyId) return;
  const who = owner.keyId === null ? 'the admin' : 'another API key';
  throw new DomainError(
    'forbidden',
    'model_not_yours',
    `Model "${name}" was registered by ${who}: an API key adds versions to and removes versions of only the model names it registered first. ` +
      'Register your model under another name, or ask the admin (who manages every model) to do this.',
    { model: name, registeredBy: owner.keyId === null ? 'admin' : 'another_key' },
  );
}

/** refuseIfNotYours for the name's owner as it is now: before a registration's file is received or converted. */
export async function checkModelNameOwner(
  pool: Pool,
  name: string,
  byKeyId: string | null,
  adminNames: readonly string[] = [],
): Promise<void> {
  if (byKeyId === null || !MODEL_NAME.test(name)) return;
  refuseIfNotYours(name, await findModelNameOwner(pool, name), byKeyId, adminNames);
}

/**
 * Removes (retires) one version of a model, or all of its versions: they leave every list, the upload form,
 * `name` and DEFAULT_MODEL resolution, new jobs and real-time predictions at once. Jobs already made with them
 * finish with them, and their results stay; the stored files go with the retention sweep once no job refers to
 * them (deleteRemovedModelFiles). Refused (409 `default_model`) when it would leave DEFAULT_MODEL with no
 * version: every upload without a model, the CLI's submit and schedules without one rely on it.
 */
export async function removeModel(
  pool: Pool,
  name: string,
  version: number | undefined,
  defaultName: string,
  /** The API key asking (it must own the name: refuseIfNotYours); null: the admin. */
  byKeyId: string | null = null,
): Promise<{ name: string; removed: { version: number; removedAt: Date }[]; remaining: number[] }> {
  const valid = MODEL_NAME.test(name) && (version === undefined || (Number.isInteger(version) && version >= 1 && version <= MAX_VERSION));
  let remaining: number[] = [];
  const removed = valid
    ? await removeModelVersions(
        pool,
        name,
        version,
        (offered, removing) => {
          remaining = offered.filter((v) => !removing.includes(v));
          if (name === defaultName && remaining.length === 0) {
            throw new DomainError(
              'conflict',
              'default_model',
              `"${name}" is DEFAULT_MODEL, the model uploads without a model use, and this would leave it no version: ` +
                'set DEFAULT_MODEL to another model and restart first (or register a new version of it before removing this one).',
            );
          }
        },
        (owner) => refuseIfNotYours(name, owner, byKeyId),
      )
    : [];
  if (removed.length === 0) {
    const what = version === undefined ? `model "${name}"` : `version ${version} of model "${name}"`;
    const gone = valid ? await findRemovedModel(pool, name, version) : null;
    throw new DomainError(
      'not_found',
      'model_not_found',
      gone
        ? `There is no ${what} to remove: it was removed on ${gone.removedAt.toISOString()}.`
        : `There is no ${what}: GET /api/models lists the models and their versions.`,
    );
  }
  forgetResolvedModels(pool); // this process's real-time predictions stop using it at once
  return { name, removed, remaining };
}

/**
 * A model version by name and version (the latest when no version), or null. A version beyond PostgreSQL's
 * integer is none any model has (asking the database for it was a 500: "out of range for type integer").
 */
export async function findModelVersion(pool: Pool, name: string, version?: number): Promise<Model | null> {
  if (!MODEL_NAME.test(name) || (version !== undefined && version > MAX_VERSION)) return null;
  const row = await findModel(pool, name, version);
  return row ? remember(modelFromRecord(row)) : null;
}

const byId = new Map<number, Model>();
const remember = (m: Model): Model => {
  byId.set(m.id, m);
  return m;
};

/**
 * The model version a job pinned. Versions never change once stored, so each is read from PostgreSQL once
 * per process, by the web app and the workers alike.
 */
export async function modelById(pool: Pool, id: number): Promise<Model> {
  const cached = byId.get(id);
  if (cached) return cached;
  const row = await getModelById(pool, id);
  if (!row) throw new Error(`model ${id} does not exist`);
  return remember(modelFromRecord(row));
}

/**
 * The model versions of `ids`, in that order, as modelById gives them (an id no model has is left out): those not read
 * yet by this process in one query (a refusal's alternatives name every model; one query each was a round trip each).
 */
export async function modelsByIds(pool: Pool, ids: readonly number[]): Promise<Model[]> {
  const missing = ids.filter((id) => !byId.has(id));
  for (const row of await getModelsByIds(pool, missing)) remember(modelFromRecord(row));
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Every version of every model, newest version first within a name. */
export async function listModelVersions(pool: Pool): Promise<Model[]> {
  return (await listModels(pool)).map((row) => remember(modelFromRecord(row)));
}

/** The newest version of each model name. */
export async function latestModels(pool: Pool): Promise<Model[]> {
  const latest = new Map<string, Model>();
  for (const m of await listModelVersions(pool)) if (!latest.has(m.name)) latest.set(m.name, m);
  return [...latest.values()];
}

/** The CSV columns a model needs, when it names them all. */
export function expectedColumns(model: Pick<Model, 'schema'>): string[] | null {
  const cols: string[] = [];
  for (const input of model.schema.inputs) {
    if (!input.columns) return null;
    cols.push(...input.columns);
  }
  return cols;
}

interface RegistrationFields {
  name: string;
  /** CSV column names, for models whose file does not name their inputs. */
  features?: string[];
  description?: string;
  /** The uploaded file's name: shown, offered back on download, and a hint in messages (never trusted for the format). */
  sourceFile?: string | null;
  /**
   * The API key (with `models:write`) registering it, recorded for admins to see; left out: the admin. A key may
   * register a new name or a version of a name it owns, not of another's (refuseIfNotYours).
   */
  registeredByKeyId?: string | null;
  /** Names only the admin may register a first version of (DEFAULT_MODEL): refused to a key as another's name. */
  adminNames?: readonly string[];
  /** Gives the registration up while its file is converted (the caller went away): the import process is killed. */
  signal?: AbortSignal;
}

/**
 * The model file: ONNX, a scikit-learn pickle or joblib file, or an XGBoost JSON/UBJSON model; `bytes` in memory
 * (the examples), or `file`, the path of an uploaded file (a registration over HTTP): that one is converted in a
 * process of its own and stored by streaming, so the registering process never holds the model (it may be hundreds
 * of megabytes).
 */
export type ModelRegistration = RegistrationFields & ({ bytes: Uint8Array; file?: never } | { file: string; bytes?: never });

/** A file on disk as bytes to store, read a piece at a time. */
const fileBytes = (path: string, size: number): StreamedBytes => ({
  size,
  pieces: () => createReadStream(path, { highWaterMark: 1024 * 1024 }),
});

/**
 * Checks, converts where needed, and stores a new version of a model: the ONNX graph the workers run, its schema,
 * what it was converted from (format, library and version as found in the file, notes) and the original file.
 */
export async function registerModel(pool: Pool, m: ModelRegistration): Promise<Model & { notes: string[] }> {
  if (!MODEL_NAME.test(m.name)) {
    throw new DomainError(
      'unprocessable',
      'invalid_name',
      'A model name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.',
    );
  }
  const byKeyId = m.registeredByKeyId ?? null;
  // Refused before the file is converted (which can take a while); checked again under the lock when stored.
  await checkModelNameOwner(pool, m.name, byKeyId, m.adminNames);
  const opts = { ...(m.sourceFile ? { filename: m.sourceFile } : {}), ...(m.features ? { features: m.features } : {}) };
  if (m.bytes !== undefined) {
    const { imported, prepared } = await convertUpload(m.bytes, opts);
    return storeVersion(
      pool,
      m,
      imported,
      { sha256: prepared.sha256, schema: prepared.schema, onnx: prepared.bytes },
      {
        sha256: sha256Hex(m.bytes),
        bytes: m.bytes,
      },
    );
  }
  // The prepared graph is written next to the upload by the conversion's process, and both are streamed from disk.
  const onnxPath = `${m.file}.prepared.onnx`;
  try {
    const { original, imported, prepared } = await convertUploadFile(m.file, onnxPath, {
      ...opts,
      ...(m.signal ? { signal: m.signal } : {}),
    });
    return await storeVersion(
      pool,
      m,
      imported,
      { sha256: prepared.sha256, schema: prepared.schema, onnx: fileBytes(onnxPath, prepared.size) },
      { sha256: original.sha256, bytes: fileBytes(m.file, original.size) },
    );
  } finally {
    await rm(onnxPath, { force: true });
  }
}

async function storeVersion(
  pool: Pool,
  m: RegistrationFields,
  imported: Omit<ImportedModel, 'onnx'> & { format: ModelFormat },
  prepared: { sha256: string; schema: unknown; onnx: NewModelVersion['onnx'] },
  original: { sha256: string; bytes: Uint8Array | StreamedBytes },
): Promise<Model & { notes: string[] }> {
  const byKeyId = m.registeredByKeyId ?? null;
  const rows = await listModels(pool);
  const same = rows.filter((r) => r.name === m.name && r.original?.sha256 === original.sha256).map((r) => r.version);
  const row = await insertModelVersion(
    pool,
    {
      name: m.name,
      sha256: prepared.sha256,
      onnx: prepared.onnx,
      schema: prepared.schema,
      description: m.description ?? '',
      sourceFile: m.sourceFile ?? null,
      format: imported.format,
      library: imported.library,
      libraryVersion: imported.libraryVersion,
      converted: imported.converted,
      original,
      registeredByKeyId: byKeyId,
    },
    (owner) => refuseIfNotYours(m.name, owner, byKeyId, m.adminNames),
  );
  const model = remember(modelFromRecord(row));
  forgetResolvedModels(pool); // this process's real-time predictions use the new version at once
  return { ...model, notes: [...sameFileNotes(model, same), ...changeNotes(previousVersion(rows, model), model)] };
}

/**
 * The notes registerModel gave a version, found again from what is stored (the earlier versions of its name with
 * the same file): the admin page's form is answered by a redirect, and its page shows them after it.
 */
export async function registrationNotes(pool: Pool, model: Model): Promise<string[]> {
  const sha = model.original?.sha256;
  const rows = await listModels(pool);
  const same = sha
    ? rows.filter((r) => r.name === model.name && r.version < model.version && r.original?.sha256 === sha).map((r) => r.version)
    : [];
  return [...sameFileNotes(model, same), ...changeNotes(previousVersion(rows, model), model)];
}

/** The latest version of `model`'s name before it (removed ones are not listed), if any. */
function previousVersion(rows: ModelRecord[], model: Model): Model | undefined {
  const before = rows.filter((r) => r.name === model.name && r.version < model.version);
  if (before.length === 0) return undefined;
  return modelFromRecord(before.reduce((a, b) => (b.version > a.version ? b : a)));
}

/** The columns a model reads by name, in its order, and how many more it reads by position (inputs it does not name). */
function modelColumns(schema: ModelSchema): { named: string[]; unnamed: number } {
  const named = schema.inputs.flatMap((i) => i.columns ?? []);
  const unnamed = schema.inputs.reduce((n, i) => n + (i.columns ? 0 : i.width), 0);
  return { named, unnamed };
}

const listed = (values: readonly (string | number)[], max = 20): string => {
  const shown = values.slice(0, max).map((v) => (typeof v === 'string' ? `"${showInvisible(v)}"` : String(v)));
  return values.length > max ? `${shown.join(', ')} and ${values.length - max} more` : shown.join(', ');
};

/**
 * What a new version changes against the previous one of its name (`prev`): the columns it reads, its task and
 * its classes. A new version is what a job or request naming the model without a version gets, so a change there
 * makes files that worked be refused, or answers mean something else: the registration says so, and how to keep
 * the previous version (name@version).
 */
export function changeNotes(prev: Model | undefined, model: Model): string[] {
  if (!prev) return [];
  const before = `${prev.name}@${prev.version}`;
  const now = `${model.name}@${model.version}`;
  const keep = `Jobs and requests naming "${model.name}" without a version now use ${now}; choose ${before} to keep the previous one.`;
  const notes: string[] = [];
  const a = modelColumns(prev.schema);
  const b = modelColumns(model.schema);
  const had = new Set(a.named);
  const has = new Set(b.named);
  const added = b.named.filter((c) => !had.has(c));
  const removed = a.named.filter((c) => !has.has(c));
  const changes: string[] = [];
  if (added.length > 0) changes.push(`it needs ${added.length} column${added.length === 1 ? '' : 's'} ${before} did not: ${listed(added)}`);
  if (removed.length > 0) changes.push(`it no longer reads ${listed(removed)}, which ${before} needed`);
  if (a.unnamed !== b.unnamed) {
    const count = (n: number) => (n === 0 ? 'no columns' : `${n} column${n === 1 ? '' : 's'}`);
    changes.push(`it reads ${count(b.unnamed)} by position (not by name), where ${before} read ${count(a.unnamed)}`);
  }
  if (changes.length > 0) notes.push(`The columns changed from ${before}: ${changes.join('; ')}. Files made for ${before} may be refused.`);
  if (prev.schema.task !== model.schema.task) {
    notes.push(`The task changed: ${before} was a ${prev.schema.task}, ${now} is a ${model.schema.task}.`);
  } else {
    const x = prev.schema.classLabels ?? [];
    const y = model.schema.classLabels ?? [];
    if (x.length !== y.length || x.some((c, i) => c !== y[i])) {
      notes.push(
        `The classes changed: ${before} had ${x.length ? listed(x) : 'none named'}; ${now} has ${y.length ? listed(y) : 'none named'}.`,
      );
    }
  }
  return notes.length > 0 ? [...notes, keep] : [];
}

/**
 * A note when the file is one a version of the same name already has (`same`). Registering it again is allowed,
 * as registries of model versions allow it: it makes that file the latest again (a roll-back that keeps the
 * history, where removing the newer versions would lose them). But a version silently the same as another is
 * usually a form sent twice, so the answer says so, and how to undo it.
 */
function sameFileNotes(model: Model, same: number[]): string[] {
  if (same.length === 0) return [];
  const sorted = [...same].sort((a, b) => a - b);
  const which = sorted.length === 1 ? `version ${sorted[0]}'s` : `that of versions ${sorted.join(', ')}`;
  const { name, version } = model;
  return [
    `The file is the same (sha256 ${model.original?.sha256}) as ${which}: version ${version} was registered anyway, and is now the latest. ` +
      `If it was sent twice by mistake, remove it: DELETE /api/models/${name}/versions/${version} (batchcast models remove ${name}@${version}).`,
  ];
}

/**
 * The loaded session of a model version, lent for one use (give it back with `done()`): cached by sha256 so
 * each thread loads a model once, and released once the cache has dropped it and no use holds it.
 */
export function leaseModelSession(pool: Pool, model: Model, threads: number): Promise<SessionLease> {
  return leaseSession(model.sha256, () => getModelBytes(pool, model.sha256), model.schema, { intraOpNumThreads: threads });
}
