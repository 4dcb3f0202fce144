import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Query, Resolver, Root } from 'type-graphql';
import { GraphQLDateTimeISO, GraphQLJSONObject } from 'graphql-scalars';
import { SCOPE } from '../../auth/scopes';
import { requireScope } from '../../auth/viewer';
import type { Context } from '../../graphql/context';
import { BadInputError } from '../../errors';
import { selectsField } from '../../graphql/selection';
import { pickLocalized } from '../../i18n/language';
import { AT_DESCRIPTION as AT, instant } from '../segments/segment.access';
import { type LocalizedMap, Validity } from '../segments/segment.type';
import { limits } from '../../limits';
import { checkLength } from '../shared/input-limits';
import { checkId } from '../shared/validate';
import { CategoryNode, type CategoryNodeRecord, ItemMatch } from './storefront.type';
import { treeRequest } from './tree-request';

export const MAX_MATCH_ITEMS = 1000;

@Resolver(() => CategoryNode)
export class StorefrontResolver {
  @Query(() => [ItemMatch], {
    description:
      'Which of these products the given active segments of a site cover, directly or through a category ' +
      '(or an ancestor of it), and why. Unknown segment ids are ignored.',
  })
  async matchItems(
    @Arg('siteCode') siteCode: string,
    @Arg('segmentIds', () => [ID]) segmentIds: string[],
    @Arg('productIds', () => [ID]) productIds: string[],
    @Arg('at', () => GraphQLDateTimeISO, { nullable: true, description: AT }) at: Date | undefined,
    @Ctx() ctx: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ItemMatch[]> {
    const viewer = requireScope(ctx.viewer, SCOPE.manage);
    if (siteCode.trim() === '') throw new BadInputError('siteCode must not be empty', 'siteCode');
    checkLength(siteCode, 'siteCode', limits().textLength);
    if (productIds.length > MAX_MATCH_ITEMS) {
      throw new BadInputError(`productIds: at most ${MAX_MATCH_ITEMS} per request, got ${productIds.length}`, 'productIds');
    }
    if (segmentIds.length > MAX_MATCH_ITEMS) {
      throw new BadInputError(`segmentIds: at most ${MAX_MATCH_ITEMS} per request`, 'segmentIds');
    }
    productIds.forEach((id, i) => checkId(id, `productIds[${i}]`));
    segmentIds.forEach((id, i) => checkId(id, `segmentIds[${i}]`));
    const when = instant(at) ?? ctx.now;
    const { storefront } = ctx.services;
    if (selectsField(info, 'reasons')) return storefront.match(viewer.tenant, siteCode, segmentIds, productIds, when);
    // Which products, not why (POST /segments/match): one reason each is enough, found far more
    // cheaply than all of them; `reasons` is not selected, so it is never read.
    const ids = await storefront.matchingProducts(viewer.tenant, siteCode, segmentIds, productIds, when);
    return ids.map((productId) => ({ productId, reasons: [] }));
  }

  @Query(() => [CategoryNode], {
    description:
      'Category trees of the active segments a customer belongs to: assigned categories and their subtrees ' +
      '(isSegmentAssigned true) with their ancestors (false). A customer token gets its own; a caller with ' +
      'segment_read may name any customerId.',
  })
  categoryTrees(
    @Arg('siteCode', () => String, { nullable: true }) siteCode: string | undefined,
    @Arg('legalEntityId', () => ID, { nullable: true }) legalEntityId: string | undefined,
    @Arg('customerId', () => ID, { nullable: true }) customerId: string | undefined,
    @Arg('at', () => GraphQLDateTimeISO, { nullable: true, description: AT }) at: Date | undefined,
    @Ctx() ctx: Context,
  ): Promise<CategoryNodeRecord[]> {
    return ctx.services.categoryTrees.trees(treeRequest(ctx, { siteCode, legalEntityId, customerId, at }));
  }

  @FieldResolver(() => ID)
  id(@Root() n: CategoryNodeRecord): string {
    return n.category.id;
  }

  @FieldResolver(() => ID, { nullable: true })
  parentId(@Root() n: CategoryNodeRecord): string | null {
    return n.category.parentId;
  }

  @FieldResolver(() => String, { nullable: true })
  code(@Root() n: CategoryNodeRecord): string | null {
    return n.category.code;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true })
  name(@Root() n: CategoryNodeRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(n.category.name, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true })
  localizedDescription(@Root() n: CategoryNodeRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(n.category.description, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true })
  localizedSlug(@Root() n: CategoryNodeRecord, @Ctx() ctx: Context): LocalizedMap | null {
    return pickLocalized(n.category.slug, ctx.lang.accept, ctx.lang.defaultLanguage);
  }

  @FieldResolver(() => [String], { nullable: true })
  ecn(@Root() n: CategoryNodeRecord): string[] | null {
    return n.category.ecn;
  }

  @FieldResolver(() => Validity, { nullable: true })
  validity(@Root() n: CategoryNodeRecord): Validity | null {
    return n.category.validity;
  }

  @FieldResolver(() => Int, { nullable: true })
  position(@Root() n: CategoryNodeRecord): number | null {
    return n.category.position;
  }

  @FieldResolver(() => Boolean)
  published(@Root() n: CategoryNodeRecord): boolean {
    return n.category.published;
  }
}

export const storefrontResolvers = [StorefrontResolver] as const;
