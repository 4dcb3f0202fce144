import type DataLoader from 'dataloader';
import type { Context } from '../../graphql/context';
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
