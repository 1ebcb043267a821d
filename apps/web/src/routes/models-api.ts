import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  DomainError,
  listModelVersions,
  MAX_PREDICT_ROWS,
  modelColumns,
  openModelOriginal,
  predictCells,
  removeModel,
  resolveModel,
} from '@batchcast/jobs';
import { asRowsBody, type CellTape, PredictBodyError, type RowsBody, readPredictCells } from '@batchcast/predict-body';
import express, { type Request, Router } from 'express';
import { requireAdmin } from '../auth/admin.js';
import { requireAdminOrKey } from '../auth/api-key.js';
import type { WebContext } from '../context.js';
import { bodyBudget } from '../http/body-budget.js';
import { refuse } from '../http/errors.js';
import { answerOnceByKey } from '../http/idempotency-key.js';
import { clientGone } from '../http/client-gone.js';
import { describeModel } from '../presenters/model.js';
import { modelFormParts, receiveModelForm, registerReceivedModel } from '../upload/receive-model.js';
/** 10,000 rows of a few dozen columns fit well under this; more is a batch job. */
const MAX_PREDICT_BODY_BYTES = 32 * 1024 * 1024;
/** Real-time bodies held at once: two of the largest per client (many small ones), eight for the process. */
const PREDICT_BODIES_PER_CLIENT = 2 * MAX_PREDICT_BODY_BYTES;
const PREDICT_BODIES_IN_FLIGHT = 8 * MAX_PREDICT_BODY_BYTES;

/**
 * The request body through the bounded reader, as a tape of cells; its refusals in the API's words. Any
 * content type is read (curl -d sends form-urlencoded), but a body of another type that is not JSON is told
 * so: a CSV file sent here was answered "expected a value at byte 0 (found "s")".
 */
async function readPredictBody(raw: unknown, contentType: string | undefined, columns: () => Promise<string[] | null>): Promise<CellTape> {
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw refuse('invalid', 'invalid_body', 'Send JSON { "rows": [ { "column": value, ... }, ... ] } with content-type application/json.');
  }
  try {
    return readPredictCells(raw, { maxRows: MAX_PREDICT_ROWS });
  } catch (err) {
    if (!(err instanceof PredictBodyError)) throw err;
    // Not `{"rows": [...]}` at its top: MLflow's, TF Serving's or Vertex AI's body, or a bare array of rows, is read
    // as those rows (asRowsBody), the rows path's refusal kept for anything else.
    const other = err.code === 'unknown_field' || err.code === 'invalid_body' ? await otherShape(raw, columns) : null;
    if (other) return readOtherShape(other.body, other.rowsName);
    // Wherever the reader stopped: a CSV line read as far as its first number (`5.1,3.5`), or a multipart body as far
    // as its boundary's second "-", was answered "expected a digit at byte 1" rather than told what to send.
    if (err.code === 'malformed_json' && contentType && !/\bjson\b/i.test(contentType)) {
      throw refuse(
        'unsupported_media',
        'unsupported_content_type',
        `The body is not JSON (it came as ${JSON.stringify(contentType)}): send { "rows": [ { "column": value, ... } ] } ` +
          'with content-type application/json; to score a file, submit it as a batch job (POST /api/jobs).',
      );
    }
    throw bodyRefusal(err);
  }
}

/** A refusal of the body reader in the API's words. */
function bodyRefusal(err: PredictBodyError, message = err.message, where: object = err.where): DomainError {
  const kind = err.status === 413 ? 'too_large' : err.status === 422 ? 'unprocessable' : 'invalid';
  return new DomainError(kind, err.code, message, { ...where });
}

/** asRowsBody, its refusals in the API's words. */
async function otherShape(raw: Buffer, columns: () => Promise<string[] | null>): Promise<RowsBody | null> {
  try {
    return await asRowsBody(raw, columns);
  } catch (err) {
    throw err instanceof PredictBodyError ? bodyRefusal(err) : err;
  }
}

/** A body of another shape, rewritten as rows: read by the rows path, its refusals naming the rows as they were sent. */
function readOtherShape(body: Buffer, rowsName: string): CellTape {
  try {
    return readPredictCells(body, { maxRows: MAX_PREDICT_ROWS });
  } catch (err) {
    if (!(err instanceof PredictBodyError)) throw err;
    const { offset: _rewritten, ...where } = err.where;
    throw bodyRefusal(err, err.message.replaceAll('rows[', `${rowsName}[`), where);
  }
}

