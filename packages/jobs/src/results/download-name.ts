/**
 * The part of a download's name taken from the upload's: its compression and format suffixes dropped, and
 * every run of characters that could break the Content-Disposition header replaced, or `fallback` when
 * nothing is left. The results and the errors downloads add their own suffix.
 */
export function downloadBase(original: string, fallback: string): string {
  return (
    original
      .replace(/(\.(gz|gzip|zst|zstd|zip))+$/i, '')
      .replace(/\.(csv|tsv|tab|txt|xlsx|xlsm|parquet|pq|jsonl|ndjson|json)$/i, '')
      // Letters and digits of any script stay ("données", "数据"): the header carries them as filename*.
      .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, '_')
      .slice(0, 100)
      .replace(/[\uD800-\uDBFF]$/, '') || fallback
  );
}
