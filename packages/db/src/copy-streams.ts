import { once } from 'node:events';
import type { Writable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import { ByteaCopyReader } from './copy-binary.js';
import type { Pool, PoolClient } from './pool.js';

const { from: copyFrom, to: copyTo } = copyStreams;

/** A COPY in progress and the first error it reported (its connection dropped, the server refused it). */
interface CopyState {
  stream: Writable;
  /** Settles when the COPY has ended: resolves on success, rejects with its error. */
  ended: Promise<void>;
  failure: Error | null;
}

/**
 * Writes to the COPY stream and waits for it to drain, or fails as soon as the COPY has failed: a COPY
 * whose connection dropped never drains (waiting would hang forever), and writing to it again only raises
 * symptoms (pg-copy-streams dereferences its dropped connection).
 */
async function write(copy: CopyState, data: Buffer): Promise<void> {
  if (copy.failure) throw copy.failure;
  if (copy.stream.write(data)) return;
  await Promise.race([once(copy.stream, 'drain'), copy.ended.then(() => Promise.reject(new Error('the COPY ended before it drained')))]);
}

/**
 * Runs `COPY ... FROM STDIN` on `client` with the bytes `data` yields (each written as soon as it comes, so
 * PostgreSQL stores one part while the next is produced). The COPY starts before `data` is first asked for.
 * Rejects with the COPY's own failure when it failed (say its connection dropped), so callers can tell an
 * outage from their own errors; later errors are its symptoms.
 */
export async function copyIn(client: PoolClient, sql: string, data: AsyncIterable<Buffer>): Promise<void> {
  const copy = client.query(copyFrom(sql));
  const state: CopyState = { stream: copy, ended: Promise.resolve(), failure: null };
  state.ended = new Promise<void>((resolve, reject) => {
    copy.on('finish', resolve);
    copy.on('error', (err: Error) => {
      state.failure ??= err;
      reject(err);
    });
  });
  // Observed below; a COPY failing while `data` is being produced must not be an unhandled rejection.
  state.ended.catch(() => undefined);
  try {
    for await (const buf of data) await write(state, buf);
    if (state.failure) throw state.failure;
    copy.end();
    await state.ended;
  } catch (err) {
    const cause = state.failure;
    if (!cause) {
      try {
        copy.destroy(err as Error);
      } catch {
        // the connection is already gone
      }
      await state.ended.catch(() => undefined);
    }
    throw cause ?? err;
  }
}

/** Runs `COPY ... TO STDOUT` on `client`; yields its bytes as they arrive (the COPY's framing included). */
export async function* copyOut(client: PoolClient, sql: string): AsyncGenerator<Buffer> {
  const stream = client.query(copyTo(sql));
  for await (const chunk of stream) yield chunk as Buffer;
}

/**
 * The values of a query of one bytea column (`SELECT data FROM …`), each in a Buffer of its own, read with a binary
 * COPY: the bytes come as they are stored. A query's result would be hex text, twice the size, parsed on both sides,
 * and one value over 256 MiB passed V8's longest string (pg's parser threw where nothing could catch it). The query
 * is spliced into the COPY, which takes no parameters: values in it must be escaped literals (escapeLiteral).
 * `allocate` gives the Buffer each value is read into (see ByteaCopyReader).
 */
export async function readByteaValues(
  pool: Pool,
  select: (client: PoolClient) => string,
  allocate?: (length: number) => Buffer,
): Promise<Buffer[]> {
  const client = await pool.connect();
  try {
    const reader = new ByteaCopyReader(allocate);
    for await (const chunk of copyOut(client, `COPY (${select(client)}) TO STDOUT WITH (FORMAT binary)`)) reader.push(chunk);
    return reader.finish();
  } finally {
    client.release();
  }
}
