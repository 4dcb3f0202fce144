/**
 * SQL fragments reading one key path of a JSON text column, per dialect. Each fragment carries
 * its bindings: the JSON path (built from validated keys, see fields.ts) is always a bound
 * parameter, never spliced into the SQL. The column expression comes from a resolver (trusted).
 *
 * Dialect notes:
 * - SQLite: json_extract returns native values (numbers as INTEGER/REAL, strings as TEXT, true/false
 *   as 1/0); json_type tells 'null'/'true'/'false'/'integer'/'real'/'text'/... and NULL when the
 *   key is absent or the column is NULL.
 * - MariaDB 10.11 / MySQL 8: JSON_VALUE returns text (MariaDB: booleans as '1'/'0', MySQL:
 *   'true'/'false'; JSON null → SQL NULL); JSON_TYPE(JSON_EXTRACT(...)) tells 'INTEGER', 'DOUBLE',
 *   'STRING', 'BOOLEAN', 'NULL', ... and SQL NULL when the key is absent or the column is NULL.
 *   The value is compared as bytes so that 'a' != 'A' and 'a ' != 'a' whatever the collation.
 */
import type { Dialect } from './fields';

export type Binding = string | number;
export interface Sql {
  sql: string;
  bindings: Binding[];
}

export const sql = (text: string, ...bindings: Binding[]): Sql => ({ sql: text, bindings });

export function and(...parts: Sql[]): Sql {
  return join(parts, 'AND');
}
export function or(...parts: Sql[]): Sql {
  return join(parts, 'OR');
}
function join(parts: Sql[], op: string): Sql {
  if (parts.length === 0) throw new Error(`json-sql: empty ${op}`);
  if (parts.length === 1) return parts[0];
  return {
    sql: parts.map((p) => `(${p.sql})`).join(` ${op} `),
    bindings: parts.flatMap((p) => p.bindings),
  };
}

/** `expr IN (?, ...)`, or `expr = ?` for a single value. */
export function inList(expr: Sql, values: Binding[]): Sql {
  if (values.length === 1) return sql(`${expr.sql} = ?`, ...expr.bindings, values[0]);
  return sql(`${expr.sql} IN (${values.map(() => '?').join(', ')})`, ...expr.bindings, ...values);
}

export type JsonScalarType = 'number' | 'string';

export interface JsonOps {
  /** The value is a JSON number / string. */
  isType(type: JsonScalarType): Sql;
  /** The value as text, for exact (case- and trailing-space-sensitive) comparison and ordering. */
  text(): Sql;
  /** The value as text, for LOWER(...) LIKE. */
  likeText(): Sql;
  /** The value as a number (only meaningful together with isType('number')). */
  num(): Sql;
  /** The value is JSON true / false. */
  isBool(value: boolean): Sql;
  /** JSON null, key absent, or column NULL. */
  isNull(): Sql;
  /** The key is present (any value, including JSON null). */
  exists(): Sql;
  missing(): Sql;
  /** Expressions to ORDER BY, most significant first. */
  sortExprs(): Sql[];
}

/** SQL with one '?' for the JSON path, returning the scalar at that path (see module notes). */
export function jsonValueSql(dialect: Dialect, column: string): string {
  return dialect === 'sqlite' ? `json_extract(${column}, ?)` : `JSON_VALUE(${column}, ?)`;
}

export function jsonOps(dialect: Dialect, column: string, path: string): JsonOps {
  return dialect === 'sqlite' ? sqliteOps(column, path) : mysqlOps(column, path);
}

function sqliteOps(c: string, p: string): JsonOps {
  const type = `json_type(${c}, ?)`;
  const value = sql(jsonValueSql('sqlite', c), p);
  return {
    isType: (t) => sql(t === 'number' ? `${type} IN ('integer', 'real')` : `${type} = 'text'`, p),
    // SQLite compares TEXT bytewise (BINARY collation) and never converts between the untyped
    // result of json_extract and a bound value, so 5 does not equal '5' here.
    text: () => value,
    likeText: () => value,
    num: () => value,
    isBool: (v) => sql(`${type} = '${v ? 'true' : 'false'}'`, p),
    isNull: () => sql(`COALESCE(${type}, 'null') = 'null'`, p),
    exists: () => sql(`${type} IS NOT NULL`, p),
    missing: () => sql(`${type} IS NULL`, p),
    // Native ordering: NULL/absent, then numbers numerically, then strings bytewise.
    sortExprs: () => [value],
  };
}

function mysqlOps(c: string, p: string): JsonOps {
  const type = `JSON_TYPE(JSON_EXTRACT(${c}, ?))`;
  const raw = jsonValueSql('mysql', c);
  const numTypes = `('INTEGER', 'UNSIGNED INTEGER', 'DOUBLE', 'DECIMAL')`;
  // Bytes, not a collation: utf8mb4_bin would still ignore trailing spaces (PAD SPACE) and fails
  // on a non-utf8mb4 column; UTF-8 byte order is code point order, as in SQLite.
  const text = sql(`CAST(${raw} AS BINARY)`, p);
  const num = sql(`CAST(${raw} AS DOUBLE)`, p);
  return {
    isType: (t) => sql(t === 'number' ? `${type} IN ${numTypes}` : `${type} = 'STRING'`, p),
    text: () => text,
    // LOWER does nothing to a binary string, so LIKE works on the character value.
    likeText: () => sql(raw, p),
    num: () => num,
    // MariaDB's JSON_VALUE gives '1'/'0' for booleans, MySQL's 'true'/'false'.
    isBool: (v) => sql(`${type} = 'BOOLEAN' AND ${raw} IN (${v ? `'true', '1'` : `'false', '0'`})`, p, p),
    isNull: () => sql(`COALESCE(${type}, 'NULL') = 'NULL'`, p),
    // JSON_CONTAINS_PATH is NULL for a NULL column, hence the COALESCE.
    exists: () => sql(`COALESCE(JSON_CONTAINS_PATH(${c}, 'one', ?), 0) = 1`, p),
    missing: () => sql(`COALESCE(JSON_CONTAINS_PATH(${c}, 'one', ?), 0) = 0`, p),
    // JSON_VALUE is text, which would order 10 before 9. To get SQLite's native order (NULL and
    // absent, then numbers numerically, then strings): strings last, then numbers by value, then
    // the text.
    sortExprs: () => [
      sql(`CASE WHEN ${type} = 'STRING' THEN 1 ELSE 0 END`, p),
      sql(`CASE WHEN ${type} IN ${numTypes} THEN ${num.sql} END`, p, p),
      text,
    ],
  };
}
