import {
  ApolloServer,
  type ApolloServerPlugin,
  type GraphQLRequestContextDidEncounterErrors,
  type GraphQLRequestListener,
} from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { FastifyInstance } from 'fastify';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import type { Config } from '../config';
import { LIMIT_SPECS } from '../limits';
import type { Context } from './context';
import { costLimit, type OperationRequest } from './cost';
import { boundedDocumentStore } from './document-store';
import { formatGraphQLError, internalCause } from './format-error';
import { logServerError } from '../http/server-errors';
import { isIntrospectionOnly } from './introspection';
import type { CompiledOperations } from './jit';
import { getSchema } from './schema';
import { outageStatus } from './outage-status';

/** Tokens one document may have: graphql-js stops parsing beyond it (a 400). */
export const MAX_TOKENS = 5000;

/**
 * docs/behaviour.md: without a token only introspection runs; anything else is 401 UNAUTHENTICATED.
 * The schema has no subscriptions: asking for one is the client's mistake (400), which graphql-js
 * would only discover while executing, as an internal error.
 */
function requireToken({ contextValue, document, operation }: OperationRequest): void {
  if (operation?.operation === 'subscription') {
    throw new GraphQLError('Subscriptions are not supported by this server', {
      extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
    });
  }
  if (contextValue.viewer || !operation) return;
  if (isIntrospectionOnly(document, operation)) return;
  throw new GraphQLError('Invalid access token', {
    extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
  });
}

/** The checks an operation passes before it runs, on every request (Apollo's or graphql/replay.ts's). */
export type OperationChecks = (request: OperationRequest) => void;

/**
 * requireToken; the operation named on every log line of the request; the row cost of the
 * operation with these variables (graphql/cost.ts).
 */
export function operationChecks(config: Config): OperationChecks {
  // Config rather than limits(): each app (tests start several) has its own setting.
  const checkCost = costLimit(getSchema(), config.limits.graphqlMaxRows, LIMIT_SPECS.graphqlMaxRows.env);
  return (request) => {
    requireToken(request);
    const http = request.contextValue.request;
    if (http) http.graphqlOperation = request.operation?.name?.value ?? '(anonymous)';
    checkCost(request);
  };
}

/**
 * GraphQL answers an internal error inside a 200 response, so the HTTP layer's 5xx log never
 * sees it: each one is logged here with its cause and the request it belongs to (id, route,
 * operation, tenant).
 */
function logServerErrors(
  log: FastifyInstance['log'],
  { contextValue, errors }: GraphQLRequestContextDidEncounterErrors<Context>,
): void {
  for (const error of errors) {
    const cause = internalCause(error);
    if (cause === undefined) continue;
    if (contextValue.request) logServerError(contextValue.request, cause, 500);
    else log.error({ err: cause }, 'server error');
  }
}

/**
 * Everything this service does around an operation, as one plugin with one listener shared by
 * every request (Apollo awaits each plugin's hooks per request; one listener is one promise per
 * stage instead of one per concern). In order:
 *
 * - didResolveOperation: subscriptions and anonymous calls refused (requireToken); the operation
 *   named on every log line of the request; the row cost checked (graphql/cost.ts);
 * - didEncounterErrors: internal errors logged with their cause;
 * - willSendResponse: an answer that is only an outage becomes a 503 (graphql/outage-status.ts).
 */
function servicePlugin(log: FastifyInstance['log'], checks: OperationChecks): ApolloServerPlugin<Context> {
  const listener: GraphQLRequestListener<Context> = {
    async didResolveOperation(request) {
      checks(request);
    },
    async didEncounterErrors(request) {
      logServerErrors(log, request);
    },
    async willSendResponse(request) {
      outageStatus(request);
    },
  };
  return {
    async requestDidStart() {
      return listener;
    },
  };
}

export function createApollo(
  app: FastifyInstance,
  config: Config,
  operations: CompiledOperations,
  checks: OperationChecks,
): ApolloServer<Context> {
  const armor = new ApolloArmor({
    maxDepth: { n: 12 },
    maxAliases: { n: 30 },
    maxDirectives: { n: 50 },
    // graphql-armor's token plugin re-parses and turns a syntax error into a 500; graphql-js
    // enforces the same limit while parsing (parseOptions below) and answers 400.
    maxTokens: { enabled: false },
    // Kept beside the row cost (graphql/cost.ts): this one measures the document's shape
    // (fields × 1.5^depth, every fragment use counted) at validation, before any token is
    // checked. The row cost counts scalars as free and runs only for authenticated operations,
    // so this is what bounds wide or fragment-heavy documents, and the work of the row analysis.
    costLimit: { maxCost: 20000 },
    // Its plugin rewrites error.message in place, which graphql-jit's errors do not allow;
    // formatGraphQLError masks the suggestions instead.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  const limits = config.limits;
  return new ApolloServer<Context>({
    // Executes through compiled queries (graphql/jit.ts); the schema is the same one.
    gateway: operations.gateway(),
    // Apollo's default store is bounded by JSON length only (30 MiB, about four times that in
    // heap) and so holds tens of thousands of small documents: bounded here by count and bytes.
    documentStore: boundedDocumentStore({ max: limits.graphqlDocumentCacheSize, maxBytes: limits.graphqlDocumentCacheBytes }),
    // Automatic persisted queries would keep every query text a client registers (another
    // 30 MiB store keyed by client input). No client of ours uses them.
    persistedQueries: false,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: config.debugErrors,
    allowBatchedHttpRequests: false,
    // server.ts owns shutdown; Apollo's handler would re-send the signal and end the process
    // before the pool is closed.
    stopOnTerminationSignals: false,
    parseOptions: { maxTokens: MAX_TOKENS },
    validationRules: armor.validationRules,
    formatError: (formatted: GraphQLFormattedError, error: unknown) => formatGraphQLError(formatted, error, config.debugErrors),
    plugins: [
      ...armor.plugins,
      servicePlugin(app.log, checks),
      fastifyApolloDrainPlugin(app),
      // We send no cache hints; the default cache-control plugin would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
      // Production: no landing page (Apollo's default would link to Studio) unless switched on.
      config.graphqlSandbox
        ? ApolloServerPluginLandingPageLocalDefault({ embed: true })
        : ApolloServerPluginLandingPageDisabled(),
    ],
  });
}
