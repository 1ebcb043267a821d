/** Types of build-wasm.mjs, for the tests that check each committed module against its .wat. */
export type WasmModuleName = 'float-records' | 'leaf-weights' | 'compact-walk';
export const WASM_MODULES: Record<WasmModuleName, { wat: string; ts: string; constant: string }>;
export function buildWasmModuleSource(name: WasmModuleName): Promise<string>;
export function committedWasmModuleSource(name: WasmModuleName): string;
