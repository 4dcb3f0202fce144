import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { FastifyInstance } from 'fastify';
import { fastifyApolloDrainPlugin } from '@as-integrations/fastify';
import {
  type DocumentNode,
  type GraphQLFormattedError,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import type { Config } from '../config';
import type { Context } from './context';
import { getSchema } from './schema';
import { formatGraphQLError } from './format-error';
import { jitGateway } from './jit';
import { unavailablePlugin } from './unavailable-plugin';

/** True when the operation reads only `__schema`, `__type` and `__typename`. */
export function isIntrospectionOnly(doc: DocumentNode, op: OperationDefinitionNode): boolean {
  const fragments = new Map(
    doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );
  const seen = new Set<string>();
  const check = (set: SelectionSetNode): boolean =>
    set.selections.every((s) => {
      if (s.kind === Kind.FIELD) return s.name.value.startsWith('__');
      if (s.kind === Kind.INLINE_FRAGMENT) return check(s.selectionSet);
      if (seen.has(s.name.value)) return true;
      seen.add(s.name.value);
      const f = fragments.get(s.name.value);
      return f ? check(f.selectionSet) : false;
    });
  return op.operation === 'query' && check(op.selectionSet);
}

/**
 * DECISIONS.md: without a token only introspection runs; anything else is 401 UNAUTHENTICATED.
 * The schema has no subscriptions: asking for one is the client's mistake (400), which graphql-js
 * would only discover while executing, as an internal error.
 */
const requireTokenPlugin: ApolloServerPlugin<Context> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, document, operation }) {
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
    costLimit: { maxCost: 20000 },
    // Its plugin rewrites error.message in place, which graphql-jit's errors do not allow;
    // formatGraphQLError masks the suggestions instead.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return new ApolloServer<Context>({
    // Executes through compiled queries (graphql/jit.ts); the schema is the same one.
    gateway: jitGateway(getSchema()),
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
      unavailablePlugin,
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
