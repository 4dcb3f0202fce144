import type { Knex } from 'knex';
import type { Dialect } from '../../db/knex';
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
 * One statement of per-segment pages: a UNION ALL of `arms`, each a complete
 * `SELECT … ORDER BY … LIMIT n OFFSET m` over one segment, whose rows come back arm after arm,
 * each in its own order. MariaDB/MySQL take each arm in parentheses, as it is; SQLite takes no
 * ORDER BY/LIMIT on a bare compound arm, so there each is a derived table. MariaDB would
 * materialise such a derived table into a temporary table per arm: at 20 arms of 50 rows that
 * was 13–25 ms of a 1,000-row statement, against 4–6 ms parenthesised.
 */
export function unionOfPages(knex: Knex, dialect: Dialect, arms: Knex.QueryBuilder[]): Knex.QueryBuilder {
  if (dialect === 'mysql') return arms.length === 1 ? arms[0] : knex.unionAll(arms, true);
  const [first, ...rest] = arms.map((arm, i) => knex.select('*').from(arm.as(`p${i}`)));
  return rest.length ? first.unionAll(rest) : first;
}

/** Both assignment counters of a segment (migrations/007_segment_counters). */
export interface SegmentCounts {
  customers: number;
  items: number;
}

/**
 * Both counters of each segment in one indexed read of the segment rows, in key order; zeros for
 * an unknown segment. What `customerCount` and `itemCount` of a page of segments share.
 */
export async function segmentCounts(
  knex: Knex | Knex.Transaction,
  tenant: string,
  segmentIds: readonly string[],
): Promise<SegmentCounts[]> {
  const rows: { id: string; c: number | string; i: number | string }[] = await knex('segments')
    .select('id', { c: 'customer_count', i: 'item_count' })
    .where('tenant', tenant)
    .whereIn('id', segmentIds as string[]);
  const byId = new Map(rows.map((r) => [r.id, { customers: toInt(r.c), items: toInt(r.i) }]));
  return segmentIds.map((id) => byId.get(id) ?? { customers: 0, items: 0 });
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
  const counts = await segmentCounts(knex, tenant, segmentIds);
  return counts.map((c) => (column === 'customer_count' ? c.customers : c.items));
}
