import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest, LogController } from 'fastify';
import cors from '@fastify/cors';
import type { Config } from './config';
import { createVerifier, KeySetUnavailableError, type TokenVerifier } from './auth/verifier';
import { ensureDevSecret } from './auth/dev-secret';
import { UNAVAILABLE_RETRY_AFTER_S } from './db/errors';
import { type Database, isReachable } from './db/knex';
import { createApollo, MAX_TOKENS, operationChecks } from './graphql/apollo';
import { CompiledOperations } from './graphql/jit';
import { OperationReplay } from './graphql/replay';
import { tracingHooks } from './tracing/hooks';
import { documentTooDeep } from './graphql/document-depth';
import { apolloHandler } from './graphql/fastify-handler';
import { createContext, createServices, languageOf, type Services } from './graphql/context';
import { getSchema } from './graphql/schema';
import { mountRoutes } from './rest/adapter';
import { registerAccessLog } from './http/access-log';
import { answeredBeforeRouting } from './http/answered';
import { registerBodyDrain } from './http/body-drain';
import { registerDocs } from './http/docs';
import { answerFrameworkError, registerErrorShapes } from './http/errors';
import { sendProblem } from './http/faces';
import { readiness, registerHealth } from './http/health';
import { registerIdentify } from './http/identify';
import { registerJsonBody } from './http/json-body';
import { type Lifecycle, registerLifecycle } from './http/lifecycle';
import { createLogger } from './http/logger';
import { registerMetrics } from './http/metrics';
import { registerRateLimit } from './http/rate-limit';
import { registerSecurityHeaders } from './http/security';
import { registerServerErrorLog } from './http/server-errors';
import { registerTraceRoute } from './http/trace-route';
import { routes } from './rest/routes';
import { limits, setLimits } from './limits';
import { type RuleScheduler, startRuleScheduler } from './modules/rules/rule.scheduler';

export interface BuiltApp {
  app: FastifyInstance;
  services: Services;
  lifecycle: Lifecycle;
  ruleScheduler: RuleScheduler;
  /** Answers repeats of queries Apollo has served (graphql/replay.ts); absent when off. */
  replay?: OperationReplay;
}

const BODY_LIMIT = 10 * 1024 * 1024;

/** The auth settings in force: the configured ones, or the development secret under ./data. */
export function verifierFor(config: Config): TokenVerifier {
  const auth = config.auth;
  const jwtSecret = auth.devSecret ? ensureDevSecret(config.dataDir) : auth.jwtSecret;
  return createVerifier({ jwtSecret, jwksUrl: auth.jwksUrl, issuer: auth.issuer, audience: auth.audience });
}

/**
 * Why the GraphQL document (POST body or GET parameter) is refused before graphql-js parses it
 * recursively: nested deeper than a request body may be (limits `bodyDepth`); undefined when fine.
 */
