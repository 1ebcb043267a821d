import { UsageError } from './args.js';

/** A model as a command names it: `NAME` (every version, or the latest) or `NAME@VERSION` (that version alone). */
export interface ModelRef {
  name: string;
  /** The version number, without the "v" it may have been written with; undefined for NAME alone. */
  version: number | undefined;
}

/**
 * `NAME` or `NAME@VERSION`, read as the server reads it (resolveModel, and versionParam of the models API): a
 * version is digits, after an optional "v" as versions are shown (`models list`, the pages, `v2`), so `@2`,
 * `@v2` and `@V2` are the same version; `1e3`, `0x2` or `v0` are none. Anything else is a usage error, said before
 * anything is sent. The one parser of NAME@VERSION in the CLI: every command that takes one reads it here.
 */
export function parseModelRef(text: string, what: string): ModelRef {
  const m = /^([^@]+)(?:@(.*))?$/.exec(text);
  const versionText = m?.[2];
  if (!m || (versionText !== undefined && !/^v?[1-9][0-9]*$/i.test(versionText))) {
    throw new UsageError(`"${text}" is not a model: give ${what}`);
  }
  return { name: m[1]!, version: versionText === undefined ? undefined : Number(versionText.replace(/^v/i, '')) };
}
