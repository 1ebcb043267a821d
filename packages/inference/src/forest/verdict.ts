import { createRequire } from 'node:module';
import type { ForestVerdict } from '../types.js';

/**
 * The forest evaluator's version: raised with every change to what it computes (anything under forest/).
 * `test/forest-verdict.test.ts` holds a digest of forest/'s sources and fails, saying to raise this, when they
 * change without it: a verdict recorded for an older evaluator must not vouch for a newer one.
 */
export const FOREST_EVALUATOR_VERSION = 6;

let onnxRuntimeVersion: string | null = null;

/** The installed onnxruntime-node's version, read from its package.json: no need to load ONNX Runtime itself. */
function installedOnnxRuntime(): string {
  onnxRuntimeVersion ??= (createRequire(import.meta.url)('onnxruntime-node/package.json') as { version: string }).version;
  return onnxRuntimeVersion;
}

/** The verdict this process would record: this evaluator against this ONNX Runtime. */
export function currentForestVerdict(): ForestVerdict {
  return { evaluator: FOREST_EVALUATOR_VERSION, onnxRuntime: installedOnnxRuntime() };
}

/**
 * Whether a recorded verdict was reached by the evaluator and ONNX Runtime this process runs: only then may it
 * stand in for checking the evaluator against ONNX Runtime again (another version of either checks anew).
 */
export function verdictHolds(verdict: ForestVerdict | null | undefined): boolean {
  const now = currentForestVerdict();
  return !!verdict && verdict.evaluator === now.evaluator && verdict.onnxRuntime === now.onnxRuntime;
}
