import 'reflect-metadata';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { GraphQLFormattedError } from 'graphql';
import cors from '@fastify/cors';
import secureJson from 'secure-json-parse';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { Config } from './config';
import { bearerToken, createVerifier, type TokenVerifier } from './auth/verifier';
import { ensureDevSecret } from './auth/dev-secret';
import { type Database, isReachable } from './db/knex';
import { createApollo, MAX_TOKENS } from './graphql/apollo';
import { documentTooDeep } from './graphql/document-depth';
import { type Context, createContext, createServices, languageOf, type Services } from './graphql/context';
import { UnauthenticatedError } from './graphql/errors';
import { getSchema } from './graphql/schema';
import { mountRoutes } from './rest/adapter';
import { errorBody } from './rest/http-errors';
import { routes } from './rest/routes';
import { limits, setLimits } from './limits';

export interface BuiltApp {
  app: FastifyInstance;
  services: Services;
}

const BODY_LIMIT = 10 * 1024 * 1024;

/** The auth settings in force: the configured ones, or the development secret under ./data. */
export function verifierFor(config: Config): TokenVerifier {
  const auth = config.auth;
  const jwtSecret = auth.devSecret ? ensureDevSecret(config.dataDir) : auth.jwtSecret;
  return createVerifier({ jwtSecret, jwksUrl: auth.jwksUrl, issuer: auth.issuer, audience: auth.audience });
}

/**
 * The answer for a GraphQL document (POST body or GET parameter) nested deeper than a request
 * body may be (limits `bodyDepth`), before graphql-js parses it recursively; undefined when fine.
 */
function graphqlDocumentTooDeep(request: FastifyRequest): { errors: GraphQLFormattedError[] } | undefined {
  const source = request.method === 'GET' ? request.query : request.body;
  const query = (source as { query?: unknown } | null | undefined)?.query;
  const max = limits().bodyDepth;
  if (typeof query !== 'string' || !documentTooDeep(query, max, MAX_TOKENS)) return undefined;
  const message = `Syntax Error: the document nests braces, brackets or parentheses more than ${max} levels deep; at most ${max}`;
  return { errors: [{ message, extensions: { code: 'GRAPHQL_PARSE_FAILED' } }] };
}

/** Fastify with GraphQL at /graphql, the REST contract under /customer-segment, and /health. */
export async function buildApp({ config, db }: { config: Config; db: Database }): Promise<BuiltApp> {
  setLimits(config.limits);
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: BODY_LIMIT,
    // Ids may hold characters that need escaping; allow long ones but not absurd paths.
    routerOptions: { maxParamLength: 500 },
  });
  const services = createServices(config, db, verifierFor(config));
  const schema = getSchema();

  // Development and tests: any origin may call, so the hosted Apollo Sandbox can reach a local
  // server. Production serves no cross-origin browser calls, and pays for no CORS hook.
  if (config.env !== 'production') {
    await app.register(cors, { origin: true, exposedHeaders: ['X-Total-Count'] });
  }

  app.get('/health', async (_req, reply) => {
    const ok = await isReachable(db);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'database unreachable' });
  });

  // GraphQL: the token is checked before Apollo runs; without one only introspection passes
  // (graphql/apollo.ts).
  const apollo = createApollo(app, config);
  await apollo.start();
  const gqlHandler = fastifyApolloHandler<Context>(apollo, {
    context: async (request) => (request as unknown as { gqlContext: Context }).gqlContext,
  });
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    preHandler: async (request, reply) => {
      let viewer = null;
      try {
        const token = bearerToken(request.headers.authorization);
        viewer = token ? await services.verifier.verify(token) : null;
      } catch (e) {
        if (!(e instanceof UnauthenticatedError)) throw e;
        const body = { errors: [{ message: e.message, extensions: { code: 'UNAUTHENTICATED' } }] };
        return reply.code(401).type('application/json').send(JSON.stringify(body));
      }
      const tooDeep = graphqlDocumentTooDeep(request);
      if (tooDeep) return reply.code(400).type('application/json').send(JSON.stringify(tooDeep));
      (request as unknown as { gqlContext: Context }).gqlContext = createContext(
        services,
        viewer,
        languageOf(request.headers, config.defaultLanguage),
      );
    },
    handler: gqlHandler,
  });

  // REST: its own error handler and 404 so every answer under /customer-segment/ is the
  // contract's Error body, whatever Fastify itself objects to.
  await app.register(
    async (rest) => {
      rest.setErrorHandler((err: FastifyError, request, reply) => {
        const status = err.statusCode ?? 500;
        if (status === 413) return reply.code(413).send(errorBody(413, 'The request body is larger than 10 MB'));
        if (status === 415) return reply.code(415).send(errorBody(415, 'Content-Type must be application/json'));
        if (
          err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' ||
          err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ||
          err instanceof SyntaxError
        ) {
          return reply.code(400).send(errorBody(400, 'The request body is not valid JSON', { details: { field: 'body' } }));
        }
        if (status >= 400 && status < 500) return reply.code(status).send(errorBody(status, 'Bad request'));
        request.log.error({ err }, 'internal error in REST route');
        return reply.code(500).send(errorBody(500, 'Internal server error'));
      });
      // The contract speaks JSON only: text/plain (which Fastify parses by default) is a 415.
      // An empty JSON body is "no body" (search bodies are optional), and prototype keys are
      // dropped rather than rejected with a misleading "not JSON".
      rest.removeContentTypeParser('text/plain');
      rest.removeContentTypeParser('application/json');
      rest.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
        const text = typeof body === 'string' ? body : body.toString('utf8');
        if (text.trim() === '') return done(null, undefined);
        try {
          done(null, secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' }));
        } catch {
          const err = Object.assign(new Error('invalid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' });
          done(err, undefined);
        }
      });
      rest.setNotFoundHandler((request, reply) =>
        reply.code(404).send(errorBody(404, `No such endpoint: ${request.method} ${request.url.split('?')[0]}`)),
      );
      mountRoutes(rest, services, schema, routes);
    },
    { prefix: '' },
  );

  return { app, services };
}
