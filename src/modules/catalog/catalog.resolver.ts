import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope, type Viewer } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { BadInputError, ForbiddenError } from '../../errors';
import { pickLocalized } from '../../i18n/language';
import { AT_DESCRIPTION as AT, instant, ownMembership } from '../segments/segment.access';
import { Segment, type LocalizedMap, type SegmentRecord } from '../segments/segment.type';
import { bulkLimit, checkId } from '../shared/validate';
import { CategoryInput, CustomerInput, LegalEntityInput, ProductInput } from './catalog.inputs';
import {
  categoriesByProductId,
  categoryById,
  childrenByCategoryId,
  customerById,
  legalEntitiesByCustomerId,
  legalEntityById,
  productById,
  segmentsByCategoryId,
  segmentsByCustomerId,
  segmentsByProductId,
} from './catalog.loaders';
import type { SegmentEdgeFilter } from './catalog.repository';
import {
  Category,
  type CategoryRecord,
  Customer,
  type CustomerRecord,
  LegalEntity,
  type LegalEntityRecord,
  Product,
  type ProductRecord,
} from './catalog.type';
import {
  MAX_WRITE_ELEMENTS,
  toCategoryDraft,
  toCustomerDraft,
  toLegalEntityDraft,
  toProductDraft,
  validateAll,
  validateIds,
} from './catalog.validation';

const READERS = [SCOPE.read, SCOPE.readOwn];

/** `segment_read_own` alone may look at one customer only: itself. */
function requireCustomerAccess(ctx: Context, customerId: string): Viewer {
  const viewer = requireScope(ctx.viewer, ...READERS);
  if (!hasScope(viewer, SCOPE.read) && viewer.customerId !== customerId) {
    throw new ForbiddenError('customersegment.segment_read_own reads only the caller’s own customer.');
  }
  return viewer;
}

/** What the item segments edges may show: everything for readers, own active segments for read_own. */
function itemEdgeFilter(ctx: Context, activeOnly: boolean | null | undefined, at: Date | null): SegmentEdgeFilter {
  const viewer = requireScope(ctx.viewer, ...READERS);
  const asked = instant(at);
  // What members get counts time-bound assignments while valid: now, or `at`; all of them only
  // for an administrator asking for inactive segments too.
  if (hasScope(viewer, SCOPE.read)) {
    return { activeOnly: activeOnly ?? true, at: asked ?? (activeOnly === false ? undefined : ctx.now) };
  }
  return { activeOnly: true, member: ownMembership(viewer, undefined, asked ?? ctx.now), at: asked ?? ctx.now };
}

function idList(ids: readonly string[]): string[] {
  bulkLimit(ids, 'ids', MAX_WRITE_ELEMENTS);
  return ids.map((id, i) => checkId(id, `ids[${i}]`));
}

