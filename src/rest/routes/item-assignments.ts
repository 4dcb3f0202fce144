import { SCOPE } from '../../auth/scopes';
import { BadInputError, notFound } from '../../errors';
import {
  type ItemType,
  RestDeleteItemAssignmentDocument,
  RestDeleteItemAssignmentsDocument,
  RestItemAssignmentDocument,
  RestItemAssignmentsDocument,
  RestSegmentItemsDocument,
  RestUpsertItemAssignmentDocument,
  RestUpsertItemAssignmentsDocument,
} from '../__generated__/operations';
import { type AnyRoute, type RestRequest, route } from '../adapter';
import { itemAssignmentBody } from '../bodies';
import { bodyArray, bodyObject, boolParam, searchQ, strParam, listParams } from '../params';

/** The item-assignment endpoints of the contract: seven per segment, and GET /segments/items. */
const MANAGE = [SCOPE.manage];
const READ = [SCOPE.read, SCOPE.readOwn];

/** A `fields` projection always keeps the assignment's identifying ids (docs/behaviour.md). */
const ITEM_KEEP = [['segmentId'], ['type'], ['item', 'id']];

const ITEM_TYPES = new Set<string>(['PRODUCT', 'CATEGORY']);

/**
 * The `{type}` path parameter: PRODUCT or CATEGORY in any case (docs/behaviour.md), upper-cased
 * here so the GraphQL enum receives its own spelling and anything else is a 400 naming `type`.
 */
export function itemType(req: RestRequest): ItemType {
  const type = String(req.params.type).toUpperCase();
  if (!ITEM_TYPES.has(type)) throw new BadInputError('type must be PRODUCT or CATEGORY', 'type');
  return type as ItemType;
}

/** The PUT body is optional (ItemAssignmentUpsert has no required field); when present, an object. */
function upsertBody(req: RestRequest): Record<string, unknown> {
  return req.body === undefined ? {} : bodyObject(req);
}

function listVariables(req: RestRequest, q: string | undefined) {
  return { ...listParams(req, q), segmentId: req.params.segmentId, legalEntityId: strParam(req, 'legalEntityId') };
}

type ItemData = Parameters<typeof itemAssignmentBody>[0];

const itemList = {
  document: RestItemAssignmentsDocument,
  keep: ITEM_KEEP,
  respond: (data: { itemAssignments: { items: ItemData[]; totalCount?: number | null } }) => ({
    status: 200,
    body: data.itemAssignments.items.map(itemAssignmentBody),
    total: data.itemAssignments.totalCount ?? undefined,
  }),
};

export const itemAssignmentRoutes: AnyRoute[] = [
  route({
    operationId: 'GET-customer-segment-retrieve-segments-items',
    method: 'GET',
    path: '/segments/items',
    scopes: [SCOPE.readOwn, SCOPE.read],
    document: RestSegmentItemsDocument,
    keep: ITEM_KEEP,
    variables: (req) => ({
      ...listParams(req, strParam(req, 'q')),
      siteCode: strParam(req, 'siteCode'),
      onlyActive: boolParam(req, 'onlyActive'),
      legalEntityId: strParam(req, 'legalEntityId'),
      at: strParam(req, 'at'),
    }),
    respond: (data) => ({
      status: 200,
      body: data.segmentItems.items.map(itemAssignmentBody),
      total: data.segmentItems.totalCount ?? undefined,
    }),
  }),
  route({
    operationId: 'GET-customer-segment-retrieve-segment-items',
    method: 'GET',
    path: '/segments/:segmentId/items',
    scopes: READ,
    variables: (req) => listVariables(req, strParam(req, 'q')),
    ...itemList,
  }),
  route({
    operationId: 'POST-customer-segment-search-items',
    method: 'POST',
    path: '/segments/:segmentId/items/search',
    scopes: READ,
    variables: (req) => listVariables(req, searchQ(req)),
    ...itemList,
  }),
  route({
    operationId: 'GET-customer-segment-retrieve-item',
    method: 'GET',
    path: '/segments/:segmentId/items/:type/:itemId',
    scopes: READ,
    document: RestItemAssignmentDocument,
    keep: ITEM_KEEP,
    variables: (req) => ({
      segmentId: req.params.segmentId,
      type: itemType(req),
      itemId: req.params.itemId,
      legalEntityId: strParam(req, 'legalEntityId'),
    }),
    respond: (data, req) => {
      if (!data.itemAssignment) throw notFound(req.params.itemId);
      return { status: 200, body: itemAssignmentBody(data.itemAssignment) };
    },
  }),
  route({
    operationId: 'PUT-customer-segment-update-item',
    method: 'PUT',
    path: '/segments/:segmentId/items/:type/:itemId',
    scopes: MANAGE,
    document: RestUpsertItemAssignmentDocument,
    variables: (req) => ({
      segmentId: req.params.segmentId,
      type: itemType(req),
      itemId: req.params.itemId,
      input: upsertBody(req),
    }),
    respond: (data) => ({ status: data.upsertItemAssignment.created ? 201 : 204 }),
  }),
  route({
    operationId: 'DELETE-customer-segment-remove-item',
    method: 'DELETE',
    path: '/segments/:segmentId/items/:type/:itemId',
    scopes: MANAGE,
    document: RestDeleteItemAssignmentDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, type: itemType(req), itemId: req.params.itemId }),
    respond: () => ({ status: 204 }),
  }),
  // `/bulk` is a static segment, so the router prefers it over `:itemId` (docs/behaviour.md).
  route({
    operationId: 'PUT-customer-segment-update-items-bulk',
    method: 'PUT',
    path: '/segments/:segmentId/items/:type/bulk',
    scopes: MANAGE,
    document: RestUpsertItemAssignmentsDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, type: itemType(req), inputs: bodyArray(req) }),
    bulk: { variable: 'inputs', results: (data) => data.upsertItemAssignments },
  }),
  route({
    operationId: 'DELETE-customer-segment-remove-items-bulk',
    method: 'DELETE',
    path: '/segments/:segmentId/items/:type/bulk',
    scopes: MANAGE,
    document: RestDeleteItemAssignmentsDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, type: itemType(req), itemIds: bodyArray(req) }),
    bulk: { variable: 'itemIds', results: (data) => data.deleteItemAssignments },
  }),
];
