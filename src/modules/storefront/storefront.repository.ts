import { type Database, placeholders, selectRows } from '../../db/knex';
import { type CategoryRow, chunks, toCategory } from '../catalog/catalog.repository';
import { type Membership, type SegmentRepository } from '../segments/segment.repository';
import {
  type AssignedItems,
  type CategoryCover,
  CategoryCoverCache,
  type CoverSource,
  type CoverVersions,
  coverOf,
  type ProductParts,
  type SegmentItems,
} from './category-cover';
import { type CategoryNodeRecord, type ItemMatch, MatchVia } from './storefront.type';

/** The trees of a segment set, and the instants [from, to) over which they hold (treesOfSegments). */
export interface BuiltTrees {
  roots: CategoryNodeRecord[];
  nodes: number;
  /** Estimated heap bytes of the records. */
  bytes: number;
  from: number;
  to: number;
}

/** Ids per statement: a whole match request (MAX_MATCH_ITEMS), well within SQLite's parameter limit. */
const MATCH_CHUNK = 1000;

/**
 * An item assignment `ia` valid at `at` (bindings: at, at): at ∈ [validity_from, validity_to),
 * an open end where a bound is unset (as validAt), tested on each entry of the item index, which
 * holds both columns (migration 009). Not written as `validity_from IS NULL OR validity_from <= ?`:
 * MariaDB would fold that into the index's ranges, one per item and bound, and spent ~3 ms
 * planning them for 1,000 items. The stand-ins for an open end lie beyond any Date (±8.64e15 ms).
 */
const VALID_AT_IN_INDEX = 'COALESCE(ia.validity_from, -9000000000000000) <= ? AND COALESCE(ia.validity_to, 9000000000000000) > ?';

/** The tenant versions a match's cover is exact by, read with its segments (activeSegmentsOfSite). */
const COVER_VERSIONS = ['category-tree', 'category-links'] as const satisfies readonly (keyof CoverVersions)[];

interface MatchRow {
  product_id: string;
  category_id: string | null;
  segment_id: string;
}

/**
 * The storefront reads: segment-based category trees and product matching. Category ancestry
 * and subtrees are recursive CTEs over (tenant, parent_id): only the nodes that answer the
 * question are read, never a whole catalog. UNION (not UNION ALL) in the recursive part makes
 * a stray cycle in imported data terminate instead of looping.
 */
export class StorefrontRepository implements CoverSource {
  /** The category cover matches walk in memory when it is kept (category-cover.ts). */
  readonly cover: CategoryCoverCache;

  constructor(
    private readonly db: Database,
    private readonly segments: SegmentRepository,
    coverBounds: { maxEntries: number; maxBytes: number } = { maxEntries: 0, maxBytes: 0 },
  ) {
    this.cover = new CategoryCoverCache(this, coverBounds);
  }

  /**
   * What a match works on: the products, each once in input order, the active segments of the
   * site among those asked, their kept PRODUCT assignments and their category cover (each
   * undefined when not kept); null when the products or the segments are empty (nothing can
   * match).
   */
  private async matchInput(
    tenant: string,
    siteCode: string,
    segmentIds: readonly string[],
    productIds: readonly string[],
    at: number,
  ): Promise<{
    products: string[];
    segments: string[];
    direct: () => Promise<ProductParts | undefined>;
    cover: () => Promise<CategoryCover | undefined>;
  } | null> {
    const products = [...new Set(productIds)];
    if (!products.length || !segmentIds.length) return null;
    // The cover's versions are read by the same statement as the segments, before any data the
    // cover is used with.
    const { found, versions } = await this.activeSegmentsOfSite(tenant, segmentIds, siteCode, at, this.cover.keeps);
    if (!found.length) return null;
    const segments = found.map((s) => s.id);
    // A set too large to keep whole is matched in SQL, by rows bounded by its products.
    const kept = versions && this.cover.fits(found) ? versions : undefined;
    return {
      products,
      segments,
      direct: async () => (kept ? this.cover.products(tenant, found, at) : undefined),
      cover: async () => (kept ? this.cover.cover(tenant, segments, kept, at) : undefined),
    };
  }

