import type { Knex } from 'knex';
import type { Database, Dialect } from '../../db/knex';
import { inLockOrder } from '../../db/lock-order';
import { jsonOrNull, msToDate, parseJson, toBool, toInt } from '../../db/rows';
import { lockTenant } from '../../db/tenant-lock';
import { withTransaction } from '../../db/transaction';
import { type Membership, type SegmentRepository, toSegmentRecord, validAt } from '../segments/segment.repository';
import type { SegmentRecord } from '../segments/segment.type';
import type { CategoryRecord, CustomerRecord, LegalEntityRecord, ProductRecord } from './catalog.type';
import type { CategoryDraft, CustomerDraft, LegalEntityDraft, ProductDraft } from './catalog.validation';
import { acyclicSubset } from './category.cycles';
import type { ReferenceChanges, RuleEvaluator } from '../rules/rule.evaluator';

interface CustomerRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
  mixins?: string | null;
}
interface LegalEntityRow {
  id: string;
  name: string | null;
  mixins?: string | null;
}
interface ProductRow {
  id: string;
  code: string | null;
  name: string | null;
  mixins?: string | null;
}
export interface CategoryRow {
  id: string;
  parent_id: string | null;
  code: string | null;
  name: string | null;
  description: string | null;
  slug: string | null;
  ecn: string | null;
  validity_from: number | string | null;
  validity_to: number | string | null;
  position: number | string | null;
  published: number | boolean | string;
}

export const toCustomer = (r: CustomerRow): CustomerRecord => ({
  id: r.id,
  firstName: r.first_name,
  lastName: r.last_name,
  email: r.email,
  mixins: parseJson(r.mixins ?? null),
});
export const toLegalEntity = (r: LegalEntityRow): LegalEntityRecord => ({
  id: r.id,
  name: r.name,
  mixins: parseJson(r.mixins ?? null),
});
export const toProduct = (r: ProductRow): ProductRecord => ({
  kind: 'PRODUCT',
  id: r.id,
  code: r.code,
  name: parseJson(r.name),
  mixins: parseJson(r.mixins ?? null),
  known: true,
});
export function toCategory(r: CategoryRow): CategoryRecord {
  const from = msToDate(r.validity_from);
  const to = msToDate(r.validity_to);
  return {
    kind: 'CATEGORY',
    id: r.id,
    parentId: r.parent_id,
    code: r.code,
    name: parseJson(r.name),
    description: parseJson(r.description),
    slug: parseJson(r.slug),
    ecn: parseJson(r.ecn),
    validity: from || to ? { from, to } : null,
    position: r.position === null ? null : toInt(r.position),
    published: toBool(r.published),
    known: true,
  };
}

/** Stand-ins for ids the store does not know: assignments to them still resolve (id alone). */
export const unknownProduct = (id: string): ProductRecord => ({
  kind: 'PRODUCT',
  id,
  code: null,
  name: null,
  mixins: null,
  known: false,
});
export const unknownCategory = (id: string): CategoryRecord => ({
  kind: 'CATEGORY',
  id,
  parentId: null,
  code: null,
  name: null,
  description: null,
  slug: null,
  ecn: null,
  validity: null,
  position: null,
  published: false,
  known: false,
});

/** Reads of the segments edges: active only, and/or only segments of one member (read_own). */
export interface SegmentEdgeFilter {
  activeOnly: boolean;
  member?: Membership;
  /** Item assignments count only when valid at this instant (time-bound); all when unset. */
  at?: number;
}

/** Customer.segments: B2B assignments count for `legalEntityId` only when given; B2C always. */
export interface CustomerSegmentFilter {
  activeOnly: boolean;
  legalEntityId?: string;
  /** Customer assignments count only when valid at this instant (time-bound); all when unset. */
  at?: number;
}

export interface WriteOptions {
  /**
   * Join a transaction the caller already holds (the import's batches), which then owns its
   * retries; without it each write is its own transaction (db/transaction.ts).
   */
  trx?: Knex.Transaction;
}

export interface CategoryWriteOptions extends WriteOptions {
  /**
   * How a category that would become its own ancestor is handled: with this, the whole write
   * fails with the error it returns (a mutation is all or nothing); without it, those
   * categories are left out and reported back (the import goes on with the rest).
   */
  cycleError?: (index: number) => Error;
}

export interface CategoryWriteResult {
  written: number;
  /** Indexes of drafts left out because they would close a cycle. */
  cyclic: number[];
}

