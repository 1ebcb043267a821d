export { renderJobOutcome, type JobOutcomeMail, type RenderedMail } from './templates.js';
export { createMailer, readOutbox, outboxDir, type Mailer, type OutboxMessage } from './mailer.js';
