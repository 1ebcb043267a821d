import { readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { ModelRegistrationFields, parseWith } from '@batchcast/contract';
import { DomainError, listModelVersions, MAX_PREDICT_ROWS, notFound, predictRows, registerModel } from '@batchcast/jobs';
import { type PredictBody, parsePredictBody, PredictBodyError } from '@batchcast/predict-body';
import express, { Router } from 'express';
import multer from 'multer';
import { requireAdmin } from '../auth/admin.js';
import type { WebContext } from '../context.js';
import { fromMulterError, refuse } from '../http/errors.js';
import { describeModel } from '../presenters/model.js';

const MAX_MODEL_BYTES = 512 * 1024 * 1024;
/** 10,000 rows of a few dozen columns fit well under this; more is a batch job. */
const MAX_PREDICT_BODY_BYTES = 32 * 1024 * 1024;

/** The request body through the bounded reader; its refusals in the API's words. */
function readPredictBody(raw: unknown): PredictBody {
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    throw refuse('invalid', 'invalid_body', 'Send JSON { "rows": [ { "column": value, ... }, ... ] } with content-type application/json.');
  }
  try {
    return parsePredictBody(raw, { maxRows: MAX_PREDICT_ROWS });
  } catch (err) {
    if (!(err instanceof PredictBodyError)) throw err;
    const kind = err.status === 413 ? 'too_large' : err.status === 422 ? 'unprocessable' : 'invalid';
    throw new DomainError(kind, err.code, err.message, { ...err.where });
  }
}

/** The model registry: anyone may list and predict; registering needs the admin token. */
export function modelsApi(ctx: WebContext): Router {
  const router = Router();
  const upload = multer({
    dest: os.tmpdir(),
    limits: { fileSize: MAX_MODEL_BYTES, files: 1, fields: 10, fieldSize: 1024 * 1024, parts: 12, headerPairs: 100 },
  }).single('file');

  router.get('/api/models', async (_req, res) => {
    const models = await listModelVersions(ctx.jobs.pool);
    const fallback = ctx.config.models.defaultName;
    res.json({ models: models.map(describeModel), default: models.some((m) => m.name === fallback) ? fallback : null });
  });

  router.get('/api/models/:name', async (req, res) => {
    const versions = (await listModelVersions(ctx.jobs.pool)).filter((m) => m.name === req.params.name);
    if (versions.length === 0) throw notFound('model');
    res.json({ name: req.params.name, latest: describeModel(versions[0]!), versions: versions.map(describeModel) });
  });

  // The body is read raw and parsed by the bounded reader (PredictRequest is its documented shape): a body
  // with too many rows or keys is refused while it is being read, before anything is built from it.
  router.post('/api/models/:name/predict', express.raw({ type: () => true, limit: MAX_PREDICT_BODY_BYTES }), async (req, res) => {
    const body = readPredictBody(req.body);
    res.json(await predictRows(ctx.jobs, String(req.params.name), body.rows, body.header));
  });

  router.post('/api/models', requireAdmin(ctx), async (req, res) => {
    await new Promise<void>((resolve, reject) =>
      upload(req, res, (err: unknown) =>
        err instanceof multer.MulterError ? reject(fromMulterError(err, MAX_MODEL_BYTES)) : err ? reject(err) : resolve(),
      ),
    );
    if (!req.file) throw refuse('invalid', 'no_file', 'Send the .onnx file as multipart/form-data in the field "file".');
    try {
      const fields = parseWith(ModelRegistrationFields, req.body ?? {}, 'form');
      const features = fields.features?.trim() ? fields.features.split(',').map((f) => f.trim()) : undefined;
      const model = await registerModel(ctx.jobs.pool, {
        name: fields.name,
        bytes: await readFile(req.file.path),
        ...(features ? { features } : {}),
        description: (fields.description ?? '').slice(0, 2000),
        sourceFile: req.file.originalname,
      });
      res.status(201).json(describeModel(model));
    } finally {
      await rm(req.file.path, { force: true });
    }
  });

  return router;
}