type SegmentRowWithKey = Parameters<typeof toSegmentRecord>[0] & { _key: string };

/**
 * Rows per multi-row INSERT. Knex writes SQLite's as `INSERT … SELECT … UNION ALL SELECT …`,
 * and SQLite allows at most 500 terms in a compound SELECT; MySQL takes a VALUES list, bounded
 * here well under its 65,535 placeholders (12 columns × 1,000).
 */
export function rowsPerInsert(dialect: Dialect): number {
  return dialect === 'sqlite' ? 500 : 1000;
}

const CUSTOMER_COLUMNS = ['first_name', 'last_name', 'email', 'mixins'];
const LEGAL_ENTITY_COLUMNS = ['name', 'mixins'];
const PRODUCT_COLUMNS = ['code', 'name', 'mixins'];
const CATEGORY_COLUMNS = [
  'parent_id',
  'code',
  'name',
  'description',
  'slug',
  'ecn',
  'validity_from',
  'validity_to',
  'position',
  'published',
];

/**
 * The reference store: customers, legal entities, products and categories of a tenant, their
 * links, and the segments reached through them. Every write is one transaction of multi-row
 * statements; every read for a loader is one statement for all its keys.
 *
 * Deletions: deleting a category makes its children roots (parent_id NULL: a dangling parent id
 * would silently re-attach them if the id came back) and removes its product links; deleting a
 * product, customer or legal entity removes its links. Assignments are never touched — an
 * assignment to an id the store does not know is valid and resolves with the id alone
 * (docs/behaviour.md "Assignments and reference data").
 *
 * Concurrency: every write locks its owner rows (customers, products, …) first, in id order,
 * and their links after, so concurrent writers of overlapping ids take turns per id instead of
 * deadlocking, and a link set is always one writer's, never a merge of two. Writes that change
 * the category tree also take the tenant's category-tree lock first (see upsertCategories).
 */
export class CatalogRepository {
  constructor(
    protected readonly db: Database,
    protected readonly segments: SegmentRepository,
    /** Segment rules see reference data: a write re-evaluates what it changed (README "Segment rules"). */
    protected readonly rules?: RuleEvaluator,
  ) {}

  // ---- by id (batch functions of the by-id loaders: one query, key order, misses null) ----

  async customersByIds(tenant: string, ids: readonly string[]): Promise<(CustomerRecord | null)[]> {
    const rows: CustomerRow[] = await this.db
      .knex('customers')
      .where('tenant', tenant)
      .whereIn('id', ids as string[]);
    return inKeyOrder(ids, rows.map(toCustomer));
  }

  async legalEntitiesByIds(tenant: string, ids: readonly string[]): Promise<(LegalEntityRecord | null)[]> {
    const rows: LegalEntityRow[] = await this.db
      .knex('legal_entities')
      .where('tenant', tenant)
      .whereIn('id', ids as string[]);
    return inKeyOrder(ids, rows.map(toLegalEntity));
  }

  async productsByIds(tenant: string, ids: readonly string[]): Promise<(ProductRecord | null)[]> {
    const rows: ProductRow[] = await this.db
      .knex('products')
      .where('tenant', tenant)
      .whereIn('id', ids as string[]);
    return inKeyOrder(ids, rows.map(toProduct));
  }

  async categoriesByIds(tenant: string, ids: readonly string[]): Promise<(CategoryRecord | null)[]> {
    const rows: CategoryRow[] = await this.db
      .knex('categories')
      .where('tenant', tenant)
      .whereIn('id', ids as string[]);
    return inKeyOrder(ids, rows.map(toCategory));
  }

  // ---- edges (batch functions: one query for all keys, arrays in key order, misses []) ----

  /** Linked legal entities; a link to one the store does not know comes back with its id alone. */
  async legalEntitiesByCustomerIds(tenant: string, customerIds: readonly string[]): Promise<LegalEntityRecord[][]> {
    const rows: (LegalEntityRow & { _key: string; _id: string })[] = await this.db
      .knex('customer_legal_entities as cle')
      .leftJoin('legal_entities as le', (j) => j.on('le.tenant', 'cle.tenant').andOn('le.id', 'cle.legal_entity_id'))
      .select('cle.customer_id as _key', 'cle.legal_entity_id as _id', 'le.name', 'le.mixins')
      .where('cle.tenant', tenant)
      .whereIn('cle.customer_id', customerIds as string[])
      .orderBy('cle.legal_entity_id');
    return grouped(customerIds, rows, (r) => ({ id: r._id, name: r.name ?? null, mixins: parseJson(r.mixins ?? null) }));
  }

