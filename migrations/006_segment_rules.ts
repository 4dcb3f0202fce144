import type { Knex } from 'knex';
import { binaryCollation, binaryTable, jsonText } from './helpers';

/**
 * Segments that maintain themselves (README "Segment rules"):
 * - attributes to write rules against: `mixins` on customers, legal entities and products;
 * - a customer rule and an item rule per segment, with what their last evaluation did;
 * - item assignments learn `assignment_type` (MANUAL, or AUTOMATIC for rule members), as
 *   customer assignments already have it;
 * - time-bound membership: `validity_from` / `validity_to` on both assignment kinds;
 * - exclusions: members a person removed, which the rule must not add back.
 */
export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  for (const table of ['customers', 'legal_entities', 'products']) {
    await knex.schema.alterTable(table, (t) => {
      jsonText(knex, t, 'mixins').nullable();
    });
  }
  await knex.schema.alterTable('segments', (t) => {
    // q-language text, at most 4,000 characters (the q limit).
    t.text('customer_rule').nullable();
    t.text('item_rule').nullable();
    // Whether a rule reads the clock (now-180d): such segments are evaluated on a schedule too.
    t.boolean('rule_uses_now').notNullable().defaultTo(false);
    t.bigInteger('rule_evaluated_at').nullable();
    t.integer('rule_duration_ms').nullable();
    t.text('rule_error').nullable();
    // One evaluator at a time per segment, across instances: a lease taken by a guarded UPDATE.
    t.bigInteger('rule_lease_until').nullable();
  });
  await knex.schema.alterTable('item_assignments', (t) => {
    t.string('assignment_type', 16).notNullable().defaultTo('MANUAL');
  });
  for (const [table, short] of [
    ['customer_assignments', 'cust_assign'],
    ['item_assignments', 'item_assign'],
  ]) {
    await knex.schema.alterTable(table, (t) => {
      t.bigInteger('validity_from').nullable();
      t.bigInteger('validity_to').nullable();
      // A segment's automatic members (evaluation, ruleStatus.automaticCount): an index range.
      t.index(['tenant', 'segment_id', 'assignment_type'], `${short}_tenant_segment_type`);
    });
  }
  await knex.schema.createTable('customer_exclusions', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('segment_id', 64).notNullable();
    t.string('customer_id', 64).notNullable();
    t.string('legal_entity_id', 64).notNullable().defaultTo('');
    t.bigInteger('created_at').notNullable();
    t.primary(['tenant', 'segment_id', 'customer_id', 'legal_entity_id']);
  });
  await knex.schema.createTable('item_exclusions', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('segment_id', 64).notNullable();
    t.string('type', 16).notNullable();
    t.string('item_id', 64).notNullable();
    t.bigInteger('created_at').notNullable();
    t.primary(['tenant', 'segment_id', 'type', 'item_id']);
  });
  // The scheduler looks for rule segments that read the clock, per tenant.
  await knex.schema.alterTable('segments', (t) => {
    t.index(['rule_uses_now', 'tenant'], 'segments_rule_uses_now');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('item_exclusions');
  await knex.schema.dropTable('customer_exclusions');
  for (const [table, short] of [
    ['customer_assignments', 'cust_assign'],
    ['item_assignments', 'item_assign'],
  ]) {
    await knex.schema.alterTable(table, (t) => {
      t.dropIndex(['tenant', 'segment_id', 'assignment_type'], `${short}_tenant_segment_type`);
      t.dropColumn('validity_from');
      t.dropColumn('validity_to');
    });
  }
  await knex.schema.alterTable('item_assignments', (t) => t.dropColumn('assignment_type'));
  await knex.schema.alterTable('segments', (t) => {
    t.dropIndex(['rule_uses_now', 'tenant'], 'segments_rule_uses_now');
    for (const c of [
      'customer_rule',
      'item_rule',
      'rule_uses_now',
      'rule_evaluated_at',
      'rule_duration_ms',
      'rule_error',
      'rule_lease_until',
    ]) {
      t.dropColumn(c);
    }
  });
  for (const table of ['customers', 'legal_entities', 'products']) {
    await knex.schema.alterTable(table, (t) => t.dropColumn('mixins'));
  }
}