function graphqlDocumentTooDeep(request: FastifyRequest): string | undefined {
  const source = request.method === 'GET' ? request.query : request.body;
  const query = (source as { query?: unknown } | null | undefined)?.query;
  const max = limits().bodyDepth;
  if (typeof query !== 'string' || !documentTooDeep(query, max, MAX_TOKENS)) return undefined;
  return `Syntax Error: the document nests braces, brackets or parentheses more than ${max} levels deep; at most ${max}`;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

function requestId(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID_RE.test(header) ? header : randomUUID();
}

/** Fastify with GraphQL at /graphql, the REST contract under /customer-segment, and /health. */
export async function buildApp({
  config,
  db,
  logStream,
  clock,
}: {
  config: Config;
  db: Database;
  /** Where log lines go instead of stdout (tests read them). */
  logStream?: { write(line: string): void };
  /** The clock segment rules read `now` from (tests inject one). */
  clock?: () => number;
}): Promise<BuiltApp> {
  setLimits(config.limits);
  const app = Fastify({
    loggerInstance: createLogger(config, logStream),
    // One access line per request instead of Fastify's two (http/access-log.ts).
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's (or load balancer's) X-Request-Id is kept when it is a plain token, so one id
    // follows a request across services; otherwise a fresh UUID. Echoed in every answer.
    requestIdHeader: false,
    genReqId: (req) => requestId(req.headers['x-request-id']),
    // Requests on open connections are still served while closing (lifecycle.ts); Fastify's
    // own 503 would answer them in its shape, not ours.
    return503OnClosing: false,
    bodyLimit: BODY_LIMIT,
    // Ids may hold characters that need escaping; allow long ones but not absurd paths.
    routerOptions: { maxParamLength: 500 },
    // Fastify takes a hop count too (documented), though its types leave numbers out.
    trustProxy: config.trustProxy as boolean | string[],
    // Bad percent-encoding and over-long path parameters, answered in the route's face (and,
    // as no hook runs for them, logged and counted through answered.ts).
    frameworkErrors: (err, request, reply) => {
      answeredBeforeRouting(request, reply);
      void answerFrameworkError(err, request, reply, BODY_LIMIT);
    },
  });
  const services = createServices(config, db, verifierFor(config), {
    clock,
    onRuleError: (err, where) => app.log.error({ err, ...where }, 'rule evaluation failed'),
  });
  // Rules that read the clock, and failed evaluations, run again on a schedule (one evaluator
  // per segment across instances); stopped, after its pass, when the app closes.
  const ruleScheduler = startRuleScheduler(db, services.rules, {
    intervalMs: config.limits.rulesIntervalMs,
    leaseMs: 2 * config.limits.rulesStatementTimeoutMs,
    log: (message, err) => app.log.warn({ err }, message),
  });
  app.addHook('onClose', () => ruleScheduler.stop());
  const schema = getSchema();

  // Cross-cutting concerns, in the order they apply to a request: what watches it (trace name,
  // metrics, access log), safe headers, CORS, who is calling (before the body is read), how much
  // they may call, then the body and error shapes.
  registerTraceRoute(app);
  registerMetrics(app, { db, config: config.metrics, operationNames: config.limits.metricsOperationNames });
  registerAccessLog(app);
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
  registerSecurityHeaders(app);
  // Development and tests: any origin may call, so the hosted Apollo Sandbox can reach a local
  // server. Production serves no cross-origin browser calls, and pays for no CORS hook.
  if (config.env !== 'production') {
    await app.register(cors, { origin: true, exposedHeaders: ['X-Total-Count'] });
  }
  registerIdentify(app, services.verifier);
  await registerRateLimit(app, config.rateLimit);
  registerJsonBody(app);
  registerErrorShapes(app, BODY_LIMIT);
  registerBodyDrain(app);
  registerServerErrorLog(app);

  const lifecycle = registerLifecycle(app);
  // One readiness answer for /health and /health/ready (http/health.ts), within HEALTH_TIMEOUT_MS
  // whatever the database does: a load balancer must get its answer.
  const ready = readiness(lifecycle, () => isReachable(db, config.limits.healthTimeoutMs));
  registerHealth(app, ready);

  // GraphQL: a refused token is a 401 before the body is read; without a token only
  // introspection passes (graphql/apollo.ts).
  const operations = new CompiledOperations(schema, {
    max: config.limits.graphqlCompiledCacheSize,
    maxBytes: config.limits.graphqlCompiledCacheBytes,
  });
  const checks = operationChecks(config);
  const apollo = createApollo(app, config, operations, checks);
  await apollo.start();
  // Tracing on: every operation keeps Apollo's path and its spans.
  const replay = config.graphqlReplay && !tracingHooks() ? new OperationReplay(operations, checks) : undefined;
  app.route({
    method: ['GET', 'POST', 'OPTIONS'],
    url: '/graphql',
    // The Sandbox landing page loads its code from Apollo's CDN: no CSP where it is served.
    config: config.graphqlSandbox ? { helmet: { contentSecurityPolicy: false, crossOriginEmbedderPolicy: false } } : undefined,
    // Hooks answer early by sending and not calling done() (Fastify's callback form: no promise per request).
    onRequest: (request, reply, done) => {
      const failure = request.authFailure;
      if (!failure) return done();
      if (failure instanceof KeySetUnavailableError) {
        request.failure = failure;
        reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
        sendProblem(request, reply, { status: 503, message: failure.message });
        return;
      }
      sendProblem(request, reply, { status: 401, message: failure.message });
    },
    // graphql-js parses recursively: a document nested deeper than the limit is refused unparsed.
    preHandler: (request, reply, done) => {
      const message = graphqlDocumentTooDeep(request);
      if (!message) return done();
      sendProblem(request, reply, { status: 400, message, code: 'GRAPHQL_PARSE_FAILED' });
    },
    handler: apolloHandler(
      apollo,
      async (request) => createContext(services, request.viewer, languageOf(request.headers, config.defaultLanguage), request),
      replay,
    ),
  });

  await registerDocs(app, config);
  mountRoutes(app, services, schema, routes);
  return { app, services, lifecycle, ruleScheduler, replay };
}