  /** Linked categories in tree order; a link to an unknown category comes back as `known: false`. */
  async categoriesByProductIds(tenant: string, productIds: readonly string[]): Promise<CategoryRecord[][]> {
    const qb = this.db
      .knex('product_categories as pc')
      .leftJoin('categories as c', (j) => j.on('c.tenant', 'pc.tenant').andOn('c.id', 'pc.category_id'))
      .select('pc.product_id as _key', 'pc.category_id as _id', 'c.*')
      .where('pc.tenant', tenant)
      .whereIn('pc.product_id', productIds as string[]);
    const rows: (CategoryRow & { _key: string; _id: string })[] = await treeOrder(qb, 'c', 'pc.category_id');
    return grouped(productIds, rows, (r) => (r.id === null ? unknownCategory(r._id) : toCategory(r)));
  }

  /** Children ordered by position (unset last), then code, then id — as the category trees are. */
  async childrenByParentIds(tenant: string, parentIds: readonly string[]): Promise<CategoryRecord[][]> {
    const qb = this.db
      .knex('categories as c')
      .select('c.parent_id as _key', 'c.*')
      .where('c.tenant', tenant)
      .whereIn('c.parent_id', parentIds as string[]);
    const rows: (CategoryRow & { _key: string })[] = await treeOrder(qb, 'c', 'c.id');
    return grouped(parentIds, rows, toCategory);
  }

  /** Segments of each customer through B2C or B2B assignments; one statement. */
  async segmentsByCustomerIds(
    tenant: string,
    customerIds: readonly string[],
    f: CustomerSegmentFilter,
  ): Promise<SegmentRecord[][]> {
    const knex = this.db.knex;
    const memberships = knex('customer_assignments')
      .distinct('customer_id', 'segment_id')
      .where('tenant', tenant)
      .whereIn('customer_id', customerIds as string[]);
    if (f.legalEntityId !== undefined) memberships.whereIn('legal_entity_id', ['', f.legalEntityId]);
    if (f.at !== undefined) validAt(memberships, null, f.at);
    const qb = knex('segments as s')
      .join(memberships.as('m'), 'm.segment_id', 's.id')
      .select('m.customer_id as _key', 's.*')
      .where('s.tenant', tenant)
      .orderBy(['s.created_at', 's.id']);
    if (f.activeOnly) this.segments.activeCondition(qb, 's', f.at);
    const rows: SegmentRowWithKey[] = await qb;
    return grouped(customerIds, rows, toSegmentRecord);
  }

  /**
   * Segments each product is assigned to, directly (PRODUCT) or through a CATEGORY assignment of
   * one of its categories or any ancestor of them (the match rule). One statement for all keys:
   * a recursive CTE walks up from the products' categories; UNION (not UNION ALL) makes a stray
   * cycle terminate.
   */
  async segmentsByProductIds(tenant: string, productIds: readonly string[], f: SegmentEdgeFilter): Promise<SegmentRecord[][]> {
    const knex = this.db.knex;
    const ids = productIds as string[];
    const qb = knex
      .withRecursive('up', ['key_id', 'category_id'], (q) => {
        q.select('product_id', 'category_id')
          .from('product_categories')
          .where('tenant', tenant)
          .whereIn('product_id', ids)
          .union((u) => this.parentStep(u, tenant));
      })
      .with('hits', ['key_id', 'segment_id'], (q) => {
        q.select('item_id', 'segment_id').from('item_assignments').where({ tenant, type: 'PRODUCT' }).whereIn('item_id', ids);
        if (f.at !== undefined) validAt(q, null, f.at);
        q.union((u) => this.categoryHits(u, tenant, f.at));
      });
    return this.segmentsOfHits(qb, tenant, productIds, f);
  }