  /**
   * Active segments of `siteCode` among `ids`, sorted by id: the match rule's segment set, with
   * what names their kept PRODUCT assignments (their item version, epoch and count); and, with
   * `withVersions`, the tenant's cover versions (category-cover.ts), read by the same statement.
   */
  private async activeSegmentsOfSite(
    tenant: string,
    ids: readonly string[],
    siteCode: string,
    at: number,
    withVersions: boolean,
  ): Promise<{ found: SegmentItems[]; versions: CoverVersions | undefined }> {
    const knex = this.db.knex;
    const qb = knex('segments as s')
      .select('s.id', 's.item_version', 's.item_epoch', 's.item_count')
      .where('s.tenant', tenant)
      .whereIn('s.id', [...new Set(ids)]);
    if (withVersions) {
      for (const name of COVER_VERSIONS) {
        qb.select({ [name]: knex('tenant_versions').select('version').where({ tenant, name }) });
      }
    }
    qb.where('s.site_code', siteCode);
    this.segments.activeCondition(qb, 's', at);
    const rows: ({ id: string; item_version: number | string; item_epoch: number | string; item_count: number | string } & Record<
      string,
      unknown
    >)[] = await qb;
    const found = rows
      .map((r) => ({
        id: r.id,
        itemVersion: Number(r.item_version),
        itemEpoch: String(r.item_epoch),
        itemCount: Number(r.item_count),
      }))
      .sort((a, b) => cmp(a.id, b.id));
    const first = rows[0];
    // A version never written is 0 (db/tenant-version.ts).
    const versions =
      withVersions && first
        ? (Object.fromEntries(COVER_VERSIONS.map((n) => [n, Number(first[n] ?? 0)])) as CoverVersions)
        : undefined;
    return { found, versions };
  }

  /** `ia` FORCE INDEX (the item index) on MySQL/MariaDB; see assignedItems and categoryHits. */
  private itemIndexHint(): string {
    return this.db.dialect === 'mysql' ? ' FORCE INDEX (item_assign_tenant_item)' : '';
  }

  /**
   * item_assignments of the given items and segments valid at `at`, by the item index: the rows
   * read are the assignments of those items, whatever the segments' sizes. A fixed text per
   * chunk length (no statement built per request), answered from the index alone: it holds
   * (tenant, type, item_id, validity_from, validity_to) and the key's segment_id (migration 009).
   * The index is forced: given a segment condition, MariaDB may otherwise start from the
   * segments (the primary key) and read every assignment of each.
   *
   * The segments are filtered here, not in the statement. On MariaDB the item index ends with the
   * primary key's segment_id, so `item_id IN (…) AND segment_id IN (…)` becomes one range per
   * (item, segment) pair — 20,000 for 1,000 products × 20 segments, most of them empty, ~60,000
   * pages read and ~20 ms spent planning them — where `item_id IN (…)` alone is one range per
   * item. (With a utf8mb3 client the list becomes a derived table and the plan is fine, which is
   * why the mysql CLI does not show it; the server's connections are utf8mb4.) An item's
   * assignments to other segments are read and dropped: bounded by the items, not by any segment.
   * Validity is tested by VALID_AT_IN_INDEX for the same reason.
   */
  private async assignedItems(
    tenant: string,
    type: 'PRODUCT' | 'CATEGORY',
    itemIds: readonly string[],
    segmentIds: readonly string[],
    at: number,
  ): Promise<{ item_id: string; segment_id: string }[]> {
    const wanted = new Set(segmentIds);
    const out: { item_id: string; segment_id: string }[] = [];
    for (const chunk of chunks(itemIds, MATCH_CHUNK)) {
      const rows = await selectRows<{ item_id: string; segment_id: string }>(
        this.db,
        `SELECT ia.item_id, ia.segment_id FROM item_assignments AS ia${this.itemIndexHint()} ` +
          `WHERE ia.tenant = ? AND ia.type = ? AND ia.item_id IN (${placeholders(chunk.length)}) AND ${VALID_AT_IN_INDEX}`,
        [tenant, type, ...chunk, at, at],
      );
      for (const r of rows) if (wanted.has(r.segment_id)) out.push(r);
    }
    return out;
  }

