import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope, type Viewer } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { notFound } from '../../errors';
import { customerById, legalEntityById } from '../catalog/catalog.loaders';
import { Customer, type CustomerRecord, LegalEntity, type LegalEntityRecord } from '../catalog/catalog.type';
import { ownMembership } from '../segments/segment.access';
import type { Membership } from '../segments/segment.repository';
import type { PageRoot } from '../../graphql/page';
import { selectsIdOnly } from '../../graphql/selection';
import { BulkResult, Segment, type SegmentRecord } from '../segments/segment.type';
import { indexed, validateEach } from '../shared/bulk';
import { parseListArgs } from '../shared/list-args';
import { bulkLimit, checkId } from '../shared/validate';
import {
  CustomerAssignmentBulkInput,
  CustomerAssignmentInput,
  CustomerAssignmentKeyInput,
  CustomerAssignmentsArgs,
  SegmentCustomersArgs,
} from './customer-assignment.inputs';
import {
  clearAssignmentLists,
  customerAssignmentByKey,
  customerCount,
  customersBySegmentId,
  customersPageKey,
} from './customer-assignment.loaders';
import { customerAssignmentFields } from './customer-assignment.repository';
import {
  CustomerAssignment,
  CustomerAssignmentPage,
  customerAssignmentPage,
  type CustomerAssignmentRecord,
  UpsertCustomerAssignmentPayload,
} from './customer-assignment.type';
import { toAssignmentDraft, toAssignmentKey, toBulkAssignmentDraft } from './customer-assignment.validation';

const READERS = [SCOPE.read, SCOPE.readOwn];
const FIRST = { pageNumber: 1, pageSize: 1, offset: 0 };

/**
 * docs/behaviour.md "What segment_read_own sees": `segment_read` reads any existing segment's
 * assignments; `segment_read_own` alone only an active segment the caller belongs to (else 404),
 * and then only its own assignments (the returned membership).
 */
async function readableSegment(
  ctx: Context,
  viewer: Viewer,
  segmentId: string,
  legalEntityId?: string,
): Promise<Membership | undefined> {
  if (hasScope(viewer, SCOPE.read)) {
    if (!(await ctx.loaders.segmentById.load(segmentId))) throw notFound(segmentId);
    return undefined;
  }
  const own = ownMembership(viewer, legalEntityId, ctx.now);
  const [hit] = await ctx.services.segments.list(viewer.tenant, { ids: [segmentId], member: own, activeOnly: true }, [], FIRST);
  if (!hit) throw notFound(segmentId);
  return own;
}

/** On a Segment the caller can already see: everything for segment_read, its own assignments for segment_read_own. */
function ownOnly(viewer: Viewer, now: number): Membership | undefined {
  return hasScope(viewer, SCOPE.read) ? undefined : ownMembership(viewer, undefined, now);
}

export const CustomerAssignmentPageResolver = customerAssignmentPage.PageResolver;

