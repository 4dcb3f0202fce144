/**
 * `rows` sorted by `key` (a copy). Multi-row writes go in this order so that concurrent
 * transactions writing overlapping rows lock them in the same order — one waits for the other
 * instead of each holding a row the other needs (MySQL manual, "How to Minimize and Handle
 * Deadlocks"). Code-unit order, not the collation's: what matters is that every writer uses it.
 */
export function inLockOrder<T>(rows: readonly T[], key: (row: T) => string): T[] {
  return rows
    .map((row) => ({ row, k: key(row) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
    .map((x) => x.row);
}
