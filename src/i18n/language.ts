import { BadInputError } from '../errors';
import { limits } from '../limits';
import { checkLength } from '../modules/shared/input-limits';

/**
 * Language tags and localized-field rules (docs/behaviour.md "Localized fields"): maps
 * language → text are stored; writes may send a plain string tagged by Content-Language; reads
 * narrow the map by Accept-Language.
 */

/** Longer tags are refused before the pattern runs (BCP 47 asks for at least 35 characters). */
const MAX_TAG_LENGTH = 64;

// RFC 5646 well-formedness, minus grandfathered tags and 5–8 letter primary subtags:
//   language (2–3 letters, up to three 3-letter extlangs) [-script] [-region] *(-variant)
//   *(-singleton 1*(-2..8 alnum)) [-x 1*(-1..8 alnum)], or a private-use tag alone.
// Every alternative is separated by '-' and the subtag classes at each position have disjoint
// lengths, so matching is linear — and the length cap bounds it anyway.
const LANG_TAG_RE = new RegExp(
  '^(?:' +
    '[a-z]{2,3}(?:-[a-z]{3}){0,3}' + // language, extlang
    '(?:-[a-z]{4})?' + // script
    '(?:-(?:[a-z]{2}|[0-9]{3}))?' + // region
    '(?:-(?:[a-z0-9]{5,8}|[0-9][a-z0-9]{3}))*' + // variants
    '(?:-[a-wyz0-9](?:-[a-z0-9]{2,8})+)*' + // extensions
    '(?:-x(?:-[a-z0-9]{1,8})+)?' + // private use
    '|x(?:-[a-z0-9]{1,8})+' + // private use only
    ')$',
  'i',
);

/** Well-formed BCP 47 language tag (e.g. `en`, `fr-CH`, `zh-Hant-TW`, `de-CH-1996`). */
export function isLanguageTag(tag: string): boolean {
  return typeof tag === 'string' && tag.length <= MAX_TAG_LENGTH && LANG_TAG_RE.test(tag);
}

// Bounds on work spent on a client-controlled header.
const MAX_ACCEPT_LANGUAGE_LENGTH = 1024;
const MAX_ACCEPT_LANGUAGE_ENTRIES = 32;
/** RFC 9110 §12.4.2 qvalue: 0 to 1 with at most three decimals. */
const QVALUE_RE = /^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$/;

/**
 * Accept-Language → languages in preference order (highest q first, header order among equal
 * q). `null` means "no narrowing: return the whole map" — header absent, empty, or only `*`.
 * q=0 entries and `*` entries are dropped, malformed entries skipped. A header with nothing
 * usable left (e.g. only malformed entries) yields `[]`: the client did ask for one language,
 * so the read still narrows to one — the default language, else any.
 */
export function parseAcceptLanguage(header: string | undefined): string[] | null {
  if (header === undefined || header === null) return null;
  let text = header;
  if (text.length > MAX_ACCEPT_LANGUAGE_LENGTH) {
    // Cut at an entry boundary so the last kept entry is not a truncated (different) tag.
    const cut = text.lastIndexOf(',', MAX_ACCEPT_LANGUAGE_LENGTH);
    // Not even one entry fits: the client asked for something, just nothing we can use.
    if (cut <= 0) return [];
    text = text.slice(0, cut);
  }
  const parts = text.split(',', MAX_ACCEPT_LANGUAGE_ENTRIES);

  const weighted: { tag: string; q: number }[] = [];
  let sawEntry = false;
  let sawOnlyWildcards = true;
  for (const part of parts) {
    const [rawTag = '', ...params] = part.split(';');
    const tag = rawTag.trim();
    if (tag === '') continue; // empty list elements are allowed by RFC 9110 §5.6.1
    sawEntry = true;
    if (tag !== '*') sawOnlyWildcards = false;

    let q = 1;
    let malformed = false;
    for (const param of params) {
      const eq = param.indexOf('=');
      if (eq < 0) {
        malformed = true;
        break;
      }
      const name = param.slice(0, eq).trim().toLowerCase();
      const value = param.slice(eq + 1).trim();
      if (name !== 'q') continue; // Accept-Language defines no other parameter; ignore extensions
      if (!QVALUE_RE.test(value)) {
        malformed = true;
        break;
      }
      q = Number(value);
    }
    if (malformed || q === 0 || tag === '*' || !isLanguageTag(tag)) continue;
    weighted.push({ tag, q });
  }

  if (!sawEntry || sawOnlyWildcards) return null;
  // Array.prototype.sort is stable (ES2019), which keeps header order among equal weights.
  weighted.sort((a, b) => b.q - a.q);
  const seen = new Set<string>();
  const result: string[] = [];
  for (const { tag } of weighted) {
    const key = tag.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    result.push(tag);
  }
  return result;
}

