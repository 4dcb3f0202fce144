import { SCOPE, startTestApp, type TestApp } from './helpers/app';
import { expectContract } from './helpers/contract';

/**
 * docs/tutorial.md from top to bottom, over real HTTP on a
 * listening port: its requests with host, tenant and token filled in, its `string`
 * placeholders replaced by real values and its empty bulk bodies `{}` replaced by the
 * contract's example arrays. Each step expects the status the contract documents.
 */
let t: TestApp;
let base: string;
let admin: string;
const SEGMENT = '628cd20c6e8b2432b6346ca6';
const MIXINS = {
  mixins: { segmentAttributes: { membershipStatus: 'PREMIUM' } },
  metadata: {
    mixins: { segmentAttributes: 'https://res.cloudinary.com/saas-ag/raw/upload/v1600077014/schemata/segmentAttributes_v1.json' },
  },
};

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}/customer-segment/acme`;
  admin = await t.token();
  // The storefront part needs a catalog for the tree: hammers under tools, with the product.
  const k = t.db.knex;
  await k('categories').insert([
    {
      tenant: 'acme',
      id: 'cat-tools',
      parent_id: null,
      code: 'tools',
      name: JSON.stringify({ en: 'Tools' }),
      position: 0,
      published: true,
    },
    {
      tenant: 'acme',
      id: '12468504',
      parent_id: 'cat-tools',
      code: '123',
      name: JSON.stringify({ en: 'Hammer' }),
      position: 1,
      published: true,
    },
  ]);
  await k('products').insert({ tenant: 'acme', id: '12849186', code: '456', name: JSON.stringify({ en: 'Screwdriver' }) });
});
afterAll(() => t.close());

async function call(
  method: string,
  path: string,
  opts: { body?: unknown; headers?: Record<string, string>; token?: string } = {},
) {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.token ?? admin}`, ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

test('the tutorial, step by step', async () => {
  // Create a customer segment.
  const created = await call('POST', '/segments', {
    headers: { 'content-language': 'en' },
    body: {
      id: SEGMENT,
      name: { en: 'Golden Segment' },
      description: { en: 'Golden Segment' },
      validity: { from: '2024-04-17T08:00:00.000Z', to: '2025-04-17T08:00:00.000Z' },
      status: 'ACTIVE',
      siteCode: 'main',
    },
  });
  expect(created.status).toBe(201);
  await expectContract('POST-customer-segment-create-segment', 201, created.body);
  expect(created.body).toEqual({ id: SEGMENT });

  // Add products/categories: one, then several (the contract's ItemAssignmentsUpsert example).
  const one = await call('PUT', `/segments/${SEGMENT}/items/CATEGORY/12468504`, { body: MIXINS });
  expect(one.status).toBe(201);
  const bulkItems = await call('PUT', `/segments/${SEGMENT}/items/PRODUCT/bulk`, {
    body: [
      { id: '12468504', ...MIXINS },
      { id: '12849186', metadata: { version: 2 } },
    ],
  });
  expect(bulkItems.status).toBe(207);
  await expectContract('PUT-customer-segment-update-items-bulk', 207, bulkItems.body);
  expect(bulkItems.body.map((r: { index: number; code: number }) => [r.index, r.code])).toEqual([
    [1, 201],
    [2, 201],
  ]);

  // Add segment members: B2B, B2C (the B2C path, not the tutorial's slip), then in bulk.
  const b2b = await call('PUT', `/segments/${SEGMENT}/customers/98029737/660af2af69babe3cf6e40771`, { body: MIXINS });
  expect(b2b.status).toBe(201);
  const b2c = await call('PUT', `/segments/${SEGMENT}/customers/41525566`, { body: MIXINS });
  expect(b2c.status).toBe(201);
  const bulkCustomers = await call('PUT', `/segments/${SEGMENT}/customers/bulk`, {
    body: [
      { customerId: '98029737', legalEntityId: '660af2af69babe3cf6e40771', ...MIXINS },
      { customerId: '18249883', legalEntityId: '628cd20c6e8b2432b6346ca6', metadata: { version: 1 } },
    ],
  });
  expect(bulkCustomers.status).toBe(207);
  await expectContract('PUT-customer-segment-update-customers-bulk', 207, bulkCustomers.body);
  expect(bulkCustomers.body.map((r: { code: number }) => r.code)).toEqual([204, 201]);

  // Find a segment with search parameters (a `fields` projection keeps only what is asked
  // for, so the schema's required fields are checked on the unprojected answer).
  const search = (fields: string) =>
    call('POST', `/segments/search?pageSize=10&pageNumber=1&sort=name.en${fields}`, {
      headers: { 'accept-language': 'en', 'x-total-count': 'true' },
      body: { q: 'siteCode:main' },
    });
  const found = await search('');
  expect(found.status).toBe(200);
  await expectContract('POST-customer-segment-search-segments', 200, found.body);
  expect(found.headers.get('x-total-count')).toBe('1');
  expect(found.body.map((s: { id: string }) => s.id)).toEqual([SEGMENT]);
  const projected = await search('&fields=id,name,status');
  expect(projected.body).toEqual([{ id: SEGMENT, name: { en: 'Golden Segment' }, status: 'ACTIVE' }]);

  // Storefront: the member retrieves the items of its segments, then its category tree.
  const member = await t.token({ scopes: [SCOPE.readOwn], customerId: '98029737' });
  const items = await call(
    'GET',
    '/segments/items?q=type:PRODUCT&pageSize=60&pageNumber=1&sort=item.id&legalEntityId=660af2af69babe3cf6e40771&siteCode=main&onlyActive=false',
    {
      token: member,
      headers: { 'accept-language': 'en', 'x-total-count': 'true' },
    },
  );
  expect(items.status).toBe(200);
  await expectContract('GET-customer-segment-retrieve-segments-items', 200, items.body);
  expect(items.body.map((a: { item: { id: string } }) => a.item.id)).toEqual(['12468504', '12849186']);
  expect(items.body[1].item).toEqual({ id: '12849186', code: '456', name: { en: 'Screwdriver' } });

  const trees = await call('GET', '/segments/items/category-trees?legalEntityId=660af2af69babe3cf6e40771&siteCode=main', {
    token: member,
    headers: { 'accept-language': 'en' },
  });
  expect(trees.status).toBe(200);
  await expectContract('GET-customer-segment-retrieve-category-trees', 200, trees.body);
  expect(trees.body).toEqual([
    {
      id: 'cat-tools',
      code: 'tools',
      name: { en: 'Tools' },
      position: 0,
      published: true,
      isSegmentAssigned: false,
      subcategories: [
        {
          id: '12468504',
          parentId: 'cat-tools',
          code: '123',
          name: { en: 'Hammer' },
          position: 1,
          published: true,
          isSegmentAssigned: true,
        },
      ],
    },
  ]);
});
