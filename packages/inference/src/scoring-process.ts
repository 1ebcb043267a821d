/**
 * A ScoringPool process: holds ScoringSessions by model sha256 and scores one batch at a time, talking to the
 * pool over its IPC channel (advanced serialization: typed arrays arrive as typed arrays). The pool decides which
 * models a process keeps (it sends `evict`), so the process only does what it is told. Messages are handled
 * strictly one after another: a `close` waits for the scoring before it.
 *
 * A process of its own, not a thread, because a model run is native code nothing can interrupt: the pool kills a
 * process whose run is past its deadline (a worker thread could only be abandoned, still burning its core, and
 * ending one in ONNX Runtime aborted the whole process when its run returned), its memory can be bounded (see
 * @batchcast/process-limits), and a native crash in it fails only the request it held.
 */
import { collectSoon } from './collect-soon.js';
import { sha256Hex } from './hash.js';
import { compact, toWireError } from './pool-protocol.js';
import type { FromScorer, ScoreRequest, ToScorer } from './pool-protocol.js';
import { onnxRuntime } from './runtime.js';
import { ScoringSession } from './session.js';

if (!process.send) throw new Error('scoring-process.js runs as a ScoringPool process (with an IPC channel), not on its own.');
const sendToPool = process.send.bind(process);
const intraOpNumThreads = Number(process.env.BATCHCAST_SCORER_INTRA_OP_THREADS ?? '1');
const sessions = new Map<string, ScoringSession>();

const send = (message: FromScorer) =>
  new Promise<void>((resolve) => {
    // A pool that is gone (the web process ended) cannot be told: this process ends with it below.
    if (!process.connected) return resolve();
    sendToPool(message, undefined, {}, () => resolve());
  });

async function score(req: ScoreRequest): Promise<void> {
  for (const sha of req.evict) {
    const old = sessions.get(sha);
    sessions.delete(sha);
    await old?.release();
  }
  if (req.evict.length > 0) collectSoon();
  try {
    let session = sessions.get(req.sha256);
    if (!session) {
      if (!req.load) throw new Error(`The pool sent no bytes for model ${req.sha256} and this process does not hold it.`);
      const actual = sha256Hex(req.load.bytes);
      if (actual !== req.sha256) throw new Error(`Model bytes have sha256 ${actual}, expected ${req.sha256}.`);
      session = await ScoringSession.create(req.load.bytes, req.load.schema, { intraOpNumThreads });
      sessions.set(req.sha256, session);
      void send({ type: 'loaded', id: req.id });
    }
    const batch = {
      firstRow: req.firstRow,
      count: req.count,
      data: req.data,
      errors: req.errors,
      ...(req.decimal ? { decimal: req.decimal } : {}),
    };
    const predictions = await session.score(batch, req.targets);
    const values = compact(predictions.values);
    const probabilities = compact(predictions.probabilities);
    await send({ type: 'result', id: req.id, predictions: { ...predictions, values, probabilities }, errors: batch.errors });
  } catch (e) {
    await send({ type: 'error', id: req.id, error: toWireError(e), loaded: sessions.has(req.sha256) });
  }
}

async function close(): Promise<void> {
  for (const s of sessions.values()) await s.release().catch(() => undefined);
  sessions.clear();
  process.exit(0);
}

let chain = Promise.resolve();
process.on('message', (message: ToScorer) => {
  chain = chain.then(() => (message.type === 'score' ? score(message) : close()));
});
// The pool's process ended (its channel closed): nobody is left to answer.
process.on('disconnect', () => process.exit(0));
// Ready means ONNX Runtime is loaded: a process that cannot load it fails at start, and the pool says so.
await onnxRuntime();
await send({ type: 'ready' });
