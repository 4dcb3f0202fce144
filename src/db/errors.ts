/** Driver errors we turn into expected outcomes; everything else stays an internal error. */
export function isDuplicateKey(e: unknown): boolean {
  const err = e as { code?: string; errno?: number } | null;
  if (!err) return false;
  // mysql2: ER_DUP_ENTRY (1062); better-sqlite3: SQLITE_CONSTRAINT_PRIMARYKEY / _UNIQUE.
  return (
    err.code === 'ER_DUP_ENTRY' ||
    err.errno === 1062 ||
    err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
    err.code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Why a failed transaction may succeed when run again; undefined when it would fail the same way. */
export type TransientCause = 'deadlock' | 'lockWaitTimeout' | 'busy';

export function transientCause(e: unknown): TransientCause | undefined {
  const err = e as { code?: unknown; errno?: unknown } | null;
  if (!err) return undefined;
  // InnoDB chose this transaction as a deadlock victim and rolled it back: ER_LOCK_DEADLOCK.
  if (err.code === 'ER_LOCK_DEADLOCK' || err.errno === 1213) return 'deadlock';
  // innodb_lock_wait_timeout passed: ER_LOCK_WAIT_TIMEOUT (only the statement is rolled back).
  if (err.code === 'ER_LOCK_WAIT_TIMEOUT' || err.errno === 1205) return 'lockWaitTimeout';
  // Another process holds the SQLite write lock past busy_timeout, or committed since this
  // transaction's snapshot (SQLITE_BUSY_SNAPSHOT, which does not wait at all).
  if (typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY')) return 'busy';
  return undefined;
}