  /**
   * (item, segment) of the products' PRODUCT assignments to `segmentIds` valid at `at`: from the
   * segments' kept parts when `kept` gives them (no statement), else by the item index.
   */
  private async directAssignments(
    tenant: string,
    products: readonly string[],
    segmentIds: readonly string[],
    at: number,
    kept: () => Promise<ProductParts | undefined>,
  ): Promise<{ item_id: string; segment_id: string }[]> {
    const parts = await kept();
    if (!parts) return this.assignedItems(tenant, 'PRODUCT', products, segmentIds, at);
    const out: { item_id: string; segment_id: string }[] = [];
    for (const item_id of products) {
      for (const part of parts) if (part.products.has(item_id)) out.push({ item_id, segment_id: part.segmentId });
    }
    return out;
  }

  /** (product, linked category) of `products`, by the primary key: a fixed text per chunk length. */
  private productLinks(tenant: string, products: readonly string[]): Promise<ProductLink[]> {
    return selectRows<ProductLink>(
      this.db,
      `SELECT product_id, category_id FROM product_categories WHERE tenant = ? AND product_id IN (${placeholders(products.length)})`,
      [tenant, ...products],
    );
  }

  /**
   * (product, category, segment) for each category of the products, or ancestor of one, that has
   * a CATEGORY assignment of one of `segmentIds` valid at `at`.
   *
   * With the set's category cover kept (category-cover.ts): the products' category links (by
   * key), walked up in memory. Without it, two statements per chunk, in parallel: the links, and
   * one walk up from their categories over distinct nodes (UNION: a shared ancestor is visited
   * once, a cycle ends) joined to each node's assignments through the item index, which give
   * the walked part of the cover. On MySQL/MariaDB the join order and the index are fixed
   * (STRAIGHT_JOIN, FORCE INDEX): left to itself the optimizer starts from the segments and
   * reads every CATEGORY assignment of each. Either way a linked or parent id the store lacks
   * still counts (its own assignments match; the walk stops there).
   */
  private async viaCategories(
    tenant: string,
    products: readonly string[],
    segmentIds: readonly string[],
    at: number,
    kept: CategoryCover | undefined,
  ): Promise<MatchRow[]> {
    const out: MatchRow[] = [];
    for (const chunk of chunks(products, MATCH_CHUNK)) {
      const [links, cover] = kept
        ? [await this.productLinks(tenant, chunk), kept]
        : await Promise.all([this.productLinks(tenant, chunk), this.walkedCover(tenant, chunk, segmentIds, at)]);
      walkUp(links, cover.parentOf, (product_id, category_id) => {
        for (const segment_id of cover.segmentsAt(category_id)) out.push({ product_id, category_id, segment_id });
        return false;
      });
    }
    return out;
  }

  /** The part of the cover the products' categories walk through, read by one statement (viaCategories). */
  private async walkedCover(
    tenant: string,
    products: readonly string[],
    segmentIds: readonly string[],
    at: number,
  ): Promise<CategoryCover> {
    const knex = this.db.knex;
    const mysql = this.db.dialect === 'mysql';
    const walk = knex
      .withRecursive('up', ['id', 'parent_id'], (q) => {
        q.distinct('l.category_id', 'c.parent_id')
          .from('product_categories as l')
          .leftJoin('categories as c', (j) => j.on('c.tenant', 'l.tenant').andOn('c.id', 'l.category_id'))
          .where('l.tenant', tenant)
          .whereIn('l.product_id', products as string[])
          .union((u) => {
            u.select('up.parent_id', 'c.parent_id')
              .from('up')
              .leftJoin('categories as c', (j) => j.on('c.id', 'up.parent_id').andOnVal('c.tenant', tenant))
              .whereNotNull('up.parent_id');
          });
      })
      .select(knex.raw(mysql ? 'STRAIGHT_JOIN ?? AS id' : '?? AS id', ['up.id']))
      .select('up.parent_id', 'ia.segment_id')
      .from('up');
    const on = [
      'ia.tenant = ?',
      "ia.type = 'CATEGORY'",
      'ia.item_id = up.id',
      `ia.segment_id IN (${placeholders(segmentIds.length)})`,
      VALID_AT_IN_INDEX,
    ].join(' AND ');
    walk.joinRaw(`LEFT JOIN item_assignments AS ia${this.itemIndexHint()} ON ${on}`, [tenant, ...segmentIds, at, at]);
    const nodes = (await walk) as { id: string; parent_id: string | null; segment_id: string | null }[];
    const parentOf = new Map<string, string | null>();
    const categoriesOf = new Map<string, Set<string>>(segmentIds.map((id) => [id, new Set()]));
    for (const n of nodes) {
      parentOf.set(n.id, n.parent_id);
      if (n.segment_id !== null) categoriesOf.get(n.segment_id)?.add(n.id);
    }
    return coverOf(
      parentOf,
      [...categoriesOf].map(([segmentId, categories]) => ({ segmentId, categories })),
    );
  }

