/**
 * Markup that is known to be safe to send: built by the `html` tag (every interpolated value escaped) or,
 * where there is no other way, marked as trusted with `unsafeRaw`. A class with a private field, so that
 * neither a plain string nor an object parsed from data can pass for one.
 */
export class SafeHtml {
  readonly #markup: string;

  /** Use `html\`...\`` or `unsafeRaw()`; the constructor is for them. */
  constructor(markup: string) {
    this.#markup = markup;
  }

  /** The markup as a string, e.g. for `res.send()`. */
  toString(): string {
    return this.#markup;
  }
}

/**
 * The explicit, greppable way out of escaping: `trusted` goes into the page as markup, as it is. Only for
 * markup that our own code produced and that the `html` tag cannot express; every call says why next to it.
 */
export function unsafeRaw(trusted: string): SafeHtml {
  return new SafeHtml(trusted);
}
