import type { Knex } from 'knex';
import { binaryCollation, binaryTable } from './helpers';

/**
 * One row per tenant and kind of write that must not interleave (db/tenant-lock.ts): writers
 * upsert their row first thing in their transaction and so hold it, exclusively, until commit.
 * The category tree uses it — a cycle check is only sound if no other tree write commits in
 * between.
 */
export async function up(knex: Knex): Promise<void> {
  const collation = await binaryCollation(knex);
  await knex.schema.createTable('tenant_locks', (t) => {
    binaryTable(knex, t, collation);
    t.string('tenant', 16).notNullable();
    t.string('name', 32).notNullable();
    // How often the lock was taken: the write that takes it must change something.
    t.bigInteger('taken').notNullable();
    t.primary(['tenant', 'name']);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('tenant_locks');
}
