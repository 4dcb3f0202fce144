import { BadInputError } from '../../errors';
import { limits } from '../../limits';

/**
 * The checks that hold client input to limits.ts, for every module and both faces (and the
 * NDJSON import, which runs the same validation). Messages name the field, what was sent and
 * the limit: `name.en: 1048576 characters; at most 500`.
 */

export function checkLength(text: string, field: string, max: number): string {
  if (text.length > max) throw new BadInputError(`${field}: ${text.length} characters; at most ${max}`, field);
  return text;
}

/**
 * Nesting depth of a JSON value: 0 for a scalar, 1 for an object or array holding only scalars.
 * Iterative, with its own stack: a value nested 100,000 levels deep (which JSON.parse builds
 * without complaint) costs a loop here, where any recursive walk would overflow the call stack.
 */
export function jsonDepth(value: unknown): number {
  let deepest = 0;
  const pending: { value: object; depth: number }[] = [];
  if (typeof value === 'object' && value !== null) pending.push({ value, depth: 1 });
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > deepest) deepest = next.depth;
    const children: unknown[] = Array.isArray(next.value) ? next.value : Object.values(next.value);
    for (const child of children) {
      if (typeof child === 'object' && child !== null) pending.push({ value: child, depth: next.depth + 1 });
    }
  }
  return deepest;
}

export function checkJsonDepth(value: unknown, field: string, max = limits().jsonDepth): void {
  const depth = jsonDepth(value);
  if (depth > max) throw new BadInputError(`${field}: nested ${depth} levels deep; at most ${max}`, field);
}

/**
 * A free-form JSON field as it will be stored: bounded in depth (SQLite's JSON functions refuse
 * very deep documents, so one stored would break every `q=mixins.…` search of its tenant) and in
 * serialized size. Depth first: with it bounded, JSON.stringify cannot overflow the stack.
 */
export function checkJsonDocument(value: unknown, field: string): void {
  checkJsonDepth(value, field);
  const max = limits().jsonBytes;
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > max) throw new BadInputError(`${field}: ${bytes} bytes as JSON; at most ${max}`, field);
}
