export { renderJobOutcome, type JobOutcomeMail, type RenderedMail } from './templates.js';
export { renderJobLinks, type JobLinkItem, type JobLinksMail } from './links-template.js';
export { rowsText, utcText } from './facts.js';
export { createMailer, readOutbox, outboxDir, type Mailer, type OutboxMessage } from './mailer.js';
