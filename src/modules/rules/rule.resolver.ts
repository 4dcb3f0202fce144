import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { BadInputError, notFound } from '../../errors';
import { parsePaging } from '../../query/paging';
import { QueryError } from '../../query/errors';
import { customerById, legalEntityById, productById } from '../catalog/catalog.loaders';
import {
  Customer,
  type CustomerRecord,
  LegalEntity,
  type LegalEntityRecord,
  Product,
  type ProductRecord,
} from '../catalog/catalog.type';
import { ItemType } from '../item-assignments/item-assignment.type';
import { Segment, type SegmentRecord } from '../segments/segment.type';
import { checkId } from '../shared/validate';
import { optionalRuleText, parseRule } from './rule.parse';
import type { CustomerMatchRow } from './rule.repository';
import {
  CustomerExclusion,
  RuleCustomerMatch,
  RuleItemMatch,
  RulePreview,
  RuleStatus,
  type RuleStatusRecord,
  SegmentExclusions,
} from './rule.type';

const MAX_SAMPLE = 100;

const automaticCounts = (ctx: Context) =>
  ctx.loaders.get('automaticCountsBySegmentId', (ids: readonly string[]) =>
    ctx.services.ruleRepository.automaticCounts(ctx.viewer?.tenant ?? '', ids),
  );

/**
 * Segment rules on the graph: a segment's rules and their status (for `segment_read`: a rule is
 * business logic a customer token need not see), a preview that saves nothing, and exclusions.
 */
@Resolver(() => Segment)
export class SegmentRuleResolver {
  @FieldResolver(() => String, { nullable: true })
  customerRule(@Root() s: SegmentRecord, @Ctx() ctx: Context): string | null {
    return ctx.viewer && hasScope(ctx.viewer, SCOPE.read) ? s.customerRule : null;
  }

  @FieldResolver(() => String, { nullable: true })
  itemRule(@Root() s: SegmentRecord, @Ctx() ctx: Context): string | null {
    return ctx.viewer && hasScope(ctx.viewer, SCOPE.read) ? s.itemRule : null;
  }

  @FieldResolver(() => RuleStatus, {
    nullable: true,
    description: 'Null for a segment that has never had a rule (and for callers without segment_read).',
  })
  ruleStatus(@Root() s: SegmentRecord, @Ctx() ctx: Context): RuleStatusRecord | null {
    if (!s.ruleRun || !ctx.viewer || !hasScope(ctx.viewer, SCOPE.read)) return null;
    return { segmentId: s.id, lastEvaluatedAt: s.ruleRun.evaluatedAt, durationMs: s.ruleRun.durationMs, error: s.ruleRun.error };
  }
}

@Resolver(() => RuleStatus)
export class RuleStatusResolver {
  @FieldResolver(() => Int)
  async automaticCount(@Root() r: RuleStatusRecord, @Ctx() ctx: Context): Promise<number> {
    const c = await automaticCounts(ctx).load(r.segmentId);
    return c.customers + c.items;
  }

  @FieldResolver(() => Int)
  async automaticCustomerCount(@Root() r: RuleStatusRecord, @Ctx() ctx: Context): Promise<number> {
    return (await automaticCounts(ctx).load(r.segmentId)).customers;
  }

  @FieldResolver(() => Int)
  async automaticItemCount(@Root() r: RuleStatusRecord, @Ctx() ctx: Context): Promise<number> {
    return (await automaticCounts(ctx).load(r.segmentId)).items;
  }
}

@Resolver(() => RuleCustomerMatch)
export class RuleCustomerMatchResolver {
  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() m: CustomerMatchRow, @Ctx() ctx: Context): Promise<CustomerRecord | null> {
    return customerById(ctx).load(m.customerId);
  }

  @FieldResolver(() => LegalEntity, { nullable: true })
  async legalEntity(@Root() m: CustomerMatchRow, @Ctx() ctx: Context): Promise<LegalEntityRecord | null> {
    return m.legalEntityId ? legalEntityById(ctx).load(m.legalEntityId) : null;
  }
}

@Resolver(() => RuleItemMatch)
export class RuleItemMatchResolver {
  @FieldResolver(() => Product, { nullable: true })
  product(@Root() m: { itemId: string }, @Ctx() ctx: Context): Promise<ProductRecord | null> {
    return productById(ctx).load(m.itemId);
  }
}

