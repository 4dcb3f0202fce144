/**
 * Issue 7 over real HTTP (a listening server, Node's fetch and raw sockets): answers keep their
 * documented shapes whatever the framework objects to, checks run in docs/behaviour.md's order before
 * the body is read, tokens must expire, production defaults are closed.
 */
import http from 'node:http';
import { signToken } from '../../src/auth/token';
import { SCOPE, startTestApp, TEST_SECRET, type TestApp } from '../helpers/app';
import { assertNoLeak } from '../rest/_support';

let t: TestApp;
let base: string;
let admin: string;

beforeAll(async () => {
  t = await startTestApp();
  base = await t.listen();
  admin = await t.token();
});
afterAll(() => t.close());

const json = { 'content-type': 'application/json' };

async function call(
  method: string,
  path: string,
  opts: { token?: string | null; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; text: string; body: unknown }> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  const token = opts.token === undefined ? admin : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: opts.body });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

function expectErrorBody(res: { status: number; body: unknown; text: string }, status: number, message?: RegExp): void {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ code: status, status: expect.any(String), message: expect.any(String) });
  expect(Object.keys(res.body as object).every((k) => ['code', 'status', 'message', 'resourceId', 'details'].includes(k))).toBe(
    true,
  );
  if (message) expect((res.body as { message: string }).message).toMatch(message);
  assertNoLeak(res.text, `${status}`);
}

function expectGraphqlError(res: { body: unknown; text: string }, code: string): void {
  const body = res.body as { errors?: { message: string; extensions?: { code?: string } }[]; data?: unknown };
  expect(Array.isArray(body.errors)).toBe(true);
  expect(body.errors?.[0].extensions?.code).toBe(code);
  expect(res.text).not.toMatch(/FST_ERR|statusCode/);
  assertNoLeak(res.text, code);
}

/** Streams `size` bytes as a JSON body without waiting for the answer first, like a naive client. */
function upload(path: string, size: number, token: string): Promise<{ status: number; body: string } | { error: string }> {
  const url = new URL(`${base}${path}`);
  return new Promise((resolve) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: url.pathname,
        headers: { 'content-type': 'application/json', 'content-length': size, authorization: `Bearer ${token}` },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const write = (): void => {
      while (sent < size) {
        const c = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += c.length;
        if (!req.write(c)) {
          req.once('drain', write);
          return;
        }
      }
      req.end();
    };
    write();
  });
}

