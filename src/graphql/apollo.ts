import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { FastifyInstance } from 'fastify';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import { type GraphQLFormattedError, GraphQLError } from 'graphql';
import type { Config } from '../config';
import { LIMIT_SPECS } from '../limits';
import type { Context } from './context';
import { costLimitPlugin } from './cost';
import { boundedDocumentStore } from './document-store';
import { formatGraphQLError } from './format-error';
import { isIntrospectionOnly } from './introspection';
import { jitGateway } from './jit';
import { getSchema } from './schema';

/** DECISIONS.md: without a token only introspection runs; anything else is 401 UNAUTHENTICATED. */
const requireTokenPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, document, operation }) {
        if (contextValue.viewer || !operation) return;
        if (isIntrospectionOnly(document, operation)) return;
        throw new GraphQLError('Invalid access token', {
          extensions: { code: 'UNAUTHENTICATED', http: { status: 401 } },
        });
      },
    };
  },
};

export function createApollo(app: FastifyInstance, config: Config): ApolloServer<Context> {
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
  const schema = getSchema();
  const limits = config.limits;
  return new ApolloServer<Context>({
    // Executes through compiled queries (graphql/jit.ts); the schema is the same one.
    gateway: jitGateway(schema, { max: limits.graphqlCompiledCacheSize, maxBytes: limits.graphqlCompiledCacheBytes }),
    // Apollo's default store is bounded by JSON length only (30 MiB, about four times that in
    // heap) and so holds tens of thousands of small documents: bounded here by count and bytes.
    documentStore: boundedDocumentStore({ max: limits.graphqlDocumentCacheSize, maxBytes: limits.graphqlDocumentCacheBytes }),
    // Automatic persisted queries would keep every query text a client registers (another
    // 30 MiB store keyed by client input). No client of ours uses them.
    persistedQueries: false,
    introspection: config.introspection,
    includeStacktraceInErrorResponses: config.debugErrors,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: 5000 },
    validationRules: armor.validationRules,
    formatError: (formatted: GraphQLFormattedError, error: unknown) =>
      formatGraphQLError(formatted, error, config.debugErrors, app.log),
    plugins: [
      ...armor.plugins,
      requireTokenPlugin,
      // Config rather than limits(): each app (tests start several) has its own setting.
      costLimitPlugin(schema, limits.graphqlMaxRows, LIMIT_SPECS.graphqlMaxRows.env),
      fastifyApolloDrainPlugin(app),
      // We send no cache hints; the default cache-control plugin would wrap every field resolver.
      ApolloServerPluginCacheControlDisabled(),
    ],
  });
}
