import type { Knex } from 'knex';
import type { Dialect } from '../../db/knex';
import type { Sql } from '../../query/json-sql';
import { compileQ } from '../../query/q-compile';
import { customerRuleFields, itemRuleFields } from './rule.fields';
import type { ParsedRule } from './rule.parse';

/**
 * The statements that find a rule's members, as SQL text with bound values. Everything a rule
 * says is compiled by the q-language compiler over the rule fields (rule.fields.ts), so every
 * value is a bound parameter and every column comes from that table. Set-based throughout: no
 * member is ever looked at one by one in Node.
 */

/** Which reference rows a (re-)evaluation looks at; absent = all of the tenant's. */
export interface CustomerScope {
  customerIds?: readonly string[];
  legalEntityIds?: readonly string[];
}

export interface ItemScope {
  productIds?: readonly string[];
}

const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

function where(conditions: readonly Sql[]): Sql {
  if (!conditions.length) return { sql: '1 = 1', bindings: [] };
  return { sql: conditions.map((c) => `(${c.sql})`).join(' AND '), bindings: conditions.flatMap((c) => c.bindings) };
}

/**
 * `SELECT customer_id, legal_entity_id` of the members of a customer rule. A rule that names
 * `legalEntity.*` ranges over customer × linked legal entity (B2B members); any other over
 * customers alone (B2C members, legal entity '').
 */
export function customerMatch(rule: ParsedRule, tenant: string, dialect: Dialect, now: number, scope?: CustomerScope): Sql {
  const cond = where(compileQ(rule.nodes, customerRuleFields, dialect, now));
  const bindings: unknown[] = [];
  let sql: string;
  if (rule.b2b) {
    sql =
      'SELECT cle.customer_id AS customer_id, cle.legal_entity_id AS legal_entity_id FROM customer_legal_entities cle ' +
      'JOIN customers c ON c.tenant = cle.tenant AND c.id = cle.customer_id ' +
      'LEFT JOIN legal_entities le ON le.tenant = cle.tenant AND le.id = cle.legal_entity_id WHERE cle.tenant = ?';
    bindings.push(tenant);
    const byKey: string[] = [];
    if (scope?.customerIds?.length) {
      byKey.push(`cle.customer_id IN (${placeholders(scope.customerIds.length)})`);
      bindings.push(...scope.customerIds);
    }
    if (scope?.legalEntityIds?.length) {
      byKey.push(`cle.legal_entity_id IN (${placeholders(scope.legalEntityIds.length)})`);
      bindings.push(...scope.legalEntityIds);
    }
    if (byKey.length) sql += ` AND (${byKey.join(' OR ')})`;
  } else {
    sql = "SELECT c.id AS customer_id, '' AS legal_entity_id FROM customers c WHERE c.tenant = ?";
    bindings.push(tenant);
    if (scope?.customerIds?.length) {
      sql += ` AND c.id IN (${placeholders(scope.customerIds.length)})`;
      bindings.push(...scope.customerIds);
    }
  }
  return { sql: `${sql} AND ${cond.sql}`, bindings: [...bindings, ...cond.bindings] as Sql['bindings'] };
}

/**
 * `SELECT item_id` of the products an item rule matches. A rule that names `category.*` sees
 * each product once per category it is in and per ancestor of those (a recursive walk up, as
 * match does; UNION ends a stray cycle), and once with no category: a product matches when any
 * of those rows does.
 */
export function itemMatch(rule: ParsedRule, tenant: string, dialect: Dialect, now: number, scope?: ItemScope): Sql {
  const cond = where(compileQ(rule.nodes, itemRuleFields, dialect, now));
  const ids = scope?.productIds?.length ? scope.productIds : undefined;
  const inIds = (col: string) => (ids ? ` AND ${col} IN (${placeholders(ids.length)})` : '');
  if (!rule.byCategory) {
    return {
      sql: `SELECT p.id AS item_id FROM products p WHERE p.tenant = ?${inIds('p.id')} AND ${cond.sql}`,
      bindings: [tenant, ...(ids ?? []), ...cond.bindings] as Sql['bindings'],
    };
  }
  const sql =
    'SELECT DISTINCT m.item_id FROM (WITH RECURSIVE anc(product_id, category_id) AS (' +
    `SELECT product_id, category_id FROM product_categories WHERE tenant = ?${inIds('product_id')} ` +
    'UNION SELECT anc.product_id, c.parent_id FROM anc JOIN categories c ON c.tenant = ? AND c.id = anc.category_id ' +
    'WHERE c.parent_id IS NOT NULL) ' +
    'SELECT p.id AS item_id FROM products p LEFT JOIN anc ON anc.product_id = p.id ' +
    'LEFT JOIN categories cat ON cat.tenant = p.tenant AND cat.id = anc.category_id ' +
    `WHERE p.tenant = ?${inIds('p.id')} AND ${cond.sql}) m`;
  return {
    sql,
    bindings: [tenant, ...(ids ?? []), tenant, tenant, ...(ids ?? []), ...cond.bindings] as Sql['bindings'],
  };
}

/** A Sql as a knex raw statement (the q compiler binds only strings and numbers). */
export function raw(knex: Knex | Knex.Transaction, s: Sql): Knex.Raw {
  return knex.raw(s.sql, s.bindings as Knex.RawBinding[]);
}