/**
 * The model registry: anyone may list and predict; registering and removing versions need the admin token or
 * an API key with `models:write`, which manages only the model names it registered first (a new name is the
 * key's; another's is 403 `model_not_yours`); the original files stay the admin's alone.
 */
export function modelsApi(ctx: WebContext): Router {
  const router = Router();

  router.get('/api/models', async (_req, res) => {
    const models = await listModelVersions(ctx.jobs.pool);
    const fallback = ctx.config.models.defaultName;
    res.json({ models: models.map(describeModel), default: models.some((m) => m.name === fallback) ? fallback : null });
  });

  router.get('/api/models/:name', async (req, res) => {
    const ref = String(req.params.name);
    // name@version, as predict, DELETE and an upload's `model` take it: that version alone.
    if (ref.includes('@')) return void res.json(describeModel(await modelInPath(ctx, ref)));
    const versions = (await listModelVersions(ctx.jobs.pool)).filter((m) => m.name === ref);
    if (versions.length === 0) {
      // As predict, DELETE and an upload's `model` answer, in resolveModel's words: a removed model is 410
      // model_removed (when, and what to use instead), any other name 404 model_not_found (the name meant).
      const refusal = await resolveModel(ctx.jobs.pool, ref, ref).then(
        () => null,
        (err: unknown) => (err instanceof DomainError ? err : null),
      );
      if (refusal?.code === 'model_removed') throw refusal;
      throw new DomainError(
        'not_found',
        'model_not_found',
        refusal?.message ?? `There is no model "${ref}": GET /api/models lists the models.`,
      );
    }
    res.json({ name: ref, latest: describeModel(versions[0]!), versions: versions.map(describeModel) });
  });
  router.get('/api/models/:name/versions/:version', async (req, res) => {
    res.json(describeModel(await modelInPath(ctx, `${req.params.name}@${req.params.version}`)));
  });

  // The body is read raw and parsed by the bounded reader (PredictRequest is its documented shape): a body
  // with too many rows or keys is refused while it is being read, before anything is built from it. Before
  // that, the bodies held at once are bounded (per client and in all), as the rate limit counts only per minute.
  const budget = bodyBudget({
    maxBodyBytes: MAX_PREDICT_BODY_BYTES,
    perClientBytes: PREDICT_BODIES_PER_CLIENT,
    totalBytes: PREDICT_BODIES_IN_FLIGHT,
    what: 'real-time requests',
  });
  const raw = express.raw({ type: () => true, limit: MAX_PREDICT_BODY_BYTES });
  router.post('/api/models/:name/predict', budget, raw, async (req, res) => {
    const name = String(req.params.name);
    const cells = await readPredictBody(req.body, req.get('content-type'), () => modelColumns(ctx.jobs, name).catch(asNotFound));
    // A caller that goes away gives its request up: still waiting for a scoring process, it leaves the line.
    const gone = clientGone(res);
    // predictCells answers JSON text: byte for byte what res.json would make of the answer objects.
    res.type('json').send(await predictCells(ctx.jobs, name, cells, gone).catch(asNotFound));
  });

  // Any model file: ONNX, scikit-learn pickle/joblib, XGBoost JSON/UBJSON, told apart by their content.
  router.post('/api/models', requireAdminOrKey(ctx, 'models:write'), async (req, res) => {
    await receiveModelForm(ctx, req, res);
    // A registration whose caller went away ends its import (its place among those at once is free again).
    const gone = clientGone(res);
    try {
      // A retry whose answer was lost gets the version it registered, rather than registering another.
      await answerOnceByKey(ctx, req, res, 'admin', await modelFormParts(req), async (jobs) => {
        const registered = await registerReceivedModel(jobs, req, gone);
        // Notes only when there is something to say: the answer is otherwise the version as GET /api/models/:name lists it.
        const model = { ...describeModel(registered), ...(registered.notes.length > 0 ? { notes: registered.notes } : {}) };
        return { status: 201, location: `/api/models/${encodeURIComponent(model.name)}`, body: model };
      });
    } finally {
      if (req.file) await rm(req.file.path, { force: true });
    }
  });

  modelOriginalRoute(ctx, router);
  modelRemovalRoutes(ctx, router);

  return router;
}

