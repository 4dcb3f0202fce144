import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { UNAVAILABLE_RETRY_AFTER_S } from '../db/errors';
import type { Lifecycle } from './lifecycle';

/** Whether this instance should take traffic: not draining, and its database answers. */
export type Readiness = () => Promise<{ ready: boolean; status: 'ok' | 'draining' | 'database unreachable' }>;

export function readiness(lifecycle: Lifecycle, databaseReachable: () => Promise<boolean>): Readiness {
  return async () => {
    if (lifecycle.draining) return { ready: false, status: 'draining' };
    return (await databaseReachable()) ? { ready: true, status: 'ok' } : { ready: false, status: 'database unreachable' };
  };
}

/**
 * Probes, after Kubernetes' conventions:
 * - `/health/live`: the process answers. Always 200 — also while draining (a failing liveness
 *   probe restarts the container, which would cut the requests the drain lets finish) and while
 *   the database is down (a restart does not bring it back; it would only restart every instance).
 * - `/health/ready`: 200 when this instance should get traffic, 503 while draining or while the
 *   database does not answer, so the load balancer sends requests elsewhere.
 * - `/health`: the same answer as `/health/ready`, kept for existing users.
 */
export function registerHealth(app: FastifyInstance, ready: Readiness): void {
  const answer = async (_request: FastifyRequest, reply: FastifyReply) => {
    const { ready: ok, status } = await ready();
    if (!ok) reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_S));
    return reply.code(ok ? 200 : 503).send({ status });
  };
  app.get('/health', answer);
  app.get('/health/ready', answer);
  app.get('/health/live', async () => ({ status: 'ok' }));
}
