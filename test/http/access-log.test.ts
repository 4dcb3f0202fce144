/**
 * Issue 9: one access line per request — method, route pattern, status, duration, request id,
 * tenant, GraphQL operation — instead of Fastify's two; probes and scrapes only at debug; client
 * errors never with a stack.
 */
import { loadConfig } from '../../src/config';
import { startTestApp, type TestApp } from '../helpers/app';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  method?: string;
  route?: string | null;
  url?: string;
  status?: number;
  durationMs?: number;
  tenant?: string;
  operation?: string;
}

function collector() {
  const lines: LogLine[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) } };
}

/** The access line is written once the answer has gone out, so it may follow the response by a tick. */
async function settle(lines: LogLine[], reqId: string, expectLine: boolean): Promise<LogLine[]> {
  for (let i = 0; i < 50 && expectLine && !lines.some((l) => l.reqId === reqId && l.msg === 'request'); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, expectLine ? 20 : 100));
  return lines.filter((l) => l.reqId === reqId);
}

describe('at info', () => {
  let t: TestApp;
  let base: string;
  const { lines, stream } = collector();
  let n = 0;
  const send = async (
    path: string,
    init: { method?: string; body?: string; headers?: Record<string, string> } = {},
    token = true,
  ) => {
    const reqId = `access-${++n}`;
    const headers: Record<string, string> = { 'x-request-id': reqId, ...(init.headers ?? {}) };
    if (token) headers.authorization = `Bearer ${await t.token()}`;
    const res = await fetch(`${base}${path}`, { ...init, headers });
    const body = await res.text();
    return { reqId, status: res.status, body };
  };

  beforeAll(async () => {
    t = await startTestApp({ LOG_LEVEL: 'info' }, { logStream: stream });
    base = await t.listen();
    expect((await t.rest('PUT', '/segments/s-1', { body: { name: { en: 'One' }, siteCode: 'main' } })).statusCode).toBe(201);
  });
  afterAll(() => t.close());

  test('a REST request: exactly one line, with route pattern, status, duration, tenant and operation', async () => {
    const { reqId, status } = await send('/customer-segment/acme/segments/s-1');
    expect(status).toBe(200);
    const logged = await settle(lines, reqId, true);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      level: 30,
      msg: 'request',
      reqId,
      method: 'GET',
      route: '/customer-segment/:tenant/segments/:segmentId',
      status: 200,
      tenant: 'acme',
      operation: 'RestSegment',
    });
    expect(logged[0].durationMs).toEqual(expect.any(Number));
    expect(logged[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(logged[0]).not.toHaveProperty('url');
  });

  test('a GraphQL request: the operation name the client gave', async () => {
    const { reqId, status } = await send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query FindOne { segment(id: "s-1") { id } }' }),
    });
    expect(status).toBe(200);
    const logged = await settle(lines, reqId, true);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({
      msg: 'request',
      method: 'POST',
      route: '/graphql',
      status: 200,
      tenant: 'acme',
      operation: 'FindOne',
    });
  });

  test('an over-long operation name is cut in the line', async () => {
    const name = `Op${'x'.repeat(500)}`;
    const { reqId } = await send('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `query ${name} { segment(id: "s-1") { id } }` }),
    });
    const [line] = await settle(lines, reqId, true);
    expect(line.operation?.length).toBeLessThanOrEqual(201);
  });

  test.each(['/health', '/health/live', '/health/ready', '/metrics'])('%s is not logged at info', async (path) => {
    const { reqId, status } = await send(path, {}, false);
    expect(status).toBe(200);
    expect(await settle(lines, reqId, false)).toEqual([]);
  });

  test('client errors: one line each, no error object, no stack anywhere', async () => {
    const cases = [
      await send('/customer-segment/acme/segments', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"name": ',
      }),
      await send('/customer-segment/acme/segments', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'x' }),
      await send('/customer-segment/acme/segments?pageSize=0'),
      await send('/customer-segment/acme/segments/nope'),
      await send('/customer-segment/acme/segments/s-1', { headers: { authorization: 'Bearer not-a-token' } }, false),
      await send('/customer-segment/acme/segments/s-1', {}, false),
      await send('/customer-segment/acme/segments/s-1', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '[' + '['.repeat(100),
      }),
      await send('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query":"{ segment(id: "}',
      }),
      await send('/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ nope }"}' }),
      await send('/nowhere/%E0%A4%A'),
      await send(`/customer-segment/acme/segments/${'x'.repeat(600)}`),
      await send('/no/such/path?secret=1'),
    ];
    for (const c of cases) {
      const logged = await settle(lines, c.reqId, true);
      expect({ i: cases.indexOf(c), logged: logged.length }).toEqual({ i: cases.indexOf(c), logged: 1 });
      expect(logged[0]).toMatchObject({ msg: 'request', level: 30 });
      expect(logged[0].status).toBe(c.status);
      expect(logged[0].status === 200 || (logged[0].status as number) < 500).toBe(true);
      expect(JSON.stringify(logged)).not.toMatch(/stack|"err"/);
    }
    expect(cases.map((c) => c.status)).toEqual([400, 415, 400, 404, 401, 401, 400, 400, 400, 400, 414, 404]);
  });

  test('a tenant only the path names is cut like other client text', async () => {
    const { reqId, status } = await send(`/customer-segment/${'t'.repeat(300)}/segments`, {}, false);
    expect(status).toBe(401);
    const [line] = await settle(lines, reqId, true);
    expect(line.tenant?.length).toBe(201);
  });

  test('a path no route matches: route null, the path without its query', async () => {
    const { reqId } = await send('/no/such/path?secret=1');
    const [line] = await settle(lines, reqId, true);
    expect(line).toMatchObject({ route: null, url: '/no/such/path', status: 404 });
  });
});

test('at debug, probes and scrapes are logged too', async () => {
  const { lines, stream } = collector();
  const t = await startTestApp({ LOG_LEVEL: 'debug' }, { logStream: stream });
  try {
    const base = await t.listen();
    const res = await fetch(`${base}/health/ready`, { headers: { 'x-request-id': 'probe-1' } });
    await res.text();
    const logged = (await settle(lines, 'probe-1', true)).filter((l) => l.msg === 'request');
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ level: 20, route: '/health/ready', status: 200 });
  } finally {
    await t.close();
  }
});

test('LOG_LEVEL=warn writes no access lines', async () => {
  const { lines, stream } = collector();
  const t = await startTestApp({ LOG_LEVEL: 'warn' }, { logStream: stream });
  try {
    expect((await t.rest('GET', '/segments')).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 50));
    expect(lines.filter((l) => l.msg === 'request')).toEqual([]);
  } finally {
    await t.close();
  }
});

test('LOG_FORMAT: JSON unless asked for pretty (or in development on a terminal)', () => {
  expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) }).logFormat).toBe('json');
  expect(loadConfig({ NODE_ENV: 'test' }).logFormat).toBe('json');
  expect(loadConfig({ NODE_ENV: 'test', LOG_FORMAT: 'pretty' }).logFormat).toBe('pretty');
  // Jest's stdout is not a terminal: development falls back to JSON here.
  expect(loadConfig({}).logFormat).toBe(process.stdout.isTTY ? 'pretty' : 'json');
  expect(() => loadConfig({ LOG_FORMAT: 'xml' })).toThrow(/LOG_FORMAT/);
});
