/**
 * Issue 8, finding 4: every server error is logged at error level with the request id, the route
 * or GraphQL operation, the tenant and the cause — and the cause never reaches the client.
 * The database is broken on purpose (its segments table renamed away) so reads fail inside SQL.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { assertNoLeak } from '../rest/_support';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  route?: string;
  operation?: string;
  tenant?: string;
  status?: number;
  err?: { message?: string; type?: string };
}

let t: TestApp;
let base: string;
const lines: LogLine[] = [];

beforeAll(async () => {
  t = await startTestApp({ LOG_LEVEL: 'info' }, { logStream: { write: (line) => void lines.push(JSON.parse(line)) } });
  base = await t.listen();
  await t.db.knex.schema.renameTable('segments', 'segments_elsewhere');
});
afterAll(async () => {
  await t.db.knex.schema.renameTable('segments_elsewhere', 'segments');
  await t.close();
});

const errorsFor = (reqId: string) => lines.filter((l) => l.level >= 50 && l.reqId === reqId);

test('a REST 500: Error body without cause; one error line with request id, route, operation, tenant and cause', async () => {
  const res = await fetch(`${base}/customer-segment/acme/segments/s-1`, {
    headers: { authorization: `Bearer ${await t.token()}`, 'x-request-id': 'trace-rest-1' },
  });
  const text = await res.text();
  expect(res.status).toBe(500);
  expect(JSON.parse(text)).toEqual({ code: 500, status: 'Internal Server Error', message: 'Internal server error' });
  assertNoLeak(text, 'REST 500');
  expect(res.headers.get('x-request-id')).toBe('trace-rest-1');
  const logged = errorsFor('trace-rest-1');
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({
    msg: 'server error',
    status: 500,
    route: '/customer-segment/:tenant/segments/:segmentId',
    operation: 'RestSegment',
    tenant: 'acme',
  });
  expect(logged[0].err?.message).toMatch(/segments/);
});

test('a GraphQL internal error: INTERNAL_SERVER_ERROR without cause; logged with the operation name', async () => {
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await t.token()}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: 'query FindOne { segment(id: "s-1") { id } }' }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { errors: { message: string; extensions: { code: string } }[] };
  expect(body.errors[0]).toMatchObject({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  assertNoLeak(text, 'GraphQL internal error');
  const reqId = res.headers.get('x-request-id') as string;
  expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
  const logged = errorsFor(reqId);
  expect(logged).toHaveLength(1);
  expect(logged[0]).toMatchObject({ msg: 'server error', route: '/graphql', operation: 'FindOne', tenant: 'acme' });
  expect(logged[0].err?.message).toMatch(/segments/);
});

test('client errors are not logged at error level', async () => {
  const res = await fetch(`${base}/customer-segment/acme/segments?pageSize=0`, {
    headers: { authorization: `Bearer ${await t.token()}`, 'x-request-id': 'trace-400' },
  });
  expect(res.status).toBe(400);
  await res.text();
  expect(errorsFor('trace-400')).toHaveLength(0);
});

test('a request id that is not a plain token is replaced, not echoed', async () => {
  const res = await fetch(`${base}/health`, { headers: { 'x-request-id': 'bad id\twith spaces' } });
  await res.text();
  expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});
