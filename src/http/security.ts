import type { FastifyContextConfig, FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** This route's helmet options, merged over the service's (shallowly, as @fastify/helmet did). */
    helmet?: HelmetOptions;
  }
}

// Helmet's middleware is run once per configuration at start-up, not per request.

/** The service's policy: the API serves JSON only, so nothing may load or frame it. */
const SERVICE: HelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
};

interface HeaderPlan {
  set: [string, string][];
  remove: string[];
}

/** What helmet's middleware does to a response for these options, recorded once. */
function plan(options: HelmetOptions): HeaderPlan {
  const out: HeaderPlan = { set: [], remove: [] };
  const res = {
    setHeader: (name: string, value: string | number) => void out.set.push([name, String(value)]),
    removeHeader: (name: string) => void out.remove.push(name),
  };
  // The middleware only calls setHeader/removeHeader on the response and never reads the request:
  // a recording stand-in is all it gets.
  const middleware = helmet(options) as unknown as (req: unknown, res: unknown, next: (err?: unknown) => void) => void;
  middleware({}, res, (err) => {
    if (err) throw err;
  });
  return out;
}

/**
 * The usual safe headers (helmet's) on every answer. The API serves JSON only, so the content
 * security policy allows nothing to load or frame it; a route that serves a page (Swagger UI, the
 * Sandbox landing page in development) relaxes it in its route config (`config.helmet`).
 *
 * The headers are computed once per configuration (helmet's own middleware run against a recording
 * response), then copied onto each answer by one synchronous hook: @fastify/helmet built a
 * helmet instance, and ran two async hooks, for every request.
 *
 * Nothing the service answers may be kept by a shared cache: an answer without its own
 * Cache-Control gets `no-store` (authenticated answers above all).
 */
export function registerSecurityHeaders(app: FastifyInstance): void {
  const service = plan(SERVICE);
  // By route config object (one per route; routes without helmet options share the service's).
  const byRoute = new WeakMap<FastifyContextConfig, HeaderPlan>();
  const planFor = (config: FastifyContextConfig | undefined): HeaderPlan => {
    if (!config?.helmet) return service;
    let p = byRoute.get(config);
    if (!p) {
      // Helmet's options type forbids pairs of aliases (hsts and strictTransportSecurity); a merge
      // of two valid objects can't be proven free of them, so it is asserted.
      p = plan(Object.assign({}, SERVICE, config.helmet) as HelmetOptions);
      byRoute.set(config, p);
    }
    return p;
  };
  app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const { set, remove } = planFor(request.routeOptions.config);
    const raw = reply.raw;
    for (let i = 0; i < set.length; i++) raw.setHeader(set[i][0], set[i][1]);
    for (let i = 0; i < remove.length; i++) raw.removeHeader(remove[i]);
    done();
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
