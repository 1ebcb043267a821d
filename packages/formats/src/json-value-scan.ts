/** The bytes of JSON's structure, for the readers that walk it byte by byte. */
export const QUOTE = 0x22;
export const BACKSLASH = 0x5c;
export const COLON = 0x3a;
export const COMMA = 0x2c;
export const OPEN_ARRAY = 0x5b;
export const CLOSE_ARRAY = 0x5d;
export const OPEN_OBJECT = 0x7b;
export const CLOSE_OBJECT = 0x7d;

/** JSON's whitespace: space, tab, LF, CR. */
export function isWs(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

/**
 * Where one JSON value ends, found as its bytes arrive in pieces: strings (and their escapes) and nesting followed,
 * nothing else checked. Shared by the readers that cut a JSON document into its values without parsing them
 * (JsonArraySplitter's elements, JsonObjectWalker's members), which keep each value's bytes as written.
 */
export class JsonValueScan {
  private depth = 0;
  private inString = false;
  private escape = false;
  /** A string, number, `true`, `false` or `null`: it ends at its closing quote, or at `,`, `]`, `}` or whitespace. */
  private scalar = false;

  /** A value starts with byte `b` (read already: scanning goes on from the byte after it). */
  start(b: number): void {
    this.scalar = b !== OPEN_OBJECT && b !== OPEN_ARRAY;
    this.depth = this.scalar ? 0 : 1;
    this.inString = b === QUOTE;
    this.escape = false;
  }

  /**
   * Scans `buf` from `i`: the index just after the value's last byte, or -1 when the value goes on past `buf`. A
   * number or word ends before the byte that ends it (`,`, a closing bracket or whitespace), which is not consumed.
   */
  endIn(buf: Buffer, i: number): number {
    for (; i < buf.length; i++) {
      const b = buf[i]!;
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (b === BACKSLASH) this.escape = true;
        else if (b === QUOTE) {
          this.inString = false;
          if (this.scalar) return i + 1;
        }
        continue;
      }
      if (b === QUOTE) this.inString = true;
      else if (b === OPEN_OBJECT || b === OPEN_ARRAY) this.depth++;
      else if (b === CLOSE_OBJECT || b === CLOSE_ARRAY) {
        // The bracket closing what holds a number or word that has just ended.
        if (this.depth === 0) return i;
        this.depth--;
        if (this.depth === 0 && !this.scalar) return i + 1;
      } else if (this.scalar && (b === COMMA || isWs(b))) return i;
    }
    return -1;
  }

  /** Whether the input may end here with the value complete: a number or word (not a string left open). */
  completeAtEnd(): boolean {
    return this.scalar && !this.inString;
  }
}
