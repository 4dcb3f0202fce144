import type { FastifyInstance } from 'fastify';
import { tracingHooks } from '../tracing/hooks';

/**
 * With tracing on, each request's HTTP span is named after its route pattern
 * (`GET /customer-segment/:tenant/segments/:segmentId`, attribute `http.route`) rather than the
 * bare method: the HTTP instrumentation sees the URL but not the route. Off: no hook at all.
 */
export function registerTraceRoute(app: FastifyInstance): void {
  const hooks = tracingHooks();
  if (!hooks) return;
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route !== undefined) hooks.tagRoute(route);
    done();
  });
}
