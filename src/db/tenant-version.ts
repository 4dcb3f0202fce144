import type { Knex } from 'knex';

/**
 * Derived answers instances cache per tenant, each with a version in `tenant_versions` that row
 * triggers bump in every writing transaction: `category-tree` on every write of categories,
 * CATEGORY assignments and segments' set columns (migrations/008_tree_versions.ts);
 * `category-links` when a category is created, deleted or moved (migrations/010).
 */
export type TenantVersionName = 'category-tree' | 'category-links';

/** The tenant's current `name` version (0 before the first write): one primary-key read. */
export async function readTenantVersion(q: Knex | Knex.Transaction, tenant: string, name: TenantVersionName): Promise<number> {
  return (await readTenantVersions(q, tenant, [name]))[name];
}

/** Several of the tenant's versions (0 for one never written) in one read by key. */
export async function readTenantVersions<N extends TenantVersionName>(
  q: Knex | Knex.Transaction,
  tenant: string,
  names: readonly N[],
): Promise<Record<N, number>> {
  const rows: { name: N; version: number | string }[] = await q('tenant_versions')
    .select('name', 'version')
    .where('tenant', tenant)
    .whereIn('name', names as N[]);
  const out = Object.fromEntries(names.map((n) => [n, 0])) as Record<N, number>;
  for (const r of rows) out[r.name] = Number(r.version);
  return out;
}
