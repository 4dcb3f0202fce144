import type DataLoader from 'dataloader';
import type { Context } from '../../graphql/context';
import type { Paging } from '../../query/paging';
import type { SortKey } from '../../query/sort';
import { type CustomerAssignmentFilter, keepsEveryAssignment, type SegmentAssignmentKey } from './customer-assignment.repository';
import type { CustomerAssignmentRecord } from './customer-assignment.type';
import { keyString } from './customer-assignment.validation';

/** Per-request loaders of customer assignments (one query per batch, tenant from the viewer). */
const tenantOf = (ctx: Context): string => ctx.viewer?.tenant ?? '';

export const customerAssignmentByKey = (
  ctx: Context,
): DataLoader<SegmentAssignmentKey, CustomerAssignmentRecord | null, string> =>
  ctx.loaders.get(
    'customerAssignmentByKey',
    (keys: readonly SegmentAssignmentKey[]) => ctx.services.customerAssignments.findByKeys(tenantOf(ctx), keys),
    { cacheKeyFn: (k) => keyString(k.segmentId, k) },
  );

/** A page of one segment's customers; keys with the same `argsKey` are answered by one statement. */
export interface CustomersPageKey {
  segmentId: string;
  argsKey: string;
  filter: CustomerAssignmentFilter;
  sort: SortKey[];
  paging: Paging;
}

export function customersPageKey(
  segmentId: string,
  filter: CustomerAssignmentFilter,
  sort: SortKey[],
  paging: Paging,
): CustomersPageKey {
  return { segmentId, argsKey: JSON.stringify([filterText(filter), sort, paging]), filter, sort, paging };
}

/** One segment's number of matching assignments; keys with the same `argsKey` share one GROUP BY. */
export interface CustomerCountKey {
  segmentId: string;
  argsKey: string;
  filter: CustomerAssignmentFilter;
}

export function customerCountKey(segmentId: string, filter: CustomerAssignmentFilter): CustomerCountKey {
  return { segmentId, argsKey: filterText(filter), filter };
}

function filterText(f: CustomerAssignmentFilter): string {
  return JSON.stringify([f.where ?? [], f.own ?? null]);
}

const cacheKey = (k: { segmentId: string; argsKey: string }): string => `${k.segmentId}\u0000${k.argsKey}`;

/**
 * Runs `run` once per distinct argsKey (in practice once: every segment of a list asks with the
 * same arguments) and hands the answers back in key order.
 */
async function byArgs<K extends { segmentId: string; argsKey: string }, V>(
  keys: readonly K[],
  run: (first: K, segmentIds: string[]) => Promise<V[]>,
): Promise<V[]> {
  const groups = new Map<string, K[]>();
  for (const k of keys) {
    const group = groups.get(k.argsKey);
    if (group) group.push(k);
    else groups.set(k.argsKey, [k]);
  }
  const answers = new Map<string, V>();
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const segmentIds = group.map((k) => k.segmentId);
      const values = await run(group[0], segmentIds);
      group.forEach((k, i) => answers.set(cacheKey(k), values[i]));
    }),
  );
  return keys.map((k) => answers.get(cacheKey(k)) as V);
}

/** `Segment.customers` for every segment of a response in one ROW_NUMBER() statement. */
export const customersBySegmentId = (ctx: Context): DataLoader<CustomersPageKey, CustomerAssignmentRecord[], string> =>
  ctx.loaders.get(
    'customersBySegmentId',
    (keys: readonly CustomersPageKey[]) =>
      byArgs(keys, (k, ids) => ctx.services.customerAssignments.listForSegments(tenantOf(ctx), ids, k.filter, k.sort, k.paging)),
    { cacheKeyFn: cacheKey },
  );

/** `Segment.customerCount` and `Segment.customers.totalCount` in one GROUP BY statement. */
export const customerCountBySegmentId = (ctx: Context): DataLoader<CustomerCountKey, number, string> =>
  ctx.loaders.get(
    'customerCountBySegmentId',
    (keys: readonly CustomerCountKey[]) =>
      byArgs(keys, (k, ids) => ctx.services.customerAssignments.countForSegments(tenantOf(ctx), ids, k.filter)),
    { cacheKeyFn: cacheKey },
  );

/**
 * A segment's matching assignments: without a filter its counter, read with the other counter
 * of the same segments (Loaders.segmentCounts: customerCount and itemCount of a page in one
 * statement); with one, the GROUP BY of customerCountBySegmentId.
 */
export function customerCount(ctx: Context, segmentId: string, filter: CustomerAssignmentFilter): Promise<number> {
  if (keepsEveryAssignment(filter)) return ctx.loaders.segmentCounts.load(segmentId).then((c) => c.customers);
  return customerCountBySegmentId(ctx).load(customerCountKey(segmentId, filter));
}

/** After a write to a segment's assignments: pages and counts this request cached are stale. */
export function clearAssignmentLists(ctx: Context): void {
  customersBySegmentId(ctx).clearAll();
  customerCountBySegmentId(ctx).clearAll();
  ctx.loaders.forgetCounts();
}