  /**
   * Products (in input order, each once) assigned to one of the given active segments of the
   * site, directly or through a category assignment of one of their categories or an ancestor.
   * Assignments count while `at` ∈ [from, to). Driven by the input: the segment set (by key),
   * then, in parallel, the products' assignments (kept per segment, or by the item index) and the
   * assignments of the products' categories and their ancestors — rows read per request grow with
   * the products and their category paths, not with the segments' sizes.
   */
  async match(
    tenant: string,
    siteCode: string,
    segmentIds: readonly string[],
    productIds: readonly string[],
    at: number,
  ): Promise<ItemMatch[]> {
    const asked = await this.matchInput(tenant, siteCode, segmentIds, productIds, at);
    if (!asked) return [];
    const { products, segments } = asked;
    const [directRows, viaCategory] = await Promise.all([
      this.directAssignments(tenant, products, segments, at, asked.direct),
      asked.cover().then((cover) => this.viaCategories(tenant, products, segments, at, cover)),
    ]);
    const direct: MatchRow[] = directRows.map((r) => ({ product_id: r.item_id, category_id: null, segment_id: r.segment_id }));
    const rows = [...direct, ...viaCategory];
    const reasons = new Map<string, Map<string, { segmentId: string; via: MatchVia; categoryId: string | null }>>();
    for (const r of rows) {
      let m = reasons.get(r.product_id);
      if (!m) reasons.set(r.product_id, (m = new Map()));
      const via = r.category_id === null ? MatchVia.DIRECT : MatchVia.CATEGORY;
      m.set(`${r.segment_id}\u0000${via}\u0000${r.category_id ?? ''}`, {
        segmentId: r.segment_id,
        via,
        categoryId: r.category_id,
      });
    }
    return products.flatMap((productId) => {
      const m = reasons.get(productId);
      if (!m) return [];
      const list = [...m.values()].sort(
        (a, b) => cmp(a.segmentId, b.segmentId) || cmp(a.via, b.via) || cmp(a.categoryId ?? '', b.categoryId ?? ''),
      );
      return [{ productId, reasons: list }];
    });
  }

  /**
   * The products of `productIds` (in input order, each once) that match, as match() decides, but
   * without the reasons: what POST /segments/match answers. A product needs one reason, so:
   *
   * 1. its own assignments: in memory from the segments' kept PRODUCT parts (category-cover.ts,
   *    exact by each segment's item version, read with the segment set), else by the item index
   *    (one key probe per product);
   * 2. only the products not matched directly walk up from their categories, and no higher than
   *    a category with an assignment of the set: every product at or below it matches whatever
   *    lies above. With the set's category cover kept, over their links (by key) in memory;
   *    without it, in one statement (categoryHits).
   *
   * Rows read are bounded by the products and their category paths (less when they match early),
   * never by the segments' sizes.
   */
  async matchingProducts(
    tenant: string,
    siteCode: string,
    segmentIds: readonly string[],
    productIds: readonly string[],
    at: number,
  ): Promise<string[]> {
    const asked = await this.matchInput(tenant, siteCode, segmentIds, productIds, at);
    if (!asked) return [];
    const { products, segments } = asked;
    const matched = new Set<string>();
    const [kept, cover] = await Promise.all([asked.direct(), asked.cover()]);
    if (kept) {
      const isAssigned = this.cover.productsOfAny(kept);
      for (const p of products) if (isAssigned(p)) matched.add(p);
    } else {
      for (const r of await this.assignedItems(tenant, 'PRODUCT', products, segments, at)) matched.add(r.item_id);
    }
    const rest = products.filter((p) => !matched.has(p));
    for (const chunk of chunks(rest, MATCH_CHUNK)) {
      const [links, walked] = cover
        ? [await this.productLinks(tenant, chunk), cover]
        : await this.categoryHits(tenant, chunk, segments, at);
      walkUp(links, walked.parentOf, (product, category) => {
        if (!walked.covers(category)) return false;
        matched.add(product);
        return true;
      });
    }
    return products.filter((p) => matched.has(p));
  }

