import type { Redis } from 'ioredis';
import type { BlobStore } from '@batchcast/blob';
import type { Config } from '@batchcast/config';
import type { Pool } from '@batchcast/db';
import type { Logger } from '@batchcast/log';
import type { JobProducer } from '@batchcast/queue';

/** What request handlers work with; built once in server.ts (or by a test) and passed to createApp. */
export interface WebContext {
  config: Config;
  pool: Pool;
  /** Where uploads are stored (BLOB_STORE). */
  blobs: BlobStore;
  redis: Redis;
  producer: JobProducer;
  log: Logger;
}
