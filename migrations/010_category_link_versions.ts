import type { Knex } from 'knex';
import { changed, type Trigger, triggerSql } from './008_tree_versions';

/**
 * A second cached-answer version per tenant (db/tenant-version.ts): `category-links`, bumped
 * only when a category's place in the forest can change — a category created or deleted, or its
 * parent changed. The category cover that product matches walk (modules/storefront/
 * category-cover.ts) keeps the tenant's whole (id, parent) list under it, so a write of a
 * CATEGORY assignment, or of a category's name, no longer makes the next match re-read the
 * catalog's links (40,000 rows at the 2,000,000-line size), only the segments' assigned
 * categories, which stay under `category-tree`. Row triggers, as in migration 008: in the
 * writing statement's transaction, on every write path.
 */
const NAME = 'category-links';

const TRIGGERS: Trigger[] = [
  { name: 'categories_links_ins', table: 'categories', event: 'INSERT' },
  {
    name: 'categories_links_upd',
    table: 'categories',
    event: 'UPDATE',
    when: {
      mysql: changed(['id', 'parent_id'], (c) => `NOT (OLD.${c} <=> NEW.${c})`),
      sqlite: changed(['id', 'parent_id'], (c) => `OLD.${c} IS NOT NEW.${c}`),
    },
  },
  { name: 'categories_links_del', table: 'categories', event: 'DELETE' },
];

export async function up(knex: Knex): Promise<void> {
  for (const t of TRIGGERS) await knex.raw(triggerSql(knex, t, NAME));
}

export async function down(knex: Knex): Promise<void> {
  for (const t of TRIGGERS) await knex.raw(`DROP TRIGGER IF EXISTS ${t.name}`);
  await knex('tenant_versions').where('name', NAME).delete();
}