  /** Segments each category is assigned to, directly or through an ancestor. One statement. */
  async segmentsByCategoryIds(tenant: string, categoryIds: readonly string[], f: SegmentEdgeFilter): Promise<SegmentRecord[][]> {
    const knex = this.db.knex;
    const ids = categoryIds as string[];
    const qb = knex
      .withRecursive('up', ['key_id', 'category_id'], (q) => {
        // The categories themselves: an unknown id still matches its direct assignments.
        q.select('id', 'id')
          .from('categories')
          .where('tenant', tenant)
          .whereIn('id', ids)
          .union((u) => this.parentStep(u, tenant));
      })
      .with('hits', ['key_id', 'segment_id'], (q) => {
        q.select('item_id', 'segment_id').from('item_assignments').where({ tenant, type: 'CATEGORY' }).whereIn('item_id', ids);
        if (f.at !== undefined) validAt(q, null, f.at);
        q.union((u) => this.categoryHits(u, tenant, f.at));
      });
    return this.segmentsOfHits(qb, tenant, categoryIds, f);
  }

  /** Recursive step of `up`: one level towards the root. */
  private parentStep(u: Knex.QueryBuilder, tenant: string): void {
    u.select('up.key_id', 'c.parent_id')
      .from('up')
      .join('categories as c', 'c.id', 'up.category_id')
      .where('c.tenant', tenant)
      .whereNotNull('c.parent_id');
  }

  /** CATEGORY assignments of any category in `up` (valid at `at`, when given). */
  private categoryHits(u: Knex.QueryBuilder, tenant: string, at?: number): void {
    u.select('up.key_id', 'ia.segment_id')
      .from('up')
      .join('item_assignments as ia', 'ia.item_id', 'up.category_id')
      .where({ 'ia.tenant': tenant, 'ia.type': 'CATEGORY' });
    if (at !== undefined) validAt(u, 'ia', at);
  }

  private async segmentsOfHits(
    qb: Knex.QueryBuilder,
    tenant: string,
    keys: readonly string[],
    f: SegmentEdgeFilter,
  ): Promise<SegmentRecord[][]> {
    qb.select('hits.key_id as _key', 's.*')
      .from('hits')
      .join('segments as s', 's.id', 'hits.segment_id')
      .where('s.tenant', tenant)
      .orderBy(['s.created_at', 's.id']);
    if (f.activeOnly) this.segments.activeCondition(qb, 's', f.at);
    if (f.member) qb.whereIn('s.id', this.segments.memberSubquery(tenant, f.member));
    const rows: SegmentRowWithKey[] = await qb;
    return grouped(keys, rows, toSegmentRecord);
  }

  // ---- writes ----

  /** Upserts customers; `legalEntityIds`, when given, replaces that customer's links. */
  async upsertCustomers(tenant: string, drafts: readonly CustomerDraft[], opts: WriteOptions = {}): Promise<number> {
    if (!drafts.length) return 0;
    return this.inTransaction(opts.trx, async (trx) => {
      const rows = drafts.map((d) => ({
        tenant,
        id: d.id,
        first_name: d.firstName,
        last_name: d.lastName,
        email: d.email,
        mixins: jsonOrNull(d.mixins),
      }));
      await upsertRows(this.db.dialect, trx, 'customers', rows, CUSTOMER_COLUMNS);
      const relinked = drafts.filter((d) => d.legalEntityIds !== undefined);
      await replaceLinks(
        this.db.dialect,
        trx,
        'customer_legal_entities',
        tenant,
        'customer_id',
        relinked.map((d) => d.id),
        relinked.flatMap((d) => (d.legalEntityIds ?? []).map((le) => ({ tenant, customer_id: d.id, legal_entity_id: le }))),
      );
      await this.rules?.applyReferenceChanges(trx, tenant, { customerIds: drafts.map((d) => d.id) });
      return drafts.length;
    });
  }

  async upsertLegalEntities(tenant: string, drafts: readonly LegalEntityDraft[], opts: WriteOptions = {}): Promise<number> {
    if (!drafts.length) return 0;
    return this.inTransaction(opts.trx, async (trx) => {
      await upsertRows(
        this.db.dialect,
        trx,
        'legal_entities',
        drafts.map((d) => ({ tenant, id: d.id, name: d.name, mixins: jsonOrNull(d.mixins) })),
        LEGAL_ENTITY_COLUMNS,
      );
      await this.rules?.applyReferenceChanges(trx, tenant, { legalEntityIds: drafts.map((d) => d.id) });
      return drafts.length;
    });
  }

