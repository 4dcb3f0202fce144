import type { FastifyInstance } from 'fastify';
import type { Database } from './db/knex';
import type { Lifecycle } from './http/lifecycle';

export interface ShutdownOptions {
  /** How long /health reports 503 before the listener closes (load balancers notice it). */
  delayMs: number;
  /** How long in-flight requests may take to finish before their connections are cut. */
  timeoutMs: number;
}

/**
 * The service owns its shutdown: report not ready, wait for the load balancer to notice, let the
 * requests in flight and the connections open finish (up to a deadline), stop accepting, close
 * the pool. Resolves when
 * everything is closed; the caller exits. Apollo's own signal handling is off
 * (graphql/apollo.ts): it would re-send the signal and end the process before the pool closes
 * (exit 143).
 */
export async function shutdown(
  app: FastifyInstance,
  db: Database,
  lifecycle: Lifecycle,
  opts: ShutdownOptions,
): Promise<{ forced: boolean }> {
  lifecycle.startDraining();
  if (opts.delayMs > 0) await new Promise((r) => setTimeout(r, opts.delayMs));
  const deadline = Date.now() + opts.timeoutMs;
  let forced = !(await lifecycle.settle(deadline));
  // Past the deadline, whatever still runs is cut; then the listener closes.
  const timer = setTimeout(
    () => {
      forced = true;
      app.log.warn(`shutdown: requests still running after ${opts.timeoutMs} ms; closing their connections`);
      app.server.closeAllConnections();
    },
    Math.max(0, deadline - Date.now()),
  );
  try {
    await app.close();
  } finally {
    clearTimeout(timer);
    await db.knex.destroy();
  }
  return { forced };
}
