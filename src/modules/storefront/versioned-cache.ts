import { LRUCache } from 'lru-cache';

/** What a kept answer records about when it holds. */
export interface VersionedEntry {
  /** The tenant's `category-tree` version (db/tenant-version.ts) it was built at. */
  version: number;
  /** The instants [from, to) over which it is exact (−∞, ∞ when time does not matter). */
  from: number;
  to: number;
}

export interface VersionedCacheOptions<E> {
  /** Entries kept (least recently used go first); 0 keeps none, and every get builds. */
  maxEntries: number;
  maxBytes: number;
  /** Estimated heap bytes of an entry. */
  bytes: (entry: E) => number;
}

/**
 * Answers derived from a tenant's data, kept per key while exact — the storefront's category
 * trees (tree-cache.ts) and category cover (category-cover.ts). A kept entry is used only when
 * it was built at the version the caller read (one read by key per request, so several
 * instances keep their own caches with no messages between them) and the instant asked lies in
 * the interval its build found exact. No time-to-live decides anything.
 *
 * An LRU bounded by count and estimated bytes; concurrent misses of one key at one version share
 * one build, and a request whose instant that build does not cover builds its own. A slow build
 * never replaces an entry of a newer version.
 */
export class VersionedCache<E extends VersionedEntry> {
  private readonly entries: LRUCache<string, E> | undefined;
  private readonly building = new Map<string, Promise<E>>();

  constructor(opts: VersionedCacheOptions<E>) {
    this.entries =
      opts.maxEntries > 0
        ? new LRUCache<string, E>({
            max: opts.maxEntries,
            maxSize: opts.maxBytes,
            sizeCalculation: (e) => Math.max(1, opts.bytes(e)),
          })
        : undefined;
  }

  /** Whether anything is kept at all. */
  get keeps(): boolean {
    return this.entries !== undefined;
  }

  /**
   * The entry of `key` exact at `version` and `at`: the kept one, or `build()`'s (which must
   * read the data after the caller read `version`: a write committed in between then makes the
   * entry look older than it is — a later miss — never newer).
   */
  async get(key: string, version: number, at: number, build: () => Promise<E>): Promise<E> {
    const kept = this.entries?.get(key);
    if (kept && kept.version === version && kept.from <= at && at < kept.to) return kept;
    const flight = `${key}\u0001${version}`;
    let shared = this.building.get(flight);
    if (!shared) {
      shared = build().finally(() => this.building.delete(flight));
      this.building.set(flight, shared);
    }
    let entry = await shared;
    if (!(entry.from <= at && at < entry.to)) entry = await build();
    const current = this.entries?.get(key);
    if (this.entries && (!current || current.version <= entry.version)) this.entries.set(key, entry);
    return entry;
  }

  /** Counts an entry's new size against the bound (which may drop it), if it is still kept. */
  resized(key: string, entry: E): void {
    if (this.entries?.get(key) === entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
  }

  clear(): void {
    this.entries?.clear();
  }
}
