export * from './catalog.js';
export { createProducerConnection, createWorkerConnection } from './connections.js';
export { consume, type ConsumeOptions, type Handlers, type ThreadHandlers, type ThreadKinds } from './consume.js';
export type { ThreadDeadline } from './thread-deadline.js';
export { type Handler, type JobInfo, type KindHandlers, type RetryInPlace, UnrecoverableJobError } from './run-job.js';
export { JobProducer } from './producer.js';
export { RetryLater, RunLater, WEBHOOK_ATTEMPTS, WEBHOOK_RETRY_CAP_MS, WEBHOOK_RETRY_FACTOR, webhookRetryDelay } from './retry-schedule.js';
export type { JobType as QueueJobState } from 'bullmq';
export { isTimeZone, nextRun, type ScheduleTimer, type StoredScheduleTimer } from './schedules.js';
