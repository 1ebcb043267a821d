/**
 * Characters that make text display otherwise than it reads, in the three sets the platform needs, side by side so
 * that each is chosen knowingly. They differ on purpose:
 * - INVISIBLE (names: a header's columns, model names): everything that prints as nothing or as a plain space,
 *   odd spaces included, since "sepal\u00a0length" must not pass for "sepal length" when names are compared.
 * - UNSHOWABLE (a cell's text in a row's message): controls and format characters, not odd spaces, so that a
 *   number grouped with no-break spaces ("1 234,5") still reads as the person wrote it.
 * - REORDERING (text shown to other people: a model's description, a key's name; refused where it is given):
 *   controls and the direction overrides, embeddings and isolates only. Right-to-left text and zero-width joiners
 *   are legitimate there (the browser lays such text out by itself; emoji and scripts need joiners).
 * Each is global (`g`) for replace and match; `test` through `holds`, which resets it.
 */

/** Prints as nothing or as a plain space: controls, format characters (U+200B, U+FEFF…), odd spaces. */
export const INVISIBLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;

/**
 * Cannot be shown as itself in a message: controls, and format characters that print as nothing (U+200B, U+FEFF) or
 * reorder the text around them (U+202E, right-to-left override: `\u202e5.1` displays as "1.5").
 */
export const UNSHOWABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu;

/**
 * Control characters (line breaks and tabs aside) and the text-direction overrides, embeddings and isolates
 * (U+202A-U+202E, U+2066-U+2069): text shown to other people holding one displays otherwise than it reads (U+202E
 * turned "5.1 cm" into "mc 1.5").
 */
export const REORDERING = /[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

/** Whether `text` holds a character of `set`. */
export function holds(text: string, set: RegExp): boolean {
  set.lastIndex = 0;
  return set.test(text);
}

/** The character `c` as Unicode names it in prose: `U+200B`. */
export const codePointName = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** The character `c` as a JavaScript or JSON escape: `\u200b`. */
export const codePointEscape = (c: string): string => `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}`;
