import type { Knex } from 'knex';
import type { Database } from '../../db/knex';
import { type CategoryRow, toCategory } from '../catalog/catalog.repository';
import { type Membership, type SegmentRepository, validAt } from '../segments/segment.repository';
import { type CategoryNodeRecord, type ItemMatch, MatchVia } from './storefront.type';

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

  /** Active segments of `siteCode` among `ids`: the match rule's segment set, as a subquery. */
  private activeSegmentsOfSite(tenant: string, ids: readonly string[], siteCode: string, at: number): Knex.QueryBuilder {
    const qb = this.db
      .knex('segments as s')
      .select('s.id')
      .where('s.tenant', tenant)
      .whereIn('s.id', ids as string[]);
    qb.where('s.site_code', siteCode);
    this.segments.activeCondition(qb, 's', at);
    return qb;
  }

  /**
   * Products (in input order, each once) assigned to one of the given active segments of the
   * site, directly or through a category assignment of one of their categories or an ancestor.
   * Two statements whatever the number of products. Assignments count while `at` ∈ [from, to).
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
    const knex = this.db.knex;
    const direct: Promise<MatchRow[]> = validAt(
      knex('item_assignments as ia')
        .select('ia.item_id as product_id', knex.raw('NULL as category_id'), 'ia.segment_id')
        .where({ 'ia.tenant': tenant, 'ia.type': 'PRODUCT' })
        .whereIn('ia.item_id', products)
        .whereIn('ia.segment_id', this.activeSegmentsOfSite(tenant, segmentIds, siteCode, at)),
      'ia',
      at,
    );
    const viaCategory: Promise<MatchRow[]> = validAt(
      knex
        .withRecursive('pc', ['product_id', 'category_id'], (qb) => {
          qb.select('product_id', 'category_id')
            .from('product_categories')
            .where('tenant', tenant)
            .whereIn('product_id', products)
            .union((u) => {
              u.select('pc.product_id', 'c.parent_id')
                .from('pc')
                .join('categories as c', 'c.id', 'pc.category_id')
                .where('c.tenant', tenant)
                .whereNotNull('c.parent_id');
            });
        })
        .select('pc.product_id', 'pc.category_id', 'ia.segment_id')
        .from('pc')
        .join('item_assignments as ia', 'ia.item_id', 'pc.category_id')
        .where({ 'ia.tenant': tenant, 'ia.type': 'CATEGORY' })
        .whereIn('ia.segment_id', this.activeSegmentsOfSite(tenant, segmentIds, siteCode, at)),
      'ia',
      at,
    );
    const rows = [...(await direct), ...(await viaCategory)];
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
