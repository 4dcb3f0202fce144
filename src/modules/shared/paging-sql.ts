import type { Knex } from 'knex';
import type { Dialect } from '../../db/knex';
import { toInt } from '../../db/rows';
import type { Paging } from '../../query/paging';

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

/** Pages starting before this are read forward whatever the total: skipping so few costs little. */
export const FAR_PAGE_OFFSET = 1000;

/** Which rows of the order a page takes: LIMIT/OFFSET in forward or in reversed order. */
export interface PageRead {
  offset: number;
  limit: number;
  /** Cut from the reversed order (the page's rows are then put back in order). */
  reversed: boolean;
}

/**
 * How to read one page of `total` ordered rows (a segment's members, known from its counter):
 * forward, or from the end when the page lies nearer to it — the order reversed, OFFSET counted
 * from the end. OFFSET steps over index entries one by one, so the last page of a segment of a
 * million members stepped over all of them (page 246 of 247 read 14,760 entries at 2M import
 * lines, up to twice the time of page 1); from the end it steps over none. The same rows as a
 * forward read at the moment the counter was read; null when the page is past the end.
 *
 * The counter and the page are two statements, so a membership change committed between them
 * moves the window by the rows it added or removed — as it would move a client's next page.
 */
export function pageRead(paging: Paging, total: number): PageRead | null {
  const end = Math.min(paging.offset + paging.pageSize, total);
  if (end <= paging.offset) return null;
  const fromEnd = total - end;
  if (fromEnd >= paging.offset) return { offset: paging.offset, limit: paging.pageSize, reversed: false };
  return { offset: fromEnd, limit: end - paging.offset, reversed: true };
}

/**
 * How to read a page of a list (pageRead): from the end when it may pay, that is when the list is
 * every assignment of one segment (`whole`: its counter is then the list's exact size) and the
 * page starts at FAR_PAGE_OFFSET or later; otherwise forward, without reading the counter.
 */
export async function segmentPageRead(
  knex: Knex,
  tenant: string,
  paging: Paging,
  whole?: { segmentId: string; counter: 'customer_count' | 'item_count' },
): Promise<PageRead | null> {
  if (!whole || paging.offset < FAR_PAGE_OFFSET) return { offset: paging.offset, limit: paging.pageSize, reversed: false };
  const [total] = await segmentCounters(knex, tenant, [whole.segmentId], whole.counter);
  return pageRead(paging, total);
}
