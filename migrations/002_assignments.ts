import type { Knex } from 'knex';
import { binaryCollation, binaryTable, jsonText } from './helpers';

export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  await knex.schema.createTable('customer_assignments', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('segment_id', 64).notNullable();
    t.string('customer_id', 64).notNullable();
    // '' marks a B2C assignment: a primary key cannot hold NULL, and an empty legal entity id is
    // rejected on input, so '' can never collide with a real one.
    t.string('legal_entity_id', 64).notNullable().defaultTo('');
    t.string('assignment_type', 16).notNullable();
    jsonText(knex, t, 'mixins').nullable();
    jsonText(knex, t, 'metadata_mixins').nullable();
    t.integer('version').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('modified_at').notNullable();
    t.primary(['tenant', 'segment_id', 'customer_id', 'legal_entity_id']);
    // "Which segments is this customer in" (read_own, customerId filters, Customer.segments).
    t.index(['tenant', 'customer_id', 'legal_entity_id'], 'cust_assign_tenant_customer');
    t.index(['tenant', 'segment_id', 'created_at'], 'cust_assign_tenant_segment_created');
  });
  await knex.schema.createTable('item_assignments', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('segment_id', 64).notNullable();
    t.string('type', 16).notNullable();
    t.string('item_id', 64).notNullable();
    jsonText(knex, t, 'mixins').nullable();
    jsonText(knex, t, 'metadata_mixins').nullable();
    t.integer('version').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('modified_at').notNullable();
    t.primary(['tenant', 'segment_id', 'type', 'item_id']);
    // Reverse lookups for match, Product.segments and Category.segments.
    t.index(['tenant', 'type', 'item_id'], 'item_assign_tenant_item');
    t.index(['tenant', 'segment_id', 'created_at'], 'item_assign_tenant_segment_created');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('item_assignments');
  await knex.schema.dropTable('customer_assignments');
}
