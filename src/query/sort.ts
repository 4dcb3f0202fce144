/**
 * The `sort` parameter: comma-separated `path[:asc|desc]`, the same fields as `q`.
 * Both dialects order NULL first ascending (last descending), so absent values sort the same way.
 */
import type { Knex } from 'knex';
import { QueryError } from './errors';
import { jsonPath, resolveOrThrow } from './fields';
import type { Dialect, FieldResolver } from './fields';
import { jsonOps } from './json-sql';

export interface SortKey {
  sql: string;
  bindings: unknown[];
  desc: boolean;
}

export const MAX_SORT_FIELDS = 10;
const MAX_SORT_LENGTH = 1000;

/**
 * Empty entries (`a,,b`, a trailing comma) are ignored. A JSON field may yield several keys on
 * MySQL (see json-sql.ts sortExprs), all with the field's direction.
 */
export function parseSort(sort: string | undefined | null, resolve: FieldResolver, dialect: Dialect): SortKey[] {
  if (sort === undefined || sort === null) return [];
  if (typeof sort !== 'string') throw new QueryError('sort: must be a string', 'sort');
  if (sort.length > MAX_SORT_LENGTH) throw new QueryError(`sort: too long (at most ${MAX_SORT_LENGTH} characters)`, 'sort');
  const entries = sort
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length > MAX_SORT_FIELDS) {
    throw new QueryError(`sort: too many fields (at most ${MAX_SORT_FIELDS})`, 'sort');
  }
  const keys: SortKey[] = [];
  for (const entry of entries) {
    const colon = entry.indexOf(':');
    const path = (colon < 0 ? entry : entry.slice(0, colon)).trim();
    const dir =
      colon < 0
        ? 'asc'
        : entry
            .slice(colon + 1)
            .trim()
            .toLowerCase();
    if (dir !== 'asc' && dir !== 'desc') {
      throw new QueryError(
        `sort: invalid direction "${entry.slice(colon + 1).trim()}" for field "${path}" (use asc or desc)`,
        'sort',
      );
    }
    const desc = dir === 'desc';
    const field = resolveOrThrow(resolve, path, 'sort');
    if (field.column.includes('?')) throw new Error(`sort: column expression must not contain '?': ${field.column}`);
    if (field.type === 'column') {
      keys.push({ sql: field.column, bindings: [], desc });
    } else {
      for (const e of jsonOps(dialect, field.column, jsonPath(field.path)).sortExprs()) {
        keys.push({ sql: e.sql, bindings: e.bindings, desc });
      }
    }
  }
  return keys;
}

/**
 * ORDER BY the keys, then the tiebreak columns ascending so that paging is stable; `reversed`
 * turns every direction round, which — NULLs coming first ascending and last descending on both
 * dialects, and the tiebreak making the order total — is exactly the reverse order.
 */
export function applySort(qb: Knex.QueryBuilder, keys: SortKey[], tiebreak: string[], reversed = false): void {
  for (const k of keys) {
    qb.orderByRaw(`${k.sql} ${k.desc !== reversed ? 'DESC' : 'ASC'}`, k.bindings as Knex.RawBinding[]);
  }
  for (const column of tiebreak) qb.orderBy(column, reversed ? 'desc' : 'asc');
}