@Resolver(() => CustomerAssignment)
export class CustomerAssignmentResolver {
  @Query(() => CustomerAssignmentPage, {
    description:
      "A segment's customer assignments matching q, paged and sorted. NOT_FOUND when the segment is missing (or, for segment_read_own, not active or not the caller's).",
  })
  async customerAssignments(
    @Args() args: CustomerAssignmentsArgs,
    @Ctx() ctx: Context,
  ): Promise<PageRoot<CustomerAssignmentRecord>> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    const segmentId = checkId(args.segmentId, 'segmentId');
    const legalEntityId = args.legalEntityId == null ? undefined : checkId(args.legalEntityId, 'legalEntityId');
    const { where, sort, paging } = parseListArgs(args, customerAssignmentFields, ctx.services.db.dialect);
    const filter = { where, own: await readableSegment(ctx, viewer, segmentId, legalEntityId) };
    const repo = ctx.services.customerAssignments;
    return {
      pageNumber: paging.pageNumber,
      pageSize: paging.pageSize,
      load: () => repo.list(viewer.tenant, segmentId, filter, sort, paging),
      count: () => repo.count(viewer.tenant, segmentId, filter),
    };
  }

  @Query(() => CustomerAssignment, {
    nullable: true,
    description: 'One assignment (B2C without legalEntityId); null when missing, NOT_FOUND when the segment is missing.',
  })
  async customerAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('customerId', () => ID) customerId: string,
    @Arg('legalEntityId', () => ID, { nullable: true }) legalEntityId: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<CustomerAssignmentRecord | null> {
    requireScope(ctx.viewer, SCOPE.read);
    checkId(segmentId, 'segmentId');
    const key = toAssignmentKey(customerId, legalEntityId);
    const [segment, assignment] = await Promise.all([
      ctx.loaders.segmentById.load(segmentId),
      customerAssignmentByKey(ctx).load({ segmentId, ...key }),
    ]);
    if (!segment) throw notFound(segmentId);
    return assignment;
  }

  /** Looked up only when more than its id is asked for: the assignment holds the id. */
  @FieldResolver(() => Customer)
  customer(
    @Root() a: CustomerAssignmentRecord,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): CustomerRecord | Promise<CustomerRecord> {
    const idOnly: CustomerRecord = { id: a.customerId, firstName: null, lastName: null, email: null };
    if (selectsIdOnly(info)) return idOnly;
    return customerById(ctx)
      .load(a.customerId)
      .then((known) => known ?? idOnly);
  }

  /** Likewise: looked up only when more than its id is asked for. */
  @FieldResolver(() => LegalEntity, { nullable: true })
  legalEntity(
    @Root() a: CustomerAssignmentRecord,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): LegalEntityRecord | null | Promise<LegalEntityRecord | null> {
    if (a.legalEntityId === null) return null;
    const idOnly: LegalEntityRecord = { id: a.legalEntityId, name: null };
    if (selectsIdOnly(info)) return idOnly;
    return legalEntityById(ctx)
      .load(a.legalEntityId)
      .then((known) => known ?? idOnly);
  }

  @FieldResolver(() => Segment, { nullable: true })
  segment(@Root() a: CustomerAssignmentRecord, @Ctx() ctx: Context): Promise<SegmentRecord | null> {
    return ctx.loaders.segmentById.load(a.segmentId);
  }

  @Mutation(() => UpsertCustomerAssignmentPayload, {
    description:
      'Creates the assignment when missing, else replaces its mixins (checking metadata.version when given). NOT_FOUND when the segment is missing.',
  })
  async upsertCustomerAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('customerId', () => ID) customerId: string,
    @Arg('legalEntityId', () => ID, { nullable: true, description: 'Omit for a B2C assignment.' })
    legalEntityId: string | null | undefined,
    @Arg('input', () => CustomerAssignmentInput, { nullable: true }) input: CustomerAssignmentInput | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<UpsertCustomerAssignmentPayload> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    const draft = toAssignmentDraft(toAssignmentKey(customerId, legalEntityId), input);
    const result = await ctx.services.customerAssignments.upsert(viewer.tenant, segmentId, draft);
    const key = { segmentId, customerId: draft.customerId, legalEntityId: draft.legalEntityId };
    customerAssignmentByKey(ctx).clear(key).prime(key, result.assignment);
    clearAssignmentLists(ctx);
    return result;
  }

  @Mutation(() => Boolean, { description: 'Removes the assignment; true also when it (or the segment) did not exist.' })
  async deleteCustomerAssignment(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('customerId', () => ID) customerId: string,
    @Arg('legalEntityId', () => ID, { nullable: true, description: 'Omit for a B2C assignment.' })
    legalEntityId: string | null | undefined,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    const key = toAssignmentKey(customerId, legalEntityId);
    await ctx.services.customerAssignments.delete(viewer.tenant, segmentId, key);
    customerAssignmentByKey(ctx)
      .clear({ segmentId, ...key })
      .prime({ segmentId, ...key }, null);
    clearAssignmentLists(ctx);
    return true;
  }

  @Mutation(() => [BulkResult], {
    description:
      'Upserts up to 200 assignments of one segment; one result per element, in order. NOT_FOUND when the segment is missing.',
  })
  async upsertCustomerAssignments(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('inputs', () => [CustomerAssignmentBulkInput]) inputs: CustomerAssignmentBulkInput[],
    @Ctx() ctx: Context,
  ): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    bulkLimit(inputs, 'inputs');
    const drafts = validateEach(inputs, toBulkAssignmentDraft);
    const results = indexed(await ctx.services.customerAssignments.upsertMany(viewer.tenant, segmentId, drafts));
    customerAssignmentByKey(ctx).clearAll();
    clearAssignmentLists(ctx);
    return results;
  }

  @Mutation(() => [BulkResult], {
    description: 'Removes up to 200 assignments of one segment; 204 for each valid key, whether or not it existed.',
  })
  async deleteCustomerAssignments(
    @Arg('segmentId', () => ID) segmentId: string,
    @Arg('keys', () => [CustomerAssignmentKeyInput]) keys: CustomerAssignmentKeyInput[],
    @Ctx() ctx: Context,
  ): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(segmentId, 'segmentId');
    bulkLimit(keys, 'keys');
    const checked = validateEach(keys, (k) => toAssignmentKey(k.customerId, k.legalEntityId));
    const results = indexed(await ctx.services.customerAssignments.deleteMany(viewer.tenant, segmentId, checked));
    customerAssignmentByKey(ctx).clearAll();
    clearAssignmentLists(ctx);
    return results;
  }
}

/** The customer edges of Segment: batched over every segment of a response (see the loaders). */
@Resolver(() => Segment)
export class SegmentCustomersResolver {
  @FieldResolver(() => CustomerAssignmentPage, {
    description: "The segment's customer assignments (for segment_read_own: the caller's own only).",
  })
  customers(
    @Root() s: SegmentRecord,
    @Args() args: SegmentCustomersArgs,
    @Ctx() ctx: Context,
  ): PageRoot<CustomerAssignmentRecord> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    const { where, sort, paging } = parseListArgs(args, customerAssignmentFields, ctx.services.db.dialect);
    const filter = { where, own: ownOnly(viewer, ctx.now) };
    return {
      pageNumber: paging.pageNumber,
      pageSize: paging.pageSize,
      load: () => customersBySegmentId(ctx).load(customersPageKey(s.id, filter, sort, paging)),
      count: () => customerCount(ctx, s.id, filter),
    };
  }

  @FieldResolver(() => Int, {
    description: "How many customer assignments the segment has (for segment_read_own: the caller's own).",
  })
  customerCount(@Root() s: SegmentRecord, @Ctx() ctx: Context): Promise<number> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    return customerCount(ctx, s.id, { where: [], own: ownOnly(viewer, ctx.now) });
  }
}

/** Every resolver class of this module, registered in graphql/schema.ts. */
export const customerAssignmentResolvers = [
  CustomerAssignmentResolver,
  CustomerAssignmentPageResolver,
  SegmentCustomersResolver,
] as const;
