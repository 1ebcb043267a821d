/**
 * @batchcast/runtime — how every batchcast process starts and stops: boot() (configuration, logger,
 * signals, one shutdown registry) and supervise() (keeps the web and worker processes running).
 */
export { boot, type BootOptions, type Runtime } from './boot.js';
export { ShutdownRegistry } from './shutdown.js';
export { asStartFailure, EX_CONFIG, StartError } from './start-error.js';
export { noticeOf, type SupervisorNotice, tellSupervisor, type WebListening } from './notices.js';
export { type ProcessSpec, type SuperviseOptions, type Supervisor, supervise } from './supervise.js';
export { freePort } from './free-port.js';
