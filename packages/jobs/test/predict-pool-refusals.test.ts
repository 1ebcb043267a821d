import { ScoringPool } from '@batchcast/inference';
import { readPredictCells } from '@batchcast/predict-body';
import { describe, expect, it } from 'vitest';
import type { JobsContext } from '../src/context.js';
import { predictCells } from '../src/index.js';
import { refusal, useTestContext } from './context.js';

/**
 * Real-time predictions on scoring processes (a real ScoringPool, the example iris model) when they cannot take
 * a request: every thread busy with the waiting line full, or the pool closing as the server shuts down. The
 * caller is told to come back and when (`unavailable`, a 503 with Retry-After over HTTP), not "something went
 * wrong on our side" (a 500: it was, before), and what was accepted is still answered.
 */
let ctx: JobsContext;
useTestContext((made) => {
  ctx = made;
});

const irisRows = (n: number) =>
  readPredictCells(
    Buffer.from(
      JSON.stringify({
        rows: Array.from({ length: n }, (_, i) => ({
          sepal_length: 5.1 + (i % 7) / 10,
          sepal_width: 3.5,
          petal_length: 1.4 + (i % 5),
          petal_width: 0.2,
        })),
      }),
    ),
  );

const predictionsIn = (json: string): number => (JSON.parse(json) as { predictions: unknown[] }).predictions.length;

describe('real-time predictions when the scoring processes cannot take a request', () => {
  it('every process busy and the waiting line full: unavailable, code busy, come back in a second; the accepted ones answered', async () => {
    const realtime = new ScoringPool({ processes: 1, maxQueue: 1 });
    const busyCtx: JobsContext = { ...ctx, realtime };
    try {
      // The process started and the model loaded; the second call also resolves the model's name afresh, so
      // that the three below find it resolved and all reach the pool in this same turn of the event loop.
      expect(predictionsIn(await predictCells(busyCtx, 'iris-logreg', irisRows(3)))).toBe(3);
      await new Promise((r) => setTimeout(r, 1_100));
      expect(predictionsIn(await predictCells(busyCtx, 'iris-logreg', irisRows(3)))).toBe(3);

      const scoring = predictCells(busyCtx, 'iris-logreg', irisRows(10_000)); // taken by the process
      const waiting = predictCells(busyCtx, 'iris-logreg', irisRows(5)); // the one place in line
      const err = await refusal(predictCells(busyCtx, 'iris-logreg', irisRows(5)));
      expect(err.kind).toBe('unavailable');
      expect(err.code).toBe('busy');
      expect(err.message).toBe('The real-time scoring process is busy and 1 request is waiting for one: try again in a second.');
      expect(err.details).toEqual({ retryAfterSeconds: 1 });
      expect(predictionsIn(await scoring)).toBe(10_000);
      expect(predictionsIn(await waiting)).toBe(5);
      // Once the line has room again, requests are taken.
      expect(predictionsIn(await predictCells(busyCtx, 'iris-logreg', irisRows(2)))).toBe(2);
    } finally {
      await realtime.close();
    }
  });

  it('the pool closed (the server shutting down): unavailable, code shutting_down, come back in a few seconds', async () => {
    const realtime = new ScoringPool({ processes: 1 });
    await realtime.close();
    const err = await refusal(predictCells({ ...ctx, realtime }, 'iris-logreg', irisRows(3)));
    expect(err.kind).toBe('unavailable');
    expect(err.code).toBe('shutting_down');
    expect(err.message).toBe('This server is shutting down: try again in a few seconds.');
    expect(err.details).toEqual({ retryAfterSeconds: 5 });
  });
});