  /** Upserts products; `categoryIds`, when given, replaces that product's links. */
  async upsertProducts(tenant: string, drafts: readonly ProductDraft[], opts: WriteOptions = {}): Promise<number> {
    if (!drafts.length) return 0;
    return this.inTransaction(opts.trx, async (trx) => {
      const rows = drafts.map((d) => ({
        tenant,
        id: d.id,
        code: d.code,
        name: jsonOrNull(d.name),
        mixins: jsonOrNull(d.mixins),
      }));
      await upsertRows(this.db.dialect, trx, 'products', rows, PRODUCT_COLUMNS);
      const relinked = drafts.filter((d) => d.categoryIds !== undefined);
      await replaceLinks(
        this.db.dialect,
        trx,
        'product_categories',
        tenant,
        'product_id',
        relinked.map((d) => d.id),
        relinked.flatMap((d) => (d.categoryIds ?? []).map((c) => ({ tenant, product_id: d.id, category_id: c }))),
      );
      await this.rules?.applyReferenceChanges(trx, tenant, { productIds: drafts.map((d) => d.id) });
      return drafts.length;
    });
  }

  /**
   * Upserts categories. A parentId the store does not know is kept as given: the category acts
   * as a root until that parent arrives (imports need not be ordered parent-first). A category
   * that would become its own ancestor — through stored categories and this write together —
   * is refused (see CategoryWriteOptions.cycleError).
   *
   * The cycle check reads the stored tree and then writes; two writes checked against the same
   * tree could each pass and together close a cycle (x→y and y→x at once). So every writer of
   * the tree holds the tenant's category-tree lock from before its read until it commits.
   */
  async upsertCategories(
    tenant: string,
    drafts: readonly CategoryDraft[],
    opts: CategoryWriteOptions = {},
  ): Promise<CategoryWriteResult> {
    if (!drafts.length) return { written: 0, cyclic: [] };
    const result = await this.inTransaction(opts.trx, async (trx) => {
      await lockTenant(trx, tenant, 'category-tree');
      const written = new Map(drafts.map((d) => [d.id, d.parentId]));
      const stored = await this.storedAncestry(trx, tenant, [
        ...new Set([...written.keys(), ...[...written.values()].filter((p): p is string => p !== null)]),
      ]);
      const rejected = acyclicSubset(written, stored);
      const cyclic = drafts.flatMap((d, i) => (rejected.has(d.id) ? [i] : []));
      if (cyclic.length && opts.cycleError) throw opts.cycleError(cyclic[0] as number);
      const rows = drafts
        .filter((d) => !rejected.has(d.id))
        .map((d) => ({
          tenant,
          id: d.id,
          parent_id: d.parentId,
          code: d.code,
          name: jsonOrNull(d.name),
          description: jsonOrNull(d.description),
          slug: jsonOrNull(d.slug),
          ecn: jsonOrNull(d.ecn),
          validity_from: d.validityFrom,
          validity_to: d.validityTo,
          position: d.position,
          published: d.published,
        }));
      await upsertRows(this.db.dialect, trx, 'categories', rows, CATEGORY_COLUMNS);
      return { written: rows.length, cyclic };
    });
    // Inside a caller's transaction (the import) the caller does this once, at its end.
    if (!opts.trx && result.written) await this.rules?.evaluateCategoryRules(tenant);
    return result;
  }

  /** Stored (id → parent) of `ids` and all their stored ancestors, in one recursive statement. */
  private async storedAncestry(trx: Knex.Transaction, tenant: string, ids: string[]): Promise<Map<string, string | null>> {
    const rows: { id: string; parent_id: string | null }[] = await trx
      .withRecursive('up', ['id', 'parent_id'], (q) => {
        q.select('id', 'parent_id')
          .from('categories')
          .where('tenant', tenant)
          .whereIn('id', ids)
          .union((u) => {
            u.select('c.id', 'c.parent_id').from('categories as c').join('up', 'c.id', 'up.parent_id').where('c.tenant', tenant);
          });
      })
      .select('id', 'parent_id')
      .from('up');
    return new Map(rows.map((r) => [r.id, r.parent_id]));
  }

  async deleteCustomers(tenant: string, ids: readonly string[], opts: WriteOptions = {}): Promise<number> {
    return this.deleteWithLinks(tenant, 'customers', ids, [['customer_legal_entities', 'customer_id']], opts, {
      customerIds: ids,
    });
  }

  async deleteLegalEntities(tenant: string, ids: readonly string[], opts: WriteOptions = {}): Promise<number> {
    return this.deleteWithLinks(tenant, 'legal_entities', ids, [['customer_legal_entities', 'legal_entity_id']], opts, {
      legalEntityIds: ids,
    });
  }

