import type { Knex } from 'knex';
import { toInt } from '../../db/rows';

/**
 * Arms per UNION ALL statement: SQLite allows at most 500 in one compound SELECT
 * (SQLITE_MAX_COMPOUND_SELECT). A page of segments is at most 1000, so at most two statements.
 */
export const MAX_UNION_ARMS = 500;

export function armChunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += MAX_UNION_ARMS) out.push(items.slice(i, i + MAX_UNION_ARMS));
  return out;
}

/**
 * Assignments per segment from the segments' counters (migrations/007_segment_counters), in
 * key order; 0 for an unknown segment. One indexed read of the segment rows.
 */
export async function segmentCounters(
  knex: Knex | Knex.Transaction,
  tenant: string,
  segmentIds: readonly string[],
  column: 'customer_count' | 'item_count',
): Promise<number[]> {
  const rows: { id: string; n: number | string }[] = await knex('segments')
    .select('id', { n: column })
    .where('tenant', tenant)
    .whereIn('id', segmentIds as string[]);
  const byId = new Map(rows.map((r) => [r.id, toInt(r.n)]));
  return segmentIds.map((id) => byId.get(id) ?? 0);
}
