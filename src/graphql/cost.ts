import type { GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import {
  type DocumentNode,
  getNamedType,
  getNullableType,
  getVariableValues,
  type GraphQLCompositeType,
  type GraphQLField,
  GraphQLError,
  type GraphQLNamedType,
  type GraphQLSchema,
  isCompositeType,
  isListType,
  isObjectType,
  Kind,
  visit,
} from 'graphql';
import { type ComplexityEstimator, getComplexity } from 'graphql-query-complexity';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../query/paging';
import type { Context } from './context';

/**
 * The row cost of a GraphQL operation: an estimate of how many objects (rows) it may return,
 * given its page sizes. Scalars are columns of a row already counted and cost nothing.
 *
 * - a field with a `pageSize` argument (`segments`, `Segment.customers`, `itemAssignments`, …)
 *   multiplies what its page selects by the page size (60 when absent, as the resolvers do);
 * - the `items` list of such a page costs one row per element (the page size multiplies it);
 * - a list field with an id-list argument (`products(ids)`, `categories(ids)`,
 *   `matchItems(productIds)`, and the bulk mutations) multiplies by the list's length;
 * - any other list of objects (`Customer.segments`, `Product.categories`, `Category.children`,
 *   `categoryTrees`, `CategoryNode.subcategories`, `ItemMatch.reasons`, …) holds what the data
 *   holds, which a query cannot tell: it is assumed to hold ASSUMED_FAN_OUT (10, a typical
 *   size for a product's categories or segments, a customer's segments, a category's children;
 *   an estimate, not a bound — nesting such lists still multiplies by 10 a level);
 * - any other object field costs 1 row plus what it selects;
 * - introspection (`__schema`, `__type`) costs nothing, so tools can always read the schema.
 */
export const ASSUMED_FAN_OUT = 10;

/** Lists with more than one list argument: the argument whose length is the result's. */
const LENGTH_ARGUMENT: Record<string, string> = { 'Query.matchItems': 'productIds' };

const PAGE_SIZE_ARGUMENT = 'pageSize';

const hasPageSize = (field: GraphQLField<unknown, unknown>): boolean => field.args.some((a) => a.name === PAGE_SIZE_ARGUMENT);

/** The page size a resolver will use: the default when absent; out-of-range sizes fail there. */
function pageSizeOf(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return DEFAULT_PAGE_SIZE;
  return Math.min(Math.max(Math.trunc(value), 1), MAX_PAGE_SIZE);
}

/** Types returned by paged fields (`SegmentPage`, …): their lists are the page's rows. */
function pageTypes(schema: GraphQLSchema): Set<GraphQLNamedType> {
  const out = new Set<GraphQLNamedType>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) if (hasPageSize(field)) out.add(getNamedType(field.type));
  }
  return out;
}

function listLength(parent: GraphQLCompositeType, field: GraphQLField<unknown, unknown>, args: Record<string, unknown>): number {
  const listArgs = field.args.filter((a) => isListType(getNullableType(a.type))).map((a) => a.name);
  const name = LENGTH_ARGUMENT[`${parent.name}.${field.name}`] ?? (listArgs.length === 1 ? listArgs[0] : undefined);
  if (name === undefined) return ASSUMED_FAN_OUT;
  const value = args[name];
  return Array.isArray(value) ? value.length : 1;
}

/** graphql-query-complexity estimator implementing the rules above. */
export function rowEstimator(schema: GraphQLSchema): ComplexityEstimator {
  const pages = pageTypes(schema);
  return ({ type, field, args, childComplexity }) => {
    if (field.name.startsWith('__')) return 0;
    if (!isCompositeType(getNamedType(field.type))) return 0;
    if (hasPageSize(field)) return pageSizeOf(args[PAGE_SIZE_ARGUMENT]) * childComplexity;
    if (!isListType(getNullableType(field.type))) return 1 + childComplexity;
    if (pages.has(type)) return 1 + childComplexity;
    return listLength(type, field, args) * (1 + childComplexity);
  };
}

/** What the checks before execution read of a request: Apollo's request context, or graphql/replay.ts's. */
export type OperationRequest = Pick<GraphQLRequestContextDidResolveOperation<Context>, 'contextValue' | 'document'> & {
  operation?: GraphQLRequestContextDidResolveOperation<Context>['operation'];
  request: { variables?: Record<string, unknown> };
};

