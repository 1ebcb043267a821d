import { sql as initial } from './001-initial.js';
import { sql as rowErrorDetails } from './002-row-error-details.js';
import { sql as retention } from './003-retention.js';
import { sql as blobPieces } from './004-blob-pieces.js';
import { sql as operations } from './005-operations.js';
import { sql as maintenance } from './006-maintenance.js';
import { sql as security } from './007-security.js';
import { sql as apiKeysWebhooks } from './008-api-keys-webhooks.js';
import { sql as modelSources } from './009-model-sources.js';
import { sql as comeBack } from './012-come-back.js';
import { sql as receivingJobs } from './013-receiving-jobs.js';
import { sql as downloadHolds } from './014-download-holds.js';
import { sql as idempotencyKeys } from './015-idempotency-keys.js';
import { sql as webhookOldSecrets } from './016-webhook-old-secrets.js';
import { sql as emailMailbox } from './017-email-mailbox.js';
import { sql as idempotentAnswers } from './018-idempotent-answers.js';
import { sql as jobListedAt } from './019-job-listed-at.js';
import { sql as doubleValues } from './020-double-values.js';
import { sql as modelRemoval } from './021-model-removal.js';
import { sql as webhookAttemptInternal } from './022-webhook-attempt-internal.js';
import { sql as webhookAttemptErrorCode } from './023-webhook-attempt-error-code.js';
import { sql as rowErrorLines } from './024-row-error-lines.js';
import { sql as chunkStartLine } from './025-chunk-start-line.js';
import { sql as modelRegisteredBy } from './026-model-registered-by.js';
import { sql as ownerDeletion } from './028-owner-deletion.js';
import { sql as tombstoneUsage } from './029-tombstone-usage.js';
import { sql as scheduleReading } from './030-schedule-reading.js';
import { sql as newKeyHandovers } from './031-new-key-handovers.js';
import { sql as chunkBooleanWords } from './032-chunk-boolean-words.js';
import { sql as webhookInFlight } from './033-webhook-in-flight.js';

/** Ordered list of migrations; append only, never edit one that has shipped. */
export const migrations: { id: string; sql: string }[] = [
  { id: '001-initial', sql: initial },
  { id: '002-row-error-details', sql: rowErrorDetails },
  { id: '003-retention', sql: retention },
  { id: '004-blob-pieces', sql: blobPieces },
  { id: '005-operations', sql: operations },
  { id: '006-maintenance', sql: maintenance },
  { id: '007-security', sql: security },
  { id: '008-api-keys-webhooks', sql: apiKeysWebhooks },
  { id: '009-model-sources', sql: modelSources },
  { id: '012-come-back', sql: comeBack },
  { id: '013-receiving-jobs', sql: receivingJobs },
  { id: '014-download-holds', sql: downloadHolds },
  { id: '015-idempotency-keys', sql: idempotencyKeys },
  { id: '016-webhook-old-secrets', sql: webhookOldSecrets },
  { id: '017-email-mailbox', sql: emailMailbox },
  { id: '018-idempotent-answers', sql: idempotentAnswers },
  { id: '019-job-listed-at', sql: jobListedAt },
  { id: '020-double-values', sql: doubleValues },
  { id: '021-model-removal', sql: modelRemoval },
  { id: '022-webhook-attempt-internal', sql: webhookAttemptInternal },
  { id: '023-webhook-attempt-error-code', sql: webhookAttemptErrorCode },
  { id: '024-row-error-lines', sql: rowErrorLines },
  { id: '025-chunk-start-line', sql: chunkStartLine },
  { id: '026-model-registered-by', sql: modelRegisteredBy },
  { id: '028-owner-deletion', sql: ownerDeletion },
  { id: '029-tombstone-usage', sql: tombstoneUsage },
  { id: '030-schedule-reading', sql: scheduleReading },
  { id: '031-new-key-handovers', sql: newKeyHandovers },
  { id: '032-chunk-boolean-words', sql: chunkBooleanWords },
  { id: '033-webhook-in-flight', sql: webhookInFlight },
];
