/**
 * Issue 9: GET /metrics in Prometheus text — requests by route pattern, GraphQL operation and
 * status with latency, SQL statements per request, the database pool, the process — every
 * label bounded; on the main port (optionally behind METRICS_TOKEN) or only on METRICS_PORT.
 */
import net, { type AddressInfo } from 'node:net';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { openDatabase } from '../../src/db/knex';
import { DB_CLIENT } from '../helpers/db';
import { startTestApp, TEST_SECRET, type TestApp } from '../helpers/app';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hit = samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return hit?.value;
}

const SEGMENT_ROUTE = '/customer-segment/:tenant/segments/:segmentId';

describe('on the main port', () => {
  let t: TestApp;
  const scrape = async () => {
    const res = await t.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.body, samples: parse(res.body) };
  };

  beforeAll(async () => {
    t = await startTestApp({ METRICS_OPERATION_NAMES: '3', METRICS_SQL_PER_REQUEST: 'true' });
    expect((await t.rest('PUT', '/segments/s-1', { body: { name: { en: 'One' }, siteCode: 'main' } })).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  test('requests are counted by method, route pattern, operation and status, with their latency', async () => {
    const labels = { method: 'GET', route: SEGMENT_ROUTE, operation: 'RestSegment', status: '404' };
    const before = value((await scrape()).samples, 'http_request_duration_seconds_count', labels) ?? 0;
    await t.rest('GET', '/segments/nope-1');
    await t.rest('GET', '/segments/nope-2');
    const { text, samples } = await scrape();
    expect(value(samples, 'http_request_duration_seconds_count', labels)).toBe(before + 2);
    expect(value(samples, 'http_request_duration_seconds_bucket', { ...labels, le: '+Inf' })).toBe(before + 2);
    expect(value(samples, 'http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    expect(value(samples, 'http_request_duration_seconds_count', { ...labels, status: '200' })).toBeUndefined();
    // Route patterns, never the URL a client sent.
    expect(text).not.toMatch(/nope-1|segments\/s-1/);
    for (const s of samples.filter((x) => x.labels.route)) expect(s.labels.route).toMatch(/^\/|^\(unmatched\)$/);
  });

  test('SQL statements: in all, and per request by route and operation', async () => {
    const labels = { route: SEGMENT_ROUTE, operation: 'RestSegment' };
    const before = parse((await t.app.inject({ url: '/metrics' })).body);
    expect((await t.rest('GET', '/segments/s-1')).statusCode).toBe(200);
    const after = (await scrape()).samples;
    expect(value(after, 'db_statements_total')).toBeGreaterThan(value(before, 'db_statements_total') ?? 0);
    expect(value(after, 'db_statements_per_request_count', labels)).toBe(
      (value(before, 'db_statements_per_request_count', labels) ?? 0) + 1,
    );
    const sum =
      (value(after, 'db_statements_per_request_sum', labels) ?? 0) -
      (value(before, 'db_statements_per_request_sum', labels) ?? 0);
    expect(sum).toBeGreaterThanOrEqual(1);
    expect(sum).toBeLessThanOrEqual(3);
    // A GraphQL operation counts its own statements too.
    await t.gql('query CountMe { segments { items { id customerCount } } }');
    expect(
      value((await scrape()).samples, 'db_statements_per_request_sum', { route: '/graphql', operation: 'CountMe' }),
    ).toBeGreaterThanOrEqual(1);
  });

  test('the database pool, read on each scrape', async () => {
    const { samples } = await scrape();
    expect(value(samples, 'db_pool_connections_max')).toBe(DB_CLIENT === 'mysql' ? 10 : 1);
    for (const name of [
      'db_pool_connections_used',
      'db_pool_connections_idle',
      'db_pool_acquires_pending',
      'db_pool_creates_pending',
    ]) {
      expect(value(samples, name)).toEqual(expect.any(Number));
    }
    // Idle + used is what the pool holds open: at least one connection after the requests above.
    expect(
      (value(samples, 'db_pool_connections_idle') ?? 0) + (value(samples, 'db_pool_connections_used') ?? 0),
    ).toBeGreaterThanOrEqual(1);
  });

  test('the process: event-loop lag, heap, RSS', async () => {
    const { samples } = await scrape();
    for (const name of ['nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes', 'process_resident_memory_bytes']) {
      expect(value(samples, name)).toBeGreaterThanOrEqual(0);
    }
  });

  test('GraphQL operation names are capped: the first few, then `other`', async () => {
    for (let i = 0; i < 6; i++) await t.gql(`query Chosen${i} { segment(id: "s-1") { id } }`);
    await t.gql(`query ${'Long'.repeat(40)} { segment(id: "s-1") { id } }`);
    await t.gql('{ segment(id: "s-1") { id } }');
    const names = new Set(
      (await scrape()).samples
        .filter((s) => s.name === 'http_request_duration_seconds_count' && s.labels.route === '/graphql')
        .map((s) => s.labels.operation),
    );
    // CountMe (earlier test) counts too: three names kept, anything later is `other`.
    expect(names.has('other')).toBe(true);
    expect([...names].filter((n) => n !== 'other').length).toBeLessThanOrEqual(3);
    expect(names.has('Chosen5')).toBe(false);
    expect([...names].some((n) => n.startsWith('LongLong'))).toBe(false);
  });

  test('requests refused while routing are counted as unmatched', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/customer-segment/acme/segments/%E0%A4%A' })).statusCode).toBe(400);
    expect(
      value((await scrape()).samples, 'http_request_duration_seconds_count', { route: '(unmatched)', status: '400' }),
    ).toBeGreaterThanOrEqual(1);
  });
});

test('by default no per-request SQL histogram (it costs CPU on every request); the total still counts', async () => {
  const t = await startTestApp();
  try {
    const before = value(parse((await t.app.inject({ url: '/metrics' })).body), 'db_statements_total') ?? 0;
    await t.rest('GET', '/segments');
    const text = (await t.app.inject({ url: '/metrics' })).body;
    expect(value(parse(text), 'db_statements_total')).toBeGreaterThan(before);
    expect(text).not.toMatch(/db_statements_per_request/);
  } finally {
    await t.close();
  }
});

test('never rate-limited: a scraper without a token is not held to the anonymous budget', async () => {
  const t = await startTestApp({ RATE_LIMIT: 'true', RATE_LIMIT_ANONYMOUS_MAX: '2' });
  try {
    for (let i = 0; i < 5; i++) expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(200);
    // The same address is limited elsewhere: two anonymous calls, then 429.
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await t.app.inject({ url: '/customer-segment/acme/segments' })).statusCode);
    expect(codes).toEqual([401, 401, 429]);
  } finally {
    await t.close();
  }
});

test('METRICS_TOKEN: /metrics on the main port needs the bearer token', async () => {
  const t = await startTestApp({ METRICS_TOKEN: 'scrape-secret' });
  try {
    expect((await t.app.inject({ url: '/metrics' })).statusCode).toBe(401);
    expect((await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer wrong' } })).statusCode).toBe(401);
    const ok = await t.app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-secret' } });
    expect(ok.statusCode).toBe(200);
    expect(ok.body).toMatch(/^# HELP /m);
  } finally {
    await t.close();
  }
});

test('METRICS_PORT: served there only, without a token; not on the main port', async () => {
  const t = await startTestApp({ METRICS_PORT: '0', METRICS_HOST: '127.0.0.1', METRICS_TOKEN: 'only-for-the-main-port' });
  try {
    const base = await t.listen();
    const server = t.app.metricsServer;
    if (!server) throw new Error('no metrics listener');
    const metricsBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(metricsBase).not.toBe(base);

    const main = await fetch(`${base}/metrics`);
    expect(main.status).toBe(404);
    await main.text();
    const health = await fetch(`${base}/health/live`);
    expect(health.status).toBe(200);
    await health.text();

    const res = await fetch(`${metricsBase}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parse(await res.text());
    expect(value(samples, 'http_request_duration_seconds_count', { route: '/health/live', status: '200' })).toBe(1);
    expect(value(samples, 'http_request_duration_seconds_count', { route: '(unmatched)', status: '404' })).toBe(1);
    const other = await fetch(`${metricsBase}/graphql`);
    expect(other.status).toBe(404);
    await other.text();
  } finally {
    await t.close();
  }
  expect(t.app.metricsServer?.listening).toBe(false);
});

test('a METRICS_PORT that cannot be bound fails start-up', async () => {
  const taken = net.createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as AddressInfo).port;
  const config = loadConfig({
    NODE_ENV: 'test',
    AUTH_JWT_SECRET: TEST_SECRET,
    METRICS_PORT: String(port),
    METRICS_HOST: '127.0.0.1',
  });
  const db = openDatabase({ client: 'sqlite', connection: ':memory:' });
  const { app } = await buildApp({ config, db });
  try {
    await expect(app.ready()).rejects.toThrow(/EADDRINUSE/);
  } finally {
    await app.close().catch(() => undefined);
    await db.knex.destroy();
    await new Promise((r) => taken.close(r));
  }
});

test('settings', () => {
  const env = { NODE_ENV: 'test' };
  expect(loadConfig(env).metrics).toEqual({ port: undefined, host: '127.0.0.1', token: undefined, sqlPerRequest: false });
  expect(loadConfig({ ...env, HOST: '0.0.0.0', METRICS_PORT: '9464', METRICS_TOKEN: 't' }).metrics).toEqual({
    port: 9464,
    host: '0.0.0.0',
    token: 't',
    sqlPerRequest: false,
  });
  expect(loadConfig({ ...env, METRICS_PORT: '9464', METRICS_HOST: '10.0.0.5' }).metrics.host).toBe('10.0.0.5');
  expect(() => loadConfig({ ...env, METRICS_PORT: 'high' })).toThrow(/METRICS_PORT/);
  // Tracing follows each request's async work already: the histogram comes with it.
  expect(loadConfig({ ...env, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).metrics.sqlPerRequest).toBe(true);
  expect(loadConfig({ ...env, METRICS_SQL_PER_REQUEST: 'true' }).metrics.sqlPerRequest).toBe(true);
  expect(loadConfig({ ...env, METRICS_OPERATION_NAMES: '5' }).limits.metricsOperationNames).toBe(5);
});
