/**
 * Issue 9: OpenTelemetry tracing. Run in child processes on the compiled code: the
 * instrumentations hook Node's `require`, which Jest's module registry bypasses.
 * - With an in-memory exporter (traced-app.js): a REST and a GraphQL request over HTTP each make
 *   one trace — the HTTP server span named after its route, the GraphQL operation under it, and
 *   the SQL statements under that (Knex; mysql2 below Knex on MySQL).
 * - The real entry point with OTEL_EXPORTER_OTLP_ENDPOINT exports over OTLP/HTTP to a collector.
 * - Without it, nothing of the SDK or the instrumentations is loaded.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { signToken } from '../../src/auth/token';
import { tracingConfig } from '../../src/config';
import { ALL_SCOPES, TEST_SECRET } from '../helpers/app';
import { createTestDatabase, DB_CLIENT, type TestDatabase } from '../helpers/db';
import { freePort } from '../helpers/net';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(120_000);

const SERVER = 1;
const CLIENT = 2;

interface SpanOut {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Record<string, unknown>;
}

let tdb: TestDatabase;
let dbEnv: Record<string, string>;
let dataDir: string;

beforeAll(async () => {
  execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  tdb = await createTestDatabase();
  dbEnv = tdb.config.client === 'mysql' ? { DATABASE_URL: tdb.config.connection } : { SQLITE_FILE: tdb.config.connection };
  // The children are the database's only users while they run.
  await tdb.db.knex.destroy();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'csg-tracing-'));
});
afterAll(async () => {
  await tdb.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function baseEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '', AUTH_JWT_SECRET: TEST_SECRET, DATA_DIR: dataDir, ...dbEnv };
}

/** Runs a child to its end; resolves with its stdout. */
function run(args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}:\n${err}\n${out}`))));
  });
}

/** The chain of spans from `span` up to its trace's root. */
function ancestry(spans: SpanOut[], span: SpanOut): SpanOut[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: SpanOut[] = [];
  for (let s: SpanOut | undefined = span; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined) chain.push(s);
  return chain;
}

test('in-memory exporter: HTTP, GraphQL operation and SQL spans of one request share a trace and nest', async () => {
  const out = await run([path.join(__dirname, 'traced-app.js')], baseEnv());
  const { statuses, spans } = JSON.parse(out.trim().split('\n').pop() as string) as { statuses: number[]; spans: SpanOut[] };
  expect(statuses).toEqual([201, 200, 200, 200]);

  const check = (serverName: string, route: string, operation: string) => {
    const server = spans.find((s) => s.kind === SERVER && s.name === serverName);
    if (!server) throw new Error(`no server span ${serverName} in ${spans.map((s) => s.name).join(', ')}`);
    expect(server.attributes['http.route']).toBe(route);
    expect(server.parentSpanId).toBeUndefined();
    const trace = spans.filter((s) => s.traceId === server.traceId);
    const op = trace.find((s) => s.name === `query ${operation}`);
    expect(op).toBeDefined();
    expect(op?.parentSpanId).toBe(server.spanId);
    expect(op?.attributes['graphql.operation.name']).toBe(operation);
    // Knex's span for the statement (and on MySQL mysql2's below it), under the operation.
    const sql = trace.filter((s) => s.kind === CLIENT && String(s.attributes['db.query.text'] ?? '').includes('FROM segments'));
    expect(sql.length).toBeGreaterThanOrEqual(DB_CLIENT === 'mysql' ? 2 : 1);
    for (const s of sql)
      expect(ancestry(spans, s).map((a) => a.spanId)).toEqual(expect.arrayContaining([op?.spanId, server.spanId]));
    const systems = new Set(sql.map((s) => s.attributes['db.system.name']));
    expect(systems).toEqual(DB_CLIENT === 'mysql' ? new Set(['mysql2', 'mysql']) : new Set(['better-sqlite3']));
    return trace;
  };
  const rest = check(
    'GET /customer-segment/:tenant/segments/:segmentId',
    '/customer-segment/:tenant/segments/:segmentId',
    'RestSegment',
  );
  const graphql = check('POST /graphql', '/graphql', 'TracedSegment');
  expect(rest[0].traceId).not.toBe(graphql[0].traceId);
  // graphql-js's parse and validate (Apollo's) in the GraphQL request's trace.
  expect(graphql.map((s) => s.name)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate']));
  // Probes are not traced.
  expect(spans.some((s) => String(s.attributes['http.route'] ?? s.name).includes('/health'))).toBe(false);
});

const LOADED = `
  const loaded = () => Object.keys(require.cache).filter((k) => /@opentelemetry[\\\\/](sdk-|instrumentation|exporter)/.test(k)).length;
  require('./dist/src/tracing/register.js');
  require('./dist/src/app.js');
  process.stdout.write(String(loaded()));
`;

test('off without an OTLP endpoint: neither SDK nor instrumentations are loaded', async () => {
  expect(await run(['-e', LOADED], baseEnv())).toBe('0');
  expect(Number(await run(['-e', LOADED], { ...baseEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9' }))).toBeGreaterThan(
    0,
  );
  expect(
    await run(['-e', LOADED], { ...baseEnv(), OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' }),
  ).toBe('0');
});

interface OtlpExport {
  resourceSpans: {
    resource: { attributes: { key: string; value: { stringValue?: string } }[] };
    scopeSpans: { spans: { name: string; traceId: string; attributes: { key: string }[] }[] }[];
  }[];
}

test('the server entry with OTEL_EXPORTER_OTLP_ENDPOINT exports its spans over OTLP/HTTP', async () => {
  const received: OtlpExport[] = [];
  const collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/traces') received.push(JSON.parse(body) as OtlpExport);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/src/server.js')], {
    cwd: ROOT,
    env: {
      ...baseEnv(),
      NODE_ENV: 'development',
      HOST: '127.0.0.1',
      PORT: String(port),
      SEED_DEMO: 'false',
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as net.AddressInfo).port}`,
      OTEL_SERVICE_NAME: 'csg-under-test',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 200; i++) {
      try {
        if ((await fetch(`${base}/health/ready`)).status === 200) break;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    const token = await signToken(TEST_SECRET, { tenant: 'acme', scopes: [...ALL_SCOPES] });
    const res = await fetch(`${base}/customer-segment/acme/segments/s-none`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(404);
    await res.text();
    // SIGTERM: the server exports what is queued before it exits.
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => collector.close(r));
  }
  const spans = received.flatMap((e) => e.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));
  const names = spans.map((s) => s.name);
  expect(names).toEqual(expect.arrayContaining(['GET /customer-segment/:tenant/segments/:segmentId', 'query RestSegment']));
  // Knex was instrumented: the server entry registered tracing before it loaded Knex.
  expect(spans.some((s) => s.attributes.some((a) => a.key === 'db.query.text'))).toBe(true);
  const service = received[0].resourceSpans[0].resource.attributes.find((a) => a.key === 'service.name');
  expect(service?.value.stringValue).toBe('csg-under-test');
});

test('settings: on with either standard endpoint variable, unless the SDK is disabled', () => {
  expect(tracingConfig({}).enabled).toBe(false);
  expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' })).toEqual({
    enabled: true,
    serviceName: 'customer-segment-gateway',
  });
  expect(tracingConfig({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces', OTEL_SERVICE_NAME: 'csg-eu' })).toEqual({
    enabled: true,
    serviceName: 'csg-eu',
  });
  expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
  expect(tracingConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
});
