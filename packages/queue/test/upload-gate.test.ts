import { beforeAll, expect, it } from 'vitest';
import { queueTestBed } from './queue-test-bed.js';

/**
 * A job scored while its upload arrives, against a real Redis: its chunks run as they are added, its
 * finaliser waits for the upload's gate (not for the chunks queued so far), and runs once the gate is opened
 * and every chunk is done; an upload that fails leaves no queue job behind.
 */
const { redis, producer, consumeWith } = queueTestBed();
const taken: string[] = [];
const finalised: string[] = [];
const gates: string[] = [];
const waiters: { test: () => boolean; resolve: () => void }[] = [];

/** Resolves once `test` holds (checked after every job the workers run): a positive signal, no sleeps. */
function when(test: () => boolean): Promise<void> {
  if (test()) return Promise.resolve();
  return new Promise((resolve) => waiters.push({ test, resolve }));
}
function ran(list: string[], item: string): void {
  list.push(item);
  for (const w of waiters.splice(0)) {
    if (w.test()) w.resolve();
    else waiters.push(w);
  }
}

beforeAll(() => {
  consumeWith(
    {
      'upload-gate': async ({ jobId }) => ran(gates, jobId),
      'finalize-job': async ({ jobId }) => ran(finalised, jobId),
    },
    async ({ jobId, chunk }) => ran(taken, `${jobId.slice(0, 2)}${chunk}`),
  );
});

const J = '0a0a0a0a-0000-4000-8000-00000000000a';
const K = '0b0b0b0b-0000-4000-8000-00000000000b';

it('runs chunks as they are added and finalises only after the gate opens', async () => {
  await producer.startScoringWhileReceiving(J, [0]);
  await when(() => taken.includes('0a0'));
  await producer.addReceivedChunks(J, [1, 2]);
  await when(() => taken.includes('0a1') && taken.includes('0a2'));
  // Every chunk queued so far is done, and the finaliser still waits: for the gate.
  expect(finalised).toEqual([]);
  expect(await producer.scoringState(J)).toBe('present');
  await producer.addReceivedChunks(J, [3]);
  await producer.openUploadGate(J);
  await when(() => finalised.includes(J));
  expect(gates).toEqual([J]);
  expect(taken.filter((t) => t.startsWith('0a')).sort()).toEqual(['0a0', '0a1', '0a2', '0a3']);
});

it('an upload that fails leaves no queue job behind', async () => {
  await producer.startScoringWhileReceiving(K, [0]);
  await when(() => taken.includes('0b0'));
  await producer.dropScoringWhileReceiving(K, [0]);
  const keys = async () => (await redis.connection().keys(`${redis.prefix}:*`)).filter((k) => k.includes(K));
  // The finaliser is removed with its last child, or runs at once and is removed on completion.
  for (let i = 0; (await keys()).length > 0; i++) {
    if (i > 200) throw new Error(`left in Redis: ${(await keys()).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  expect(gates).not.toContain(K);
});