  /**
   * One walk up from the categories of `products`, giving their links and the walked part of the
   * cover: a row per (product, linked category), with product_id, then a row per ancestor reached
   * (product_id NULL), each with its parent and whether it has a CATEGORY assignment of
   * `segmentIds` valid at `at` (hit, 0/1: one probe of the item index, EXISTS). A category that
   * hits is not walked above. UNION (not UNION ALL) visits a shared ancestor once and ends a
   * cycle; a linked or parent id the store lacks still counts (its own assignments) and the walk
   * stops there, as in viaCategories.
   */
  private async categoryHits(
    tenant: string,
    products: readonly string[],
    segmentIds: readonly string[],
    at: number,
  ): Promise<[ProductLink[], Pick<CategoryCover, 'parentOf' | 'covers'>]> {
    const knex = this.db.knex;
    const probe =
      `EXISTS (SELECT 1 FROM item_assignments AS ia${this.itemIndexHint()} WHERE ia.tenant = ? AND ia.type = 'CATEGORY' ` +
      `AND ia.item_id = ?? AND ia.segment_id IN (${placeholders(segmentIds.length)}) AND ${VALID_AT_IN_INDEX})`;
    const hitOf = (column: string) => knex.raw(probe, [tenant, column, ...segmentIds, at, at]);
    const rows = (await knex
      .withRecursive('up', ['product_id', 'id', 'parent_id', 'hit'], (q) => {
        q.select('l.product_id', 'l.category_id', 'c.parent_id', hitOf('l.category_id'))
          .from('product_categories as l')
          .leftJoin('categories as c', (j) => j.on('c.tenant', 'l.tenant').andOn('c.id', 'l.category_id'))
          .where('l.tenant', tenant)
          .whereIn('l.product_id', products as string[])
          .union((u) => {
            u.select(knex.raw('NULL'), 'up.parent_id', 'c.parent_id', hitOf('up.parent_id'))
              .from('up')
              .leftJoin('categories as c', (j) => j.on('c.id', 'up.parent_id').andOnVal('c.tenant', tenant))
              .whereNotNull('up.parent_id')
              .where('up.hit', 0);
          });
      })
      .select('product_id', 'id', 'parent_id', 'hit')
      .from('up')) as { product_id: string | null; id: string; parent_id: string | null; hit: number | string }[];
    const parentOf = new Map<string, string | null>();
    const hits = new Set<string>();
    const links: ProductLink[] = [];
    for (const r of rows) {
      parentOf.set(r.id, r.parent_id);
      if (Number(r.hit)) hits.add(r.id);
      if (r.product_id !== null) links.push({ product_id: r.product_id, category_id: r.id });
    }
    return [links, { parentOf, covers: (c) => hits.has(c) }];
  }

  /**
   * Category trees for a member's active segments: every CATEGORY-assigned category with its
   * whole subtree (isSegmentAssigned true) and its ancestors (false). Segments active and
   * assignments valid at `member.at` (now when unset) count. Uncached (see tree-cache.ts).
   */
  async categoryTrees(tenant: string, member: Membership, siteCode: string | undefined): Promise<CategoryNodeRecord[]> {
    const at = member.at ?? Date.now();
    const segments = await this.treeSegments(tenant, member, siteCode, at);
    return segments.length ? (await this.treesOfSegments(tenant, segments, at)).roots : [];
  }

