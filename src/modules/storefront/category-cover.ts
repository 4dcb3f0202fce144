import type { Database } from '../../db/knex';
import { readTenantVersion } from '../../db/tenant-version';
import { type VersionedEntry, VersionedCache } from './versioned-cache';

/**
 * What decides whether a product matches through its categories (storefront.repository.ts,
 * match and matchingProducts): the tenant's category parent links, and which of a segment set's
 * CATEGORY assignments are valid at the instant asked. A match walks up from each linked
 * category over `parentOf` and looks each node up in `segmentsOf`.
 */
export interface CategoryCover {
  /** Every category of the tenant → its parent id (null for a root). */
  parentOf: ReadonlyMap<string, string | null>;
  /** Category id → the segments of the set with a CATEGORY assignment of it valid at the instant. */
  segmentsOf: ReadonlyMap<string, readonly string[]>;
}

/** A segment set's CATEGORY assignments valid at an instant, and the interval [from, to) around it over which the same ones are. */
export interface AssignedCategories {
  segmentsOf: Map<string, string[]>;
  from: number;
  to: number;
}

/** The reads a cover is built from (StorefrontRepository); null when there are more than `maxRows` rows. */
export interface CoverSource {
  categoryParents(tenant: string, maxRows: number): Promise<Map<string, string | null> | null>;
  categoryAssignments(
    tenant: string,
    segmentIds: readonly string[],
    at: number,
    maxRows: number,
  ): Promise<AssignedCategories | null>;
}

/** One kept part: a tenant's parent links, or one set's assignments; neither when it was too large to keep. */
interface Entry extends VersionedEntry {
  parentOf?: Map<string, string | null>;
  segmentsOf?: Map<string, string[]>;
  bytes: number;
}

/** Estimated heap bytes of a map entry beyond its strings' characters (measured ~110 for two 10-character ids). */
const ENTRY_BYTES = 72;
/** Per segment id in an assignment's list, beyond its characters. */
const LIST_ITEM_BYTES = 16;
/** A part larger than this share of the cache's bytes is not kept (nor read whole again at that version). */
const PART_SHARE = 4;
/** Estimated bytes per row, to turn the part's byte budget into a row limit for its read. */
const ROW_BYTES = 100;

/**
 * The category cover kept per tenant (parent links) and per set of segments (their valid
 * CATEGORY assignments), exact by the tenant's `category-tree` version, which every write of
 * categories and CATEGORY assignments — and of a segment's status, validity or site — bumps in
 * its own transaction (migrations/008_tree_versions.ts), and by the interval of the set's
 * validity bounds around the instant built for (versioned-cache.ts). A warm match walks its
 * products' categories in memory instead of a recursive statement per request.
 *
 * Bounded: an LRU by count and estimated bytes (limits.ts). A tenant whose catalog, or a set
 * whose assignments, would take more than a quarter of those bytes is not kept: `cover` answers
 * undefined at that version (remembered, so the large read is not repeated) and the match walks
 * in SQL as it does with the cache off. Either way the rows read per request are bounded by the
 * products asked; the reads behind a kept part run once per version.
 */
export class CategoryCoverCache {
  private readonly cache: VersionedCache<Entry>;
  private readonly maxRows: number;

  constructor(
    private readonly db: Database,
    private readonly source: CoverSource,
    opts: { maxEntries: number; maxBytes: number },
  ) {
    this.cache = new VersionedCache<Entry>({ ...opts, bytes: (e) => e.bytes });
    this.maxRows = Math.floor(opts.maxBytes / PART_SHARE / ROW_BYTES);
  }

  /** Whether covers are kept at all (else match walks in SQL and reads no version). */
  get keeps(): boolean {
    return this.cache.keeps;
  }

  /** The tenant's current version, to be read before (or with) anything the cover is used with. */
  version(tenant: string): Promise<number> {
    return readTenantVersion(this.db.knex, tenant, 'category-tree');
  }

  /** The cover of `segmentIds` (sorted, active) at `at` as of `version`; undefined when a part is too large to keep. */
  async cover(tenant: string, segmentIds: readonly string[], version: number, at: number): Promise<CategoryCover | undefined> {
    const [parents, assigned] = await Promise.all([
      this.cache.get(`p\u0000${tenant}`, version, at, async () => {
        const parentOf = await this.source.categoryParents(tenant, this.maxRows);
        return { version, from: -Infinity, to: Infinity, ...(parentOf ? { parentOf, bytes: mapBytes(parentOf) } : { bytes: 1 }) };
      }),
      this.cache.get(`a\u0000${tenant}\u0000${segmentIds.join('\u0000')}`, version, at, async () => {
        const found = await this.source.categoryAssignments(tenant, segmentIds, at, this.maxRows);
        if (!found) return { version, from: -Infinity, to: Infinity, bytes: 1 };
        return { version, from: found.from, to: found.to, segmentsOf: found.segmentsOf, bytes: mapBytes(found.segmentsOf) };
      }),
    ]);
    if (!parents.parentOf || !assigned.segmentsOf) return undefined;
    return { parentOf: parents.parentOf, segmentsOf: assigned.segmentsOf };
  }

  clear(): void {
    this.cache.clear();
  }
}

function mapBytes(map: Map<string, string | null | string[]>): number {
  let bytes = 0;
  for (const [key, value] of map) {
    bytes += ENTRY_BYTES + 2 * key.length;
    if (typeof value === 'string') bytes += 2 * value.length;
    else if (value !== null) for (const s of value) bytes += LIST_ITEM_BYTES + 2 * s.length;
  }
  return bytes;
}
