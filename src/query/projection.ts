/** The `fields` parameter: keep only the listed dot paths of a response document. */
import { QueryError } from './errors';

const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_FIELDS_LENGTH = 4000;

/** 'id,name.en' → [['id'], ['name', 'en']]; null when absent or empty. Empty entries are ignored. */
export function parseFields(fields: string | undefined | null): string[][] | null {
  if (fields === undefined || fields === null) return null;
  if (typeof fields !== 'string') throw new QueryError('fields: must be a string', 'fields');
  if (fields.length > MAX_FIELDS_LENGTH) {
    throw new QueryError(`fields: too long (at most ${MAX_FIELDS_LENGTH} characters)`, 'fields');
  }
  const paths: string[][] = [];
  for (const raw of fields.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const path = entry.split('.');
    if (!path.every((s) => SEGMENT.test(s))) {
      throw new QueryError(`fields: invalid path "${entry}" (dot-separated names of letters, digits, '_' or '-')`, 'fields');
    }
    paths.push(path);
  }
  return paths.length > 0 ? paths : null;
}

/** A path tree: `true` keeps the whole value, a Map keeps only some of its keys. */
type Tree = Map<string, Tree | true>;

function buildTree(paths: string[][]): Tree {
  const root: Tree = new Map();
  for (const path of paths) {
    let node = root;
    for (let i = 0; i < path.length; i++) {
      const key = path[i];
      const existing = node.get(key);
      if (existing === true) break; // a shorter path already keeps the whole value
      if (i === path.length - 1) {
        node.set(key, true);
        break;
      }
      const child: Tree = existing ?? new Map();
      node.set(key, child);
      node = child;
    }
  }
  return root;
}

/**
 * Keeps only `paths` (plus `alwaysKeep`) of `doc`, with their nesting. Absent paths stay absent,
 * and a nested object left with no kept key is dropped. Arrays on the way are projected
 * element-wise (objects keep their place, as {} if nothing was kept; other elements are dropped).
 * Only own properties are read, and results are written with defineProperty, so paths such as
 * `__proto__` or `constructor` cannot reach or alter prototypes.
 */
export function project<T>(doc: T, paths: string[][] | null, alwaysKeep: string[][]): T {
  if (paths === null) return doc;
  const tree = buildTree([...paths, ...alwaysKeep]);
  if (Array.isArray(doc)) return pickArray(doc, tree) as T;
  return (isObject(doc) ? (pickObject(doc, tree) ?? {}) : doc) as T;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null && !(value instanceof Date);
}

function pickArray(values: unknown[], tree: Tree): unknown[] {
  return values.filter(isObject).map((v) => (Array.isArray(v) ? pickArray(v, tree) : (pickObject(v, tree) ?? {})));
}

function pickObject(value: object, tree: Tree): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let kept = 0;
  for (const [key, sub] of tree) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    const v: unknown = (value as Record<string, unknown>)[key];
    let projected: unknown;
    if (sub === true) projected = v;
    else if (Array.isArray(v)) projected = pickArray(v, sub);
    else if (isObject(v)) projected = pickObject(v, sub);
    if (projected === undefined) continue;
    Object.defineProperty(out, key, { value: projected, enumerable: true, writable: true, configurable: true });
    kept++;
  }
  return kept > 0 ? out : undefined;
}
