import DataLoader from 'dataloader';
import type { SegmentRecord } from '../modules/segments/segment.type';
import { type SegmentCounts, segmentCounts } from '../modules/shared/paging-sql';
import type { Services } from './context';

/**
 * Per-request DataLoaders, named after what they return and created on first use (a request
 * that follows no edge pays for none). Each batch function sends one query for its keys.
 */
export class Loaders {
  /** Made on the first loader asked for: most reads follow no edge, or one. */
  private cache: Map<string, DataLoader<unknown, unknown>> | undefined;

  constructor(
    private readonly services: Services,
    private readonly tenant: string,
  ) {}

  /**
   * The loader called `name` for this request, created on first use. Modules name theirs after
   * what they return (`customerById`, `customersBySegmentId`) in their own `*.loaders.ts`.
   */
  get<K, V, C = K>(
    name: string,
    batch: (keys: readonly K[]) => Promise<V[]>,
    options?: DataLoader.Options<K, V, C>,
  ): DataLoader<K, V, C> {
    this.cache ??= new Map();
    let l = this.cache.get(name) as DataLoader<K, V, C> | undefined;
    if (!l) {
      l = new DataLoader<K, V, C>(batch, { maxBatchSize: 1000, ...options });
      this.cache.set(name, l as unknown as DataLoader<unknown, unknown>);
    }
    return l;
  }

  private byId: DataLoader<string, SegmentRecord | null> | undefined;
  private counts: DataLoader<string, SegmentCounts> | undefined;

  /**
   * Both assignment counters of each segment, so a page asking customerCount and itemCount (and
   * unfiltered totalCounts) reads the segment rows once. Writes to assignments forget them
   * (forgetCounts).
   */
  get segmentCounts(): DataLoader<string, SegmentCounts> {
    this.counts ??= this.get('segmentCounts', (ids: readonly string[]) => segmentCounts(this.services.db.knex, this.tenant, ids));
    return this.counts;
  }

  /** After a write to assignments: the counters this request read are stale (one segment's, or all). */
  forgetCounts(segmentId?: string): void {
    if (segmentId === undefined) this.counts?.clearAll();
    else this.counts?.clear(segmentId);
  }

  /** The hottest loader (every by-id read), kept in a field of its own. */
  get segmentById(): DataLoader<string, SegmentRecord | null> {
    this.byId ??= this.get('segmentById', (ids: readonly string[]) => this.services.segments.findByIds(this.tenant, ids));
    return this.byId;
  }
}
