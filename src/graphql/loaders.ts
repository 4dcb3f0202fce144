import DataLoader from 'dataloader';
import type { SegmentRecord } from '../modules/segments/segment.type';
import type { Services } from './context';

/**
 * Per-request DataLoaders, named after what they return and created on first use (a request
 * that follows no edge pays for none). Each batch function sends one query for its keys.
 */
export class Loaders {
  private cache = new Map<string, DataLoader<unknown, unknown>>();

  constructor(
    private readonly services: Services,
    private readonly tenant: string,
  ) {}

  private get<K, V>(name: string, batch: (keys: readonly K[]) => Promise<V[]>): DataLoader<K, V> {
    let l = this.cache.get(name) as DataLoader<K, V> | undefined;
    if (!l) {
      l = new DataLoader<K, V>(batch, { maxBatchSize: 1000 });
      this.cache.set(name, l as DataLoader<unknown, unknown>);
    }
    return l;
  }

  get segmentById(): DataLoader<string, SegmentRecord | null> {
    return this.get('segmentById', (ids: readonly string[]) => this.services.segments.findByIds(this.tenant, ids));
  }
}