@Resolver(() => Customer)
export class CustomerResolver {
  @Query(() => Customer, {
    nullable: true,
    description: 'A customer of the reference store; null when unknown. segment_read_own: only the caller itself.',
  })
  customer(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CustomerRecord | null> {
    requireScope(ctx.viewer, ...READERS); // 403 before 400 (docs/behaviour.md "Order of checks")
    requireCustomerAccess(ctx, checkId(id, 'id'));
    return customerById(ctx).load(id);
  }

  @FieldResolver(() => [LegalEntity], { description: 'Legal entities the customer acts for.' })
  legalEntities(@Root() customer: CustomerRecord, @Ctx() ctx: Context): Promise<LegalEntityRecord[]> {
    requireCustomerAccess(ctx, customer.id);
    return legalEntitiesByCustomerId(ctx).load(customer.id);
  }

  @FieldResolver(() => [Segment], {
    description:
      'Segments the customer belongs to through B2C assignments, or B2B ones (only for legalEntityId when given). ' +
      'segment_read_own: only the caller itself, active segments only.',
  })
  segments(
    @Root() customer: CustomerRecord,
    @Arg('activeOnly', () => Boolean, { nullable: true, defaultValue: true }) activeOnly: boolean | null,
    @Arg('legalEntityId', () => ID, { nullable: true }) legalEntityId: string | null,
    @Arg('at', () => GraphQLDateTimeISO, { nullable: true, description: AT }) at: Date | null,
    @Ctx() ctx: Context,
  ): Promise<SegmentRecord[]> {
    const viewer = requireCustomerAccess(ctx, customer.id);
    const chosen = legalEntityId == null ? undefined : checkId(legalEntityId, 'legalEntityId');
    const asked = instant(at);
    const filter = hasScope(viewer, SCOPE.read)
      ? { activeOnly: activeOnly ?? true, legalEntityId: chosen, at: asked ?? (activeOnly === false ? undefined : ctx.now) }
      : // docs/behaviour.md: the parameter, else the token's claim, else all legal entities; active only.
        { activeOnly: true, legalEntityId: chosen ?? viewer.legalEntityId, at: asked ?? ctx.now };
    return segmentsByCustomerId(ctx, filter).load(customer.id);
  }

  @Mutation(() => Int, {
    description: `Creates or replaces up to ${MAX_WRITE_ELEMENTS} customers, all or nothing; returns how many were written.`,
  })
  async upsertCustomers(@Arg('input', () => [CustomerInput]) input: CustomerInput[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const drafts = validateAll(input, 'input', toCustomerDraft);
    const n = await ctx.services.catalog.upsertCustomers(viewer.tenant, drafts);
    for (const d of drafts) {
      customerById(ctx).clear(d.id);
      legalEntitiesByCustomerId(ctx).clear(d.id);
    }
    return n;
  }

  @Mutation(() => Int, {
    description: 'Deletes customers and their legal-entity links (assignments stay); returns how many existed.',
  })
  async deleteCustomers(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const checked = validateIds(ids);
    const n = await ctx.services.catalog.deleteCustomers(viewer.tenant, checked);
    for (const id of checked) {
      customerById(ctx).clear(id);
      legalEntitiesByCustomerId(ctx).clear(id);
    }
    return n;
  }
}

@Resolver(() => LegalEntity)
export class LegalEntityResolver {
  @Mutation(() => Int, {
    description: `Creates or replaces up to ${MAX_WRITE_ELEMENTS} legal entities, all or nothing; returns how many were written.`,
  })
  async upsertLegalEntities(
    @Arg('input', () => [LegalEntityInput]) input: LegalEntityInput[],
    @Ctx() ctx: Context,
  ): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const drafts = validateAll(input, 'input', toLegalEntityDraft);
    const n = await ctx.services.catalog.upsertLegalEntities(viewer.tenant, drafts);
    for (const d of drafts) legalEntityById(ctx).clear(d.id);
    legalEntitiesByCustomerId(ctx).clearAll();
    return n;
  }

  @Mutation(() => Int, {
    description: 'Deletes legal entities and their customer links (assignments stay); returns how many existed.',
  })
  async deleteLegalEntities(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const checked = validateIds(ids);
    const n = await ctx.services.catalog.deleteLegalEntities(viewer.tenant, checked);
    for (const id of checked) legalEntityById(ctx).clear(id);
    legalEntitiesByCustomerId(ctx).clearAll();
    return n;
  }
}

@Resolver(() => Product)
export class ProductResolver {
  @Query(() => Product, { nullable: true, description: 'A product of the reference store; null when unknown.' })
  product(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<ProductRecord | null> {
    requireScope(ctx.viewer, ...READERS);
    return productById(ctx).load(checkId(id, 'id'));
  }

  @Query(() => [Product], {
    nullable: 'items',
    description: `Products by id (at most ${MAX_WRITE_ELEMENTS}), in the order asked; null for unknown ids.`,
  })
  async products(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<(ProductRecord | null)[]> {
    requireScope(ctx.viewer, ...READERS);
    return productById(ctx).loadMany(idList(ids)) as Promise<(ProductRecord | null)[]>;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  name(@Root() p: ProductRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(p.name, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => [Category], { description: 'Categories the product is in, in tree order.' })
  categories(@Root() p: ProductRecord, @Ctx() ctx: Context): Promise<CategoryRecord[]> {
    return categoriesByProductId(ctx).load(p.id);
  }

  @FieldResolver(() => [Segment], {
    description:
      'Segments the product is assigned to directly, or through one of its categories or an ancestor of them. ' +
      'segment_read_own: only active segments the caller belongs to.',
  })
  segments(
    @Root() p: ProductRecord,
    @Arg('activeOnly', () => Boolean, { nullable: true, defaultValue: true }) activeOnly: boolean | null,
    @Arg('at', () => GraphQLDateTimeISO, { nullable: true, description: AT }) at: Date | null,
    @Ctx() ctx: Context,
  ): Promise<SegmentRecord[]> {
    return segmentsByProductId(ctx, itemEdgeFilter(ctx, activeOnly, at)).load(p.id);
  }

  @Mutation(() => Int, {
    description: `Creates or replaces up to ${MAX_WRITE_ELEMENTS} products, all or nothing; returns how many were written.`,
  })
  async upsertProducts(@Arg('input', () => [ProductInput]) input: ProductInput[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const drafts = validateAll(input, 'input', (x, path) => toProductDraft(x, path, ctx.lang));
    const n = await ctx.services.catalog.upsertProducts(viewer.tenant, drafts);
    for (const d of drafts) {
      productById(ctx).clear(d.id);
      categoriesByProductId(ctx).clear(d.id);
    }
    return n;
  }

  @Mutation(() => Int, { description: 'Deletes products and their category links (assignments stay); returns how many existed.' })
  async deleteProducts(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const checked = validateIds(ids);
    const n = await ctx.services.catalog.deleteProducts(viewer.tenant, checked);
    for (const id of checked) {
      productById(ctx).clear(id);
      categoriesByProductId(ctx).clear(id);
    }
    return n;
  }
}

@Resolver(() => Category)
export class CategoryResolver {
  @Query(() => Category, { nullable: true, description: 'A category of the reference store; null when unknown.' })
  category(@Arg('id', () => ID) id: string, @Ctx() ctx: Context): Promise<CategoryRecord | null> {
    requireScope(ctx.viewer, ...READERS);
    return categoryById(ctx).load(checkId(id, 'id'));
  }

  @Query(() => [Category], {
    nullable: 'items',
    description: `Categories by id (at most ${MAX_WRITE_ELEMENTS}), in the order asked; null for unknown ids.`,
  })
  async categories(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<(CategoryRecord | null)[]> {
    requireScope(ctx.viewer, ...READERS);
    return categoryById(ctx).loadMany(idList(ids)) as Promise<(CategoryRecord | null)[]>;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  name(@Root() c: CategoryRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(c.name, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  description(@Root() c: CategoryRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(c.description, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Language → text; follows Accept-Language.' })
  slug(@Root() c: CategoryRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(c.slug, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => Category, { nullable: true, description: 'Null for a root, or while the parent is not in the store.' })
  async parent(@Root() c: CategoryRecord, @Ctx() ctx: Context): Promise<CategoryRecord | null> {
    return c.parentId === null ? null : categoryById(ctx).load(c.parentId);
  }

  @FieldResolver(() => [Category], { description: 'Subcategories ordered by position (unset last), then code.' })
  children(@Root() c: CategoryRecord, @Ctx() ctx: Context): Promise<CategoryRecord[]> {
    return childrenByCategoryId(ctx).load(c.id);
  }

  @FieldResolver(() => [Segment], {
    description:
      'Segments the category is assigned to directly or through an ancestor. ' +
      'segment_read_own: only active segments the caller belongs to.',
  })
  segments(
    @Root() c: CategoryRecord,
    @Arg('activeOnly', () => Boolean, { nullable: true, defaultValue: true }) activeOnly: boolean | null,
    @Arg('at', () => GraphQLDateTimeISO, { nullable: true, description: AT }) at: Date | null,
    @Ctx() ctx: Context,
  ): Promise<SegmentRecord[]> {
    return segmentsByCategoryId(ctx, itemEdgeFilter(ctx, activeOnly, at)).load(c.id);
  }

  @Mutation(() => Int, {
    description:
      `Creates or replaces up to ${MAX_WRITE_ELEMENTS} categories, all or nothing; returns how many were written. ` +
      'A category that would become its own ancestor is a BAD_USER_INPUT.',
  })
  async upsertCategories(@Arg('input', () => [CategoryInput]) input: CategoryInput[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const drafts = validateAll(input, 'input', (x, path) => toCategoryDraft(x, path, ctx.lang));
    const { written } = await ctx.services.catalog.upsertCategories(viewer.tenant, drafts, {
      cycleError: (i) =>
        new BadInputError(`input[${i}].parentId: the category would become its own ancestor`, `input[${i}].parentId`),
    });
    for (const d of drafts) categoryById(ctx).clear(d.id);
    childrenByCategoryId(ctx).clearAll();
    categoriesByProductId(ctx).clearAll();
    return written;
  }

  @Mutation(() => Int, {
    description:
      'Deletes categories; their children become roots and their product links go (assignments stay). ' +
      'Returns how many existed.',
  })
  async deleteCategories(@Arg('ids', () => [ID]) ids: string[], @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const checked = validateIds(ids);
    const n = await ctx.services.catalog.deleteCategories(viewer.tenant, checked);
    categoryById(ctx).clearAll();
    childrenByCategoryId(ctx).clearAll();
    categoriesByProductId(ctx).clearAll();
    return n;
  }
}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const catalogResolvers = [CustomerResolver, LegalEntityResolver, ProductResolver, CategoryResolver] as const;
