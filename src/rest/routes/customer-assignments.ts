import { SCOPE } from '../../auth/scopes';
import { BadInputError, notFound } from '../../errors';
import { isPlainObject } from '../../modules/shared/validate';
import {
  type CustomerAssignmentFieldsFragment,
  RestCustomerAssignmentDocument,
  RestCustomerAssignmentsDocument,
  RestDeleteCustomerAssignmentDocument,
  RestDeleteCustomerAssignmentsDocument,
  RestUpsertCustomerAssignmentDocument,
  RestUpsertCustomerAssignmentsDocument,
} from '../__generated__/operations';
import { type AnyRoute, type RestRequest, route } from '../adapter';
import { customerAssignmentBody } from '../bodies';
import { bodyArray, searchQ, strParam, listParams } from '../params';

/** The ten customer-assignment endpoints of the contract. */
const MANAGE = [SCOPE.manage];
const READ = [SCOPE.read];
const READ_OR_OWN = [SCOPE.read, SCOPE.readOwn];

/** docs/behaviour.md: a projection keeps an assignment's identifying ids. */
const ASSIGNMENT_KEEP = [
  ['customer', 'id'],
  ['legalEntity', 'id'],
];

const CUSTOMERS = '/segments/:segmentId/customers';

function listVariables(req: RestRequest, q: string | undefined) {
  return { ...listParams(req, q), segmentId: req.params.segmentId, legalEntityId: strParam(req, 'legalEntityId') };
}

const assignmentList = {
  document: RestCustomerAssignmentsDocument,
  keep: ASSIGNMENT_KEEP,
  respond: (data: { customerAssignments: { items: CustomerAssignmentFieldsFragment[]; totalCount?: number | null } }) => ({
    status: 200,
    body: data.customerAssignments.items.map(customerAssignmentBody),
    total: data.customerAssignments.totalCount ?? undefined,
  }),
};

/** The B2B routes pass the legal entity as it came, '' included: an empty one is a 400, not B2C. */
function keyVariables(req: RestRequest, b2b: boolean) {
  return {
    segmentId: req.params.segmentId,
    customerId: req.params.customerId,
    legalEntityId: b2b ? (req.params.legalEntityId ?? '') : undefined,
  };
}

/** The upsert body is optional (an assignment needs nothing but its key); when sent, an object. */
function upsertBody(req: RestRequest): Record<string, unknown> | undefined {
  if (req.body === undefined || req.body === null || req.body === '') return undefined;
  if (!isPlainObject(req.body)) throw new BadInputError('The request body must be a JSON object', 'body');
  return req.body;
}

function singleRoutes(b2b: boolean): AnyRoute[] {
  const path = b2b ? `${CUSTOMERS}/:customerId/:legalEntityId` : `${CUSTOMERS}/:customerId`;
  return [
    route({
      operationId: b2b ? 'GET-customer-segment-retrieve-customer' : 'GET-customer-segment-retrieve-customer-by-customerId',
      method: 'GET',
      path,
      scopes: READ,
      document: RestCustomerAssignmentDocument,
      keep: ASSIGNMENT_KEEP,
      variables: (req) => keyVariables(req, b2b),
      respond: (data, req) => {
        if (!data.customerAssignment) throw notFound(req.params.customerId);
        return { status: 200, body: customerAssignmentBody(data.customerAssignment) };
      },
    }),
    route({
      operationId: b2b ? 'PUT-customer-segment-update-customer' : 'PUT-customer-segment-update-customer-by-customerId',
      method: 'PUT',
      path,
      scopes: MANAGE,
      document: RestUpsertCustomerAssignmentDocument,
      variables: (req) => ({ ...keyVariables(req, b2b), input: upsertBody(req) }),
      // The contract documents no body for 201 (an assignment has no id of its own).
      respond: (data) => ({ status: data.upsertCustomerAssignment.created ? 201 : 204 }),
    }),
    route({
      operationId: b2b ? 'DELETE-customer-segment-remove-customer' : 'DELETE-customer-segment-remove-customer-by-customerId',
      method: 'DELETE',
      path,
      scopes: MANAGE,
      document: RestDeleteCustomerAssignmentDocument,
      variables: (req) => keyVariables(req, b2b),
      respond: () => ({ status: 204 }),
    }),
  ];
}

export const customerAssignmentRoutes: AnyRoute[] = [
  route({
    operationId: 'GET-customer-segment-retrieve-customers',
    method: 'GET',
    path: CUSTOMERS,
    scopes: READ_OR_OWN,
    variables: (req) => listVariables(req, strParam(req, 'q')),
    ...assignmentList,
  }),
  route({
    operationId: 'POST-customer-segment-search-customers',
    method: 'POST',
    path: `${CUSTOMERS}/search`,
    scopes: READ,
    variables: (req) => listVariables(req, searchQ(req)),
    ...assignmentList,
  }),
  // Literal `bulk` before the templates (the router prefers static segments anyway).
  route({
    operationId: 'PUT-customer-segment-update-customers-bulk',
    method: 'PUT',
    path: `${CUSTOMERS}/bulk`,
    scopes: MANAGE,
    document: RestUpsertCustomerAssignmentsDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, inputs: bodyArray(req) }),
    bulk: { variable: 'inputs', results: (data) => data.upsertCustomerAssignments },
  }),
  route({
    operationId: 'DELETE-customer-segment-remove-customers-bulk',
    method: 'DELETE',
    path: `${CUSTOMERS}/bulk`,
    scopes: MANAGE,
    document: RestDeleteCustomerAssignmentsDocument,
    variables: (req) => ({ segmentId: req.params.segmentId, keys: bodyArray(req) }),
    bulk: { variable: 'keys', results: (data) => data.deleteCustomerAssignments },
  }),
  ...singleRoutes(false),
  ...singleRoutes(true),
];
