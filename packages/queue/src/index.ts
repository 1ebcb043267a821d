export * from './catalog.js';
export { createProducerConnection, createWorkerConnection } from './connections.js';
export { JobProducer } from './producer.js';
export { isTimeZone, listScheduleTimers, nextRun, removeScheduleTimer, upsertScheduleTimer, type ScheduleTimer } from './schedules.js';
