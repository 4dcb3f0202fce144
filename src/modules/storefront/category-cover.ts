import { LRUCache } from 'lru-cache';
import { type VersionedEntry, VersionedCache } from './versioned-cache';

/**
 * What decides whether a product matches through its categories (storefront.repository.ts,
 * match and matchingProducts): the tenant's category parent links, and which CATEGORY
 * assignments of the segment set are valid at the instant asked. A match walks up from each
 * linked category over `parentOf` and asks each node which segments cover it.
 */
export interface CategoryCover {
  /** Categories → their parent ids (null for a root): every one of the tenant's, or those walked. */
  parentOf: ReadonlyMap<string, string | null>;
  /** The segments of the set (in the set's order) with a CATEGORY assignment of `categoryId` valid at the instant. */
  segmentsAt(categoryId: string): readonly string[];
  /** Whether segmentsAt(categoryId) is not empty. */
  covers(categoryId: string): boolean;
}

/** A cover over per-segment sets of assigned categories. */
export function coverOf(
  parentOf: ReadonlyMap<string, string | null>,
  parts: readonly { segmentId: string; categories: ReadonlySet<string> }[],
  covers: (categoryId: string) => boolean = (c) => parts.some((p) => p.categories.has(c)),
): CategoryCover {
  return {
    parentOf,
    segmentsAt: (c) => parts.filter((p) => p.categories.has(c)).map((p) => p.segmentId),
    covers,
  };
}

/** The items a segment set's assignments of one type valid at an instant name, and the interval [from, to) around it over which the same ones are. */
export interface AssignedItems {
  items: Set<string>;
  from: number;
  to: number;
}

/** The reads a cover is built from (StorefrontRepository); null when there are more than `maxRows` rows. */
export interface CoverSource {
  categoryParents(tenant: string, maxRows: number): Promise<Map<string, string | null> | null>;
  assignedItemsOf(
    tenant: string,
    type: 'PRODUCT' | 'CATEGORY',
    segmentIds: readonly string[],
    at: number,
    maxRows: number,
  ): Promise<AssignedItems | null>;
}

/**
 * A segment as a match reads it, with what names its kept PRODUCT part: its item assignments'
 * version and epoch, and their count (migrations/011, 007).
 */
export interface SegmentItems {
  id: string;
  itemVersion: number;
  itemEpoch: string;
  itemCount: number;
}

/** Each segment's products with a PRODUCT assignment valid at the instant, in the segments' order. */
export type ProductParts = readonly { segmentId: string; products: ReadonlySet<string>; serial: number }[];

/** The versions a cover is exact by (db/tenant-version.ts). */
export type CoverVersions = Record<'category-tree' | 'category-links', number>;

/** One kept part: a tenant's parent links, or one segment's assigned categories or products; none when it was too large to keep. */
interface Entry extends VersionedEntry {
  parentOf?: Map<string, string | null>;
  items?: Set<string>;
  /** Names this build of a part: equal serials, equal contents (inAny). */
  serial: number;
  bytes: number;
}

/** Estimated heap bytes of a map entry beyond its strings' characters (measured ~110 for two 10-character ids). */
const ENTRY_BYTES = 72;
/** A part larger than this share of the cache's bytes is not kept (nor read whole again at that version). */
const PART_SHARE = 4;
/** Estimated bytes per row, to turn the part's byte budget into a row limit for its read. */
const ROW_BYTES = 100;
/** Unions of parts kept (inAny). */
const UNIONS = 64;
/** Estimated heap bytes of a union's entry: as a part's row, since it may outlive the parts whose strings it holds. */
const UNION_ENTRY_BYTES = ROW_BYTES;
/** Segments whose parts are built at once (one statement each) when a request finds them missing. */
const BUILD_GROUP = 10;

