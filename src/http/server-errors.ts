import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module 'fastify' {
  interface FastifyRequest {
    /** Why this request ended in a server error, for the log line; never sent to the client. */
    failure: unknown;
    /** The GraphQL operation it ran (name, or `(anonymous)`), for log lines. */
    graphqlOperation: string | null;
  }
}

/** Fields that let an operator find a server error: which request, route, operation, tenant. */
function where(request: FastifyRequest) {
  const tenant = request.viewer?.tenant ?? (request.params as { tenant?: string } | undefined)?.tenant;
  // request.log already carries reqId.
  return {
    method: request.method,
    route: request.routeOptions?.url ?? request.url.split('?')[0],
    operation: request.graphqlOperation ?? undefined,
    tenant,
  };
}

/**
 * Logs a server error at error level with its cause. The client's answer never carries the cause
 * (formatError and the Error body mask it); this line is where it goes instead.
 */
export function logServerError(request: FastifyRequest, cause: unknown, status: number): void {
  request.log.error({ ...where(request), status, err: cause }, 'server error');
}

/**
 * Every answer with a 5xx status is logged once, when it has been sent, with what the code that
 * produced it recorded in `request.failure`. (GraphQL internal errors answer 200 with an error
 * entry; the Apollo plugin in graphql/apollo.ts logs those through `logServerError` too.)
 */
export function registerServerErrorLog(app: FastifyInstance): void {
  app.decorateRequest('failure', null);
  app.decorateRequest('graphqlOperation', null);
  app.addHook('onResponse', (request, reply, done) => {
    // A 503 from /health reports a state (draining, database down), not a failed request.
    if (reply.statusCode >= 500 && !request.routeOptions?.url?.startsWith('/health')) {
      logServerError(request, request.failure ?? 'no cause recorded', reply.statusCode);
    }
    done();
  });
}
