import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { SCOPE } from '../../auth/scopes';
import { hasScope, requireScope } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { pickLocalized } from '../../i18n/language';
import { indexed, validateEach } from '../shared/bulk';
import { parseListArgs } from '../shared/list-args';
import { bulkLimit, checkId } from '../shared/validate';
import { visibleSegments } from './segment.access';
import { PatchOperationInput, SegmentInput, SegmentsArgs } from './segment.inputs';
import { applySegmentPatch, checkPatchOperations } from './segment.patch';
import { segmentFields, type SegmentFilter } from './segment.repository';
import type { PageRoot } from '../../graphql/page';
import {
  BulkResult,
  type LocalizedMap,
  Segment,
  SegmentPage,
  type SegmentRecord,
  segmentPage,
  UpsertSegmentPayload,
} from './segment.type';
import { toSegmentDraft } from './segment.validation';

const READERS = [SCOPE.read, SCOPE.readOwn];

export const SegmentPageResolver = segmentPage.PageResolver;

@Resolver(() => Segment)
export class SegmentResolver {
  @Query(() => Segment, { nullable: true, description: 'A segment by id; null when missing or not visible to the caller.' })
  async segment(
    @Arg('id', () => ID) id: string,
    @Arg('legalEntityId', () => ID, { nullable: true }) legalEntityId: string | undefined,
    @Ctx() ctx: Context,
  ): Promise<SegmentRecord | null> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    checkId(id, 'id');
    if (hasScope(viewer, SCOPE.read)) return ctx.loaders.segmentById.load(id);
    const filter = { ...visibleSegments(viewer, { legalEntityId }, ctx.now), ids: [id] };
    const [hit] = await ctx.services.segments.list(viewer.tenant, filter, [], { pageNumber: 1, pageSize: 1, offset: 0 });
    return hit ?? null;
  }

  @Query(() => SegmentPage, { description: 'Segments matching q, paged and sorted.' })
  segments(@Args() args: SegmentsArgs, @Ctx() ctx: Context): PageRoot<SegmentRecord> {
    const viewer = requireScope(ctx.viewer, ...READERS);
    const { where, sort, paging } = parseListArgs(args, segmentFields, ctx.services.db.dialect);
    const filter = { ...visibleSegments(viewer, args, ctx.now), where };
    const repo = ctx.services.segments;
    // The membership filter (customerId) is resolved to segment keys once for items and count.
    let keys: Promise<SegmentFilter> | undefined;
    const keyed = () => (keys ??= repo.keyedByMembership(viewer.tenant, filter));
    return {
      pageNumber: paging.pageNumber,
      pageSize: paging.pageSize,
      load: async () => {
        const rows = await repo.list(viewer.tenant, await keyed(), sort, paging);
        // Edges back to these segments (CustomerAssignment.segment, …) then cost no query.
        for (const row of rows) ctx.loaders.segmentById.prime(row.id, row);
        return rows;
      },
      count: async () => repo.count(viewer.tenant, await keyed()),
    };
  }

  @FieldResolver(() => GraphQLJSONObject)
  name(@Root() s: SegmentRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(s.name, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true })
  description(@Root() s: SegmentRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(s.description, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => Boolean)
  isActive(@Root() s: SegmentRecord, @Ctx() ctx: Context): boolean {
    return ctx.services.segments.isActive(s);
  }

  @Mutation(() => Segment, { description: 'Creates a segment; 409 (CONFLICT) when the id exists.' })
  async createSegment(@Arg('input', () => SegmentInput) input: SegmentInput, @Ctx() ctx: Context): Promise<SegmentRecord> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    const segment = await ctx.services.segments.create(viewer.tenant, toSegmentDraft(input, ctx.lang));
    ctx.loaders.segmentById.prime(segment.id, segment);
    return segment;
  }

  @Mutation(() => UpsertSegmentPayload, {
    description: 'Creates the segment when missing, else replaces it (checking metadata.version when given).',
  })
  async upsertSegment(
    @Arg('id', () => ID) id: string,
    @Arg('input', () => SegmentInput) input: SegmentInput,
    @Ctx() ctx: Context,
  ): Promise<UpsertSegmentPayload> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(id, 'id');
    const draft = toSegmentDraft({ ...input, id: undefined }, ctx.lang);
    const result = await ctx.services.segments.upsert(viewer.tenant, id, draft);
    ctx.loaders.segmentById.clear(id).prime(id, result.segment);
    return result;
  }

  @Mutation(() => Segment, { description: 'RFC 6902 JSON Patch on the segment document; id and metadata are read-only.' })
  async patchSegment(
    @Arg('id', () => ID) id: string,
    @Arg('operations', () => [PatchOperationInput]) operations: PatchOperationInput[],
    @Ctx() ctx: Context,
  ): Promise<SegmentRecord> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(id, 'id');
    const checked = checkPatchOperations(operations);
    const segment = await ctx.services.segments.modify(viewer.tenant, id, (current) =>
      applySegmentPatch(current, checked, ctx.lang),
    );
    ctx.loaders.segmentById.clear(id).prime(id, segment);
    return segment;
  }

  @Mutation(() => Boolean, {
    description: 'Deletes a segment (true also when it did not exist). With assignments it needs forceDelete.',
  })
  async deleteSegment(
    @Arg('id', () => ID) id: string,
    @Arg('forceDelete', { defaultValue: false }) forceDelete: boolean,
    @Ctx() ctx: Context,
  ): Promise<boolean> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    checkId(id, 'id');
    await ctx.services.segments.delete(viewer.tenant, id, forceDelete);
    ctx.loaders.segmentById.clear(id);
    return true;
  }

  @Mutation(() => [BulkResult], { description: 'Creates up to 200 segments; one result per element, in order.' })
  async createSegments(@Arg('inputs', () => [SegmentInput]) inputs: SegmentInput[], @Ctx() ctx: Context): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    bulkLimit(inputs, 'inputs');
    const drafts = validateEach(inputs, (input) => toSegmentDraft(input, ctx.lang));
    return indexed(await ctx.services.segments.createMany(viewer.tenant, drafts));
  }

  @Mutation(() => [BulkResult], { description: 'Upserts up to 200 segments (each needs an id).' })
  async upsertSegments(@Arg('inputs', () => [SegmentInput]) inputs: SegmentInput[], @Ctx() ctx: Context): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    bulkLimit(inputs, 'inputs');
    const drafts = validateEach(inputs, (input) => toSegmentDraft(input, ctx.lang));
    return indexed(await ctx.services.segments.upsertMany(viewer.tenant, drafts));
  }

  @Mutation(() => [BulkResult], { description: 'Deletes up to 200 segments; those with assignments need forceDelete.' })
  async deleteSegments(
    @Arg('ids', () => [ID]) ids: string[],
    @Arg('forceDelete', { defaultValue: false }) forceDelete: boolean,
    @Ctx() ctx: Context,
  ): Promise<BulkResult[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    bulkLimit(ids, 'ids');
    const checked = validateEach(ids, (id) => checkId(id, 'id'));
    return indexed(await ctx.services.segments.deleteMany(viewer.tenant, checked, forceDelete));
  }
}
