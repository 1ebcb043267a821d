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
export { openJob } from './access/open-job.js';
export type { JobsContext, ScoringContext, WorkQueue } from './context.js';
export { parseEmail } from './email-address.js';
export { DomainError, type DomainErrorKind, notFound } from './errors.js';
export { cancelJob } from './lifecycle/cancel-job.js';
export { type CreatedJob, createJob, type JobRequest } from './lifecycle/create-job.js';
export { finaliseJob } from './lifecycle/finalise-job.js';
export { loadJob } from './lifecycle/load-job.js';
export { notifyOwner } from './lifecycle/notify-owner.js';
export { recordChunkFailure, scoreChunk } from './lifecycle/score-chunk.js';
export { type ExpiryPass, expireJobs } from './maintenance/expire-jobs.js';
export { reconcile } from './maintenance/reconcile.js';
export { registerExampleModels } from './models/examples.js';
export {
  expectedColumns,
  findModelVersion,
  latestModels,
  listModelVersions,
  MODEL_NAME,
  type ModelRegistration,
  modelById,
  registerModel,
  resolveModel,
} from './models/registry.js';
export { sampleCsv } from './models/sample-csv.js';
export * from './operations.js';
export { MAX_PREDICT_ROWS, type Prediction, type PredictRow, predictRows } from './predict.js';
export { isActive, type Job, type JobLayout, type JobStatus, type Model } from './records.js';
export { type JobSummary, jobSummary } from './results/summary.js';
export { errorsFilename, writeErrorsCsv } from './results/write-errors.js';
export { resultsFilename, writeResults } from './results/write-results.js';
export { createSchedule, listSchedules, removeSchedule, type ScheduleInput, type ScheduleState } from './schedules/manage.js';
export { runJobId, runSchedule, type ScheduleRun, type ScheduleRunOutcome } from './schedules/run.js';
export { cleanFilename } from './uploads/filename.js';
export { formatRefusal, type StoredUpload, storeUpload } from './uploads/store-upload.js';
