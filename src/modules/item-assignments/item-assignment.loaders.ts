import type DataLoader from 'dataloader';
import type { Context } from '../../graphql/context';
import type { ParsedList } from '../shared/list-args';
import { type ItemKey, keyString } from './item-assignment.repository';
import type { ItemAssignmentRecord } from './item-assignment.type';

/**
 * Per-request loaders of this module (one query per batch, tenant from the viewer). Page and
 * count loaders are keyed by segment id, one loader per distinct list arguments, so a query
 * asking every segment for the same page sends one statement whatever the number of segments.
 */
const tenantOf = (ctx: Context): string => ctx.viewer?.tenant ?? '';

/** The per-segment loaders a request created (one per argument set), so writes can clear them all. */
const bySegmentLoaders = new WeakMap<Context['loaders'], Set<DataLoader<string, unknown>>>();

function remember<V>(ctx: Context, loader: DataLoader<string, V>): DataLoader<string, V> {
  let set = bySegmentLoaders.get(ctx.loaders);
  if (!set) bySegmentLoaders.set(ctx.loaders, (set = new Set()));
  set.add(loader as DataLoader<string, unknown>);
  return loader;
}

export const itemAssignmentByKey = (ctx: Context): DataLoader<ItemKey, ItemAssignmentRecord | null, string> =>
  ctx.loaders.get(
    'itemAssignmentByKey',
    (keys: readonly ItemKey[]) => ctx.services.itemAssignments.findByKeys(tenantOf(ctx), keys),
    { cacheKeyFn: (k) => keyString(k.segmentId, k.type, k.itemId) },
  );

/** `argsKey` identifies the raw list arguments the parsed `list` came from. */
export const itemAssignmentsBySegmentId = (
  ctx: Context,
  list: ParsedList,
  argsKey: string,
): DataLoader<string, ItemAssignmentRecord[]> =>
  remember(
    ctx,
    ctx.loaders.get(`itemAssignmentsBySegmentId:${argsKey}`, (segmentIds: readonly string[]) =>
      ctx.services.itemAssignments.pagesBySegmentIds(tenantOf(ctx), segmentIds, { where: list.where }, list.sort, list.paging),
    ),
  );

/** Matches of `q` per segment; `q` undefined counts every assignment (`Segment.itemCount`). */
export const itemCountBySegmentId = (
  ctx: Context,
  list: Pick<ParsedList, 'where'>,
  q: string | undefined,
): DataLoader<string, number> =>
  remember(
    ctx,
    ctx.loaders.get(`itemCountBySegmentId:${q ?? ''}`, (segmentIds: readonly string[]) =>
      ctx.services.itemAssignments.countsBySegmentIds(tenantOf(ctx), segmentIds, { where: list.where }),
    ),
  );

/**
 * Matches of `q` per segment: without a filter the segment's counter, read with the other
 * counter of the same segments (Loaders.segmentCounts); with one, itemCountBySegmentId.
 */
export function itemCount(
  ctx: Context,
  segmentId: string,
  list: Pick<ParsedList, 'where'>,
  q: string | undefined,
): Promise<number> {
  if (!list.where.length) return ctx.loaders.segmentCounts.load(segmentId).then((c) => c.items);
  return itemCountBySegmentId(ctx, list, q).load(segmentId);
}

/**
 * After a write under `segmentId`: forget that segment's pages and counts (whatever their
 * arguments) and prime or forget the single assignments written.
 */
export function afterItemWrite(ctx: Context, segmentId: string, written: (ItemAssignmentRecord | ItemKey)[] = []): void {
  for (const loader of bySegmentLoaders.get(ctx.loaders) ?? []) loader.clear(segmentId);
  ctx.loaders.forgetCounts(segmentId);
  const byKey = itemAssignmentByKey(ctx);
  for (const w of written) {
    byKey.clear(w);
    if ('metadata' in w) byKey.prime(w, w);
  }
}
