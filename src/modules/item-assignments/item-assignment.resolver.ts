import { Arg, Args, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { notFound } from '../../errors';
import { categoryById, productById } from '../catalog/catalog.loaders';
import { unknownCategory, unknownProduct } from '../catalog/catalog.repository';
import { Item, type CategoryRecord, type ProductRecord } from '../catalog/catalog.type';
import { instant, visibleSegments } from '../segments/segment.access';
import type { PageRoot } from '../../graphql/page';
import { BulkResult, Segment, type SegmentRecord } from '../segments/segment.type';
import { indexed, validateEach } from '../shared/bulk';
import { parseListArgs } from '../shared/list-args';
import { bulkLimit, checkId } from '../shared/validate';
import { findVisibleSegment } from './item-assignment.access';
import {
  AllSegmentItemsArgs,
  ItemAssignmentBulkInput,
  ItemAssignmentInput,
  ItemAssignmentsArgs,
  SegmentItemsArgs,
} from './item-assignment.inputs';
import { afterItemWrite, itemAssignmentByKey, itemAssignmentsBySegmentId, itemCount } from './item-assignment.loaders';
import { type ItemKey, itemAssignmentFields } from './item-assignment.repository';
import {
  ItemAssignment,
  ItemAssignmentPage,
  itemAssignmentPage,
  type ItemAssignmentRecord,
  ItemType,
  UpsertItemAssignmentPayload,
} from './item-assignment.type';
import { toItemAssignmentBulkDraft, toItemAssignmentDraft } from './item-assignment.validation';

const READERS = [SCOPE.read, SCOPE.readOwn];

export const ItemAssignmentPageResolver = itemAssignmentPage.PageResolver;

@Resolver(() => ItemAssignment)
export class ItemAssignmentResolver {
  @Query(() => ItemAssignmentPage, {
    description:
      "A segment's item assignments matching q, paged and sorted. NOT_FOUND when the segment is missing or not visible.",
  })
  async itemAssignments(@Args() args: ItemAssignmentsArgs, @Ctx() ctx: Context): Promise<PageRoot<ItemAssignmentRecord>> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    const { where, sort, paging } = parseListArgs(args, itemAssignmentFields, ctx.services.db.dialect);
    const segment = await findVisibleSegment(ctx, viewer, args.segmentId, args.legalEntityId);
    if (!segment) throw notFound(args.segmentId);
    const filter = { segmentIds: [segment.id], where };
    const repo = ctx.services.itemAssignments;
    return {
      pageNumber: paging.pageNumber,
      pageSize: paging.pageSize,
      load: () => repo.list(viewer.tenant, filter, sort, paging),
      count: () => repo.count(viewer.tenant, filter),
    };
  }

  @Query(() => ItemAssignmentPage, {
    description:
      'Item assignments across all segments (GET /segments/items). A caller with segment_read_own alone sees ' +
      'only items of the active segments it belongs to; siteCode and onlyActive narrow the segments.',
  })
  segmentItems(@Args() args: AllSegmentItemsArgs, @Ctx() ctx: Context): PageRoot<ItemAssignmentRecord> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    const { where, sort, paging } = parseListArgs(args, itemAssignmentFields, ctx.services.db.dialect);
    const siteCode = args.siteCode ?? undefined;
    const own = !hasScope(viewer, SCOPE.read);
    const asked = instant(args.at);
    const at = own ? (asked ?? ctx.now) : asked;
    const { member } = visibleSegments(viewer, { legalEntityId: own ? args.legalEntityId : undefined, at: args.at }, ctx.now);
    const segments = { siteCode, activeOnly: own || args.onlyActive === true, member, at };
    const filter = { where, segments };
    const repo = ctx.services.itemAssignments;
    return {
      pageNumber: paging.pageNumber,
      pageSize: paging.pageSize,
      load: () => repo.list(viewer.tenant, filter, sort, paging),
      count: () => repo.count(viewer.tenant, filter),
    };
  }

  @Query(() => ItemAssignment, {
    nullable: true,
    description: 'One item assignment; null when missing. NOT_FOUND when the segment is missing or not visible.',
  })
  async itemAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('itemId', () => ID) itemId: string,
    @Arg('legalEntityId', () => ID, { nullable: true, description: 'For segment_read_own: narrows B2B membership.' })
    legalEntityId: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<ItemAssignmentRecord | null> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    checkId(itemId, 'itemId');
    const segment = await findVisibleSegment(ctx, viewer, segmentId, legalEntityId);
    if (!segment) throw notFound(segmentId);
    return itemAssignmentByKey(ctx).load({ segmentId, type, itemId });
  }

  /** Product or Category by the assignment's type; their own resolvers narrow `name` to Accept-Language. */
  @FieldResolver(() => Item)
  async item(@Root() a: ItemAssignmentRecord, @Ctx() ctx: Context): Promise<ProductRecord | CategoryRecord> {
    if (a.type === ItemType.CATEGORY) return (await categoryById(ctx).load(a.itemId)) ?? unknownCategory(a.itemId);
    return (await productById(ctx).load(a.itemId)) ?? unknownProduct(a.itemId);
  }

  @FieldResolver(() => Segment, { nullable: true })
  segment(@Root() a: ItemAssignmentRecord, @Ctx() ctx: Context): Promise<SegmentRecord | null> {
    requireScope(ctx.viewer, ...READERS);
    return ctx.loaders.segmentById.load(a.segmentId);
  }

  @Mutation(() => UpsertItemAssignmentPayload, {
    description:
      'Assigns an item to a segment, or replaces the assignment (checking metadata.version when given). NOT_FOUND when the segment is missing.',
  })
  async upsertItemAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('itemId', () => ID) itemId: string,
    @Arg('input', () => ItemAssignmentInput, { nullable: true }) input: ItemAssignmentInput | undefined,
    @Ctx() ctx: Context,
  ): Promise<UpsertItemAssignmentPayload> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const key = { segmentId: checkId(segmentId, 'segmentId'), type, itemId: checkId(itemId, 'itemId') };
    const result = await ctx.services.itemAssignments.upsert(viewer.tenant, key, toItemAssignmentDraft(input));
    afterItemWrite(ctx, segmentId, [result.assignment]);
    return result;
  }

  @Mutation(() => Boolean, { description: 'Removes an item assignment; true also when it (or its segment) did not exist.' })
  async deleteItemAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('itemId', () => ID) itemId: string,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const key = { segmentId: checkId(segmentId, 'segmentId'), type, itemId: checkId(itemId, 'itemId') };
    await ctx.services.itemAssignments.delete(viewer.tenant, key);
    afterItemWrite(ctx, segmentId, [key]);
    return true;
  }

  @Mutation(() => [BulkResult], {
    description: 'Upserts up to 200 assignments of one type under a segment; one result per element, in order.',
  })
  async upsertItemAssignments(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('inputs', () => [ItemAssignmentBulkInput]) inputs: ItemAssignmentBulkInput[],
    @Ctx() ctx: Context,
  ): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    bulkLimit(inputs, 'inputs');
    const drafts = validateEach(inputs, toItemAssignmentBulkDraft);
    const results = await ctx.services.itemAssignments.upsertMany(viewer.tenant, segmentId, type, drafts);
    const written = itemKeys(
      segmentId,
      type,
      inputs.map((input) => input.id),
    );
    afterItemWrite(ctx, segmentId, written);
    return indexed(results);
  }

  @Mutation(() => [BulkResult], {
    description: 'Removes up to 200 assignments of one type under a segment; each is 204 whether or not it existed.',
  })
  async deleteItemAssignments(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('type', () => ItemType) type: ItemType,
    @Arg('itemIds', () => [ID]) itemIds: string[],
    @Ctx() ctx: Context,
  ): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    bulkLimit(itemIds, 'itemIds');
    const checked = validateEach(itemIds, (id) => checkId(id, 'id'));
    const results = await ctx.services.itemAssignments.deleteMany(viewer.tenant, segmentId, type, checked);
    afterItemWrite(ctx, segmentId, itemKeys(segmentId, type, itemIds));
    return indexed(results);
  }
}

