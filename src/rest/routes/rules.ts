import { SCOPE } from '../../auth/scopes';
import {
  RestDeleteCustomerExclusionDocument,
  RestDeleteItemExclusionDocument,
  RestSegmentExclusionsDocument,
} from '../__generated__/operations';
import { type AnyRoute, route } from '../adapter';
import { intParam } from '../params';
import { itemType } from './item-assignments';

/**
 * Extensions of the contract (README "Segment rules"): the exclusions of a rule segment —
 * members removed by hand, which the rule does not add back — listed and removable. Same
 * conventions as the documented routes: Error bodies, 404 for a missing segment on GET, 204 for
 * every DELETE.
 */
const MANAGE = [SCOPE.manage];
const READ = [SCOPE.read];

const present = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined)) as Partial<T>;

export const ruleRoutes: AnyRoute[] = [
  route({
    operationId: 'x-GET-segment-exclusions',
    method: 'GET',
    path: '/segments/:segmentId/exclusions',
    scopes: READ,
    document: RestSegmentExclusionsDocument,
    variables: (req) => ({
      segmentId: req.params.segmentId,
      pageNumber: intParam(req, 'pageNumber'),
      pageSize: intParam(req, 'pageSize'),
    }),
    respond: (data) => ({
      status: 200,
      body: {
        customers: data.segmentExclusions.customers.map((c) => present({ ...c, __typename: undefined })),
        items: data.segmentExclusions.items.map((i) => present({ ...i, __typename: undefined })),
      },
    }),
  }),
  route({
    operationId: 'x-DELETE-segment-customer-exclusion',
    method: 'DELETE',
    path: '/segments/:segmentId/exclusions/customers/:customerId',
    scopes: MANAGE,
    document: RestDeleteCustomerExclusionDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, customerId: req.params.customerId, legalEntityId: null }),
    respond: () => ({ status: 204 }),
  }),
  route({
    operationId: 'x-DELETE-segment-customer-exclusion-b2b',
    method: 'DELETE',
    path: '/segments/:segmentId/exclusions/customers/:customerId/:legalEntityId',
    scopes: MANAGE,
    document: RestDeleteCustomerExclusionDocument,
    variables: (req) => ({
      segmentId: req.params.segmentId,
      customerId: req.params.customerId,
      legalEntityId: req.params.legalEntityId,
    }),
    respond: () => ({ status: 204 }),
  }),
  route({
    operationId: 'x-DELETE-segment-item-exclusion',
    method: 'DELETE',
    path: '/segments/:segmentId/exclusions/items/:type/:itemId',
    scopes: MANAGE,
    document: RestDeleteItemExclusionDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, type: itemType(req), itemId: req.params.itemId }),
    respond: () => ({ status: 204 }),
  }),
];
