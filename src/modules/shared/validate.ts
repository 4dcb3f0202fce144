import { randomBytes } from 'node:crypto';
import { BadInputError } from '../../graphql/errors';

/** DECISIONS.md: custom ids are case-sensitive, 1–64 characters, no `/`, no whitespace. */
const ID_RE = /^[^\s/]{1,64}$/;

export function checkId(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new BadInputError(`${field} must be a string`, field);
  if (value === '') throw new BadInputError(`${field} must not be empty`, field);
  if (!ID_RE.test(value)) throw new BadInputError(`${field} must be 1-64 characters without "/" or whitespace`, field);
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

/** `metadata.mixins`: mixin name → schema URL. */
export function optionalMixinSchemas(value: unknown, field: string): Record<string, string> | null {
  const obj = optionalObject(value, field);
  if (!obj) return null;
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== 'string') throw new BadInputError(`${field}.${k} must be a string (a schema URL)`, `${field}.${k}`);
  }
  return obj as Record<string, string>;
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
