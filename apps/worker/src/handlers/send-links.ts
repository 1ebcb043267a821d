import { sendLinks } from '@batchcast/jobs';
import type { Handler } from './handler.js';

/** Answers an "email me my links" request; a failure throws and the queue retries with backoff. */
export const sendLinksHandler: Handler<'send-links'> = (ctx) => (payload) => sendLinks(ctx, payload.requestId);
