/**
 * Creating onnxruntime sessions, and turning onnxruntime's load errors into ModelErrors a user can act on.
 */
import type * as Ort from 'onnxruntime-node';
import { ModelError } from './types.js';
import { refuseExternalData } from './external-data.js';

let loading: Promise<typeof Ort> | null = null;
let loaded: typeof Ort | null = null;

/**
 * ONNX Runtime, loaded on first use. Its native library and bindings are tens of MB in every JavaScript
 * heap that imports them: a process or thread that never makes a session (the web process until its first
 * real-time prediction, the worker process's main thread) never pays for them.
 */
export function onnxRuntime(): Promise<typeof Ort> {
  loading ??= import('onnxruntime-node').then((m) => {
    loaded = m;
    return m;
  });
  return loading;
}

/** ONNX Runtime where a session already exists (tensors are only ever made for a session's run). */
export function loadedOnnxRuntime(): typeof Ort {
  if (!loaded) throw new Error('ONNX Runtime is not loaded yet: create a session first.');
  return loaded;
}

export interface RuntimeOptions {
  /** Threads one `run` may use; size it to cores / worker processes. */
  intraOpNumThreads: number;
  /** Threads for running independent graph branches in parallel; unused in sequential mode. Default 1. */
  interOpNumThreads?: number;
}

export function sessionOptions(opts: RuntimeOptions): Ort.InferenceSession.SessionOptions {
  return {
    graphOptimizationLevel: 'all',
    // Sklearn-style graphs are short chains; parallel execution only adds scheduling overhead and threads.
    executionMode: 'sequential',
    intraOpNumThreads: opts.intraOpNumThreads,
    interOpNumThreads: opts.interOpNumThreads ?? 1,
    // Errors only: load-time warnings (unused initializers, ...) would flood worker logs, and failures are
    // reported to callers anyway.
    logSeverityLevel: 3,
  };
}

/** onnxruntime messages that mean "this operator (or operator/type combination) is not available". */
const OPERATOR_PATTERNS: { re: RegExp; describe: (m: RegExpMatchArray) => string }[] = [
  {
    // "made.up:NoSuchOp(-1) is not a registered function/op"
    re: /([\w.]*):(\w+)\(-?\d+\) is not a registered function\/op/,
    describe: (m) => `operator ${m[2]}${m[1] ? ` (domain ${m[1]})` : ''}`,
  },
  {
    // 'In Node, ("", NoSuchOp, "made.up", -1) : ... Error No opset import for domain 'made.up''
    re: /In Node, \("[^"]*", (\w+), "([^"]*)".*No opset import for domain '([^']*)'/s,
    describe: (m) => `operator ${m[1]} (domain ${m[3]}, which the model does not import)`,
  },
  {
    // 'In Node, ("", NoSuchOp, "ai.onnx.ml", -1) : ... Error No Op registered for NoSuchOp with domain_version of 3'
    re: /No Op registered for (\w+) with domain_version of (\d+)/,
    describe: (m) => `operator ${m[1]} at opset ${m[2]}`,
  },
  {
    // "Could not find an implementation for Foo(13) node with name '...'"
    re: /Could not find an implementation for (\w+)\((\d+)\)/,
    describe: (m) => `operator ${m[1]} (opset ${m[2]}) for the tensor types used`,
  },
  {
    re: /No opset import for domain '([^']*)'/,
    describe: (m) => `operator domain ${m[1]}`,
  },
];

/** Keeps onnxruntime's text readable in a 4xx: one line, bounded length. */
function tidy(message: string): string {
  const oneLine = message.replace(/\s+/g, ' ').trim().replace(/\.+$/, '');
  return oneLine.length > 400 ? `${oneLine.slice(0, 400)}…` : oneLine;
}

export function translateLoadError(e: unknown): ModelError {
  const message = e instanceof Error ? e.message : String(e);
  for (const p of OPERATOR_PATTERNS) {
    const m = message.match(p.re);
    if (m) {
      return new ModelError(
        'unsupported_operator',
        `The model uses ${p.describe(m)}, which ONNX Runtime ${loaded?.env.versions.node ?? ''} does not support. ` +
          'Re-export it with standard ONNX / ai.onnx.ml operators (a lower target opset may help). ' +
          `Details: ${tidy(message)}`,
      );
    }
  }
  return new ModelError(
    'runtime_rejected',
    `ONNX Runtime could not load the model: ${tidy(message)}. Check that the export finished without errors ` +
      'and that the model opens in onnxruntime (Python: onnxruntime.InferenceSession(path)).',
  );
}

/**
 * Every session of the package is made here, so every model is checked for external data right before ONNX
 * Runtime sees its bytes: at registration, and again for models registered before that check existed.
 */
export async function createOrtSession(bytes: Uint8Array, opts: RuntimeOptions): Promise<Ort.InferenceSession> {
  refuseExternalData(bytes);
  const ort = await onnxRuntime();
  try {
    return await ort.InferenceSession.create(bytes, sessionOptions(opts));
  } catch (e) {
    throw translateLoadError(e);
  }
}
