/**
 * @batchcast/jobs — the domain core: typed Job and Model records parsed once from rows, the model registry,
 * and the lifecycle of a job (create, score a chunk, finalise, cancel, notify, expire, reconcile), its
 * results, real-time predictions and schedules. It raises DomainErrors that know nothing of HTTP; apps/web
 * and apps/worker are thin adapters around it.
 */
export {
  type AdminSessionRef,
  adminSessionIsLive,
  currentAdminEpoch,
  endAdminSession,
  endAllAdminSessions,
} from './access/admin-sessions.js';
export { linkMay, openJob } from './access/open-job.js';
export { handOverNewKey, NEW_KEY_HANDOVER_SECONDS, takeNewKey } from './access/new-key-handover.js';
export { adminJob, openJobAsAdmin, resendJobEmail } from './come-back/admin-access.js';
export { expiresAt } from './come-back/expiry.js';
export { LINKS_REQUESTED, requestLinks, sendLinks } from './come-back/my-links.js';
export type { JobsContext, ScoringContext, WorkQueue } from './context.js';
export { emailInputPattern, mailboxOf, parseEmail } from './email-address.js';
export { DomainError, type DomainErrorKind, JOB_LINK_ADVICE, notFound } from './errors.js';
export {
  type ApiKey,
  type ApiKeyInput,
  type ApiKeyLimits,
  type ApiKeyPrincipal,
  authenticateApiKey,
  createApiKey,
  DEFAULT_REQUESTS_PER_MINUTE,
  findApiKey,
  keyJobToken,
  listApiKeys,
  looksLikeApiKey,
  requireScope,
  revokeApiKey,
  updateApiKey,
} from './keys/api-keys.js';
export { type JobPage, listKeyJobs, openKeyJob } from './keys/key-jobs.js';
export { checkQuotasBeforeUpload, quotaDayStart } from './keys/quotas.js';
export { grants, isScope, SCOPES, type Scope } from './keys/scopes.js';
export { type Cursor, DEFAULT_PAGE_SIZE, decodeCursor, encodeCursor, MAX_PAGE_SIZE } from './pagination.js';
export { ADMIN, type WebhookActor } from './webhooks/actor.js';
export {
  type DeliveryPage,
  type DeliveryStatus,
  deliveryAsSeenBy,
  DESTINATION_NOT_ALLOWED,
  INTERNAL_RECEIVER_FAILED,
  listWebhookDeliveries,
  recentDeliveries,
  redeliverWebhook,
  type WebhookAttempt,
  type WebhookDelivery,
} from './webhooks/deliveries.js';
export { type DeliveryOutcome, deliverWebhook } from './webhooks/deliver.js';
export {
  DEFAULT_ROTATION_GRACE_SECONDS,
  getWebhook,
  listWebhooks,
  MAX_OLD_SECRETS,
  MAX_ROTATION_GRACE_SECONDS,
  registerWebhook,
  removeWebhook,
  rotateWebhookSecret,
  WEBHOOK_EVENTS,
  type WebhookEndpoint,
  type WebhookEvent,
} from './webhooks/endpoints.js';
export { deliveryId, type JobEventBody, recordJobEvents } from './webhooks/events.js';
export { RESEAL_BATCH, type ResealOutcome, resealWebhookSecrets } from './webhooks/reseal.js';
export { cancelJob } from './lifecycle/cancel-job.js';
export { deleteJob } from './lifecycle/delete-job.js';
export { JobWhileReceiving } from './lifecycle/receive-job.js';
export { passUploadGate } from './lifecycle/upload-gate.js';
export { type CreatedJob, checkRequestEmail, createJob, type JobRequest, planJobColumns } from './lifecycle/create-job.js';
export { finaliseJob } from './lifecycle/finalise-job.js';
export { loadJob } from './lifecycle/load-job.js';
export { notifyOwner, outcomeMail } from './lifecycle/notify-owner.js';
export { recordChunkFailure, scoreChunk } from './lifecycle/score-chunk.js';
export { MODEL_TIMEOUT, recordStuckChunk } from './lifecycle/stuck-chunk.js';
export { type ExpiryPass, expireJobs } from './maintenance/expire-jobs.js';
export { reconcile } from './maintenance/reconcile.js';
export { registerExampleModels } from './models/examples.js';
export { recordForestVerdicts } from './models/forest-verdicts.js';
export {
  checkModelNameOwner,
  expectedColumns,
  findModelVersion,
  latestModels,
  listModelVersions,
  MODEL_NAME,
  type ModelRegistration,
  modelById,
  registerModel,
  registrationNotes,
  removeModel,
  resolveModel,
} from './models/registry.js';
export { type ColumnsAlternatives, columnsAlternatives, explainColumnsRefusal } from './models/columns-refusal.js';
export { type ModelOriginal, openModelOriginal, originalFilename } from './models/original.js';
export { sampleCsv } from './models/sample-csv.js';
export { type SampleFormat, writeSample } from './models/sample-formats.js';
export * from './operations.js';
export { MAX_PREDICT_ROWS, modelColumns, predictCells } from './predict.js';
export type { PredictAnswer, Prediction } from './predict-answer.js';
export {
  type CsvJobLayout,
  type InputFormat,
  isActive,
  type VisibleJob,
  type Job,
  type JobLayout,
  type JobStatus,
  type JsonlJobLayout,
  type Model,
  type ModelFormat,
  type ParquetJobLayout,
  type XlsxJobLayout,
} from './records.js';
export { firstFailures, type JobSummary, jobSummary } from './results/summary.js';
export { errorsFilename, writeErrorsCsv } from './results/write-errors.js';
export { resultsFilename, writeResults } from './results/write-results.js';
export {
  aboutResults,
  checkFailedRowsReady,
  type ResultsAbout,
  type ResultsDownload,
  resultsDownload,
} from './results/results-download.js';
export {
  isResultsFormat,
  RESULTS_FORMATS,
  type ResultsFormat,
  resultsFormatsFor,
  resultsOffer,
  type UnavailableFormat,
} from './results/results-format.js';
export { typedResultColumns, type TypedResultsFormat, writeTypedResults } from './results/write-typed-results.js';
export { describeInput, type InputDescription, positionalNote, type UploadFormat } from './inputs/describe-input.js';
export { dialectOf } from './inputs/dialect.js';
export { inputColumns } from './inputs/input-columns.js';
export { readInputBatches } from './inputs/read-input-batches.js';
export { readInputFields, readInputRows } from './inputs/read-input-rows.js';
export { createSchedule, listSchedules, removeSchedule, type ScheduleInput, type ScheduleState } from './schedules/manage.js';
export { runJobId, runSchedule, type ScheduleRun, type ScheduleRunOutcome } from './schedules/run.js';
export { cleanFilename } from './uploads/filename.js';
export { detectionRefusal, formatRefusal } from './uploads/refusals.js';
export {
  type HeaderCheck,
  type StoreUploadOptions,
  type StoredChunk,
  type StoredUpload,
  storeUpload,
  type UploadChoices,
  type UploadProgress,
} from './uploads/store-upload.js';
export { checkIdempotencyKey, IDEMPOTENCY_RETENTION_HOURS } from './idempotency/key-claims.js';
export { answerOnce, canonicalJson, type KeyedRequest, type RequestAnswer } from './idempotency/request-keys.js';
export {
  claimSubmissionKey,
  HeldSubmissionKey,
  KnownSubmissionKey,
  type SubmissionClaim,
  type SubmissionParts,
  submissionKeyMadeJob,
} from './idempotency/submission-keys.js';
