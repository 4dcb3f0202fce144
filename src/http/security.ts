import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';

/**
 * The usual safe headers (@fastify/helmet) on every answer. The API serves JSON only, so the
 * content security policy allows nothing to load or frame it; a route that serves a page (the
 * Sandbox landing page in development) relaxes it in its own route config.
 *
 * Nothing the service answers may be kept by a shared cache: an answer without its own
 * Cache-Control gets `no-store` (authenticated answers above all).
 */
export async function registerSecurityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
    },
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });
}