  async deleteProducts(tenant: string, ids: readonly string[], opts: WriteOptions = {}): Promise<number> {
    return this.deleteWithLinks(tenant, 'products', ids, [['product_categories', 'product_id']], opts, { productIds: ids });
  }

  /** Children of a deleted category become roots; its product links go. Under the tree lock. */
  async deleteCategories(tenant: string, ids: readonly string[], opts: WriteOptions = {}): Promise<number> {
    if (!ids.length) return 0;
    const n = await this.inTransaction(opts.trx, async (trx) => {
      await lockTenant(trx, tenant, 'category-tree');
      await trx('categories')
        .where('tenant', tenant)
        .whereIn('parent_id', ids as string[])
        .update({ parent_id: null });
      return this.deleteWithLinks(tenant, 'categories', ids, [['product_categories', 'category_id']], { trx });
    });
    if (!opts.trx && n) await this.rules?.evaluateCategoryRules(tenant);
    return n;
  }

  private async deleteWithLinks(
    tenant: string,
    table: string,
    ids: readonly string[],
    links: [table: string, column: string][],
    opts: WriteOptions,
    changes: ReferenceChanges = {},
  ): Promise<number> {
    if (!ids.length) return 0;
    return this.inTransaction(opts.trx, async (trx) => {
      // Owners first, then links: the order upserts lock them in.
      const n = await trx(table)
        .where('tenant', tenant)
        .whereIn('id', [...ids].sort())
        .delete();
      for (const [linkTable, column] of links) {
        await trx(linkTable)
          .where('tenant', tenant)
          .whereIn(column, ids as string[])
          .delete();
      }
      // What a rule matched on them is gone: their automatic memberships go too.
      await this.rules?.applyReferenceChanges(trx, tenant, changes);
      return n;
    });
  }

  private inTransaction<T>(trx: Knex.Transaction | undefined, fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
    return trx ? fn(trx) : withTransaction(this.db, fn);
  }
}

/**
 * Multi-row INSERT … ON CONFLICT (tenant, id) MERGE, in chunks of rowsPerInsert, in id order so
 * concurrent writers of overlapping ids lock them in the same order.
 */
async function upsertRows(
  dialect: Dialect,
  trx: Knex.Transaction,
  table: string,
  rows: { id: string }[],
  columns: string[],
): Promise<void> {
  const ordered = inLockOrder(rows, (r) => r.id);
  for (const chunk of chunks(ordered, rowsPerInsert(dialect))) {
    await trx(table).insert(chunk).onConflict(['tenant', 'id']).merge(columns);
  }
}

/** Replaces the links of `owners`: one DELETE … IN, then multi-row INSERTs. */
async function replaceLinks(
  dialect: Dialect,
  trx: Knex.Transaction,
  table: string,
  tenant: string,
  ownerColumn: string,
  owners: string[],
  rows: object[],
): Promise<void> {
  if (!owners.length) return;
  await trx(table).where('tenant', tenant).whereIn(ownerColumn, owners).delete();
  for (const chunk of chunks(rows, rowsPerInsert(dialect))) await trx(table).insert(chunk);
}

export function* chunks<T>(list: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < list.length; i += size) yield list.slice(i, i + size);
}

/**
 * Category rows in tree order: position (unset last — both dialects put NULL first on their
 * own), then code, then `tie` so the order is total.
 */
function treeOrder(qb: Knex.QueryBuilder, alias: string, tie: string): Knex.QueryBuilder {
  return qb.orderByRaw('(?? is null)', [`${alias}.position`]).orderBy([`${alias}.position`, `${alias}.code`, tie]);
}

/** Rows carrying `_key` → one array per key, in key order (misses []): one Map, no scans. */
function grouped<R extends { _key: string }, T>(keys: readonly string[], rows: R[], map: (r: R) => T): T[][] {
  const byKey = new Map<string, T[]>();
  for (const r of rows) {
    let list = byKey.get(r._key);
    if (!list) byKey.set(r._key, (list = []));
    list.push(map(r));
  }
  return keys.map((k) => byKey.get(k) ?? []);
}

/** Results in key order with explicit misses: the DataLoader contract. */
export function inKeyOrder<T extends { id: string }>(ids: readonly string[], records: T[]): (T | null)[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
