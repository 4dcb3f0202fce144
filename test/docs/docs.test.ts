/**
 * Issue 9: the documentation the service serves, without a browser — the contract as served
 * here (JSON and YAML, no token, servers rewritten), the docs page with its own CSP and no other
 * route's CSP relaxed, and the index at `/`. The page itself is driven in browser.test.ts.
 */
import fs from 'node:fs';
import { parse } from 'yaml';
import { contractFile, operationsOf, type OpenApiDocument } from '../../src/docs/contract';
import { prefersHtml } from '../../src/http/docs';
import { startTestApp, type TestApp } from '../helpers/app';

const DENY_ALL = "default-src 'none';frame-ancestors 'none'";
const DOCS_CSP =
  "default-src 'none';script-src 'self';style-src 'self';img-src 'self' data:;connect-src 'self';" +
  "base-uri 'none';form-action 'none';frame-ancestors 'none'";

const source = parse(fs.readFileSync(contractFile(), 'utf8')) as OpenApiDocument;

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

describe('the contract as served here', () => {
  test('openapi.json: no token, JSON, the 30 operations, servers and security rewritten, the rest unchanged', async () => {
    const res = await get('/customer-segment/openapi.json');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    const doc = res.json() as OpenApiDocument;
    expect(operationsOf(doc)).toHaveLength(30);
    expect(doc.servers).toEqual([{ url: '/', description: 'This server' }]);
    expect(doc.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components?.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }),
    });
    expect(doc.info.description).toContain('## As served here');
    expect(doc.paths).toEqual(source.paths);
    const { securitySchemes: _s, ...components } = doc.components ?? {};
    const { securitySchemes: _o, ...sourceComponents } = source.components ?? {};
    expect(components).toEqual(sourceComponents);
    // The contract's unquoted example timestamps stay strings (spec/README.md, quirk 15).
    expect(JSON.stringify(doc.components)).toContain('"from":"2024-04-17T08:00:00.000Z"');
  });

  test('openapi.yaml: the same document in YAML', async () => {
    const res = await get('/customer-segment/openapi.yaml');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/yaml');
    const json = (await get('/customer-segment/openapi.json')).json();
    expect(parse(res.body)).toEqual(json);
  });

  test('a refused token does not stand in the way of public documentation; HEAD answers too', async () => {
    expect((await get('/customer-segment/openapi.json', { authorization: 'Bearer not.a.token' })).statusCode).toBe(200);
    const head = await t.app.inject({ method: 'HEAD', url: '/customer-segment/openapi.yaml' });
    expect(head.statusCode).toBe(200);
    expect(head.headers['content-type']).toBe('application/yaml');
  });

  test('the file is read at start-up, not per request', async () => {
    const read = jest.spyOn(fs, 'readFileSync');
    try {
      for (const url of ['/customer-segment/openapi.json', '/customer-segment/openapi.yaml', '/docs/json']) {
        expect((await get(url)).statusCode).toBe(200);
      }
      expect(read).not.toHaveBeenCalled();
    } finally {
      read.mockRestore();
    }
  });

  test('errors beside it are in the contract Error body: 405 with Allow, 404; the tenant routes are untouched', async () => {
    const post = await t.app.inject({ method: 'POST', url: '/customer-segment/openapi.json', payload: {} });
    expect(post.statusCode).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    expect(post.json()).toEqual({
      code: 405,
      status: 'Method Not Allowed',
      message: 'Method not allowed; this path supports GET, HEAD',
    });
    const missing = await get('/customer-segment/openapi.xml');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ code: 404, status: 'Not Found' });
    // A tenant named like the file is still a tenant path: the token check answers.
    const tenantPath = await get('/customer-segment/openapi.json/segments');
    expect(tenantPath.statusCode).toBe(401);
    expect((await t.rest('GET', '/segments')).statusCode).toBe(200);
  });
});

