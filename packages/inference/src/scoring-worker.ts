/**
 * A ScoringPool thread: holds ScoringSessions by model sha256 and scores one batch at a time. The pool
 * decides which models a thread keeps (it sends `evict`), so the thread only does what it is told.
 * Messages are handled strictly one after another: a `close` waits for the scoring before it.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { collectSoon } from './collect-soon.js';
import { sha256Hex } from './hash.js';
import { toWireError, Transfer } from './pool-protocol.js';
import type { FromThread, ScoreRequest, ThreadConfig, ToThread } from './pool-protocol.js';
import { onnxRuntime } from './runtime.js';
import { ScoringSession } from './session.js';

if (!parentPort) throw new Error('scoring-worker.js runs as a ScoringPool thread, not on its own.');
const port = parentPort;
const config = workerData as ThreadConfig;
const sessions = new Map<string, ScoringSession>();

const send = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

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
      if (!req.load) throw new Error(`The pool sent no bytes for model ${req.sha256} and this thread does not hold it.`);
      const actual = sha256Hex(req.load.bytes);
      if (actual !== req.sha256) throw new Error(`Model bytes have sha256 ${actual}, expected ${req.sha256}.`);
      session = await ScoringSession.create(req.load.bytes, req.load.schema, { intraOpNumThreads: config.intraOpNumThreads });
      sessions.set(req.sha256, session);
    }
    const batch = {
      firstRow: req.firstRow,
      count: req.count,
      data: req.data,
      errors: req.errors,
      ...(req.decimal ? { decimal: req.decimal } : {}),
    };
    const predictions = await session.score(batch, req.targets);
    const transfer = new Transfer();
    const values = transfer.add(predictions.values);
    const probabilities = transfer.add(predictions.probabilities);
    send({ type: 'result', id: req.id, predictions: { ...predictions, values, probabilities }, errors: batch.errors }, transfer.list);
  } catch (e) {
    send({ type: 'error', id: req.id, error: toWireError(e), loaded: sessions.has(req.sha256) });
  }
}

async function close(): Promise<void> {
  for (const s of sessions.values()) await s.release().catch(() => undefined);
  sessions.clear();
  port.close(); // nothing else keeps the thread alive: it ends
}

let chain = Promise.resolve();
port.on('message', (message: ToThread) => {
  chain = chain.then(() => (message.type === 'score' ? score(message) : close()));
});
// Ready means ONNX Runtime is loaded: a thread that cannot load it fails at start, and the pool says so.
await onnxRuntime();
send({ type: 'ready' });
