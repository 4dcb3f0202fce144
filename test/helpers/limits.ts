/**
 * Values at and over the input limits (README "Limits"), for the REST, GraphQL and import suites.
 */

/**
 * JSON text of an object nested `depth` levels deep: `{"a":{"a":…1…}}`. Built as text because
 * JSON.stringify recurses and cannot write 100,000 levels.
 */
export const nestedJson = (depth: number): string => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

/** The object itself, for depths JSON.stringify can still write. */
export const nested = (depth: number): Record<string, unknown> => JSON.parse(nestedJson(depth)) as Record<string, unknown>;

/** GraphQL literal of an object nested `depth` levels deep: `{a: {a: … 1 …}}`. */
export const nestedLiteral = (depth: number): string => '{a: '.repeat(depth) + '1' + '}'.repeat(depth);

/** An object whose JSON text is exactly `bytes` bytes long: `{"a":"xxx…"}`. */
export const ofBytes = (bytes: number): Record<string, string> => ({ a: 'x'.repeat(bytes - 8) });

/** `n` (at most 676) distinct well-formed language tags: aa, ab, …, az, ba, … */
export const languages = (n: number): string[] =>
  Array.from({ length: n }, (_, i) => String.fromCharCode(97 + Math.floor(i / 26)) + String.fromCharCode(97 + (i % 26)));

/** A localized map with `n` languages. */
export const inLanguages = (n: number, text = 'x'): Record<string, string> =>
  Object.fromEntries(languages(n).map((l) => [l, text]));

/** An email address of exactly `length` characters. */
export const emailOf = (length: number): string => `${'a'.repeat(length - 12)}@example.com`;

/**
 * Characters no id may hold, with the start of what the message says: control characters (NUL,
 * ESC, DEL, a C1 control), invisible format characters (zero-width space and joiner, a bidi
 * override, the soft hyphen) and an unpaired surrogate.
 */
export const FORBIDDEN_IN_IDS: readonly [string, string, string][] = [
  ['NUL', '\u0000', 'control characters (U+0000'],
  ['ESC', '\u001b', 'control characters (U+001B'],
  ['DEL', '\u007f', 'control characters (U+007F'],
  ['C1 NEL', '\u0085', 'control characters (U+0085'],
  ['zero-width space', '\u200b', 'invisible format characters (U+200B'],
  ['zero-width joiner', '\u200d', 'invisible format characters (U+200D'],
  ['right-to-left override', '\u202e', 'invisible format characters (U+202E'],
  ['soft hyphen', '\u00ad', 'invisible format characters (U+00AD'],
  ['unpaired surrogate', '\ud800', 'unpaired surrogates (U+D800'],
];
