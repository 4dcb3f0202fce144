/**
 * Compiles a parsed `q` into WHERE clauses (its items ANDed; groups, OR and NOT within them). Field names resolve through the caller's
 * resolver (the only source of SQL text); every user value is a bound parameter.
 */
import type { Knex } from 'knex';
import { QueryError } from './errors';
import { jsonPath, resolveOrThrow } from './fields';
import type { ColumnField, Dialect, FieldResolver } from './fields';
import { and, inList, jsonOps, or, sql } from './json-sql';
import type { Binding, JsonOps, Sql } from './json-sql';
import { isTerm, type QCondition, type QLiteral, type QNode, type QTerm } from './q-parser';
import { columnValue, isNumberLiteral, LIKE_ESCAPE, likePattern, parseNumber, relativeInstant } from './values';

export { jsonValueSql } from './json-sql';

export function applyQ(qb: Knex.QueryBuilder, nodes: QNode[], resolve: FieldResolver, dialect: Dialect, now?: number): void {
  // Compile everything first so that a bad term leaves the builder untouched.
  applyWhere(qb, compileQ(nodes, resolve, dialect, now));
}

/**
 * The items of a parsed q, each as one condition (they are ANDed by applyWhere). `now` is the
 * clock relative instants (`now-180d`) are read against: the request's, or an injected one.
 */
export function compileQ(nodes: readonly QNode[], resolve: FieldResolver, dialect: Dialect, now: number = Date.now()): Sql[] {
  return nodes.map((n) => compileNode(n, resolve, dialect, now));
}

function compileNode(node: QNode, resolve: FieldResolver, dialect: Dialect, now: number): Sql {
  if (isTerm(node)) return compileTerm(node, resolve, dialect, now);
  if (node.kind === 'or') {
    return or(...node.branches.map((items) => and(...items.map((n) => compileNode(n, resolve, dialect, now)))));
  }
  // A condition on a missing value is NULL, not false; NOT NULL would drop the row. "Does not
  // match" must keep it, so the condition is made two-valued first.
  const inner = compileNode(node.item, resolve, dialect, now);
  return sql(`NOT COALESCE((${inner.sql}), 0)`, ...inner.bindings);
}

/** Clauses compiled once (at the edge, by parseListArgs) and applied to every query that needs them. */
export function applyWhere(qb: Knex.QueryBuilder, clauses: readonly Sql[]): void {
  for (const c of clauses) qb.whereRaw(`(${c.sql})`, c.bindings);
}

export function compileTerm(term: QTerm, resolve: FieldResolver, dialect: Dialect, now: number = Date.now()): Sql {
  const field = resolveOrThrow(resolve, term.field, 'q');
  assertTrustedColumn(field.column);
  return field.type === 'column'
    ? columnCondition(field, term.field, term.cond, now)
    : jsonCondition(jsonOps(dialect, field.column, jsonPath(field.path)), term.field, term.cond, now);
}

/** Knex treats '?' as a placeholder: a column expression containing one would shift the bindings. */
function assertTrustedColumn(column: string): void {
  if (column.includes('?')) throw new Error(`q-compile: column expression must not contain '?': ${column}`);
}

function unsupported(name: string, what: string): never {
  throw new QueryError(`q: field "${name}" does not support ${what}`, 'q');
}

/** Unquoted `null` inside a list means "or no value": `field:(a,null)`. */
function splitNull(values: QLiteral[]): { values: QLiteral[]; orNull: boolean } {
  const rest = values.filter((v) => v.quoted || v.text !== 'null');
  return { values: rest, orNull: rest.length !== values.length };
}