@Resolver(() => CustomerExclusion)
export class CustomerExclusionResolver {
  @FieldResolver(() => Customer, { nullable: true })
  customer(@Root() e: { customerId: string }, @Ctx() ctx: Context): Promise<CustomerRecord | null> {
    return customerById(ctx).load(e.customerId);
  }
}

@Resolver()
export class RuleResolver {
  @Query(() => RulePreview, {
    description: 'What these rules would match now (count and the first matches), without saving anything.',
  })
  async previewSegmentRule(
    @Arg('customerRule', () => String, { nullable: true }) customerRule: string | null,
    @Arg('itemRule', () => String, { nullable: true }) itemRule: string | null,
    @Arg('sampleSize', () => Int, { defaultValue: 10, description: 'At most 100.' }) sampleSize: number,
    @Ctx() ctx: Context,
  ): Promise<RulePreview> {
    const viewer = requireScope(ctx.viewer, SCOPE.read);
    if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > MAX_SAMPLE) {
      throw new BadInputError(`sampleSize must be an integer from 0 to ${MAX_SAMPLE}`, 'sampleSize');
    }
    const dialect = ctx.services.db.dialect;
    const c = parseRule('customer', optionalRuleText(customerRule, 'customer') ?? '', dialect);
    const i = parseRule('item', optionalRuleText(itemRule, 'item') ?? '', dialect);
    if (!c && !i) throw new BadInputError('Give a customerRule, an itemRule or both', 'customerRule');
    const repo = ctx.services.ruleRepository;
    const customers = c ? await repo.previewCustomers(viewer.tenant, c, sampleSize) : null;
    const items = i ? await repo.previewItems(viewer.tenant, i, sampleSize) : null;
    return {
      count: (customers?.count ?? 0) + (items?.count ?? 0),
      customers,
      items: items && { count: items.count, sample: items.sample.map((itemId) => ({ itemId })) },
    };
  }

  @Query(() => SegmentExclusions, {
    description: 'Members removed by hand from a rule segment, which its rules do not add back.',
  })
  async segmentExclusions(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('pageNumber', () => Int, { nullable: true }) pageNumber: number | undefined,
    @Arg('pageSize', () => Int, { nullable: true }) pageSize: number | undefined,
    @Ctx() ctx: Context,
  ): Promise<SegmentExclusions> {
    const viewer = requireScope(ctx.viewer, SCOPE.read);
    checkId(segmentId, 'segmentId');
    let paging;
    try {
      paging = parsePaging(pageNumber, pageSize);
    } catch (e) {
      if (e instanceof QueryError) throw new BadInputError(e.message, e.field);
      throw e;
    }
    if (!(await ctx.loaders.segmentById.load(segmentId))) throw notFound(segmentId);
    const repo = ctx.services.ruleRepository;
    return {
      customers: await repo.customerExclusions(viewer.tenant, segmentId, paging.pageSize, paging.offset),
      items: await repo.itemExclusions(viewer.tenant, segmentId, paging.pageSize, paging.offset),
    };
  }

  @Mutation(() => Boolean, {
    description: 'Removes a customer exclusion (true also when there was none); the rule may then take the member back.',
  })
  async deleteCustomerExclusion(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('customerId', () => ID) customerId: string,
    @Arg('legalEntityId', () => ID, { nullable: true }) legalEntityId: string | null,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    checkId(customerId, 'customerId');
    if (legalEntityId != null) checkId(legalEntityId, 'legalEntityId');
    await ctx.services.ruleRepository.deleteCustomerExclusion(viewer.tenant, segmentId, customerId, legalEntityId ?? null);
    return true;
  }

  @Mutation(() => Boolean, {
    description: 'Removes an item exclusion (true also when there was none); the rule may then take the item back.',
  })
  async deleteItemExclusion(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('itemId', () => ID) itemId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    checkId(itemId, 'itemId');
    await ctx.services.ruleRepository.deleteItemExclusion(viewer.tenant, segmentId, type, itemId);
    return true;
  }
}

export const ruleResolvers = [
  SegmentRuleResolver,
  RuleStatusResolver,
  RuleCustomerMatchResolver,
  RuleItemMatchResolver,
  CustomerExclusionResolver,
  RuleResolver,
] as const;
