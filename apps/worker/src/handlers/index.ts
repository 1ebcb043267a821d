import type { JobsContext } from '@batchcast/jobs';
import type { Handlers } from '@batchcast/queue';
import { deliverWebhookHandler } from './deliver-webhook.js';
import { finalizeJobHandler } from './finalize-job.js';
import { scheduledRunHandler } from './scheduled-run.js';
import { sendEmailHandler } from './send-email.js';
import { sendLinksHandler } from './send-links.js';
import { uploadGateHandler } from './upload-gate.js';

/**
 * One adapter per main-thread job kind of the catalog; a kind without one does not compile. The thread kinds
 * (score-chunk) have theirs in scoring-thread.ts.
 */
export function handlers(ctx: JobsContext): Handlers {
  return {
    'finalize-job': finalizeJobHandler(ctx),
    'upload-gate': uploadGateHandler(ctx),
    'send-email': sendEmailHandler(ctx),
    'send-links': sendLinksHandler(ctx),
    'scheduled-run': scheduledRunHandler(ctx),
    'deliver-webhook': deliverWebhookHandler(ctx),
  };
}
