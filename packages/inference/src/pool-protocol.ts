/**
 * Messages between a ScoringPool and its scoring processes, and the error shapes that cross the process boundary
 * (serialization keeps an Error's message but not its class or fields, so they are carried as data and rebuilt
 * on the other side).
 */
import type { ColumnTarget, CsvDecimal, RowError, TargetData } from '@batchcast/csv';
import { ScoringError } from './session.js';
import { ModelError } from './types.js';
import type { BatchPredictions, ModelErrorCode, ModelSchema } from './types.js';

export interface ScoreRequest {
  type: 'score';
  id: number;
  sha256: string;
  /** Present the first time this process scores this model (or after it dropped it). */
  load: { bytes: Uint8Array; schema: ModelSchema } | null;
  /** Models this process is to release first (the pool's least recently used ones). */
  evict: string[];
  firstRow: number;
  count: number;
  data: TargetData[];
  targets: ColumnTarget[];
  /** The batch's row errors so far: those rows run as a stand-in (refused-rows.ts). */
  errors: RowError[];
  /** The batch's decimal mark, which the check of known categories reads numbers with (RecordBatch.decimal). */
  decimal?: CsvDecimal;
}

export interface CloseRequest {
  type: 'close';
}

export type ToScorer = ScoreRequest | CloseRequest;

export type WireError =
  | { kind: 'model'; code: ModelErrorCode; message: string }
  | { kind: 'scoring'; message: string; firstRow: number; count: number }
  | { kind: 'type'; message: string }
  | { kind: 'other'; message: string };

export type FromScorer =
  | { type: 'ready' }
  /** The model the pool sent with request `id` is loaded: its run starts now (the pool times runs, not loads). */
  | { type: 'loaded'; id: number }
  /**
   * `errors`: the batch's row errors after scoring: with the rows holding a category the model does not know
   * (failUnknownCategories, in the process as in ScoringSession.score) and any row the graph refused (refused-rows.ts).
   */
  | { type: 'result'; id: number; predictions: BatchPredictions; errors: RowError[] }
  /** `loaded`: whether the process holds the model's session after this request (a failed load does not). */
  | { type: 'error'; id: number; error: WireError; loaded: boolean };

export function toWireError(e: unknown): WireError {
  if (e instanceof ModelError) return { kind: 'model', code: e.code, message: e.message };
  if (e instanceof ScoringError) return { kind: 'scoring', message: e.message, firstRow: e.firstRow, count: e.count };
  if (e instanceof TypeError) return { kind: 'type', message: e.message };
  return { kind: 'other', message: e instanceof Error ? e.message : String(e) };
}

export function fromWireError(e: WireError): Error {
  switch (e.kind) {
    case 'model':
      return new ModelError(e.code, e.message);
    case 'scoring':
      return new ScoringError(e.message, e.firstRow, e.count);
    case 'type':
      return new TypeError(e.message);
    default:
      return new Error(e.message);
  }
}

/**
 * `a`, or a copy of it when it is a view over part of a larger buffer: serialization copies a view's whole
 * buffer, so a batch's column cut from a parse block would carry the block. String arrays are left as they are.
 */
export function compact<T extends TargetData | null>(a: T): T {
  if (a === null || Array.isArray(a)) return a;
  const view = a as Exclude<TargetData, string[]>;
  if (view.byteOffset === 0 && view.byteLength === view.buffer.byteLength) return a;
  return view.slice() as T;
}
