import { randomBytes } from 'node:crypto';
import { BadInputError } from '../../errors';
import { limits } from '../../limits';
import { checkJsonDocument, checkLength } from './input-limits';

/**
 * What an id may not contain, besides what docs/behaviour.md already rules out ("/" and whitespace):
 * control characters (Cc: NUL, ESC, …) that truncate or garble logs, terminals and C-string
 * drivers; invisible format characters (Cf: zero-width spaces and joiners, soft hyphen, bidi
 * overrides as in "Trojan Source") that make two ids look alike; and unpaired surrogates (Cs),
 * which have no UTF-8 form and would be stored as another id than the one given. (The BOM, a Cf
 * character, is whitespace to JavaScript and refused as such.)
 */
const ID_FORBIDDEN = /[\s/\p{Cc}\p{Cf}\p{Cs}]/u;

function forbiddenKind(ch: string): string {
  if (ch === '/') return '"/"';
  if (/\s/.test(ch)) return 'whitespace';
  if (/\p{Cc}/u.test(ch)) return 'control characters';
  if (/\p{Cf}/u.test(ch)) return 'invisible format characters';
  return 'unpaired surrogates';
}

/**
 * docs/behaviour.md: custom ids are case-sensitive, 1–64 characters (limits `idLength`), no `/`, no
 * whitespace — and none of ID_FORBIDDEN. Positions count from 0, as in `q` errors.
 */
export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new BadInputError(`${field} must be a string`, field);
  if (value === '') throw new BadInputError(`${field} must not be empty`, field);
  checkLength(value, field, limits().idLength);
  const bad = ID_FORBIDDEN.exec(value);
  if (bad) {
    const code = `U+${(bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw new BadInputError(`${field} must not contain ${forbiddenKind(bad[0])} (${code} at position ${bad.index})`, field);
  }
  return value;
}

/** A fresh 24-hex-digit lower-case id, the form the platform itself hands out. */
export function newId(): string {
  return randomBytes(12).toString('hex');
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function optionalObject(value: unknown, field: string): Record<string, unknown> | null {
  if (value === undefined || value === null) return null;
  if (!isPlainObject(value)) throw new BadInputError(`${field} must be an object`, field);
  return value;
}

/** A free-form JSON object stored verbatim (`mixins`), within the JSON depth and size limits. */
export function optionalJsonObject(value: unknown, field: string): Record<string, unknown> | null {
  const obj = optionalObject(value, field);
  if (obj) checkJsonDocument(obj, field);
  return obj;
}

/** `metadata.mixins`: mixin name → schema URL. */
export function optionalMixinSchemas(value: unknown, field: string): Record<string, string> | null {
  const obj = optionalObject(value, field);
  if (!obj) return null;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') throw new BadInputError(`${field}.${k} must be a string (a schema URL)`, `${field}.${k}`);
  }
  checkJsonDocument(obj, field);
  return obj as Record<string, string>;
}

/** A plain text field (limits `textLength`, the column size); null when not given. */
export function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new BadInputError(`${field} must be a string`, field);
  return checkLength(value, field, limits().textLength);
}

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

/** A date-time as a Date (from GraphQL) or an ISO-8601 string (from a patched document) → epoch ms. */
export function optionalInstant(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new BadInputError(`${field} is not a valid date-time`, field);
    return value.getTime();
  }
  if (typeof value === 'string' && ISO_RE.test(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new BadInputError(`${field} must be an ISO-8601 date-time such as 2024-04-17T08:00:00.000Z`, field);
}

export function optionalVersion(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isInteger(value) || (value as number) < 0)
    throw new BadInputError(`${field} must be a non-negative integer`, field);
  return value as number;
}

export function bulkLimit(list: readonly unknown[], field: string, max = 200): void {
  if (list.length > max) throw new BadInputError(`${field}: at most ${max} elements per request, got ${list.length}`, field);
}

/**
 * A `validity {from, to}` object → epoch ms (either may be absent); `from` after `to` is a 400.
 * `prefix` names the field in errors (`validity`, `[3].validity`).
 */
export function optionalValidity(
  value: unknown,
  prefix = 'validity',
): { validityFrom: number | null; validityTo: number | null } {
  const validity = optionalObject(value, prefix);
  if (!validity) return { validityFrom: null, validityTo: null };
  const validityFrom = optionalInstant(validity.from, `${prefix}.from`);
  const validityTo = optionalInstant(validity.to, `${prefix}.to`);
  if (validityFrom !== null && validityTo !== null && validityFrom > validityTo) {
    throw new BadInputError(`${prefix}.from must not be after ${prefix}.to`, `${prefix}.from`);
  }
  return { validityFrom, validityTo };
}