function itemKeys(segmentId: string, type: ItemType, itemIds: readonly unknown[]): ItemKey[] {
  return itemIds.filter((id): id is string => typeof id === 'string').map((itemId) => ({ segmentId, type, itemId }));
}

/** The item edges of Segment: one query per batch of segments, whatever their number. */
@Resolver(() => Segment)
export class SegmentItemsResolver {
  @FieldResolver(() => ItemAssignmentPage, { description: 'Items assigned to this segment, paged like `itemAssignments`.' })
  items(@Root() s: SegmentRecord, @Args() args: SegmentItemsArgs, @Ctx() ctx: Context): PageRoot<ItemAssignmentRecord> {
    requireScope(ctx.viewer, ...READERS);
    const list = parseListArgs(args, itemAssignmentFields, ctx.services.db.dialect);
    const argsKey = JSON.stringify([args.q ?? null, args.sort ?? null, list.paging.pageNumber, list.paging.pageSize]);
    return {
      pageNumber: list.paging.pageNumber,
      pageSize: list.paging.pageSize,
      load: () => itemAssignmentsBySegmentId(ctx, list, argsKey).load(s.id),
      count: () => itemCount(ctx, s.id, list, args.q ?? undefined),
    };
  }

  @FieldResolver(() => Int, { description: 'How many items are assigned to this segment.' })
  itemCount(@Root() s: SegmentRecord, @Ctx() ctx: Context): Promise<number> {
    requireScope(ctx.viewer, ...READERS);
    return itemCount(ctx, s.id, { where: [] }, undefined);
  }
}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const itemAssignmentResolvers = [ItemAssignmentResolver, ItemAssignmentPageResolver, SegmentItemsResolver] as const;