  /** Active segments (ids, sorted) that `member` belongs to at `at`, of `siteCode` when given. */
  async treeSegments(tenant: string, member: Membership, siteCode: string | undefined, at: number): Promise<string[]> {
    const qb = this.db
      .knex('segments as s')
      .select('s.id')
      .where('s.tenant', tenant)
      .whereIn('s.id', this.segments.memberSubquery(tenant, member));
    if (siteCode !== undefined) qb.where('s.site_code', siteCode);
    this.segments.activeCondition(qb, 's', at);
    const rows: { id: string }[] = await qb;
    return rows.map((r) => r.id).sort(cmp);
  }

  /**
   * The tenant's category parent links (id → parent id): an index-only scan of its categories.
   * Null when it has more than `maxRows`.
   */
  async categoryParents(tenant: string, maxRows = Infinity): Promise<Map<string, string | null> | null> {
    const qb = this.db.knex('categories').select('id', 'parent_id').where('tenant', tenant);
    if (Number.isFinite(maxRows)) qb.limit(maxRows + 1);
    const pairs: { id: string; parent_id: string | null }[] = await qb;
    if (pairs.length > maxRows) return null;
    return new Map(pairs.map((p) => [p.id, p.parent_id]));
  }

  /**
   * The items with an assignment of `type` of a set of segments valid at `at`, by the primary
   * key's range per segment, and the interval [from, to) around `at` over which the same ones are
   * valid: between the latest validity bound at or before `at` and the first one after it. Null
   * when the set has more than `maxRows` assignments of the type, valid or not.
   */
  async assignedItemsOf(
    tenant: string,
    type: 'PRODUCT' | 'CATEGORY',
    segmentIds: readonly string[],
    at: number,
    maxRows = Infinity,
  ): Promise<AssignedItems | null> {
    let from = -Infinity;
    let to = Infinity;
    let read = 0;
    const items = new Set<string>();
    for (const chunk of chunks(segmentIds, MATCH_CHUNK)) {
      const qb = this.db
        .knex('item_assignments')
        .select('item_id', 'validity_from', 'validity_to')
        .where({ tenant, type })
        .whereIn('segment_id', chunk);
      if (Number.isFinite(maxRows)) qb.limit(maxRows + 1 - read);
      const rows: { item_id: string; validity_from: number | string | null; validity_to: number | string | null }[] = await qb;
      read += rows.length;
      if (read > maxRows) return null;
      for (const r of rows) {
        const f = r.validity_from === null ? null : Number(r.validity_from);
        const t = r.validity_to === null ? null : Number(r.validity_to);
        for (const bound of [f, t]) {
          if (bound === null) continue;
          if (bound <= at) from = Math.max(from, bound);
          else to = Math.min(to, bound);
        }
        if ((f === null || f <= at) && (t === null || t > at)) items.add(r.item_id);
      }
    }
    return { items, from, to };
  }