function columnCondition(f: ColumnField, name: string, cond: QCondition, now: number): Sql {
  const col = sql(f.column);
  switch (cond.op) {
    case 'null':
    case 'missing':
      return sql(`${f.column} IS NULL`);
    case 'exists':
      return sql(`${f.column} IS NOT NULL`);
    case 'eq':
    case 'in': {
      const { values, orNull } = splitNull(cond.op === 'eq' ? [cond.value] : cond.values);
      const branches: Sql[] = [];
      if (values.length > 0)
        branches.push(
          inList(
            col,
            values.map((v) => columnValue(f, v, name, now)),
          ),
        );
      if (orNull) branches.push(sql(`${f.column} IS NULL`));
      return or(...branches);
    }
    case 'cmp':
      if (f.kind === 'boolean' || f.kind === 'enum') unsupported(name, 'comparisons');
      return and(...cond.parts.map((p) => sql(`${f.column} ${p.cmp} ?`, columnValue(f, p.value, name, now))));
    case 'like':
      if (f.kind !== 'string' && f.kind !== 'enum') unsupported(name, "text search ('~')");
      return likeSql(col, cond);
  }
}

function likeSql(expr: Sql, cond: Extract<QCondition, { op: 'like' }>): Sql {
  const pattern = likePattern(cond.text, cond.anchorStart, cond.anchorEnd);
  return sql(`LOWER(${expr.sql}) LIKE ? ESCAPE '${LIKE_ESCAPE}'`, ...expr.bindings, pattern);
}

/**
 * JSON values are untyped, so the literal decides: an unquoted number matches JSON numbers
 * numerically (and, for equality, a JSON string with exactly that text); unquoted true/false
 * match JSON booleans; anything else, and any quoted value, matches JSON strings case-sensitively.
 * In a comparison an unquoted `now…` is an instant, compared with JSON strings as ISO-8601 UTC
 * text (`2026-06-04T10:00:00.000Z`), which orders as time does for values written the same way.
 */
function jsonCondition(ops: JsonOps, name: string, cond: QCondition, now: number): Sql {
  switch (cond.op) {
    case 'null':
      return ops.isNull();
    case 'exists':
      return ops.exists();
    case 'missing':
      return ops.missing();
    case 'eq':
    case 'in':
      return jsonIn(ops, cond.op === 'eq' ? [cond.value] : cond.values);
    case 'cmp':
      return and(
        ...cond.parts.map((p) => {
          if (isNumberLiteral(p.value)) {
            return and(ops.isType('number'), sql(`${ops.num().sql} ${p.cmp} ?`, ...ops.num().bindings, num(p.value)));
          }
          if (!p.value.quoted && (p.value.text === 'true' || p.value.text === 'false')) {
            unsupported(name, 'comparisons with true/false');
          }
          const instant = relativeInstant(p.value, now);
          const text = instant === undefined ? p.value.text : new Date(instant).toISOString();
          return and(ops.isType('string'), sql(`${ops.text().sql} ${p.cmp} ?`, ...ops.text().bindings, text));
        }),
      );
    case 'like':
      return and(ops.isType('string'), likeSql(ops.likeText(), cond));
  }
}

function jsonIn(ops: JsonOps, literals: QLiteral[]): Sql {
  const keyword = (l: QLiteral, k: string): boolean => !l.quoted && l.text === k;
  const numbers = literals.filter(isNumberLiteral).map(num);
  const texts: Binding[] = literals
    .filter((l) => !keyword(l, 'true') && !keyword(l, 'false') && !keyword(l, 'null'))
    .map((l) => l.text);
  const branches: Sql[] = [];
  if (numbers.length > 0) branches.push(and(ops.isType('number'), inList(ops.num(), numbers)));
  if (texts.length > 0) branches.push(and(ops.isType('string'), inList(ops.text(), texts)));
  if (literals.some((l) => keyword(l, 'true'))) branches.push(ops.isBool(true));
  if (literals.some((l) => keyword(l, 'false'))) branches.push(ops.isBool(false));
  if (literals.some((l) => keyword(l, 'null'))) branches.push(ops.isNull());
  return or(...branches);
}

function num(lit: QLiteral): number {
  // Only called for literals that passed isNumberLiteral.
  return parseNumber(lit.text) ?? Number.NaN;
}
