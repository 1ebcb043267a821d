export * from './catalog.js';
export { createProducerConnection, createWorkerConnection } from './connections.js';
export { JobProducer } from './producer.js';
