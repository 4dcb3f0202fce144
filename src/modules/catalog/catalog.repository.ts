import type { Database } from '../../db/knex';
import { msToDate, parseJson, toBool, toInt } from '../../db/rows';
import type { SegmentRepository } from '../segments/segment.repository';
import type { CategoryRecord, CustomerRecord, LegalEntityRecord, ProductRecord } from './catalog.type';

interface CustomerRow {
  id: string;
  first_name: string | null;
  last_name: string | null;
  email: string | null;
}
interface LegalEntityRow {
  id: string;
  name: string | null;
}
interface ProductRow {
  id: string;
  code: string | null;
  name: string | null;
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
});
export const toLegalEntity = (r: LegalEntityRow): LegalEntityRecord => ({ id: r.id, name: r.name });
export const toProduct = (r: ProductRow): ProductRecord => ({
  kind: 'PRODUCT',
  id: r.id,
  code: r.code,
  name: parseJson(r.name),
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
export const unknownProduct = (id: string): ProductRecord => ({ kind: 'PRODUCT', id, code: null, name: null, known: false });
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

/** The reference store: customers, legal entities, products and categories of a tenant. */
export class CatalogRepository {
  constructor(
    protected readonly db: Database,
    protected readonly segments: SegmentRepository,
  ) {}

  /** Batch functions of the by-id loaders: one query, key order, misses null. */
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
}

/** Results in key order with explicit misses: the DataLoader contract. */
export function inKeyOrder<T extends { id: string }>(ids: readonly string[], records: T[]): (T | null)[] {
  const byId = new Map(records.map((r) => [r.id, r]));
  return ids.map((id) => byId.get(id) ?? null);
}
