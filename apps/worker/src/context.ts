import type { BlobStore } from '@batchcast/blob';
import type { Config } from '@batchcast/config';
import type { Pool } from '@batchcast/db';
import type { Logger } from '@batchcast/log';
import type { Mailer } from '@batchcast/mail';
import type { JobProducer } from '@batchcast/queue';

/** What processors work with; built once per worker process. */
export interface WorkerContext {
  config: Config;
  pool: Pool;
  /** Where uploads are stored (BLOB_STORE). */
  blobs: BlobStore;
  producer: JobProducer;
  mailer: Mailer;
  log: Logger;
}
