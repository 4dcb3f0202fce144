import type { Knex } from 'knex';
import { changed } from './008_tree_versions';
import { isMysql } from './helpers';

/**
 * A version of each segment's item assignments, so an instance can keep a segment's PRODUCT
 * assignments in memory and know, from the segment row alone, whether they are still exact
 * (modules/storefront/category-cover.ts: POST /segments/match then answers its direct branch
 * without probing the item index once per product).
 *
 * - `segments.item_version`: bumped in the writing transaction by every item assignment written
 *   for the segment — inserted or deleted (the item counter's triggers of migration 007, replaced
 *   here by ones that bump both in the same UPDATE of the segment row, which every assignment
 *   writer locks first anyway), or updated in place (an upsert that changes validity). Per
 *   segment, not per tenant: writers of different segments do not queue on one row.
 * - `segments.item_epoch`: a random number given to each segment row when it is inserted. A
 *   segment deleted and created again under the same id starts counting from 0 again, so a kept
 *   part is named by (id, epoch) and versioned by item_version: the new segment's parts never
 *   meet the old one's.
 *
 * Row triggers, as in migrations 007 and 008, so no write path (API, bulk, import, rules,
 * segment delete) can forget them.
 */
const COUNT_TRIGGERS = { ins: 'item_assign_count_ins', del: 'item_assign_count_del' } as const;
const UPDATE_TRIGGER = 'item_assign_version_upd';
const EPOCH_TRIGGER = 'segments_item_epoch_ins';
/** Columns of an assignment whose change can change what a match finds. */
const MATCH_COLUMNS = ['segment_id', 'type', 'item_id', 'validity_from', 'validity_to'];

/** A random epoch in [1, 2^53): exact as a JavaScript number. */
const randomEpoch = (knex: Knex): string =>
  isMysql(knex) ? 'FLOOR(1 + RAND() * 9007199254740990)' : '(1 + abs(random() % 9007199254740990))';

function countTrigger(knex: Knex, event: 'INSERT' | 'DELETE', bumpVersion: boolean): string {
  const row = event === 'INSERT' ? 'NEW' : 'OLD';
  const op = event === 'INSERT' ? '+' : '-';
  const name = event === 'INSERT' ? COUNT_TRIGGERS.ins : COUNT_TRIGGERS.del;
  const set = `item_count = item_count ${op} 1` + (bumpVersion ? ', item_version = item_version + 1' : '');
  const body = `UPDATE segments SET ${set} WHERE tenant = ${row}.tenant AND id = ${row}.segment_id`;
  return isMysql(knex)
    ? `CREATE TRIGGER ${name} AFTER ${event} ON item_assignments FOR EACH ROW ${body}`
    : `CREATE TRIGGER ${name} AFTER ${event} ON item_assignments FOR EACH ROW BEGIN ${body}; END`;
}

export async function up(knex: Knex): Promise<void> {
  const mysql = isMysql(knex);
  await knex.schema.alterTable('segments', (t) => {
    t.bigInteger('item_version').notNullable().defaultTo(0);
    t.bigInteger('item_epoch').notNullable().defaultTo(0);
  });
  await knex.raw(`UPDATE segments SET item_epoch = ${randomEpoch(knex)}`);
  await knex.raw(
    mysql
      ? `CREATE TRIGGER ${EPOCH_TRIGGER} BEFORE INSERT ON segments FOR EACH ROW SET NEW.item_epoch = ${randomEpoch(knex)}`
      : `CREATE TRIGGER ${EPOCH_TRIGGER} AFTER INSERT ON segments FOR EACH ROW BEGIN ` +
          `UPDATE segments SET item_epoch = ${randomEpoch(knex)} WHERE tenant = NEW.tenant AND id = NEW.id; END`,
  );
  for (const event of ['INSERT', 'DELETE'] as const) {
    await knex.raw(`DROP TRIGGER IF EXISTS ${event === 'INSERT' ? COUNT_TRIGGERS.ins : COUNT_TRIGGERS.del}`);
    await knex.raw(countTrigger(knex, event, true));
  }
  const when = mysql
    ? changed(MATCH_COLUMNS, (c) => `NOT (OLD.${c} <=> NEW.${c})`)
    : changed(MATCH_COLUMNS, (c) => `OLD.${c} IS NOT NEW.${c}`);
  // Both segments when an assignment moves between them (nothing does today: the key holds it).
  const bump = (row: 'OLD' | 'NEW') =>
    `UPDATE segments SET item_version = item_version + 1 WHERE tenant = ${row}.tenant AND id = ${row}.segment_id`;
  await knex.raw(
    mysql
      ? `CREATE TRIGGER ${UPDATE_TRIGGER} AFTER UPDATE ON item_assignments FOR EACH ROW ` +
          `IF ${when} THEN ${bump('NEW')}; IF NOT (OLD.segment_id <=> NEW.segment_id) THEN ${bump('OLD')}; END IF; END IF`
      : `CREATE TRIGGER ${UPDATE_TRIGGER} AFTER UPDATE ON item_assignments FOR EACH ROW WHEN ${when} BEGIN ` +
          `${bump('NEW')}; ${bump('OLD')} AND OLD.segment_id IS NOT NEW.segment_id; END`,
  );
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`DROP TRIGGER IF EXISTS ${UPDATE_TRIGGER}`);
  await knex.raw(`DROP TRIGGER IF EXISTS ${EPOCH_TRIGGER}`);
  for (const event of ['INSERT', 'DELETE'] as const) {
    await knex.raw(`DROP TRIGGER IF EXISTS ${event === 'INSERT' ? COUNT_TRIGGERS.ins : COUNT_TRIGGERS.del}`);
    await knex.raw(countTrigger(knex, event, false));
  }
  if (isMysql(knex)) {
    await knex.schema.alterTable('segments', (t) => {
      t.dropColumn('item_version');
      t.dropColumn('item_epoch');
    });
    return;
  }
  // SQLite's own DROP COLUMN: Knex would rebuild the table, which the other tables' triggers
  // naming `segments` (migration 007's) make fail.
  await knex.raw('ALTER TABLE segments DROP COLUMN item_version');
  await knex.raw('ALTER TABLE segments DROP COLUMN item_epoch');
}
