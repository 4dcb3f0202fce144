import { SCOPE } from '../../auth/scopes';
import { notFound } from '../../errors';
import {
  RestCreateSegmentDocument,
  RestCreateSegmentsDocument,
  RestDeleteSegmentDocument,
  RestDeleteSegmentsDocument,
  RestPatchSegmentDocument,
  RestSegmentDocument,
  RestSegmentsDocument,
  RestUpsertSegmentDocument,
  RestUpsertSegmentsDocument,
} from '../__generated__/operations';
import { type AnyRoute, type RestRequest, route } from '../adapter';
import { segmentBody } from '../bodies';
import { bodyArray, bodyObject, boolParam, searchQ, strParam, listParams } from '../params';

/** The ten segment endpoints of the contract. */
const MANAGE = [SCOPE.manage];
const READ = [SCOPE.read, SCOPE.readOwn];

const SEGMENT_KEEP = [['id']];

function listVariables(req: RestRequest, q: string | undefined) {
  return {
    ...listParams(req, q),
    customerId: strParam(req, 'customerId'),
    legalEntityId: strParam(req, 'legalEntityId'),
    // An extension (README "Time-bound membership"): with customerId, or for segment_read_own.
    at: strParam(req, 'at'),
  };
}

const segmentList = {
  document: RestSegmentsDocument,
  keep: SEGMENT_KEEP,
  respond: (data: { segments: { items: Parameters<typeof segmentBody>[0][]; totalCount?: number | null } }) => ({
    status: 200,
    body: data.segments.items.map(segmentBody),
    total: data.segments.totalCount ?? undefined,
  }),
};

export const segmentRoutes: AnyRoute[] = [
  route({
    operationId: 'POST-customer-segment-create-segment',
    method: 'POST',
    path: '/segments',
    scopes: MANAGE,
    document: RestCreateSegmentDocument,
    variables: (req) => ({ input: bodyObject(req) }),
    respond: (data) => ({ status: 201, body: { id: data.createSegment.id } }),
  }),
  route({
    operationId: 'GET-customer-segment-retrieve-segments',
    method: 'GET',
    path: '/segments',
    scopes: READ,
    variables: (req) => listVariables(req, strParam(req, 'q')),
    ...segmentList,
  }),
  route({
    operationId: 'POST-customer-segment-search-segments',
    method: 'POST',
    path: '/segments/search',
    scopes: READ,
    variables: (req) => listVariables(req, searchQ(req)),
    ...segmentList,
  }),
  route({
    operationId: 'GET-customer-segment-retrieve-segment',
    method: 'GET',
    path: '/segments/:segmentId',
    scopes: READ,
    document: RestSegmentDocument,
    keep: SEGMENT_KEEP,
    variables: (req) => ({ id: req.params.segmentId, legalEntityId: strParam(req, 'legalEntityId') }),
    respond: (data, req) => {
      if (!data.segment) throw notFound(req.params.segmentId);
      return { status: 200, body: segmentBody(data.segment) };
    },
  }),
  route({
    operationId: 'PUT-customer-segment-update-segment',
    method: 'PUT',
    path: '/segments/:segmentId',
    scopes: MANAGE,
    document: RestUpsertSegmentDocument,
    variables: (req) => ({ id: req.params.segmentId, input: bodyObject(req) }),
    respond: (data) =>
      data.upsertSegment.created ? { status: 201, body: { id: data.upsertSegment.segment.id } } : { status: 204 },
  }),
  route({
    operationId: 'PATCH-customer-segment-update-segment',
    method: 'PATCH',
    path: '/segments/:segmentId',
    scopes: MANAGE,
    document: RestPatchSegmentDocument,
    variables: (req) => ({ id: req.params.segmentId, operations: bodyArray(req, 100) }),
    respond: () => ({ status: 204 }),
  }),
  route({
    operationId: 'DELETE-customer-segment-remove-segment',
    method: 'DELETE',
    path: '/segments/:segmentId',
    scopes: MANAGE,
    document: RestDeleteSegmentDocument,
    variables: (req) => ({ id: req.params.segmentId, forceDelete: boolParam(req, 'forceDelete') }),
    respond: () => ({ status: 204 }),
  }),
  route({
    operationId: 'POST-customer-segment-create-segments-bulk',
    method: 'POST',
    path: '/segments/bulk',
    scopes: MANAGE,
    document: RestCreateSegmentsDocument,
    variables: (req) => ({ inputs: bodyArray(req) }),
    bulk: { variable: 'inputs', results: (data) => data.createSegments },
  }),
  route({
    operationId: 'PUT-customer-segment-update-segments-bulk',
    method: 'PUT',
    path: '/segments/bulk',
    scopes: MANAGE,
    document: RestUpsertSegmentsDocument,
    variables: (req) => ({ inputs: bodyArray(req) }),
    bulk: { variable: 'inputs', results: (data) => data.upsertSegments },
  }),
  route({
    operationId: 'DELETE-customer-segment-remove-segments-bulk',
    method: 'DELETE',
    path: '/segments/bulk',
    scopes: MANAGE,
    document: RestDeleteSegmentsDocument,
    variables: (req) => ({ ids: bodyArray(req), forceDelete: boolParam(req, 'forceDelete') }),
    bulk: { variable: 'ids', results: (data) => data.deleteSegments },
  }),
];
