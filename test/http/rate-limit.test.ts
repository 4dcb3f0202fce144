/**
 * Issue 7, finding 3: per-client rate limits over real HTTP — per tenant + subject when
 * authenticated, per address otherwise, a tighter budget for failed tokens, 429 in each face's
 * shape with Retry-After and RateLimit-* — and, with a Redis store, limits that hold across two
 * instances.
 */
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { loadConfig } from '../../src/config';
import { freePort } from '../helpers/net';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const json = { 'content-type': 'application/json' };

const LIMITS = {
  RATE_LIMIT: 'true',
  RATE_LIMIT_MAX: '12',
  RATE_LIMIT_ANONYMOUS_MAX: '8',
  RATE_LIMIT_AUTH_FAILURE_MAX: '4',
};

async function get(base: string, path: string, token?: string): Promise<Response> {
  return fetch(`${base}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
}

async function statuses(n: number, send: () => Promise<Response>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const res = await send();
    await res.arrayBuffer();
    out.push(res.status);
  }
  return out;
}

describe('in-process limits', () => {
  let t: TestApp;
  let base: string;
  beforeAll(async () => {
    t = await startTestApp(LIMITS);
    base = await t.listen();
  });
  afterAll(() => t.close());

  test('a bad token: a few 401s, then 429 with the Error body, Retry-After and RateLimit-*', async () => {
    const codes = await statuses(6, () => get(base, '/customer-segment/acme/segments', 'not.a.token'));
    expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
    const res = await get(base, '/customer-segment/acme/segments', 'not.a.token');
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual({
      code: 429,
      status: 'Too Many Requests',
      message: expect.stringMatching(/^Too many requests; retry in \d+ s$/),
    });
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(res.headers.get('ratelimit-limit')).toBe('4');
    expect(res.headers.get('ratelimit-remaining')).toBe('0');
    // The same address on /graphql with a bad token draws from the same budget: a GraphQL 429.
    const gql = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { ...json, authorization: 'Bearer not.a.token' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(gql.status).toBe(429);
    const body = (await gql.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(body.errors[0].extensions.code).toBe('RATE_LIMITED');
    expect(gql.headers.get('retry-after')).not.toBeNull();
  });

  test('valid tokens keep their own budget per tenant and subject, untouched by failed ones', async () => {
    const alice = await t.token({ customerId: 'alice', scopes: [SCOPE.read] });
    const bob = await t.token({ customerId: 'bob', scopes: [SCOPE.read] });
    const aliceCodes = await statuses(14, () => get(base, '/customer-segment/acme/segments', alice));
    expect(aliceCodes.slice(0, 12).every((c) => c === 200)).toBe(true);
    expect(aliceCodes.slice(12)).toEqual([429, 429]);
    // A second token of the same subject shares the budget; another subject does not.
    const aliceAgain = await t.token({ customerId: 'alice', scopes: [SCOPE.read], expiresIn: '2h' });
    expect((await get(base, '/customer-segment/acme/segments', aliceAgain)).status).toBe(429);
    const ok = await get(base, '/customer-segment/acme/segments', bob);
    expect(ok.status).toBe(200);
    expect(ok.headers.get('ratelimit-limit')).toBe('12');
    expect(ok.headers.get('ratelimit-remaining')).toBe('11');
  });

  test('callers without a token are limited per address', async () => {
    const introspect = () =>
      fetch(`${base}/graphql`, { method: 'POST', headers: json, body: JSON.stringify({ query: '{ __typename }' }) });
    const codes = await statuses(10, introspect);
    expect(codes.slice(0, 8).every((c) => c === 200)).toBe(true);
    expect(codes.slice(8)).toEqual([429, 429]);
  });

  test('health checks are never limited', async () => {
    const codes = await statuses(12, () => get(base, '/health'));
    expect(codes.every((c) => c === 200)).toBe(true);
  });
});

describe('settings', () => {
  test('off by default outside production, on by default in production', () => {
    expect(loadConfig({ NODE_ENV: 'test' }).rateLimit.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'development' }).rateLimit.enabled).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40) }).rateLimit.enabled).toBe(true);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40), RATE_LIMIT: 'false' }).rateLimit.enabled).toBe(
      false,
    );
    expect(() => loadConfig({ RATE_LIMIT_MAX: '0' })).toThrow(/RATE_LIMIT_MAX/);
    expect(() => loadConfig({ RATE_LIMIT_REDIS_URL: 'http://x' })).toThrow(/RATE_LIMIT_REDIS_URL/);
  });

  test('with the limit off, answers carry no rate-limit headers', async () => {
    const t = await startTestApp();
    try {
      const base = await t.listen();
      const res = await get(base, '/customer-segment/acme/segments', await t.token());
      expect(res.status).toBe(200);
      expect(res.headers.get('ratelimit-limit')).toBeNull();
    } finally {
      await t.close();
    }
  });
});

describe('a Redis store shared by two instances', () => {
  const prefix = `csg-test-${randomBytes(4).toString('hex')}:`;
  let one: TestApp;
  let two: TestApp;
  let bases: string[];
  beforeAll(async () => {
    const env = { ...LIMITS, RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_REDIS_PREFIX: prefix };
    one = await startTestApp(env);
    two = await startTestApp(env);
    bases = [await one.listen(), await two.listen()];
  });
  afterAll(async () => {
    await Promise.all([one.close(), two.close()]);
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  test('the budget holds across instances: requests alternating between them get max answers in all', async () => {
    // Both instances sign with the same secret, so one token is valid on either.
    const token = await one.token({ customerId: 'shared-client', scopes: [SCOPE.read] });
    let i = 0;
    const codes = await statuses(16, () => get(bases[i++ % 2], '/customer-segment/acme/segments', token));
    expect(codes.filter((c) => c === 200)).toHaveLength(12);
    expect(codes.slice(12)).toEqual([429, 429, 429, 429]);
    // Both instances refuse now, whichever the next request reaches.
    expect((await get(bases[0], '/customer-segment/acme/segments', token)).status).toBe(429);
    expect((await get(bases[1], '/customer-segment/acme/segments', token)).status).toBe(429);
  });

  test('failed tokens are counted across instances too', async () => {
    let i = 0;
    const codes = await statuses(6, () => get(bases[i++ % 2], '/customer-segment/acme/segments', 'forged.token.here'));
    expect(codes).toEqual([401, 401, 401, 401, 429, 429]);
  });
});

describe('Redis unreachable', () => {
  test('requests pass (fail open) and answer promptly', async () => {
    const port = await freePort(); // a port that accepts nothing
    const t = await startTestApp({ ...LIMITS, RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${port}` });
    try {
      const base = await t.listen();
      const token = await t.token();
      const started = Date.now();
      const codes = await statuses(5, () => get(base, '/customer-segment/acme/segments', token));
      expect(codes).toEqual([200, 200, 200, 200, 200]);
      // Each request may wait at most the Redis command limit (500 ms), not the connect retries.
      expect(Date.now() - started).toBeLessThan(5 * 1000);
    } finally {
      await t.close();
    }
  });
});