describe('the docs page', () => {
  test('/docs: HTML from our own assets only, under the docs CSP', async () => {
    const res = await get('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(DOCS_CSP);
    expect(res.body).toContain('/docs/static/swagger-ui-bundle.js');
    // Every script, stylesheet and icon is a path on this server: nothing from a CDN.
    const refs = [...res.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(4);
    for (const ref of refs) expect(ref).toMatch(/^\/docs\/static\//);
  });

  test.each([
    '/docs/static/swagger-ui-bundle.js',
    '/docs/static/swagger-initializer.js',
    '/docs/static/swagger-ui.css',
    '/docs/json',
  ])('%s is served with the docs CSP', async (url) => {
    const res = await get(url);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-security-policy']).toBe(DOCS_CSP);
  });

  test('the initializer turns the validator badge off (it would call validator.swagger.io)', async () => {
    const res = await get('/docs/static/swagger-initializer.js');
    expect(res.body).toContain('validatorUrl: null');
  });

  test('every other route keeps the deny-all CSP', async () => {
    const answers = [
      await get('/'),
      await get('/', { accept: 'text/html' }),
      await get('/health'),
      await get('/customer-segment/openapi.json'),
      await get('/customer-segment/openapi.yaml'),
      await t.rest('GET', '/segments'),
      await get('/no/such/path'),
    ];
    // (/graphql has its own rule: no CSP where the Sandbox page is served, app.ts.)
    for (const res of answers) expect(res.headers['content-security-policy']).toBe(DENY_ALL);
  });
});

describe('the index at /', () => {
  test('JSON by default: where GraphQL, the docs, the contract and health are', async () => {
    const res = await get('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers.vary).toContain('Accept');
    const hrefs = Object.fromEntries(
      Object.entries((res.json() as { links: Record<string, { href: string }> }).links).map(([k, v]) => [k, v.href]),
    );
    expect(hrefs).toEqual({
      graphql: '/graphql',
      docs: '/docs',
      openapi: '/customer-segment/openapi.json',
      openapiYaml: '/customer-segment/openapi.yaml',
      health: '/health',
      live: '/health/live',
      ready: '/health/ready',
    });
    expect(res.json().links.graphql.title).toMatch(/Apollo Sandbox/);
  });

  test('a browser gets a page of the same links', async () => {
    const res = await get('/', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const href of ['/graphql', '/docs', '/customer-segment/openapi.json', '/health', '/health/live', '/health/ready']) {
      expect(res.body).toContain(`<a href="${href}">`);
    }
  });

  test('without the Sandbox, /graphql is listed as an endpoint only', async () => {
    const other = await startTestApp({ GRAPHQL_SANDBOX: 'false' });
    try {
      const res = await other.app.inject({ method: 'GET', url: '/' });
      expect(res.json().links.graphql.title).not.toMatch(/Sandbox/);
    } finally {
      await other.close();
    }
  });

  test.each([
    [undefined, false],
    ['*/*', false],
    ['application/json', false],
    ['text/html', true],
    ['text/html;q=0.5, application/json', false],
    ['text/html, application/json', false],
    ['text/*, application/json;q=0.9', true],
    ['text/html;q=0, */*', false],
  ])('Accept %s → HTML %s', (accept, html) => {
    expect(prefersHtml(accept)).toBe(html);
  });
});

describe('rate limits', () => {
  test('the documentation draws from the anonymous budget like any call; its 429 is the Error body', async () => {
    const limited = await startTestApp({ RATE_LIMIT: 'true', RATE_LIMIT_ANONYMOUS_MAX: '2' });
    try {
      const base = await limited.listen();
      const codes: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 3; i++) {
        last = await fetch(`${base}/customer-segment/openapi.json`);
        codes.push(last.status);
        if (i < 2) await last.arrayBuffer();
      }
      expect(codes).toEqual([200, 200, 429]);
      expect(await last?.json()).toMatchObject({ code: 429, status: 'Too Many Requests' });
    } finally {
      await limited.close();
    }
  });
});