  /**
   * The category trees of a set of segments at `at` (as categoryTrees answers them), and the
   * interval [from, to) around `at` over which they stay the same: the latest validity bound of
   * the set's CATEGORY assignments at or before `at` and the first one after it. Within it the
   * same assignments are valid, so the trees are exact for any instant inside.
   *
   * Three reads by key, whatever the tree's size: the set's CATEGORY assignments (primary key
   * range per segment), the tenant's (id, parent) pairs (an index-only scan), and the rows of
   * the categories in the answer. Subtrees and ancestors are walked here, once per build.
   */
  async treesOfSegments(tenant: string, segmentIds: readonly string[], at: number): Promise<BuiltTrees> {
    const knex = this.db.knex;
    const { items: assigned, from, to } = (await this.assignedItemsOf(tenant, 'CATEGORY', segmentIds, at)) as AssignedItems;
    if (!assigned.size) return { roots: [], nodes: 0, bytes: 0, from, to };
    const parentOf = (await this.categoryParents(tenant)) as Map<string, string | null>;
    const children = new Map<string, string[]>();
    for (const [id, parent] of parentOf) if (parent !== null) pushTo(children, parent, id);
    // Assigned categories that exist, and everything below them (isSegmentAssigned true).
    const sub = new Set<string>();
    const stack = [...assigned].filter((id) => parentOf.has(id));
    while (stack.length) {
      const id = stack.pop() as string;
      if (sub.has(id)) continue;
      sub.add(id);
      for (const c of children.get(id) ?? []) if (!sub.has(c)) stack.push(c);
    }
    // Their ancestors that exist (false), up to a root or a parent the store lacks.
    const wanted = new Set(sub);
    for (const id of sub) {
      let parent = parentOf.get(id) ?? null;
      while (parent !== null && parentOf.has(parent) && !wanted.has(parent)) {
        wanted.add(parent);
        parent = parentOf.get(parent) ?? null;
      }
    }
    const rows: CategoryRow[] = [];
    if (wanted.size * 2 > parentOf.size) {
      // Most of the catalog: one scan of the tenant's categories beats thousands of keys.
      for (const r of (await knex('categories').select('*').where('tenant', tenant)) as CategoryRow[]) {
        if (wanted.has(r.id)) rows.push(r);
      }
    } else {
      for (const chunk of chunks([...wanted], MATCH_CHUNK)) {
        rows.push(...((await knex('categories').select('*').where('tenant', tenant).whereIn('id', chunk)) as CategoryRow[]));
      }
    }
    let bytes = 0;
    for (const r of rows) {
      // A node's heap: the record and its maps (~400 bytes), twice the JSON texts it was parsed from.
      bytes += 400 + 2 * ((r.name?.length ?? 0) + (r.description?.length ?? 0) + (r.slug?.length ?? 0) + (r.ecn?.length ?? 0));
    }
    const roots = buildForest(
      rows.map((r) => ({ category: toCategory(r), isSegmentAssigned: sub.has(r.id), subcategories: [] })),
    );
    return { roots, nodes: rows.length, bytes, from, to };
  }
}

interface ProductLink {
  product_id: string;
  category_id: string;
}

function pushTo(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/**
 * Walks up from each product's linked categories over `parentOf`, calling `visit` at each node:
 * a category `parentOf` lacks ends the walk there, a node is visited once per product (so a
 * cycle ends), and `visit` returning true ends that product's walk.
 */
function walkUp(
  links: readonly ProductLink[],
  parentOf: ReadonlyMap<string, string | null>,
  visit: (productId: string, categoryId: string) => boolean,
): void {
  const seenOf = new Map<string, Set<string> | null>();
  for (const l of links) {
    let seen = seenOf.get(l.product_id);
    if (seen === null) continue;
    if (!seen) seenOf.set(l.product_id, (seen = new Set()));
    for (let c: string | null = l.category_id; c !== null && !seen.has(c); c = parentOf.get(c) ?? null) {
      seen.add(c);
      if (visit(l.product_id, c)) {
        seenOf.set(l.product_id, null);
        break;
      }
    }
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Links nodes to their parents; nodes whose parent is not in the set are roots. Sorted by position, then code. */
export function buildForest(nodes: CategoryNodeRecord[]): CategoryNodeRecord[] {
  const byId = new Map(nodes.map((n) => [n.category.id, n]));
  const roots: CategoryNodeRecord[] = [];
  for (const n of nodes) {
    const parent = n.category.parentId ? byId.get(n.category.parentId) : undefined;
    if (parent && parent !== n) parent.subcategories.push(n);
    else roots.push(n);
  }
  const order = (a: CategoryNodeRecord, b: CategoryNodeRecord) =>
    (a.category.position ?? Number.MAX_SAFE_INTEGER) - (b.category.position ?? Number.MAX_SAFE_INTEGER) ||
    cmp(a.category.code ?? '', b.category.code ?? '') ||
    cmp(a.category.id, b.category.id);
  const sort = (list: CategoryNodeRecord[]) => {
    list.sort(order);
    for (const n of list) sort(n.subcategories);
  };
  sort(roots);
  return roots;
}
