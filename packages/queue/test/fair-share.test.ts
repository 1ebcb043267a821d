import { expect, it } from 'vitest';
import { queueTestBed } from './queue-test-bed.js';

/**
 * Fair share, against a real Redis: chunks are taken by their place in their job, every job's first chunk
 * before any job's second, first come first served within a place. So a one-chunk job queued behind two big
 * ones runs third, not after all their chunks, and the big ones take turns.
 */
const { producer, consumeWith } = queueTestBed();

const A = '0a0a0a0a-0000-4000-8000-00000000000a';
const B = '0b0b0b0b-0000-4000-8000-00000000000b';
const S = '05050505-0000-4000-8000-000000000005';
const name = { [A]: 'A', [B]: 'B', [S]: 'S' } as Record<string, string>;

it('takes every job’s first chunk before any job’s second, a small job right after the first round', async () => {
  const chunks = [0, 1, 2, 3, 4, 5];
  await producer.enqueueScoring(A, chunks);
  await producer.enqueueScoring(B, chunks);
  await producer.enqueueScoring(S, [0]);

  const taken: string[] = [];
  const finalised: string[] = [];
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allDone = resolve;
  });
  consumeWith(
    {
      'finalize-job': async ({ jobId }) => {
        finalised.push(name[jobId]!);
        if (finalised.length === 3) allDone();
      },
    },
    async ({ jobId, chunk }) => {
      taken.push(`${name[jobId]}${chunk}`);
    },
  );
  await done;
  expect(taken).toEqual(['A0', 'B0', 'S0', 'A1', 'B1', 'A2', 'B2', 'A3', 'B3', 'A4', 'B4', 'A5', 'B5']);
  // The small job ends first; the big ones end within a chunk of each other, their finalisers taken together
  // by a worker that runs several at once, in either order.
  expect(finalised[0]).toBe('S');
  expect(finalised.slice(1).sort()).toEqual(['A', 'B']);
});
