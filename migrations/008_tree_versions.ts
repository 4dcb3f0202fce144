import type { Knex } from 'knex';
import { binaryCollation, binaryTable, isMysql } from './helpers';

/**
 * Versions of derived answers that instances cache (db/tenant-version.ts): one row per tenant
 * and kind of answer. The storefront's category trees are the first (`category-tree`): an
 * instance keeps a built tree only while the version it was built at is still the stored one.
 *
 * Decision: the version is bumped by row triggers, as the segment counters are (migration 007),
 * not by the application. A tree is made of categories and of the CATEGORY item assignments of
 * a set of segments, and those are written by many paths — category upserts, moves and deletes
 * (API and import), item assignment PUT/DELETE/bulk, the import's multi-row statements, a
 * segment deleted with force. A trigger runs in the writing statement's own transaction on every
 * one of them, so the new version becomes visible with the write's commit and goes with its
 * rollback, and no path can forget it. PRODUCT assignments and product-category links do not
 * change a tree (the rule evaluator writes PRODUCT assignments only): no trigger there.
 * Segment status, validity and siteCode decide which segments make up the set, which a read
 * resolves on every request; a change to them, or a segment delete, bumps too, to be safe.
 *
 * The version row is taken after the writer's segment or tree locks (every writer locks those
 * first) and held to commit: tree writes of one tenant queue on it for the rest of their
 * transaction.
 */
const NAME = 'category-tree';

export interface Trigger {
  name: string;
  table: string;
  event: 'INSERT' | 'UPDATE' | 'DELETE';
  /** SQL condition on NEW/OLD; none = every row. */
  when?: { mysql: string; sqlite: string };
}

export const changed = (cols: string[], nullSafeNe: (c: string) => string): string => cols.map(nullSafeNe).join(' OR ');
const SEGMENT_SET_COLUMNS = ['status', 'validity_from', 'validity_to', 'site_code'];

const TRIGGERS: Trigger[] = [
  ...(['INSERT', 'UPDATE', 'DELETE'] as const).map((event) => ({
    name: `categories_tree_${event.slice(0, 3).toLowerCase()}`,
    table: 'categories',
    event,
  })),
  ...(['INSERT', 'UPDATE', 'DELETE'] as const).map((event) => {
    const row = event === 'DELETE' ? 'OLD' : 'NEW';
    const cond = event === 'UPDATE' ? `(NEW.type = 'CATEGORY' OR OLD.type = 'CATEGORY')` : `${row}.type = 'CATEGORY'`;
    return {
      name: `item_assign_tree_${event.slice(0, 3).toLowerCase()}`,
      table: 'item_assignments',
      event,
      when: { mysql: cond, sqlite: cond },
    };
  }),
  {
    name: 'segments_tree_upd',
    table: 'segments',
    event: 'UPDATE',
    when: {
      mysql: changed(SEGMENT_SET_COLUMNS, (c) => `NOT (OLD.${c} <=> NEW.${c})`),
      sqlite: changed(SEGMENT_SET_COLUMNS, (c) => `OLD.${c} IS NOT NEW.${c}`),
    },
  },
  { name: 'segments_tree_del', table: 'segments', event: 'DELETE' },
];

/** The row trigger `t`, bumping the tenant's `name` version (`category-tree` here; migration 010 adds another). */
export function triggerSql(knex: Knex, t: Trigger, name = NAME): string {
  const row = t.event === 'DELETE' ? 'OLD' : 'NEW';
  if (isMysql(knex)) {
    // One statement, no BEGIN … END: the condition goes into an INSERT … SELECT.
    return (
      `CREATE TRIGGER ${t.name} AFTER ${t.event} ON ${t.table} FOR EACH ROW ` +
      `INSERT INTO tenant_versions (tenant, name, version) SELECT ${row}.tenant, '${name}', 1 FROM DUAL` +
      (t.when ? ` WHERE ${t.when.mysql}` : '') +
      ' ON DUPLICATE KEY UPDATE version = tenant_versions.version + 1'
    );
  }
  return (
    `CREATE TRIGGER ${t.name} AFTER ${t.event} ON ${t.table} FOR EACH ROW` +
    (t.when ? ` WHEN ${t.when.sqlite}` : '') +
    // Not INSERT OR IGNORE: inside an upsert SQLite applies the outer statement's conflict policy.
    ` BEGIN INSERT INTO tenant_versions (tenant, name, version) SELECT ${row}.tenant, '${name}', 0` +
    ` WHERE NOT EXISTS (SELECT 1 FROM tenant_versions WHERE tenant = ${row}.tenant AND name = '${name}');` +
    ` UPDATE tenant_versions SET version = version + 1 WHERE tenant = ${row}.tenant AND name = '${name}'; END`
  );
}

export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  await knex.schema.createTable('tenant_versions', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('name', 32).notNullable();
    t.bigInteger('version').notNullable();
    t.primary(['tenant', 'name']);
  });
  for (const t of TRIGGERS) await knex.raw(triggerSql(knex, t));
}

export async function down(knex: Knex): Promise<void> {
  for (const t of TRIGGERS) await knex.raw(`DROP TRIGGER IF EXISTS ${t.name}`);
  await knex.schema.dropTable('tenant_versions');
}