describe('answers outside the documented shapes (finding 7)', () => {
  test('a path parameter over the router limit is a 414 Error body that does not echo the URL', async () => {
    const long = 'x'.repeat(600);
    const res = await call('GET', `/customer-segment/acme/segments/${long}`);
    expectErrorBody(res, 414);
    expect(res.text).not.toContain(long);
  });

  test('a malformed percent-encoding is a 400 Error body', async () => {
    const res = await call('GET', '/customer-segment/acme/segments/%zz');
    expectErrorBody(res, 400, /URL/);
  });

  test('unknown paths and methods keep the Error body', async () => {
    expectErrorBody(await call('GET', '/customer-segment/acme/nothing-here'), 404);
    expectErrorBody(await call('PATCH', '/customer-segment/acme/segments/bulk'), 405);
  });

  test('/graphql: malformed JSON, an empty body and a missing or wrong content type are GraphQL errors', async () => {
    const bad = await call('POST', '/graphql', { body: '{bad', headers: json });
    expect(bad.status).toBe(400);
    expectGraphqlError(bad, 'BAD_REQUEST');
    const empty = await call('POST', '/graphql', { body: '', headers: json });
    expect(empty.status).toBe(400);
    expectGraphqlError(empty, 'BAD_REQUEST');
    const none = await call('POST', '/graphql', { body: '{"query":"{ __typename }"}' });
    expect(none.status).toBe(415);
    expectGraphqlError(none, 'UNSUPPORTED_MEDIA_TYPE');
    const plain = await call('POST', '/graphql', {
      body: '{"query":"{ __typename }"}',
      headers: { 'content-type': 'text/plain' },
    });
    expect(plain.status).toBe(415);
    expectGraphqlError(plain, 'UNSUPPORTED_MEDIA_TYPE');
    const deep = await call('POST', '/graphql', { body: `${'['.repeat(5000)}${']'.repeat(5000)}`, headers: json });
    expect(deep.status).toBe(400);
    expectGraphqlError(deep, 'BAD_REQUEST');
  });

  test('a subscription is BAD_REQUEST and an APQ request PERSISTED_QUERY_NOT_SUPPORTED, not internal errors', async () => {
    const sub = await call('POST', '/graphql', { body: JSON.stringify({ query: 'subscription { x }' }), headers: json });
    expect(sub.status).toBe(400);
    expectGraphqlError(sub, 'BAD_REQUEST');
    const apq = await call('POST', '/graphql', {
      body: JSON.stringify({
        query: '{ __typename }',
        extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } },
      }),
      headers: json,
    });
    // Automatic persisted queries are off (a store keyed by client text); Apollo's protocol answers
    // this with 200 so that clients fall back to sending the query.
    expect(apq.status).toBe(200);
    expectGraphqlError(apq, 'PERSISTED_QUERY_NOT_SUPPORTED');
  });

  test('a body over 10 MB: the client gets to read the 413, on both faces', async () => {
    for (let i = 0; i < 3; i++) {
      const rest = await upload('/customer-segment/acme/segments', 11 * 1024 * 1024, admin);
      expect(rest).toMatchObject({ status: 413 });
      expect(JSON.parse((rest as { body: string }).body)).toMatchObject({ code: 413, status: 'Payload Too Large' });
    }
    const gql = await upload('/graphql', 11 * 1024 * 1024, admin);
    expect(gql).toMatchObject({ status: 413 });
    expect(JSON.parse((gql as { body: string }).body).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('order of checks: token → tenant → scope → input → existence (finding 8)', () => {
  test('malformed JSON with a foreign-tenant token is a 401, with a token lacking the scope a 403', async () => {
    const globex = await t.token({ tenant: 'globex' });
    const foreign = await call('POST', '/customer-segment/acme/segments', { token: globex, body: '{bad', headers: json });
    expect(foreign.status).toBe(401);
    expect(foreign.body).toEqual({
      fault: { faultstring: 'Invalid access token for this tenant', detail: { errorcode: 'oauth.v2.InvalidAccessToken' } },
    });
    const reader = await t.token({ scopes: [SCOPE.read] });
    const denied = await call('POST', '/customer-segment/acme/segments', { token: reader, body: '{bad', headers: json });
    expectErrorBody(denied, 403, new RegExp(SCOPE.manage.replace(/\./g, '\\.')));
  });

  test('a 403 names the scopes the operation needs, on REST as on GraphQL', async () => {
    const manager = await t.token({ scopes: [SCOPE.manage] });
    const rest = await call('GET', '/customer-segment/acme/segments', { token: manager });
    expectErrorBody(rest, 403);
    expect((rest.body as { message: string }).message).toContain(SCOPE.read);
    expect((rest.body as { message: string }).message).toContain(SCOPE.readOwn);
    const gql = await call('POST', '/graphql', {
      token: manager,
      body: JSON.stringify({ query: '{ segments { totalCount } }' }),
      headers: json,
    });
    const error = (gql.body as { errors: { message: string; extensions: { code: string } }[] }).errors[0];
    expect(error.extensions.code).toBe('FORBIDDEN');
    expect(error.message).toContain(SCOPE.read);
  });

  test('an oversized body from a caller without a valid token is a 401, not a 413', async () => {
    const res = await upload('/customer-segment/acme/segments', 11 * 1024 * 1024, 'not-a-token');
    expect(res).toMatchObject({ status: 401 });
  });

  test('PATCH of a missing segment: a body that is not an array, or an unknown op, is a 400 (input before existence)', async () => {
    const notArray = await call('PATCH', '/customer-segment/acme/segments/missing-one', {
      body: JSON.stringify({ op: 'replace' }),
      headers: json,
    });
    expectErrorBody(notArray, 400);
    const unknownOp = await call('PATCH', '/customer-segment/acme/segments/missing-one', {
      body: JSON.stringify([{ op: 'frobnicate', path: '/status', value: 'ACTIVE' }]),
      headers: json,
    });
    expectErrorBody(unknownOp, 400, /op must be one of/);
    const noPath = await call('PATCH', '/customer-segment/acme/segments/missing-one', {
      body: JSON.stringify([{ op: 'replace', value: 'ACTIVE' }]),
      headers: json,
    });
    expectErrorBody(noPath, 400);
    // A well-formed patch of the same missing segment is still the 404.
    const wellFormed = await call('PATCH', '/customer-segment/acme/segments/missing-one', {
      body: JSON.stringify([{ op: 'replace', path: '/status', value: 'ACTIVE' }]),
      headers: json,
    });
    expectErrorBody(wellFormed, 404);
  });
});

describe('tokens must expire (finding 5)', () => {
  test('a token without exp is a 401 on REST and on GraphQL', async () => {
    const { SignJWT } = await import('jose');
    const forever = await new SignJWT({ tenant: 'acme', scope: SCOPE.read })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(TEST_SECRET));
    const rest = await call('GET', '/customer-segment/acme/segments', { token: forever });
    expect(rest.status).toBe(401);
    expect(rest.body).toMatchObject({ fault: { detail: { errorcode: 'oauth.v2.InvalidAccessToken' } } });
    const gql = await call('POST', '/graphql', {
      token: forever,
      body: JSON.stringify({ query: '{ segments { totalCount } }' }),
      headers: json,
    });
    expect(gql.status).toBe(401);
    expectGraphqlError(gql, 'UNAUTHENTICATED');
  });
});

describe('safe headers (finding 6)', () => {
  test('answers carry nosniff and the usual safe headers; authenticated answers are no-store', async () => {
    const res = await call('GET', '/customer-segment/acme/segments');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBeTruthy();
    const gql = await call('POST', '/graphql', { body: JSON.stringify({ query: '{ segments { totalCount } }' }), headers: json });
    expect(gql.headers.get('cache-control')).toBe('no-store');
    expect(gql.headers.get('x-content-type-options')).toBe('nosniff');
    const error = await call('GET', '/customer-segment/acme/segments', { token: null });
    expect(error.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('production defaults (finding 6)', () => {
  let prod: TestApp;
  let prodBase: string;
  beforeAll(async () => {
    prod = await startTestApp({ NODE_ENV: 'production' });
    prodBase = await prod.listen();
  });
  afterAll(() => prod.close());

  const introspect = (token?: string) =>
    fetch(`${prodBase}/graphql`, {
      method: 'POST',
      headers: { ...json, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
    });

  test('introspection is off, with a token and without', async () => {
    const anonymous = await introspect();
    expect(((await anonymous.json()) as { data?: unknown }).data).toBeUndefined();
    const token = await signToken(TEST_SECRET, { tenant: 'acme', scopes: [SCOPE.read] });
    const withToken = await introspect(token);
    const body = (await withToken.json()) as { data?: unknown; errors: { message: string; extensions: { code: string } }[] };
    expect(body.data).toBeUndefined();
    expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(body.errors[0].message).toMatch(/introspection/i);
  });

  test('no Sandbox landing page', async () => {
    const res = await fetch(`${prodBase}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.headers.get('content-type') ?? '').not.toContain('text/html');
    expect(await res.text()).not.toMatch(/<html/i);
  });

  test('GRAPHQL_INTROSPECTION=true switches introspection back on', async () => {
    const on = await startTestApp({ NODE_ENV: 'production', GRAPHQL_INTROSPECTION: 'true' });
    try {
      const res = await on.gql('{ __schema { queryType { name } } }', undefined, { token: null });
      expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    } finally {
      await on.close();
    }
  });

  test('development keeps the Sandbox page, served without a CSP that would block it', async () => {
    const res = await fetch(`${base}/graphql`, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/<html/i);
    expect(res.headers.get('content-security-policy')).toBeNull();
  });
});
