import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import Redis from 'ioredis';
import type { RateLimitConfig } from '../config';
import { limits } from '../limits';
import { sendProblem } from './faces';

/** Paths that are never limited: load balancers and scrapers poll them. */
const UNLIMITED = /^\/(health|metrics)(\/|$|\?)/;

/**
 * The budget a request draws from. Authenticated callers are limited per tenant and token
 * subject (many users behind one proxy stay apart, one user on many addresses does not escape);
 * callers without a token per address; a token that failed verification per address too, with
 * a much smaller budget, so guessing tokens is slow. Keys never hold client text beyond a
 * verified subject or an address.
 */
function bucket(request: FastifyRequest): { key: string; max: number } {
  const l = limits();
  if (request.viewer) return { key: `t:${request.viewer.tenant}:${request.viewer.subject ?? '*'}`, max: l.rateLimitMax };
  if (request.authFailure) return { key: `f:${request.ip}`, max: l.rateLimitAuthFailureMax };
  return { key: `a:${request.ip}`, max: l.rateLimitAnonymousMax };
}

/**
 * Per-client rate limits (@fastify/rate-limit), checked right after the token (identify.ts) and
 * before the body is read. With `RATE_LIMIT_REDIS_URL` the counters live in Redis, so several
 * instances behind a load balancer share them; otherwise in a bounded in-process LRU.
 *
 * Redis is an aid, not a dependency: every Redis call has a short time limit, and when Redis
 * does not answer the request passes (fail open) and a warning is logged — an outage of the
 * limiter's store must not become an outage of the service.
 */
export async function registerRateLimit(app: FastifyInstance, config: RateLimitConfig): Promise<void> {
  if (!config.enabled) return;
  let redis: Redis | undefined;
  if (config.redisUrl) {
    redis = new Redis(config.redisUrl, {
      connectTimeout: 1000,
      commandTimeout: 500,
      maxRetriesPerRequest: 1,
      // Queued commands while disconnected would wait without bound: fail them at once instead.
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    let lastWarning = 0;
    redis.on('error', (err: Error) => {
      // A dead Redis errors on every reconnect attempt; one line a minute is enough.
      if (Date.now() - lastWarning < 60_000) return;
      lastWarning = Date.now();
      app.log.warn({ err: { message: err.message } }, 'rate-limit store (Redis) unavailable; requests pass unlimited');
    });
    app.addHook('onClose', async () => {
      redis?.disconnect();
    });
    // Commands before the connection is up would fail open: give it a moment at start-up.
    if (!(await ready(redis, 2000))) app.log.warn('rate-limit store (Redis) not reachable at start-up; limits apply once it is');
  }
  await app.register(rateLimit, {
    // Not a hook on every route: checked once below, after identify.ts, in one visible place.
    global: false,
    keyGenerator: (request) => bucket(request).key,
    max: (request) => bucket(request).max,
    timeWindow: limits().rateLimitWindowMs,
    redis,
    nameSpace: config.redisPrefix,
    skipOnError: true,
    // In-process store: at most this many clients are tracked (LRU).
    cache: 10_000,
  });
  const check = app.createRateLimit();
  app.addHook('onRequest', async (request, reply) => {
    if (UNLIMITED.test(request.url)) return;
    const result = await check(request);
    if (result.isAllowed) return;
    // draft-ietf-httpapi-ratelimit-headers names, plus Retry-After (RFC 9110) on a 429.
    reply.header('RateLimit-Limit', result.max);
    reply.header('RateLimit-Remaining', result.remaining);
    reply.header('RateLimit-Reset', result.ttlInSeconds);
    if (!result.isExceeded) return;
    reply.header('Retry-After', result.ttlInSeconds);
    return sendProblem(request, reply, {
      status: 429,
      message: `Too many requests; retry in ${result.ttlInSeconds} s`,
    });
  });
}

function ready(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === 'ready') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.removeListener('ready', onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once('ready', onReady);
  });
}
