import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MetricsConfig } from '../config';
import type { Database } from '../db/knex';
import { countQueriesOf, type QueryCount } from '../db/query-counter';
import { sendProblem } from './faces';
import { onAnswered } from './answered';
import { droppedLogLines } from './logger';
import { serveMetricsPort } from './metrics-port';

declare module 'fastify' {
  interface FastifyRequest {
    /** The SQL statements this request has sent so far (from its handler on). */
    queryCount: QueryCount | null;
  }
  interface FastifyInstance {
    /** The listener of METRICS_PORT, when metrics are served apart. */
    metricsServer: http.Server | null;
  }
}

/** Requests that matched no route are counted under this route label (never their raw URL). */
const UNMATCHED = '(unmatched)';
/** GraphQL operation names beyond the cap, or too long to keep as a label. */
const OTHER = 'other';
const MAX_NAME_LENGTH = 100;

/**
 * Event loop lag, heap, RSS, GC and handles belong to the process, however many apps it builds
 * (tests build many): one set, collected once per scrape.
 */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * GraphQL operation names are chosen by clients, so as label values they are bounded here: the
 * first `max` distinct names are kept, every later one is `other`. REST routes run the route
 * table's operations, a fixed set, and pass through.
 */
export class OperationLabels {
  private readonly seen = new Set<string>();
  constructor(private readonly max: number) {}

  label(route: string, operation: string | null): string {
    if (operation === null) return '';
    if (route !== '/graphql' || this.seen.has(operation)) return operation;
    if (this.seen.size >= this.max || operation.length > MAX_NAME_LENGTH) return OTHER;
    this.seen.add(operation);
    return operation;
  }
}

/** Whether an Authorization header carries the token, compared in constant time. */
function bearerMatches(header: string | undefined, token: string): boolean {
  if (!header?.startsWith('Bearer ')) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(header.slice(7)), digest(token));
}

/**
 * Prometheus metrics (prom-client) for this app: requests by route pattern, GraphQL operation
 * and status with their latency, SQL statements (in all, and per request when switched on), the
 * database pool on each scrape, and the process's own (event loop lag, heap, RSS). Every label is bounded: route patterns
 * (never raw URLs), capped operation names, methods and status codes.
 *
 * Served at GET /metrics on the main port (behind METRICS_TOKEN when set), or only on
 * METRICS_PORT when that is set (metrics-port.ts). Never rate-limited (rate-limit.ts).
 */
export function registerMetrics(
  app: FastifyInstance,
  { db, config, operationNames }: { db: Database; config: MetricsConfig; operationNames: number },
): void {
  const registry = new Registry();
  const operations = new OperationLabels(operationNames);
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time from receiving a request to its answer having been sent; _count is the number of requests',
    labelNames: ['method', 'route', 'operation', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  statementCounter(app, registry, db);
  const perRequest = config.sqlPerRequest
    ? new Histogram({
        name: 'db_statements_per_request',
        help: 'SQL statements one request sent (BEGIN and COMMIT included)',
        labelNames: ['route', 'operation'],
        buckets: [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89],
        registers: [registry],
      })
    : undefined;
  poolGauges(registry, db);
  new Counter({
    name: 'log_lines_dropped_total',
    help: 'Log lines dropped because stdout did not keep up (more than 16 MiB waiting)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(droppedLogLines());
    },
  });

  app.decorateRequest('queryCount', null);
  if (perRequest) {
    // From preValidation on, after the body has been read: the body's stream events run in the
    // connection's async context, which would lose a scope opened earlier. Nothing before it queries.
    app.addHook('preValidation', (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
      request.queryCount = countQueriesOf(done);
    });
  }
  onAnswered(app, (request, reply) => {
    const route = request.routeOptions.url ?? UNMATCHED;
    const operation = operations.label(route, request.graphqlOperation ?? null);
    duration.observe({ method: request.method, route, operation, status: reply.statusCode }, reply.elapsedTime / 1000);
    if (perRequest && request.queryCount) perRequest.observe({ route, operation }, request.queryCount.count);
  });

  // Started now, so the first scrape already has a measured event loop.
  const perProcess = processMetrics();
  const exposition = async (): Promise<string> => (await perProcess.metrics()) + (await registry.metrics());
  if (config.port !== undefined) {
    app.decorate('metricsServer', serveMetricsPort(app, config, registry.contentType, exposition));
    return;
  }
  app.decorate('metricsServer', null);
  const token = config.token;
  app.get('/metrics', async (request, reply) => {
    if (token !== undefined && !bearerMatches(request.headers.authorization, token)) {
      return sendProblem(request, reply, { status: 401, message: 'GET /metrics needs the METRICS_TOKEN bearer token' });
    }
    return reply.type(registry.contentType).send(await exposition());
  });
}

/**
 * Every SQL statement, counted as Knex sends it: one increment, no per-request bookkeeping, so
 * always on. Divided by the request count it gives the mean statements per request.
 */
function statementCounter(app: FastifyInstance, registry: Registry, db: Database): void {
  let sent = 0;
  const count = () => void sent++;
  db.knex.on('query', count);
  app.addHook('onClose', async () => void db.knex.removeListener('query', count));
  new Counter({
    name: 'db_statements_total',
    help: 'SQL statements sent (BEGIN and COMMIT included)',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(sent);
    },
  });
}

/** The database pool, read when scraped: connections in use, idle, and callers waiting for one. */
function poolGauges(registry: Registry, db: Database): void {
  // knex's pool (tarn) exists once the first connection is asked for, and not after destroy().
  const pool = () =>
    db.knex.client.pool as
      | { numUsed?(): number; numFree?(): number; numPendingAcquires?(): number; numPendingCreates?(): number; max?: number }
      | undefined;
  const gauge = (name: string, help: string, read: () => number | undefined) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read() ?? 0);
      },
    });
  gauge('db_pool_connections_used', 'Database connections lent out', () => pool()?.numUsed?.());
  gauge('db_pool_connections_idle', 'Database connections open and idle in the pool', () => pool()?.numFree?.());
  gauge('db_pool_acquires_pending', 'Callers waiting for a database connection', () => pool()?.numPendingAcquires?.());
  gauge('db_pool_creates_pending', 'Database connections being opened', () => pool()?.numPendingCreates?.());
  gauge('db_pool_connections_max', 'The most connections the pool opens', () => pool()?.max);
}
