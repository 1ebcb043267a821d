import { dateTime, NAME_PATTERN, shownText, Task, version } from './common.js';
import { z } from './zod.js';

const TensorInfo = z.object({ name: z.string(), type: z.string(), shape: z.array(z.number().int().nullable()) });

export const ModelFormat = z
  .enum(['onnx', 'sklearn-pickle', 'sklearn-joblib', 'xgboost-json', 'xgboost-ubj'])
  .openapi('ModelFormat', { description: 'What was uploaded, found from the file’s content (never from its name).' });
export type ModelFormat = z.infer<typeof ModelFormat>;

export const ModelOriginal = z
  .object({
    filename: z.string().openapi({ description: 'The name the file is downloaded under (the uploaded name when there was one).' }),
    bytes: z.number().int().min(0),
    sha256: z.string(),
    download: z.string().openapi({ description: 'Where an admin downloads it, byte for byte.' }),
  })
  .openapi('ModelOriginal');

export const Model = z
  .object({
    name: z.string(),
    version: version(),
    sha256: z.string().openapi({
      description:
        'The sha256 of the ONNX graph batchcast prepared and scores this version with (converted from a pickle, joblib or XGBoost file; an ONNX upload as prepared), not of the uploaded file, whose sha256 (what `sha256sum` of the file gives) is `original.sha256`.',
    }),
    description: z.string(),
    task: Task,
    inputs: z.array(TensorInfo),
    columns: z.array(z.string()).nullable().openapi({ description: 'The CSV columns the model needs, when it names them.' }),
    outputs: z.array(TensorInfo),
    classLabels: z.array(z.union([z.string(), z.number()])).nullable(),
    predictionColumns: z.array(z.string()).openapi({
      description:
        'The columns appended to the results (`prediction`, `probability_<class>`…; a label differing only in case from an earlier one gets `_2`, `_3`…).',
    }),
    createdAt: dateTime(),
    format: ModelFormat,
    library: z
      .string()
      .nullable()
      .openapi({ description: 'The library that wrote the file (`scikit-learn`, `xgboost`); null for ONNX uploads.' }),
    libraryVersion: z.string().nullable().openapi({ description: 'Its version as found in the file (e.g. `1.2.1`).' }),
    converted: z
      .array(z.string())
      .openapi({ description: 'What was converted into the ONNX graph batchcast scores with, and how; empty for ONNX uploads.' }),
    original: ModelOriginal.nullable().openapi({
      description: 'The uploaded file, kept as it came (null for versions registered before originals were kept).',
    }),
  })
  .openapi('Model');
export type Model = z.infer<typeof Model>;

export const RegisteredModel = Model.extend({
  notes: z.array(z.string()).optional().openapi({
    description:
      "Things worth knowing about this registration: the file is the same as an existing version's (allowed, it makes that file the latest again; the note says how to remove the new version if it was sent twice); what changed against the previous version of the name (columns added or removed, task, classes), since a job naming the model without a version now uses this one. Absent when there is nothing to say.",
  }),
}).openapi('RegisteredModel');
export type RegisteredModel = z.infer<typeof RegisteredModel>;

export const ModelList = z
  .object({
    models: z.array(Model),
    default: z
      .string()
      .nullable()
      .openapi({ description: 'The model an upload without `model` is scored by (DEFAULT_MODEL); null when it is not registered.' }),
  })
  .openapi('ModelList');
export type ModelList = z.infer<typeof ModelList>;

export const ModelVersions = z.object({ name: z.string(), latest: Model, versions: z.array(Model) }).openapi('ModelVersions');
export type ModelVersions = z.infer<typeof ModelVersions>;

/** The multipart fields of a model registration besides the file. */
export const ModelRegistrationFields = z
  .object({
    name: z.string({ error: 'Give "name": the model\'s name (a new version is added when it exists).' }).trim().regex(NAME_PATTERN, {
      error: 'A model name is 1 to 64 lowercase letters, digits, ".", "_" or "-", starting with a letter or digit.',
    }),
    features: z.string().max(100_000).optional().openapi({
      description:
        'Comma-separated CSV column names, only for models whose file does not name their inputs (ONNX without feature names, a model fitted on an array).',
    }),
    // Every model list (GET /api/models, the upload page) carries each version's description: a megabyte of one
    // (the form's field limit) was sent to everyone who opened the home page.
    description: shownText(
      z.string().max(2000, { error: 'A model\'s "description" is at most 2,000 characters.' }),
      'A model\'s "description"',
    ).optional(),
  })
  // A misspelt field ("feature" for "features") registered the model without it, answering 201.
  .strict();
export type ModelRegistrationFields = z.infer<typeof ModelRegistrationFields>;

export const ModelRegistrationForm = ModelRegistrationFields.extend({
  file: z.string().openapi({
    format: 'binary',
    description:
      'The model file: ONNX (.onnx), scikit-learn saved with pickle or joblib (.pkl, .joblib; plain or zlib/gzip-compressed), or XGBoost ' +
      'saved with save_model (.json, .ubj). The format is found from the content. Pickles are read as data against an allow-list of ' +
      'scikit-learn and numpy classes and never executed.',
  }),
}).openapi('ModelRegistrationForm');

export const ModelVersionParams = z.object({
  name: z.string().openapi({ description: 'A model name.', pattern: NAME_PATTERN.source }),
  version: z.string().openapi({ description: 'A version number (1, 2, …).', pattern: '^[1-9][0-9]*$' }),
});

export const SampleQuery = z.object({
  version: z.coerce.number().int().min(1).optional().openapi({ description: 'An older version (default: the latest).' }),
});

const Cell = z.union([z.string(), z.number(), z.boolean(), z.null()]);

export const PredictRequest = z
  .object({
    rows: z
      .array(z.record(z.string(), Cell))
      .openapi({ description: 'At most 10,000 rows, each an object of column name to value (as in the CSV).' }),
  })
  .openapi('PredictRequest');
export type PredictRequest = z.infer<typeof PredictRequest>;

export const PredictResponse = z
  .object({
    model: z.object({ name: z.string(), version: version() }),
    predictions: z.array(z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))).openapi({
      description:
        'One per row, in order: `prediction` (a label, a number, or true/false for a classifier fitted on booleans), `probability_<class>`… or, for a row that cannot be scored, nulls and `error`.',
    }),
  })
  .openapi('PredictResponse');
export type PredictResponse = z.infer<typeof PredictResponse>;
