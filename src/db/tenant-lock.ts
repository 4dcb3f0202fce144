import type { Knex } from 'knex';

/** Kinds of write that take turns within a tenant. */
export type TenantLockName = 'category-tree';

/**
 * Holds the tenant's `name` lock until `trx` ends; concurrent holders of the same lock wait here.
 * Call it first in the transaction, before reading what the lock protects: under READ COMMITTED
 * each statement after it sees everything the previous holder committed.
 *
 * One INSERT … ON CONFLICT UPDATE both creates the row on first use and takes it exclusively, so
 * there is no shared-then-exclusive upgrade for two waiters to deadlock on. On SQLite the write
 * also makes the transaction the file's writer from its first statement.
 */
export async function lockTenant(trx: Knex.Transaction, tenant: string, name: TenantLockName): Promise<void> {
  await trx('tenant_locks')
    .insert({ tenant, name, taken: 1 })
    .onConflict(['tenant', 'name'])
    .merge({ taken: trx.raw('?? + 1', ['taken']) });
}
