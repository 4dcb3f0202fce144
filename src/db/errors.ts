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
