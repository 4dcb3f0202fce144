import type { Database } from '../../db/knex';
import { type CategoryRow, chunks, toCategory } from '../catalog/catalog.repository';
import { type Membership, type SegmentRepository, validAt } from '../segments/segment.repository';
import { type CategoryNodeRecord, type ItemMatch, MatchVia } from './storefront.type';

/** Ids per statement of match (see assignedItems). */
const MATCH_CHUNK = 500;

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
export class StorefrontRepository {
  constructor(
    private readonly db: Database,
    private readonly segments: SegmentRepository,
  ) {}

  /** Active segments of `siteCode` among `ids`: the match rule's segment set. */
  private async activeSegmentsOfSite(tenant: string, ids: readonly string[], siteCode: string, at: number): Promise<string[]> {
    const qb = this.db
      .knex('segments as s')
      .select('s.id')
      .where('s.tenant', tenant)
      .whereIn('s.id', [...new Set(ids)]);
    qb.where('s.site_code', siteCode);
    this.segments.activeCondition(qb, 's', at);
    const rows: { id: string }[] = await qb;
    return rows.map((r) => r.id).sort();
  }

  /**
   * item_assignments read by (tenant, type, item_id) — the item index — for the given items and
   * segments: the rows read are the assignments of those items, whatever the segments' sizes.
   * MariaDB otherwise tends to start from the segments (the primary key) and read every
   * assignment of each; the hint keeps the plan the input-bounded one. Chunks of 500 ids stay
   * below MariaDB's IN-to-subquery conversion (1,000) and SQLite's bound-parameter limit.
   */
  private async assignedItems(
    tenant: string,
    type: 'PRODUCT' | 'CATEGORY',
    itemIds: readonly string[],
    segmentIds: readonly string[],
    at: number,
  ): Promise<{ item_id: string; segment_id: string }[]> {
    const knex = this.db.knex;
    const table =
      this.db.dialect === 'mysql'
        ? knex.raw('?? AS ?? FORCE INDEX (??)', ['item_assignments', 'ia', 'item_assign_tenant_item'])
        : 'item_assignments as ia';
    const out: { item_id: string; segment_id: string }[] = [];
    for (const chunk of chunks(itemIds, MATCH_CHUNK)) {
      const rows: { item_id: string; segment_id: string }[] = await validAt(
        knex
          .select('ia.item_id', 'ia.segment_id')
          .from(table)
          .where({ 'ia.tenant': tenant, 'ia.type': type })
          .whereIn('ia.item_id', chunk)
          .whereIn('ia.segment_id', segmentIds as string[]),
        'ia',
        at,
      );
      out.push(...rows);
    }
    return out;
  }

  /** (product, category) for each category of the products and each ancestor of those. */
  private async productCategories(tenant: string, products: readonly string[]): Promise<MatchRow[]> {
    const knex = this.db.knex;
    const out: MatchRow[] = [];
    for (const chunk of chunks(products, MATCH_CHUNK)) {
      const rows: { product_id: string; category_id: string }[] = await knex
        .withRecursive('pc', ['product_id', 'category_id'], (qb) => {
          qb.select('product_id', 'category_id')
            .from('product_categories')
            .where('tenant', tenant)
            .whereIn('product_id', chunk)
            .union((u) => {
              u.select('pc.product_id', 'c.parent_id')
                .from('pc')
                .join('categories as c', 'c.id', 'pc.category_id')
                .where('c.tenant', tenant)
                .whereNotNull('c.parent_id');
            });
        })
        .select('product_id', 'category_id')
        .from('pc');
      for (const r of rows) out.push({ product_id: r.product_id, category_id: r.category_id, segment_id: '' });
    }
    return out;
  }

  /**
   * Products (in input order, each once) assigned to one of the given active segments of the
   * site, directly or through a category assignment of one of their categories or an ancestor.
   * Assignments count while `at` ∈ [from, to). Driven by the input: the segment set (by key),
   * the products' assignments and the products' categories with their ancestors (recursive, by
   * key), then the assignments of those categories — rows read grow with the products and their
   * category paths, not with the segments' sizes.
   */
  async match(
    tenant: string,
    siteCode: string,
    segmentIds: readonly string[],
    productIds: readonly string[],
    at: number,
  ): Promise<ItemMatch[]> {
    const products = [...new Set(productIds)];
    if (!products.length || !segmentIds.length) return [];
    const [segments, paths] = await Promise.all([
      this.activeSegmentsOfSite(tenant, segmentIds, siteCode, at),
      this.productCategories(tenant, products),
    ]);
    if (!segments.length) return [];
    const categories = [...new Set(paths.map((p) => p.category_id as string))];
    const [directRows, categoryRows] = await Promise.all([
      this.assignedItems(tenant, 'PRODUCT', products, segments, at),
      this.assignedItems(tenant, 'CATEGORY', categories, segments, at),
    ]);
    const direct: MatchRow[] = directRows.map((r) => ({ product_id: r.item_id, category_id: null, segment_id: r.segment_id }));
    const segmentsOf = new Map<string, string[]>();
    for (const r of categoryRows) {
      const list = segmentsOf.get(r.item_id);
      if (list) list.push(r.segment_id);
      else segmentsOf.set(r.item_id, [r.segment_id]);
    }
    const viaCategory: MatchRow[] = paths.flatMap((p) =>
      (segmentsOf.get(p.category_id as string) ?? []).map((segment_id) => ({ ...p, segment_id })),
    );
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
   * Category trees for a member's active segments: every CATEGORY-assigned category with its
   * whole subtree (isSegmentAssigned true) and its ancestors (false). One statement. Segments
   * active and assignments valid at `member.at` (now when unset) count.
   */
  async categoryTrees(tenant: string, member: Membership, siteCode: string | undefined): Promise<CategoryNodeRecord[]> {
    const knex = this.db.knex;
    const segs = knex('segments as s')
      .select('s.id')
      .where('s.tenant', tenant)
      .whereIn('s.id', this.segments.memberSubquery(tenant, member));
    if (siteCode !== undefined) segs.where('s.site_code', siteCode);
    const at = member.at ?? Date.now();
    this.segments.activeCondition(segs, 's', at);
    const assigned = validAt(
      knex('item_assignments').select('item_id').where({ tenant, type: 'CATEGORY' }).whereIn('segment_id', segs),
      null,
      at,
    );
    const rows: (CategoryRow & { assigned: number | string })[] = await knex
      .withRecursive('sub', ['id'], (qb) => {
        qb.select('id')
          .from('categories')
          .where('tenant', tenant)
          .whereIn('id', assigned)
          .union((u) => {
            u.select('c.id').from('categories as c').join('sub', 'c.parent_id', 'sub.id').where('c.tenant', tenant);
          });
      })
      .withRecursive('anc', ['id', 'parent_id'], (qb) => {
        qb.select('id', 'parent_id')
          .from('categories')
          .where('tenant', tenant)
          .whereIn('id', knex.select('id').from('sub'))
          .union((u) => {
            u.select('c.id', 'c.parent_id')
              .from('categories as c')
              .join('anc', 'c.id', 'anc.parent_id')
              .where('c.tenant', tenant);
          });
      })
      .select('c.*', knex.raw('CASE WHEN c.id IN (SELECT id FROM sub) THEN 1 ELSE 0 END AS assigned'))
      .from('categories as c')
      .where('c.tenant', tenant)
      .whereIn('c.id', knex.select('id').from('anc'));
    return buildForest(
      rows.map((r) => ({ category: toCategory(r), isSegmentAssigned: Number(r.assigned) === 1, subcategories: [] })),
    );
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
