import type { Knex } from 'knex';

/**
 * Derived answers instances cache per tenant, each with a version in `tenant_versions` that row
 * triggers bump in every writing transaction (migrations/008_tree_versions.ts).
 */
export type TenantVersionName = 'category-tree';

/** The tenant's current `name` version (0 before the first write): one primary-key read. */
export async function readTenantVersion(q: Knex | Knex.Transaction, tenant: string, name: TenantVersionName): Promise<number> {
  const row: { version: number | string } | undefined = await q('tenant_versions')
    .select('version')
    .where({ tenant, name })
    .first();
  return row ? Number(row.version) : 0;
}
