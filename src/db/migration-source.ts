import type { Knex } from 'knex';
import * as m001 from '../../migrations/001_segments';
import * as m002 from '../../migrations/002_assignments';
import * as m003 from '../../migrations/003_reference_store';
import * as m004 from '../../migrations/004_tenant_locks';
import * as m006 from '../../migrations/006_segment_rules';
import * as m007 from '../../migrations/007_segment_counters';
import * as m008 from '../../migrations/008_tree_versions';
import * as m009 from '../../migrations/009_item_index_validity';
import * as m010 from '../../migrations/010_category_link_versions';
import * as m011 from '../../migrations/011_segment_item_versions';

/**
 * Migrations are listed here rather than discovered on disk, so the same list runs from
 * TypeScript (tests) and from the compiled build (server, `npm run migrate`).
 */
const migrations: Record<string, Knex.Migration> = {
  '001_segments': m001,
  '002_assignments': m002,
  '003_reference_store': m003,
  '004_tenant_locks': m004,
  '006_segment_rules': m006,
  '007_segment_counters': m007,
  '008_tree_versions': m008,
  '009_item_index_validity': m009,
  '010_category_link_versions': m010,
  '011_segment_item_versions': m011,
};

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name],
};
