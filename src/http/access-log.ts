import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import pino from 'pino';
import { onAnswered } from './answered';

/** Probes and scrapes: polled every few seconds by machines, logged only at debug. */
const QUIET = /^\/(health|metrics)(\/|$)/;

/** Client-chosen text (GraphQL operation names, unmatched paths, path tenants) is cut to this in a log line. */
const MAX_TEXT = 200;

function cut(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}…` : text;
}

/** The path's {tenant} when no token named one: unverified text, so cut like the rest. */
function tenantInPath(request: FastifyRequest): string | undefined {
  const tenant = (request.params as { tenant?: unknown } | null | undefined)?.tenant;
  return typeof tenant === 'string' ? cut(tenant) : undefined;
}

/**
 * One line per request, written when its answer has gone out: method, route pattern, status,
 * duration, tenant and GraphQL operation (the request id comes with `request.log`). Fastify's own
 * two lines per request are off (`disableRequestLogging`). The line carries no error: a server
 * error has its own line with the cause (server-errors.ts), and a client error needs no stack.
 *
 * Everything in it is already at hand — nothing is measured or kept per request for it — and the
 * hook is one function for all requests. Requests Fastify refuses while routing are included
 * (answered.ts).
 */
function logRequest(this: Levels, request: FastifyRequest, reply: FastifyReply): void {
  const route = request.routeOptions.url;
  const quiet = route !== undefined && QUIET.test(route);
  if (quiet ? this.debug : this.info) {
    const level = quiet ? 'debug' : 'info';
    const operation = request.graphqlOperation;
    request.log[level](
      {
        method: request.method,
        // No route matched: the path (without its query), so scanners and typos can be told apart.
        route: route ?? null,
        url: route === undefined ? cut((request.raw.url ?? '').split('?')[0]) : undefined,
        status: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        tenant: request.viewer?.tenant ?? tenantInPath(request),
        // Undefined on requests refused while routing (no request decorations there).
        operation: operation ? cut(operation) : undefined,
      },
      'request',
    );
  }
}

interface Levels {
  info: boolean;
  debug: boolean;
}

/** Registered after the logger exists: its level (fixed for the app) decides which lines are written. */
export function registerAccessLog(app: FastifyInstance): void {
  // Fastify's null logger (LOG_LEVEL=silent) has no level: nothing is written, no hook is added.
  const threshold = (pino.levels.values as Record<string, number | undefined>)[app.log.level] ?? Infinity;
  const levels: Levels = { info: threshold <= pino.levels.values.info, debug: threshold <= pino.levels.values.debug };
  if (!levels.info && !levels.debug) return;
  onAnswered(app, logRequest.bind(levels));
}
