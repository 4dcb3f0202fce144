import { GraphQLDateTimeISO } from 'graphql-scalars';
import { SCOPE } from '../../auth/scopes';
import { MAX_MATCH_ITEMS } from '../../modules/storefront/storefront.resolver';
import { treeRequest } from '../../modules/storefront/tree-request';
import { BadInputError } from '../../errors';
import { checkId, isPlainObject } from '../../modules/shared/validate';
import { RestCategoryTreesDocument, RestMatchItemsDocument } from '../__generated__/operations';
import { type AnyRoute, type RestRequest, route } from '../adapter';
import { categoryNodeBody } from '../bodies';
import { bodyObject, strParam } from '../params';

/**
 * POST /segments/match: `items: [{id}]` become product ids; the site may come as `siteCode`
 * (the contract's example) or `site` (its schema). A missing site is left out so GraphQL's
 * own check names `siteCode`.
 */
function matchVariables(req: RestRequest) {
  const body = bodyObject(req);
  if (!Array.isArray(body.items)) throw new BadInputError('items must be an array of {id}', 'items');
  // Before the elements are checked, and named as the client wrote it (GraphQL's is productIds).
  if (body.items.length > MAX_MATCH_ITEMS) {
    throw new BadInputError(`items: at most ${MAX_MATCH_ITEMS} products per request, got ${body.items.length}`, 'items');
  }
  const productIds = body.items.map((item: unknown, i: number) => {
    if (!isPlainObject(item) || typeof item.id !== 'string' || item.id === '') {
      throw new BadInputError(`items[${i}].id must be a non-empty string`, `items[${i}].id`);
    }
    return checkId(item.id, `items[${i}].id`);
  });
  const site = body.siteCode ?? body.site;
  // `at` (an extension): a query parameter, so the documented body stays as it is.
  return { siteCode: site ?? undefined, segmentIds: body.segmentIds, productIds, at: strParam(req, 'at') };
}

export const storefrontRoutes: AnyRoute[] = [
  route({
    operationId: 'POST-customer-segment-check-match',
    method: 'POST',
    path: '/segments/match',
    scopes: [SCOPE.manage],
    document: RestMatchItemsDocument,
    variables: matchVariables,
    respond: (data) => ({ status: 200, body: data.matchItems.map((m) => ({ id: m.productId })) }),
  }),
  route({
    operationId: 'GET-customer-segment-retrieve-category-trees',
    method: 'GET',
    path: '/segments/items/category-trees',
    scopes: [SCOPE.readOwn],
    document: RestCategoryTreesDocument,
    variables: (req) => ({
      siteCode: strParam(req, 'siteCode'),
      legalEntityId: strParam(req, 'legalEntityId'),
      at: strParam(req, 'at'),
    }),
    respond: (data) => ({ status: 200, body: data.categoryTrees.map(categoryNodeBody) }),
    // Kept built and serialized while exact (modules/storefront/tree-cache.ts), with an ETag.
    cached: (ctx, v) =>
      ctx.services.categoryTrees.rest(
        treeRequest(ctx, {
          siteCode: v.siteCode as string | undefined,
          legalEntityId: v.legalEntityId as string | undefined,
          at: v.at == null ? undefined : (GraphQLDateTimeISO.parseValue(v.at) as Date),
        }),
        ctx.lang,
      ),
  }),
];
