/**
 * The field model shared by `q` (q-compile.ts) and `sort` (sort.ts): a public dot path such as
 * `validity.from` or `mixins.a.b` resolves to a trusted SQL column, or to a key path inside a JSON
 * text column. Only resolvers produce SQL text; user text only ever selects among their entries or
 * becomes JSON path keys, which are validated (JSON_PATH_KEY) and bound as parameters.
 */
import { limits } from '../limits';
import { QueryError } from './errors';

export type FieldKind = 'string' | 'number' | 'boolean' | 'instant' | 'enum';
/** A plain column. instant columns hold epoch milliseconds (BIGINT); boolean columns hold 0/1. */
export interface ColumnField {
  type: 'column';
  column: string;
  kind: FieldKind;
  enumValues?: readonly string[];
}
/** A value inside a JSON text column, reached by path keys. */
export interface JsonField {
  type: 'json';
  column: string;
  path: string[];
}
export type ResolvedField = ColumnField | JsonField;
/** Returns undefined for an unknown field. */
export type FieldResolver = (path: string) => ResolvedField | undefined;
export type Dialect = 'mysql' | 'sqlite';

export const JSON_PATH_KEY = /^[A-Za-z0-9_-]{1,64}$/;

export interface ResolverSpec {
  /** Public path → column. `type: 'column'` may be omitted. */
  columns?: Readonly<Record<string, Omit<ColumnField, 'type'> & { type?: 'column' }>>;
  /** Alternative public name → canonical public path (e.g. metadataCreatedAt → metadata.createdAt). */
  aliases?: Readonly<Record<string, string>>;
  /** Public prefix → JSON text column; `prefix.k1.k2` reaches key path [k1, k2] (at least one key). */
  json?: Readonly<Record<string, string>>;
}

/**
 * Builds a resolver from tables. Lookups go through Maps so that names such as `constructor` or
 * `__proto__` can never pick up Object.prototype members.
 */
export function makeResolver(spec: ResolverSpec): FieldResolver {
  const columns = new Map<string, ColumnField>(
    Object.entries(spec.columns ?? {}).map(([path, c]) => [path, { ...c, type: 'column' }]),
  );
  const aliases = new Map(Object.entries(spec.aliases ?? {}));
  // Longest prefix first, so `mixins.special` could override `mixins` if both were declared.
  const json = Object.entries(spec.json ?? {}).sort((a, b) => b[0].length - a[0].length);

  return (input: string): ResolvedField | undefined => {
    const path = aliases.get(input) ?? input;
    const column = columns.get(path);
    if (column) return column;
    for (const [prefix, col] of json) {
      if (path.startsWith(`${prefix}.`)) {
        return { type: 'json', column: col, path: path.slice(prefix.length + 1).split('.') };
      }
    }
    return undefined;
  };
}

/**
 * Resolves `path` or throws `<param>: unknown field "..."`. JSON key paths are validated here, so
 * a hand-written resolver cannot smuggle arbitrary text into a JSON path either.
 */
export function resolveOrThrow(resolve: FieldResolver, path: string, param: string): ResolvedField {
  const field = resolve(path);
  if (!field) throw new QueryError(`${param}: unknown field "${path}"`, param);
  if (field.type === 'json') {
    // A stored JSON field is at most `jsonDepth` levels deep, so no longer key path can match.
    const maxKeys = limits().jsonDepth;
    if (field.path.length === 0 || field.path.length > maxKeys) {
      throw new QueryError(`${param}: invalid field "${path}" (expected 1 to ${maxKeys} keys after the prefix)`, param);
    }
    const bad = field.path.find((k) => !JSON_PATH_KEY.test(k));
    if (bad !== undefined) {
      throw new QueryError(
        `${param}: invalid key "${bad}" in field "${path}" (keys are 1-64 letters, digits, '_' or '-')`,
        param,
      );
    }
  }
  return field;
}

/** `$."k1"."k2"` — keys are validated by resolveOrThrow, so they never contain a quote. */
export function jsonPath(keys: readonly string[]): string {
  // Programming-error guard: callers must have gone through resolveOrThrow.
  if (keys.some((k) => !JSON_PATH_KEY.test(k))) throw new Error('jsonPath: unvalidated key');
  return '$' + keys.map((k) => `."${k}"`).join('');
}
