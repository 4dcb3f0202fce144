import type { Knex } from 'knex';
import { isMysql } from './helpers';

/**
 * Segment sizes without counting (issue 10):
 *
 * - `segments.customer_count` / `segments.item_count`: how many assignments the segment has, so
 *   `Segment.customerCount` / `itemCount` and an unfiltered `totalCount` read one row instead of
 *   counting a million.
 *
 *   Decision: the counters are kept by row triggers (AFTER INSERT / AFTER DELETE on both
 *   assignment tables), not by the application. Assignments are written by many paths — single
 *   and bulk PUT/DELETE, segment delete with force, the import (its own multi-row statements),
 *   the rule evaluator's set-based INSERT … SELECT / DELETE across many segments at once, which
 *   also runs inside every reference-data write — and a trigger runs in the statement's own
 *   transaction on every one of them, rolled back with it, with no way for a new path to forget
 *   it. An upsert that finds its row takes the UPDATE path (MariaDB ON DUPLICATE KEY UPDATE,
 *   SQLite ON CONFLICT DO UPDATE), where no INSERT trigger fires, so the count stays exact.
 *   Nothing updates an assignment's segment_id (it is part of the key), so there is no UPDATE
 *   trigger. bench/scale.ts measures what the triggers cost the import (README, issue 10).
 *   The counter lives on the segment row, which every assignment writer already locks first
 *   (exclusively since this change: a shared lock upgraded by the trigger would deadlock).
 *
 * - Paging by deferred join: a page's keys are read from an index that holds the default order
 *   and the key, then joined back for the rows. InnoDB appends the primary key to a secondary
 *   index implicitly; SQLite does not (it appends the rowid), so the indexes now name the key
 *   columns themselves and serve both.
 */
const TRIGGERS = [
  { table: 'customer_assignments', counter: 'customer_count', short: 'cust_assign' },
  { table: 'item_assignments', counter: 'item_count', short: 'item_assign' },
];

function triggerSql(knex: Knex, t: (typeof TRIGGERS)[number], event: 'INSERT' | 'DELETE'): string {
  const row = event === 'INSERT' ? 'NEW' : 'OLD';
  const op = event === 'INSERT' ? '+' : '-';
  const name = `${t.short}_count_${event === 'INSERT' ? 'ins' : 'del'}`;
  const body = `UPDATE segments SET ${t.counter} = ${t.counter} ${op} 1 WHERE tenant = ${row}.tenant AND id = ${row}.segment_id`;
  return isMysql(knex)
    ? `CREATE TRIGGER ${name} AFTER ${event} ON ${t.table} FOR EACH ROW ${body}`
    : `CREATE TRIGGER ${name} AFTER ${event} ON ${t.table} FOR EACH ROW BEGIN ${body}; END`;
}

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('segments', (t) => {
    t.integer('customer_count').notNullable().defaultTo(0);
    t.integer('item_count').notNullable().defaultTo(0);
  });
  for (const t of TRIGGERS) {
    await knex.raw(triggerSql(knex, t, 'INSERT'));
    await knex.raw(triggerSql(knex, t, 'DELETE'));
  }
  // Backfill (after the triggers exist: a write during the migration is counted either way).
  await knex.raw(
    'UPDATE segments SET ' +
      'customer_count = (SELECT COUNT(*) FROM customer_assignments ca WHERE ca.tenant = segments.tenant AND ca.segment_id = segments.id), ' +
      'item_count = (SELECT COUNT(*) FROM item_assignments ia WHERE ia.tenant = segments.tenant AND ia.segment_id = segments.id)',
  );
  await knex.schema.alterTable('customer_assignments', (t) => {
    t.index(['tenant', 'segment_id', 'created_at', 'customer_id', 'legal_entity_id'], 'cust_assign_tenant_segment_page');
  });
  await knex.schema.alterTable('customer_assignments', (t) => {
    t.dropIndex(['tenant', 'segment_id', 'created_at'], 'cust_assign_tenant_segment_created');
  });
  await knex.schema.alterTable('item_assignments', (t) => {
    t.index(['tenant', 'segment_id', 'created_at', 'type', 'item_id'], 'item_assign_tenant_segment_page');
  });
  await knex.schema.alterTable('item_assignments', (t) => {
    t.dropIndex(['tenant', 'segment_id', 'created_at'], 'item_assign_tenant_segment_created');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('item_assignments', (t) => {
    t.index(['tenant', 'segment_id', 'created_at'], 'item_assign_tenant_segment_created');
  });
  await knex.schema.alterTable('item_assignments', (t) => {
    t.dropIndex(['tenant', 'segment_id', 'created_at', 'type', 'item_id'], 'item_assign_tenant_segment_page');
  });
  await knex.schema.alterTable('customer_assignments', (t) => {
    t.index(['tenant', 'segment_id', 'created_at'], 'cust_assign_tenant_segment_created');
  });
  await knex.schema.alterTable('customer_assignments', (t) => {
    t.dropIndex(['tenant', 'segment_id', 'created_at', 'customer_id', 'legal_entity_id'], 'cust_assign_tenant_segment_page');
  });
  for (const t of TRIGGERS) {
    for (const suffix of ['ins', 'del']) await knex.raw(`DROP TRIGGER IF EXISTS ${t.short}_count_${suffix}`);
  }
  await knex.schema.alterTable('segments', (t) => {
    t.dropColumn('customer_count');
    t.dropColumn('item_count');
  });
}
