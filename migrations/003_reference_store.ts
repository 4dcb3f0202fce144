import type { Knex } from 'knex';
import { binaryCollation, binaryTable, jsonText } from './helpers';

/**
 * The service's own read model of what assignments point at (docs/behaviour.md "reference store"),
 * kept by import and mutations. Category ancestry is answered by recursive CTEs over
 * (tenant, parent_id), so there is no closure table to keep in step with writes.
 */
export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  await knex.schema.createTable('customers', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('id', 64).notNullable();
    t.string('first_name', 255).nullable();
    t.string('last_name', 255).nullable();
    t.string('email', 320).nullable();
    t.primary(['tenant', 'id']);
  });
  await knex.schema.createTable('legal_entities', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('id', 64).notNullable();
    t.string('name', 255).nullable();
    t.primary(['tenant', 'id']);
  });
  await knex.schema.createTable('customer_legal_entities', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('customer_id', 64).notNullable();
    t.string('legal_entity_id', 64).notNullable();
    t.primary(['tenant', 'customer_id', 'legal_entity_id']);
    t.index(['tenant', 'legal_entity_id'], 'cle_tenant_legal_entity');
  });
  await knex.schema.createTable('products', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('id', 64).notNullable();
    t.string('code', 255).nullable();
    jsonText(knex, t, 'name').nullable();
    t.primary(['tenant', 'id']);
  });
  await knex.schema.createTable('product_categories', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('product_id', 64).notNullable();
    t.string('category_id', 64).notNullable();
    t.primary(['tenant', 'product_id', 'category_id']);
    t.index(['tenant', 'category_id'], 'pc_tenant_category');
  });
  await knex.schema.createTable('categories', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('id', 64).notNullable();
    t.string('parent_id', 64).nullable();
    t.string('code', 255).nullable();
    jsonText(knex, t, 'name').nullable();
    jsonText(knex, t, 'description').nullable();
    jsonText(knex, t, 'slug').nullable();
    jsonText(knex, t, 'ecn').nullable();
    t.bigInteger('validity_from').nullable();
    t.bigInteger('validity_to').nullable();
    t.integer('position').nullable();
    t.boolean('published').notNullable().defaultTo(true);
    t.primary(['tenant', 'id']);
    // Children of a node in tree order; the recursive CTEs walk down through it.
    t.index(['tenant', 'parent_id', 'position', 'code'], 'categories_tenant_parent');
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of [
    'categories',
    'product_categories',
    'products',
    'customer_legal_entities',
    'legal_entities',
    'customers',
  ]) {
    await knex.schema.dropTable(table);
  }
}
