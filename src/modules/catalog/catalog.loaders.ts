import type DataLoader from 'dataloader';
import type { Context } from '../../graphql/context';
import type { SegmentRecord } from '../segments/segment.type';
import type { CustomerSegmentFilter, SegmentEdgeFilter } from './catalog.repository';
import type { CategoryRecord, CustomerRecord, LegalEntityRecord, ProductRecord } from './catalog.type';

/** Per-request loaders of the reference store (one query per batch, tenant from the viewer). */
const tenantOf = (ctx: Context): string => ctx.viewer?.tenant ?? '';

export const customerById = (ctx: Context): DataLoader<string, CustomerRecord | null> =>
  ctx.loaders.get('customerById', (ids: readonly string[]) => ctx.services.catalog.customersByIds(tenantOf(ctx), ids));

export const legalEntityById = (ctx: Context): DataLoader<string, LegalEntityRecord | null> =>
  ctx.loaders.get('legalEntityById', (ids: readonly string[]) => ctx.services.catalog.legalEntitiesByIds(tenantOf(ctx), ids));

export const productById = (ctx: Context): DataLoader<string, ProductRecord | null> =>
  ctx.loaders.get('productById', (ids: readonly string[]) => ctx.services.catalog.productsByIds(tenantOf(ctx), ids));

export const categoryById = (ctx: Context): DataLoader<string, CategoryRecord | null> =>
  ctx.loaders.get('categoryById', (ids: readonly string[]) => ctx.services.catalog.categoriesByIds(tenantOf(ctx), ids));

export const legalEntitiesByCustomerId = (ctx: Context): DataLoader<string, LegalEntityRecord[]> =>
  ctx.loaders.get('legalEntitiesByCustomerId', (ids: readonly string[]) =>
    ctx.services.catalog.legalEntitiesByCustomerIds(tenantOf(ctx), ids),
  );

export const categoriesByProductId = (ctx: Context): DataLoader<string, CategoryRecord[]> =>
  ctx.loaders.get('categoriesByProductId', (ids: readonly string[]) =>
    ctx.services.catalog.categoriesByProductIds(tenantOf(ctx), ids),
  );

export const childrenByCategoryId = (ctx: Context): DataLoader<string, CategoryRecord[]> =>
  ctx.loaders.get('childrenByCategoryId', (ids: readonly string[]) =>
    ctx.services.catalog.childrenByParentIds(tenantOf(ctx), ids),
  );

// The segments edges take arguments: one loader per distinct argument set, named after it, so a
// query asking `segments` and `segments(activeOnly: false)` on many products sends two batches.
// The member restriction comes from the viewer, which is fixed for the request.

export const segmentsByCustomerId = (ctx: Context, f: CustomerSegmentFilter): DataLoader<string, SegmentRecord[]> =>
  ctx.loaders.get(`segmentsByCustomerId:${f.activeOnly}:${f.legalEntityId ?? '*'}:${f.at ?? ''}`, (ids: readonly string[]) =>
    ctx.services.catalog.segmentsByCustomerIds(tenantOf(ctx), ids, f),
  );

export const segmentsByProductId = (ctx: Context, f: SegmentEdgeFilter): DataLoader<string, SegmentRecord[]> =>
  ctx.loaders.get(`segmentsByProductId:${edgeKey(f)}`, (ids: readonly string[]) =>
    ctx.services.catalog.segmentsByProductIds(tenantOf(ctx), ids, f),
  );

export const segmentsByCategoryId = (ctx: Context, f: SegmentEdgeFilter): DataLoader<string, SegmentRecord[]> =>
  ctx.loaders.get(`segmentsByCategoryId:${edgeKey(f)}`, (ids: readonly string[]) =>
    ctx.services.catalog.segmentsByCategoryIds(tenantOf(ctx), ids, f),
  );

const edgeKey = (f: SegmentEdgeFilter): string =>
  `${f.activeOnly}:${f.at ?? ''}:${f.member ? `${f.member.customerId}\u0000${f.member.legalEntityId ?? '*'}` : '*'}`;