/**
 * What a match keeps in memory: the category cover, per tenant (parent links) and per segment
 * (its valid CATEGORY assignments), and each segment's valid PRODUCT assignments (products(),
 * exact by the segment's own item version, migrations/011). The links are exact by the tenant's
 * `category-links` version, which a category created, deleted or moved bumps (migrations/010); a
 * segment's CATEGORY part by its `category-tree` version, which every write of categories and
 * CATEGORY assignments — and of a segment's status, validity or site — bumps
 * (migrations/008_tree_versions.ts), and by the interval of the segment's validity bounds around
 * the instant built for (versioned-cache.ts). All are bumped in the writing transaction. A warm
 * match finds direct assignments and walks its products' categories in memory instead of probing
 * the item index and running a recursive statement per request.
 *
 * Kept per segment, not per set of segments: storefronts ask for each customer's own set, and
 * parts per segment serve every set made of them, so neither many customers nor a client varying
 * its sets makes a read per request (the keys are bounded by the tenant's segments).
 *
 * Bounded: an LRU by count and estimated bytes (limits.ts). A tenant whose catalog, or a segment
 * whose assignments, would take more than a quarter of those bytes is not kept: `cover` answers
 * undefined at that version (remembered, so the large read is not repeated) and the match walks
 * in SQL as it does with the cache off (a PRODUCT part too large is known from the segment's
 * counter and never read). Either way the rows read per request are bounded by the
 * products asked; the reads behind a kept part run once per version.
 */
export class CategoryCoverCache {
  private readonly cache: VersionedCache<Entry>;
  private readonly maxRows: number;
  /** Unions of parts by their serials (inAny), and the lists of serials asked once. */
  private readonly unions: LRUCache<string, Set<string>> | undefined;
  private readonly askedOnce: LRUCache<string, true> | undefined;
  private serials = 0;

  constructor(
    private readonly source: CoverSource,
    opts: { maxEntries: number; maxBytes: number },
  ) {
    this.cache = new VersionedCache<Entry>({ ...opts, bytes: (e) => e.bytes });
    this.maxRows = Math.floor(opts.maxBytes / PART_SHARE / ROW_BYTES);
    if (this.cache.keeps && this.maxRows > 0) {
      this.unions = new LRUCache({
        max: UNIONS,
        maxSize: Math.max(1, Math.floor(opts.maxBytes / PART_SHARE)),
        sizeCalculation: (u) => Math.max(1, u.size * UNION_ENTRY_BYTES),
      });
      this.askedOnce = new LRUCache({ max: UNIONS * 4 });
    }
  }

  /** Whether covers are kept at all (else match walks in SQL and reads no version). */
  get keeps(): boolean {
    return this.cache.keeps;
  }

  /** The cover of `segmentIds` (active) at `at` as of `versions`; undefined when a part is too large to keep. */
  async cover(
    tenant: string,
    segmentIds: readonly string[],
    versions: CoverVersions,
    at: number,
  ): Promise<CategoryCover | undefined> {
    // The links change only with categories created, deleted or moved (migration 010); the
    // segments' parts with every write of CATEGORY assignments and categories (migration 008).
    const links = versions['category-links'];
    const version = versions['category-tree'];
    const parents = this.cache.get(`p\u0000${tenant}`, links, at, async () => {
      const parentOf = await this.source.categoryParents(tenant, this.maxRows);
      return {
        version: links,
        from: -Infinity,
        to: Infinity,
        serial: ++this.serials,
        ...(parentOf ? { parentOf, bytes: setBytes(parentOf) } : { bytes: 1 }),
      };
    });
    const parts = async (): Promise<{ segmentId: string; categories: Set<string>; serial: number }[] | undefined> => {
      const out: { segmentId: string; categories: Set<string>; serial: number }[] = [];
      for (let i = 0; i < segmentIds.length; i += BUILD_GROUP) {
        const group = segmentIds.slice(i, i + BUILD_GROUP);
        const entries = await Promise.all(
          group.map((id) =>
            this.cache.get(`s\u0000${tenant}\u0000${id}`, version, at, () => this.part(tenant, 'CATEGORY', id, version, at)),
          ),
        );
        for (const [j, e] of entries.entries()) {
          if (!e.items) return undefined;
          out.push({ segmentId: group[j] as string, categories: e.items, serial: e.serial });
        }
      }
      return out;
    };
    // Together: a failure of either is the caller's, and neither is left unawaited.
    const [{ parentOf }, kept] = await Promise.all([parents, parts()]);
    if (!parentOf || !kept) return undefined;
    return coverOf(parentOf, kept, this.inAny(kept.map((k) => ({ serial: k.serial, items: k.categories }))));
  }

