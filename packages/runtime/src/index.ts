/**
 * @batchcast/runtime — how every batchcast process starts and stops: boot() (configuration, logger,
 * signals, one shutdown registry) and supervise() (keeps the web and worker processes running).
 */
export { boot, type BootOptions, type Runtime } from './boot.js';
export { ShutdownRegistry } from './shutdown.js';
export { supervise, type ProcessSpec, type Supervisor } from './supervise.js';