/**
 * The model a path names (`name` or `name@version`): one that is not there is `404 model_not_found`, as for any
 * resource an address names, with resolveModel's words (the versions it has, the models there are, the name
 * meant). A model named by a field of a request (an upload's `model`, a schedule's) is `422 unknown_model`.
 * A removed one is `410 model_removed` either way.
 */
function modelInPath(ctx: WebContext, ref: string) {
  return resolveModel(ctx.jobs.pool, ref, ref).catch(asNotFound);
}

const asNotFound = (err: unknown): never => {
  if (err instanceof DomainError && err.code === 'unknown_model')
    throw new DomainError('not_found', 'model_not_found', err.message, err.details);
  throw err;
};

/**
 * Removing a model (every version) or one version, for admins and keys with `models:write` (of the names the key
 * owns: 403 `model_not_yours` otherwise): 204, 404 (`model_not_found`) when nothing offered
 * matches, 409 (`default_model`) when it would leave DEFAULT_MODEL without a version. A version is addressed as
 * elsewhere in the API: /versions/N, or name@N as predict takes it.
 */
function modelRemovalRoutes(ctx: WebContext, router: Router): void {
  const remove = async (req: Request, name: string, version: number | undefined) => {
    // A key removes only what it owns (403 model_not_yours otherwise); the admin anything.
    const done = await removeModel(ctx.jobs.pool, name, version, ctx.config.models.defaultName, req.apiKey?.id ?? null);
    // Who did it, for whoever later wonders where a version went: the key (id and prefix), else the admin.
    const by = req.apiKey ? { keyId: req.apiKey.id, keyPrefix: req.apiKey.prefix } : { by: 'admin' };
    ctx.log.info({ model: done.name, versions: done.removed.map((r) => r.version), ...by }, 'model versions removed');
  };
  const guard = requireAdminOrKey(ctx, 'models:write');
  router.delete('/api/models/:name', guard, async (req, res) => {
    const ref = String(req.params.name);
    const at = ref.indexOf('@');
    await remove(req, at < 0 ? ref : ref.slice(0, at), at < 0 ? undefined : versionParam(ref.slice(at + 1)));
    res.status(204).end();
  });
  router.delete('/api/models/:name/versions/:version', guard, async (req, res) => {
    await remove(req, String(req.params.name), versionParam(String(req.params.version)));
    res.status(204).end();
  });
}

/**
 * A version in a path: digits only ("1e3" is no version), after an optional "v" as the pages show versions
 * ("v2"); anything else is a version no model has (404).
 */
const versionParam = (text: string): number => (/^v?[1-9][0-9]{0,9}$/i.test(text) ? Number(text.replace(/^v/i, '')) : 0);

/**
 * The file a model version was registered from, byte for byte, for admins (the bearer token or a session) only:
 * `models:write` publishes models, it does not hand out the files others registered them from.
 */
function modelOriginalRoute(ctx: WebContext, router: Router): void {
  router.get('/api/models/:name/versions/:version/original', requireAdmin(ctx), async (req, res) => {
    const version = versionParam(String(req.params.version));
    const original = await openModelOriginal(ctx.jobs.pool, String(req.params.name), version);
    res.status(200);
    res.set({
      'content-type': 'application/octet-stream',
      'content-length': String(original.size),
      etag: `"${original.sha256}"`,
      'cache-control': 'private, no-store',
    });
    res.attachment(original.filename);
    // A pickle or ONNX file is never something for the browser to open: attachment, octet-stream, nosniff.
    res.set('content-type', 'application/octet-stream');
    // The file is named by its sha256 (the ETag): a client that has it (If-None-Match) is told so, and HEAD
    // gets the headers; neither reads the file out of PostgreSQL.
    if (req.fresh) {
      res.status(304).removeHeader('content-length');
      res.removeHeader('content-type');
      res.end();
      return;
    }
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await pipeline(Readable.from(original.pieces()), res);
  });
}
