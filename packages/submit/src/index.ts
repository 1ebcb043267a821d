/**
 * @batchcast/submit — how a job is born, shared by the browser/API upload (apps/web) and scheduled runs
 * (apps/worker): model resolution, address check, the header and first-sample check, recording the job in
 * PostgreSQL and queueing its scoring; and storing a CSV stream while scanning it.
 */
export { Refusal } from './refusal.js';
export { parseEmail } from './email.js';
export { MODEL_NAME, modelById, resolveModel } from './models.js';
export { createJob, checkSample, type JobRequest, type StoredUpload, type SubmitDeps, type SubmittedJob } from './create-job.js';
export { storeScanned, type ScannedUpload, type UploadSink } from './store-scanned.js';
export { checkScheduleSource, openScheduleSource, parseScheduleSource, type ScheduleSource } from './schedule-source.js';
