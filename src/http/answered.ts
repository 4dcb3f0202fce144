import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';

/** Work for when a request's answer has gone out (the access line, the request metrics). */
export type Answered = (request: FastifyRequest, reply: FastifyReply) => void;

const beforeRouting = new WeakMap<FastifyInstance, Answered[]>();

/**
 * Runs `fn` once for every answer. Routed requests (404s included) reach it through onResponse.
 * The few that Fastify refuses while routing — malformed percent-encoding, an over-long path
 * parameter — go to `frameworkErrors` and run no hook at all; app.ts hands them to
 * `answeredBeforeRouting`, so they are logged and counted like any other.
 */
export function onAnswered(app: FastifyInstance, fn: Answered): void {
  app.addHook('onResponse', (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => {
    fn(request, reply);
    done();
  });
  const list = beforeRouting.get(app) ?? [];
  list.push(fn);
  beforeRouting.set(app, list);
}

export function answeredBeforeRouting(request: FastifyRequest, reply: FastifyReply): void {
  const list = beforeRouting.get(request.server);
  if (!list) return;
  reply.raw.once('finish', () => {
    for (const fn of list) fn(request, reply);
  });
}