  /**
   * Whether a set of segments may be answered from kept parts: together they have at most as
   * many item assignments (their counters, both types) as one part may hold. A larger set would
   * read more than that to build its parts — per request, were they to push each other out of
   * the cache — where the match in SQL reads rows bounded by its products; it is matched in SQL.
   */
  fits(segments: readonly SegmentItems[]): boolean {
    let items = 0;
    for (const s of segments) items += s.itemCount;
    return items <= this.maxRows;
  }

  /**
   * The PRODUCT assignments of each segment valid at `at`, in the segments' order: kept per
   * (segment, epoch) and exact by the segment's item version, which every item assignment write
   * of the segment bumps in its transaction (migrations/011) — read with the segment row itself,
   * so using them costs no statement. For a set that fits() (the caller asks, as it does for
   * cover()); undefined when a part turns out too large to keep: the match then probes the item
   * index for its products instead.
   */
  async products(tenant: string, segments: readonly SegmentItems[], at: number): Promise<ProductParts | undefined> {
    const out: { segmentId: string; products: ReadonlySet<string>; serial: number }[] = [];
    for (let i = 0; i < segments.length; i += BUILD_GROUP) {
      const group = segments.slice(i, i + BUILD_GROUP);
      const entries = await Promise.all(
        group.map((s) =>
          this.cache.get(`d\u0000${tenant}\u0000${s.id}\u0000${s.itemEpoch}`, s.itemVersion, at, () =>
            this.part(tenant, 'PRODUCT', s.id, s.itemVersion, at),
          ),
        ),
      );
      for (const [j, e] of entries.entries()) {
        if (!e.items) return undefined;
        out.push({ segmentId: (group[j] as SegmentItems).id, products: e.items, serial: e.serial });
      }
    }
    return out;
  }

  private async part(
    tenant: string,
    type: 'PRODUCT' | 'CATEGORY',
    segmentId: string,
    version: number,
    at: number,
  ): Promise<Entry> {
    const found = await this.source.assignedItemsOf(tenant, type, [segmentId], at, this.maxRows);
    const serial = ++this.serials;
    if (!found) return { version, from: -Infinity, to: Infinity, serial, bytes: 1 };
    const { items, from, to } = found;
    return { version, from, to, items, serial, bytes: setBytes(items) };
  }

  /** Whether a product has a PRODUCT assignment of any of `parts` (inAny). */
  productsOfAny(parts: ProductParts): (productId: string) => boolean {
    return this.inAny(parts.map((p) => ({ serial: p.serial, items: p.products })));
  }

  /**
   * Whether an id is in any of `sets` (kept parts) — a test that storefronts make for 1,000
   * products × 20 segments per match, and for every category their walks reach. A list of parts
   * asked for a second time gets their union, built once and kept by the parts' serials (equal
   * serials are the same builds, so the union is as exact as they are; a part rebuilt gets a new
   * serial and a new union). Asked once, or when the parts together hold more than a part may,
   * each part is asked in turn: a client varying its sets cannot make every request pay for a
   * union. Bounded: UNIONS unions, and a quarter of the cache's bytes.
   */
  private inAny(sets: readonly { serial: number; items: ReadonlySet<string> }[]): (id: string) => boolean {
    const each = (id: string): boolean => sets.some((s) => s.items.has(id));
    if (!this.unions || !this.askedOnce || sets.length < 2) return each;
    const key = sets.map((s) => s.serial).join(',');
    let union = this.unions.get(key);
    if (!union) {
      let size = 0;
      for (const s of sets) size += s.items.size;
      if (size > this.maxRows || !this.askedOnce.has(key)) {
        this.askedOnce.set(key, true);
        return each;
      }
      union = new Set<string>();
      for (const s of sets) for (const id of s.items) union.add(id);
      this.unions.set(key, union);
      this.askedOnce.delete(key);
    }
    const kept = union;
    return (id) => kept.has(id);
  }

  clear(): void {
    this.cache.clear();
    this.unions?.clear();
    this.askedOnce?.clear();
  }
}

/** Estimated heap bytes of a set of ids, or of a map of ids to ids. */
function setBytes(entries: Set<string> | Map<string, string | null>): number {
  let bytes = 0;
  for (const key of entries.keys()) bytes += ENTRY_BYTES + 2 * key.length;
  if (entries instanceof Map) for (const value of entries.values()) bytes += 2 * (value?.length ?? 0);
  return bytes;
}