const badInput = (message: string): GraphQLError =>
  new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });

/**
 * Estimated rows of one operation. A variable or argument that does not coerce is the
 * caller's mistake (BAD_USER_INPUT): the operation is refused rather than run unestimated.
 */
export function operationRows(
  schema: GraphQLSchema,
  estimator: ComplexityEstimator,
  query: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown> | undefined,
): number {
  try {
    return getComplexity({ schema, query, operationName, variables: variables ?? {}, estimators: [estimator] });
  } catch (e) {
    if (!(e instanceof GraphQLError)) throw e;
    // graphql-query-complexity stops expanding fragments after 10,000 selections (its
    // maxQueryNodes): an operation that large is over any row limit we would set.
    if (/maximum allowed number of nodes/.test(e.message)) return Infinity;
    throw badInput(e.message);
  }
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function costError(cost: number, maxRows: number, setting: string): GraphQLError {
  const message = Number.isFinite(cost)
    ? `Operation cost ${fmt(cost)} estimated rows exceeds the limit of ${fmt(maxRows)} (${setting})`
    : `Operation too large to estimate (over 10,000 selections with fragments expanded); the limit is ${fmt(maxRows)} estimated rows (${setting})`;
  return new GraphQLError(message, {
    extensions: { code: 'COST_LIMIT_EXCEEDED', cost: Number.isFinite(cost) ? cost : null, limit: maxRows, http: { status: 400 } },
  });
}

/**
 * Whether variables can change the row cost: a list-typed variable (an id list's length), a
 * variable page size, or a variable @skip/@include. Conservative: it looks at the whole
 * document, not only the fields where such a variable would matter.
 */
export function costDependsOnVariables(document: DocumentNode): boolean {
  let depends = false;
  visit(document, {
    VariableDefinition(node) {
      if ((node.type.kind === Kind.NON_NULL_TYPE ? node.type.type : node.type).kind === Kind.LIST_TYPE) depends = true;
    },
    Argument(node) {
      if (node.name.value === PAGE_SIZE_ARGUMENT && node.value.kind === Kind.VARIABLE) depends = true;
    },
    Directive(node) {
      if (node.arguments?.some((a) => a.value.kind === Kind.VARIABLE)) depends = true;
    },
  });
  return depends;
}

/**
 * Rejects an operation whose row cost exceeds `maxRows` before it runs. It needs the variables
 * (a page size may be one), hence `didResolveOperation` rather than a validation rule.
 *
 * The analysis costs 40–70 µs; a cost no variable can change is kept with the document.
 * Apollo's store hands a repeated query the same DocumentNode, and the compiled operations
 * (graphql/jit.ts) keep that same node for the replay, so the WeakMap is bounded by those two
 * bounded caches.
 */
export function costLimit(schema: GraphQLSchema, maxRows: number, setting: string): (request: OperationRequest) => void {
  const estimator = rowEstimator(schema);
  const fixed = new WeakMap<DocumentNode, Map<string, number> | null>();
  const costOf = (document: DocumentNode, operationName: string | undefined, variables?: Record<string, unknown>) => {
    let byOperation = fixed.get(document);
    if (byOperation === undefined) {
      byOperation = costDependsOnVariables(document) ? null : new Map();
      fixed.set(document, byOperation);
    }
    if (byOperation === null) return operationRows(schema, estimator, document, operationName, variables);
    const key = operationName ?? '';
    let cost = byOperation.get(key);
    if (cost === undefined) byOperation.set(key, (cost = operationRows(schema, estimator, document, operationName, variables)));
    return cost;
  };
  // No per-request state: one check serves every request (graphql/apollo.ts calls it).
  return ({ contextValue, document, operation, request }) => {
    // Without a viewer only introspection runs (requireToken), and it costs nothing.
    if (!operation || !contextValue.viewer) return;
    // Variables are checked here, once for every operation, so that none runs unestimated
    // and every variable error reads the same (graphql-js's words, not graphql-jit's).
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], request.variables ?? {}, {
      maxErrors: 1,
    });
    if (coerced.errors?.length) throw badInput(coerced.errors[0].message);
    const cost = costOf(document, operation.name?.value, request.variables);
    if (cost > maxRows) throw costError(cost, maxRows, setting);
  };
}