/**
 * Narrows a localized map for a reader. `prefs` null → the whole map. Otherwise a one-entry map
 * (with the key spelled as stored) holding the best match, trying for each preference in order:
 *   1. the exact tag (case-insensitive),
 *   2. the tag with trailing subtags removed one at a time (RFC 4647 lookup: `zh-Hant-TW` →
 *      `zh-Hant` → `zh`),
 *   3. any stored tag with the same primary language (`fr` or `fr-CH` → `fr-FR`): a reader of
 *      one French is better served by another French than by the next preference;
 * then the default language (by the same steps), then the first stored language.
 * Absent map → null; an empty map is returned as is.
 */
export function pickLocalized(
  map: Record<string, string> | null | undefined,
  prefs: string[] | null,
  defaultLanguage: string,
): Record<string, string> | null {
  if (map === null || map === undefined) return null;
  if (prefs === null) return map;
  const keys = Object.keys(map);
  if (keys.length === 0) return map;

  const byLower = new Map<string, string>();
  for (const key of keys) {
    const lower = key.toLowerCase();
    if (!byLower.has(lower)) byLower.set(lower, key);
  }

  const found = [...prefs, defaultLanguage].map((pref) => bestKey(pref, keys, byLower)).find((k) => k !== undefined) ?? keys[0];
  if (found === undefined) return map;
  return { [found]: map[found] as string };
}

function bestKey(pref: string, keys: string[], byLower: Map<string, string>): string | undefined {
  const subtags = pref.toLowerCase().split('-');
  // Exact, then lookup truncation. A singleton left at the end (`-u`, `-x`) is dropped with the
  // subtag after it, as RFC 4647 §3.4 prescribes.
  for (let n = subtags.length; n > 0; n--) {
    if (n < subtags.length && subtags[n - 1]?.length === 1) continue;
    const hit = byLower.get(subtags.slice(0, n).join('-'));
    if (hit !== undefined) return hit;
  }
  const primary = subtags[0];
  if (!primary || primary === 'x') return undefined; // private-use tags share nothing
  return keys.find((k) => k.toLowerCase().split('-')[0] === primary);
}

/** First language of a Content-Language header, trimmed; `*` is returned as is for the caller to refuse. */
export function parseContentLanguage(header: string | undefined): string | undefined {
  if (header === undefined || header === null) return undefined;
  const first = header.split(',', 1)[0]?.trim() ?? '';
  return first === '' ? undefined : first;
}

/**
 * A localized field as written by a client → the map to store, or undefined when the field was
 * not given. A plain string is tagged with Content-Language (or the default language); a map
 * must have language-tag keys and string values, at most `limits().localizedLanguages` of them.
 * Each text is at most `maxLength` characters (the field's limit: `nameLength` unless given).
 * Key spelling is kept as sent. Errors name the offending field (`name`, `name.xx-!!`,
 * `Content-Language`).
 */
export function normalizeLocalizedInput(
  value: unknown,
  field: string,
  contentLanguage: string | undefined,
  defaultLanguage: string,
  maxLength: number = limits().nameLength,
): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;

  if (typeof value === 'string') {
    checkLength(value, field, maxLength);
    if (contentLanguage === '*') {
      throw new BadInputError(`${field} must be a map of language to text when Content-Language is *`, field);
    }
    if (contentLanguage !== undefined && !isLanguageTag(contentLanguage)) {
      throw new BadInputError('Content-Language must be a language tag', 'Content-Language');
    }
    return { [contentLanguage ?? defaultLanguage]: value };
  }

  if (isPlainObject(value)) {
    const languages = Object.keys(value).length;
    const maxLanguages = limits().localizedLanguages;
    if (languages > maxLanguages) throw new BadInputError(`${field}: ${languages} languages; at most ${maxLanguages}`, field);
    const result: Record<string, string> = {};
    const seen = new Set<string>();
    for (const [key, text] of Object.entries(value)) {
      const path = `${field}.${truncate(key)}`;
      if (!isLanguageTag(key)) throw new BadInputError(`${path} is not a language tag`, path);
      // `en` and `EN` are the same language; keeping both would make reads ambiguous.
      const lower = key.toLowerCase();
      if (seen.has(lower)) throw new BadInputError(`${path}: language given more than once`, path);
      seen.add(lower);
      if (typeof text !== 'string') throw new BadInputError(`${path} must be a string`, path);
      result[key] = checkLength(text, path, maxLength);
    }
    return result;
  }

  throw new BadInputError(`${field} must be a map of language to text or a string`, field);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Echoing client text in an error is useful, echoing a megabyte of it is not. */
function truncate(text: string, max = 64): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
