import type { Knex } from 'knex';
import { binaryCollation, binaryTable, jsonText } from './helpers';

// Timestamps are epoch milliseconds (BIGINT) on both dialects: one form, compared as numbers,
// converted to ISO-8601 only in db/rows.ts.
export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  await knex.schema.createTable('segments', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('id', 64).notNullable();
    jsonText(knex, t, 'name').notNullable();
    jsonText(knex, t, 'description').nullable();
    t.bigInteger('validity_from').nullable();
    t.bigInteger('validity_to').nullable();
    t.string('status', 16).notNullable();
    t.string('site_code', 255).notNullable();
    jsonText(knex, t, 'mixins').nullable();
    jsonText(knex, t, 'metadata_mixins').nullable();
    t.integer('version').notNullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('modified_at').notNullable();
    t.primary(['tenant', 'id']);
    // Default listing order (creation time, then id) and the "active segments of a site" lookups.
    t.index(['tenant', 'created_at', 'id'], 'segments_tenant_created');
    t.index(['tenant', 'status', 'site_code'], 'segments_tenant_status_site');
    t.index(['tenant', 'site_code'], 'segments_tenant_site');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('segments');
}
