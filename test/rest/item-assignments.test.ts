/**
 * The seven per-segment item-assignment endpoints of the REST contract: success and every
 * documented error, each body validated against the OpenAPI contract. Behaviour follows
 * docs/behaviour.md ("Assignments and reference data", "Bulk endpoints", "Writes,
 * versions, ids", "Routing and tenancy"). Listing (q, sort, paging, fields, languages,
 * read_own) is in item-assignments-list.test.ts.
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import { EXPIRED_TOKEN, expect400, expectError, expectFault, guardRest, INVALID_TOKEN, ISO_MS_Z, sleep, uid } from './_support';

const OP = {
  list: 'GET-customer-segment-retrieve-segment-items',
  search: 'POST-customer-segment-search-items',
  get: 'GET-customer-segment-retrieve-item',
  put: 'PUT-customer-segment-update-item',
  del: 'DELETE-customer-segment-remove-item',
  bulkPut: 'PUT-customer-segment-update-items-bulk',
  bulkDel: 'DELETE-customer-segment-remove-items-bulk',
} as const;

const MSG_CHANGED = 'The resource you are attempting to access has changed.';
const MIXINS = { segmentAttributes: { membershipStatus: 'PREMIUM' } };
const MIXIN_SCHEMAS = { segmentAttributes: 'https://res.cloudinary.com/saas-ag/raw/upload/emporix-docs/segmentAttributes.json' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response documents are read loosely in assertions
type Doc = Record<string, any>;

let t: TestApp;
let rest: TestApp['rest'];
const tok = {} as Record<'readOnly' | 'manageOnly' | 'expired' | 'globex' | 'noScopes', string>;

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
  tok.readOnly = await t.token({ scopes: [SCOPE.read] });
  tok.manageOnly = await t.token({ scopes: [SCOPE.manage] });
  tok.expired = await t.token({ expiresIn: '-1h' });
  tok.globex = await t.token({ tenant: 'globex' });
  tok.noScopes = await t.token({ scopes: ['some.other_scope'] });
});
afterAll(() => t.close());

async function segment(tenant = 'acme', id = uid('seg')): Promise<string> {
  const token = tenant === 'acme' ? undefined : await t.token({ tenant });
  const res = await rest('POST', '/segments', { body: { id, name: { en: 'S' }, siteCode: 'main' }, tenant, token });
  if (res.statusCode !== 201) throw new Error(`segment: ${res.statusCode} ${res.body}`);
  return id;
}

async function product(id: string, code: string, name: Record<string, string> | null, tenant = 'acme'): Promise<void> {
  await t.db.knex('products').insert({ tenant, id, code, name: name && JSON.stringify(name) });
}

async function category(id: string, code: string, name: Record<string, string> | null): Promise<void> {
  await t.db.knex('categories').insert({ tenant: 'acme', id, code, name: name && JSON.stringify(name), published: true });
}

async function put(segmentId: string, type: string, itemId: string, body?: unknown): Promise<number> {
  const res = await rest('PUT', `/segments/${segmentId}/items/${type}/${itemId}`, { body });
  if (res.statusCode !== 201 && res.statusCode !== 204) throw new Error(`PUT: ${res.statusCode} ${res.body}`);
  expect(res.body).toBe('');
  return res.statusCode;
}

async function get(segmentId: string, type: string, itemId: string, headers?: Record<string, string>) {
  const res = await rest('GET', `/segments/${segmentId}/items/${type}/${itemId}`, { headers });
  if (res.statusCode !== 200) throw new Error(`GET: ${res.statusCode} ${res.body}`);
  await expectContract(OP.get, 200, res.json());
  return res.json() as Doc;
}

async function rows(segmentId: string, tenant = 'acme') {
  return t.db.knex('item_assignments').where({ tenant, segment_id: segmentId }).orderBy(['type', 'item_id']);
}

describe('PUT and GET /segments/{segmentId}/items/{type}/{itemId}', () => {
  test('PUT creates (201, no body); GET returns the contract body with the item from the reference store', async () => {
    const s = await segment();
    await product('p-hammer', '123', { en: 'Hammer' });
    expect(await put(s, 'PRODUCT', 'p-hammer', { mixins: MIXINS, metadata: { mixins: MIXIN_SCHEMAS } })).toBe(201);
    const body = await get(s, 'PRODUCT', 'p-hammer');
    expect(body).toEqual({
      segmentId: s,
      item: { id: 'p-hammer', code: '123', name: { en: 'Hammer' } },
      type: 'PRODUCT',
      mixins: MIXINS,
      metadata: { createdAt: expect.any(String), modifiedAt: expect.any(String), version: 1, mixins: MIXIN_SCHEMAS },
    });
    expect(body.metadata.createdAt).toMatch(ISO_MS_Z);
    expect(body.metadata.createdAt).toBe(body.metadata.modifiedAt);
  });

  test('CATEGORY assignments embed the category; an unknown item is returned with its id alone', async () => {
    const s = await segment();
    await category('c-tools', 'T', { en: 'Tools' });
    expect(await put(s, 'CATEGORY', 'c-tools')).toBe(201);
    expect(await put(s, 'CATEGORY', 'c-unknown')).toBe(201);
    expect(await put(s, 'PRODUCT', 'p-unknown', {})).toBe(201);
    expect((await get(s, 'CATEGORY', 'c-tools')).item).toEqual({ id: 'c-tools', code: 'T', name: { en: 'Tools' } });
    const unknownCat = await get(s, 'CATEGORY', 'c-unknown');
    expect(unknownCat).toEqual({ segmentId: s, item: { id: 'c-unknown' }, type: 'CATEGORY', metadata: expect.any(Object) });
    expect((await get(s, 'PRODUCT', 'p-unknown')).item).toEqual({ id: 'p-unknown' });
  });

  test('a product id does not resolve as a category: the type selects the reference table', async () => {
    const s = await segment();
    await product('shared-id', 'PC', { en: 'Product' });
    await put(s, 'CATEGORY', 'shared-id');
    expect((await get(s, 'CATEGORY', 'shared-id')).item).toEqual({ id: 'shared-id' });
  });

  test('the type is case-insensitive on input and stored upper case', async () => {
    const s = await segment();
    expect(await put(s, 'product', 'p1')).toBe(201);
    expect(await put(s, 'Category', 'c1')).toBe(201);
    expect((await rows(s)).map((r) => [r.type, r.item_id])).toEqual([
      ['CATEGORY', 'c1'],
      ['PRODUCT', 'p1'],
    ]);
    expect((await get(s, 'pRoDuCt', 'p1')).type).toBe('PRODUCT');
    // Same key in any spelling: an update, not a second row.
    expect(await put(s, 'PRODUCT', 'p1')).toBe(204);
    expect(await rows(s)).toHaveLength(2);
  });

  test('type other than PRODUCT or CATEGORY is a 400 naming `type` on every route that has it', async () => {
    const s = await segment();
    const calls: [string, string, string, unknown?][] = [
      ['GET', `/segments/${s}/items/foo/p1`, OP.get],
      ['PUT', `/segments/${s}/items/foo/p1`, OP.put, {}],
      ['DELETE', `/segments/${s}/items/foo/p1`, OP.del],
      ['PUT', `/segments/${s}/items/foo/bulk`, OP.bulkPut, [{ id: 'p1' }]],
      ['DELETE', `/segments/${s}/items/foo/bulk`, OP.bulkDel, ['p1']],
      ['PUT', `/segments/${s}/items/PRODUCTS/p1`, OP.put, {}],
    ];
    for (const [method, path, op, body] of calls) {
      await expect400(await rest(method as 'GET', path, { body }), op, 'type');
    }
    expect(await rows(s)).toHaveLength(0);
  });

  test('PUT on an existing assignment replaces it (204): version +1, modifiedAt moves, createdAt stays', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1', { mixins: MIXINS, metadata: { mixins: MIXIN_SCHEMAS } });
    const before = await get(s, 'PRODUCT', 'p1');
    await sleep(5);
    expect(await put(s, 'PRODUCT', 'p1', { mixins: { other: true } })).toBe(204);
    const after = await get(s, 'PRODUCT', 'p1');
    expect(after.metadata.version).toBe(2);
    expect(after.metadata.createdAt).toBe(before.metadata.createdAt);
    expect(Date.parse(after.metadata.modifiedAt)).toBeGreaterThan(Date.parse(before.metadata.modifiedAt));
    // Replaced, not merged: metadata.mixins was not sent this time.
    expect(after.mixins).toEqual({ other: true });
    expect(after.metadata.mixins).toBeUndefined();
  });

  test('optimistic locking: the right version updates, a stale one is 409, none skips the check', async () => {
    const s = await segment();
    // A version on create is ignored.
    expect(await put(s, 'PRODUCT', 'p1', { metadata: { version: 7 } })).toBe(201);
    expect(await put(s, 'PRODUCT', 'p1', { metadata: { version: 1 } })).toBe(204);
    const stale = await rest('PUT', `/segments/${s}/items/PRODUCT/p1`, { body: { mixins: { x: 1 }, metadata: { version: 1 } } });
    await expectError(stale, 409, OP.put, MSG_CHANGED);
    expect((await get(s, 'PRODUCT', 'p1')).metadata.version).toBe(2);
    expect(await put(s, 'PRODUCT', 'p1', { mixins: { x: 1 } })).toBe(204);
    expect((await get(s, 'PRODUCT', 'p1')).metadata.version).toBe(3);
  });

  test('createdAt/modifiedAt and unknown properties in a body are ignored', async () => {
    const s = await segment();
    const body = { id: 'whatever', item: { id: 'x' }, metadata: { createdAt: '2000-01-01T00:00:00.000Z' }, extra: 1 };
    expect(await put(s, 'PRODUCT', 'p1', body)).toBe(201);
    const got = await get(s, 'PRODUCT', 'p1');
    expect(got.item.id).toBe('p1');
    expect(got.metadata.createdAt).not.toBe('2000-01-01T00:00:00.000Z');
  });

  test('PUT without a body creates an empty assignment', async () => {
    const s = await segment();
    const res = await rest('PUT', `/segments/${s}/items/PRODUCT/p-empty`);
    expect(res.statusCode).toBe(201);
    expect(await get(s, 'PRODUCT', 'p-empty')).toEqual({
      segmentId: s,
      item: { id: 'p-empty' },
      type: 'PRODUCT',
      metadata: expect.objectContaining({ version: 1 }),
    });
  });

  test('wrong body types are 400s naming the field, and nothing is written', async () => {
    const s = await segment();
    const path = `/segments/${s}/items/PRODUCT/p1`;
    const cases: [unknown, string][] = [
      [{ mixins: 'gold' }, 'mixins'],
      [{ mixins: [1, 2] }, 'mixins'],
      [{ metadata: 'v1' }, 'metadata'],
      [{ metadata: { version: '2' } }, 'metadata.version'],
      [{ metadata: { version: 1.5 } }, 'metadata.version'],
      [{ metadata: { version: -1 } }, 'metadata.version'],
      [{ metadata: { mixins: { segmentAttributes: 1 } } }, 'metadata.mixins.segmentAttributes'],
      [[{ mixins: {} }], 'body'],
      ['"text"', 'body'],
    ];
    for (const [body, field] of cases) await expect400(await rest('PUT', path, { body }), OP.put, field);
    await expect400(
      await rest('PUT', path, { body: '{"mixins":', headers: { 'content-type': 'application/json' } }),
      OP.put,
      'body',
    );
    expect(await rows(s)).toHaveLength(0);
  });

  test('an item id that is not a valid id is a 400 naming itemId', async () => {
    const s = await segment();
    await expect400(await rest('PUT', `/segments/${s}/items/PRODUCT/${'x'.repeat(65)}`, { body: {} }), OP.put, 'itemId');
    await expect400(await rest('PUT', `/segments/${s}/items/PRODUCT/a%20b`, { body: {} }), OP.put, 'itemId');
  });

  test('ids are case-sensitive and may hold URL-escaped characters', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'Item-A');
    await put(s, 'PRODUCT', 'item-a');
    await put(s, 'PRODUCT', encodeURIComponent('sku#1:ä'));
    expect((await rows(s)).map((r) => r.item_id).sort()).toEqual(['Item-A', 'item-a', 'sku#1:ä'].sort());
    expect((await get(s, 'PRODUCT', encodeURIComponent('sku#1:ä'))).item.id).toBe('sku#1:ä');
  });

  test('PUT under a missing segment is 404 and writes nothing', async () => {
    const missing = uid('missing');
    const res = await rest('PUT', `/segments/${missing}/items/PRODUCT/p1`, { body: {} });
    await expectError(res, 404, OP.put);
    expect(await t.db.knex('item_assignments').where({ segment_id: missing })).toHaveLength(0);
  });

  test('GET: a missing assignment, another type of the same id, and a missing segment are 404', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1');
    await expectError(await rest('GET', `/segments/${s}/items/PRODUCT/nope`), 404, OP.get);
    await expectError(await rest('GET', `/segments/${s}/items/CATEGORY/p1`), 404, OP.get);
    await expectError(await rest('GET', `/segments/${uid('missing')}/items/PRODUCT/p1`), 404, OP.get);
  });

  test('fields keeps the listed paths and always segmentId, type and item.id', async () => {
    const s = await segment();
    await product('p-f', 'F', { en: 'Field' });
    await put(s, 'PRODUCT', 'p-f', { mixins: MIXINS });
    const res = await rest('GET', `/segments/${s}/items/PRODUCT/p-f?fields=metadata.version,item.name`);
    expect(res.statusCode).toBe(200);
    await expectContract(OP.get, 200, res.json());
    expect(res.json()).toEqual({
      segmentId: s,
      type: 'PRODUCT',
      item: { id: 'p-f', name: { en: 'Field' } },
      metadata: { version: 1 },
    });
  });
});

describe('DELETE /segments/{segmentId}/items/{type}/{itemId}', () => {
  test('204 and gone; again 204; a missing segment is 204 too', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1');
    await put(s, 'CATEGORY', 'p1');
    for (let i = 0; i < 2; i++) {
      const res = await rest('DELETE', `/segments/${s}/items/product/p1`);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
    }
    // Only the PRODUCT assignment went.
    expect((await rows(s)).map((r) => r.type)).toEqual(['CATEGORY']);
    expect((await rest('DELETE', `/segments/${uid('missing')}/items/PRODUCT/p1`)).statusCode).toBe(204);
  });
});

describe('PUT /segments/{segmentId}/items/{type}/bulk', () => {
  test('207 with one result per element, in order; elements succeed or fail independently', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p-old', { mixins: { v: 1 } }); // version 1
    await put(s, 'PRODUCT', 'p-stale'); // version 1
    const res = await rest('PUT', `/segments/${s}/items/product/bulk`, {
      body: [
        { id: 'p-new', mixins: MIXINS, metadata: { mixins: MIXIN_SCHEMAS } },
        { id: 'p-old', mixins: { v: 2 }, metadata: { version: 1 } },
        { id: 'p-stale', metadata: { version: 5 } },
        { mixins: {} },
        { id: 'p-bad', mixins: 'x' },
        { id: 'p-bad2', metadata: { mixins: { a: 1 } } },
        { id: 'p-new', mixins: { dup: true } },
        { id: '' },
        'not-an-object',
      ],
    });
    expect(res.statusCode).toBe(207);
    const body = res.json() as Record<string, unknown>[];
    await expectContract(OP.bulkPut, 207, body);
    expect(body.map((r) => [r.index, r.code, r.status])).toEqual([
      [1, 201, 'Created'],
      [2, 204, 'OK'],
      [3, 409, 'Conflict'],
      [4, 400, 'Bad Request'],
      [5, 400, 'Bad Request'],
      [6, 400, 'Bad Request'],
      [7, 409, 'Conflict'],
      [8, 400, 'Bad Request'],
      [9, 400, 'Bad Request'],
    ]);
    for (const r of body) {
      if ((r.code as number) >= 400) expect(typeof r.message).toBe('string');
      else expect(r.message).toBeUndefined();
    }
    expect(body[2].message).toBe(MSG_CHANGED);
    expect(body[3].message).toMatch(/id/);
    expect(body[4].message).toMatch(/mixins/);
    expect(body[5].message).toMatch(/metadata\.mixins\.a/);
    const stored = Object.fromEntries((await rows(s)).map((r) => [r.item_id, r]));
    expect(Object.keys(stored).sort()).toEqual(['p-new', 'p-old', 'p-stale']);
    expect(JSON.parse(stored['p-new'].mixins)).toEqual(MIXINS);
    expect(JSON.parse(stored['p-new'].metadata_mixins)).toEqual(MIXIN_SCHEMAS);
    expect(stored['p-new'].type).toBe('PRODUCT');
    expect(Number(stored['p-old'].version)).toBe(2);
    expect(JSON.parse(stored['p-old'].mixins)).toEqual({ v: 2 });
    expect(Number(stored['p-stale'].version)).toBe(1);
    // Bulk upserts keep createdAt of updated rows.
    const old = await get(s, 'PRODUCT', 'p-old');
    expect(Date.parse(old.metadata.modifiedAt)).toBeGreaterThanOrEqual(Date.parse(old.metadata.createdAt));
  });

  test('CATEGORY bulk writes categories; an element version is ignored on create', async () => {
    const s = await segment();
    const res = await rest('PUT', `/segments/${s}/items/CATEGORY/bulk`, {
      body: [{ id: 'c1', metadata: { version: 3 } }, { id: 'c2' }],
    });
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkPut, 207, res.json());
    expect(res.json().map((r: { code: number }) => r.code)).toEqual([201, 201]);
    expect((await rows(s)).map((r) => [r.type, r.item_id, Number(r.version)])).toEqual([
      ['CATEGORY', 'c1', 1],
      ['CATEGORY', 'c2', 1],
    ]);
  });

  test('200 elements pass; 201 elements or a body that is not an array are a 400 for the whole request', async () => {
    const s = await segment();
    const ok = await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, {
      body: Array.from({ length: 200 }, (_, i) => ({ id: `p${i}` })),
    });
    expect(ok.statusCode).toBe(207);
    expect(ok.json()).toHaveLength(200);
    expect(ok.json()[199]).toEqual({ index: 200, id: 'p199', code: 201, status: 'Created' });
    const tooMany = await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, {
      body: Array.from({ length: 201 }, (_, i) => ({ id: `q${i}` })),
    });
    await expect400(tooMany, OP.bulkPut, 'body');
    await expect400(await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, { body: { id: 'p1' } }), OP.bulkPut, 'body');
    expect(await rows(s)).toHaveLength(200);
  });

  test('an empty array is 207 with no results', async () => {
    const s = await segment();
    const res = await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, { body: [] });
    expect(res.statusCode).toBe(207);
    expect(res.json()).toEqual([]);
  });

  test('a missing segment is a 404 for the whole request', async () => {
    const missing = uid('missing');
    const res = await rest('PUT', `/segments/${missing}/items/PRODUCT/bulk`, { body: [{ id: 'p1' }] });
    await expectError(res, 404, OP.bulkPut);
    expect(await rows(missing)).toHaveLength(0);
  });
});

describe('DELETE /segments/{segmentId}/items/{type}/bulk', () => {
  test('207, one 204 per id whether or not it existed; only that type goes', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1');
    await put(s, 'PRODUCT', 'p2');
    await put(s, 'CATEGORY', 'p1');
    const res = await rest('DELETE', `/segments/${s}/items/PRODUCT/bulk`, { body: ['p1', 'missing', 'p2'] });
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkDel, 207, res.json());
    expect(res.json()).toEqual([
      { index: 1, id: 'p1', code: 204, status: 'OK' },
      { index: 2, id: 'missing', code: 204, status: 'OK' },
      { index: 3, id: 'p2', code: 204, status: 'OK' },
    ]);
    expect((await rows(s)).map((r) => [r.type, r.item_id])).toEqual([['CATEGORY', 'p1']]);
  });

  test('elements that are not valid ids fail alone (400); the others are deleted', async () => {
    const s = await segment();
    await put(s, 'CATEGORY', 'c1');
    const res = await rest('DELETE', `/segments/${s}/items/category/bulk`, { body: [{ id: 'c1' }, '', 'c1', 'a b'] });
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkDel, 207, res.json());
    expect(res.json().map((r: { code: number }) => r.code)).toEqual([400, 400, 204, 400]);
    expect(await rows(s)).toHaveLength(0);
  });

  test('more than 200 ids or a body that is not an array is a 400', async () => {
    const s = await segment();
    await expect400(
      await rest('DELETE', `/segments/${s}/items/PRODUCT/bulk`, { body: Array.from({ length: 201 }, (_, i) => `p${i}`) }),
      OP.bulkDel,
      'body',
    );
    await expect400(await rest('DELETE', `/segments/${s}/items/PRODUCT/bulk`, { body: { ids: ['p1'] } }), OP.bulkDel, 'body');
  });

  test('a missing segment answers 207 with 204s (DELETE is idempotent)', async () => {
    const res = await rest('DELETE', `/segments/${uid('missing')}/items/PRODUCT/bulk`, { body: ['p1'] });
    expect(res.statusCode).toBe(207);
    expect(res.json()).toEqual([{ index: 1, id: 'p1', code: 204, status: 'OK' }]);
  });
});

describe('routing: /items/{type}/bulk wins over /items/{type}/{itemId}', () => {
  test('PUT and DELETE on .../bulk are the bulk operations, never an item called "bulk"', async () => {
    const s = await segment();
    // An object body is what a single upsert takes; the bulk route refuses it.
    await expect400(await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, { body: { mixins: {} } }), OP.bulkPut, 'body');
    const put1 = await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, { body: [{ id: 'p1' }] });
    expect(put1.statusCode).toBe(207);
    expect(await rows(s)).toEqual([expect.objectContaining({ item_id: 'p1' })]);
    // Single-item routes are untouched by the literal.
    expect(await put(s, 'PRODUCT', 'bulky')).toBe(201);
    expect((await get(s, 'PRODUCT', 'bulky')).item.id).toBe('bulky');
    const del = await rest('DELETE', `/segments/${s}/items/PRODUCT/bulk`, { body: ['p1', 'bulky'] });
    expect(del.statusCode).toBe(207);
    expect(await rows(s)).toHaveLength(0);
    expect(await t.db.knex('item_assignments').where({ item_id: 'bulk' })).toHaveLength(0);
  });
});

describe('authentication and scopes', () => {
  test('no token, a bad token or an expired one is 401 with the fault body', async () => {
    const s = await segment();
    await expectFault(await rest('GET', `/segments/${s}/items`, { token: null }), OP.list, INVALID_TOKEN);
    await expectFault(await rest('PUT', `/segments/${s}/items/PRODUCT/p1`, { token: 'x.y.z', body: {} }), OP.put, INVALID_TOKEN);
    await expectFault(
      await rest('DELETE', `/segments/${s}/items/PRODUCT/bulk`, { token: tok.expired, body: [] }),
      OP.bulkDel,
      EXPIRED_TOKEN,
    );
  });

  test('read scopes cannot write, segment_manage alone cannot read, other scopes nothing (403)', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1');
    const p = `/segments/${s}/items`;
    const denied: [string, string, string, string, unknown?][] = [
      ['PUT', `${p}/PRODUCT/p1`, OP.put, tok.readOnly, {}],
      ['DELETE', `${p}/PRODUCT/p1`, OP.del, tok.readOnly],
      ['PUT', `${p}/PRODUCT/bulk`, OP.bulkPut, tok.readOnly, []],
      ['DELETE', `${p}/PRODUCT/bulk`, OP.bulkDel, tok.readOnly, []],
      ['GET', p, OP.list, tok.manageOnly],
      ['POST', `${p}/search`, OP.search, tok.manageOnly, {}],
      ['GET', `${p}/PRODUCT/p1`, OP.get, tok.manageOnly],
      ['GET', p, OP.list, tok.noScopes],
      ['PUT', `${p}/PRODUCT/p1`, OP.put, tok.noScopes, {}],
    ];
    for (const [method, path, op, token, body] of denied) {
      await expectError(await rest(method as 'GET', path, { token, body }), 403, op);
    }
    // The scope check comes before input checks: a bad type is still 403.
    await expectError(await rest('PUT', `${p}/foo/p1`, { token: tok.readOnly, body: {} }), 403, OP.put);
    expect((await rest('GET', `${p}/PRODUCT/p1`, { token: tok.readOnly })).statusCode).toBe(200);
    expect((await rest('PUT', `${p}/PRODUCT/p1`, { token: tok.manageOnly, body: {} })).statusCode).toBe(204);
  });
});

describe('tenancy: data of one tenant is never visible, countable or writable from another', () => {
  test('every route under another tenant sees none of acme’s assignments and touches none', async () => {
    const s = await segment();
    await put(s, 'PRODUCT', 'p1', { mixins: { owner: 'acme' } });
    await put(s, 'CATEGORY', 'c1');
    const before = await rows(s);
    const opts = { token: tok.globex, tenant: 'globex' };
    const p = `/segments/${s}/items`;

    await expectError(await rest('GET', p, opts), 404, OP.list);
    await expectError(await rest('POST', `${p}/search`, { ...opts, body: { q: 'type:PRODUCT' } }), 404, OP.search);
    await expectError(await rest('GET', `${p}/PRODUCT/p1`, opts), 404, OP.get);
    await expectError(await rest('PUT', `${p}/PRODUCT/p1`, { ...opts, body: { metadata: { version: 1 } } }), 404, OP.put);
    await expectError(await rest('PUT', `${p}/PRODUCT/bulk`, { ...opts, body: [{ id: 'p1' }] }), 404, OP.bulkPut);
    expect((await rest('DELETE', `${p}/PRODUCT/p1`, opts)).statusCode).toBe(204);
    const bulkDel = await rest('DELETE', `${p}/CATEGORY/bulk`, { ...opts, body: ['c1'] });
    expect(bulkDel.statusCode).toBe(207);
    expect(await rows(s)).toEqual(before);
    expect(await t.db.knex('item_assignments').where({ tenant: 'globex' })).toHaveLength(0);

    // A token of one tenant on another's path is a 401, on every route.
    const wrong = { token: tok.globex };
    const WRONG_TENANT = { ...INVALID_TOKEN, faultstring: 'Invalid access token for this tenant' };
    await expectFault(await rest('GET', p, wrong), OP.list, WRONG_TENANT);
    await expectFault(await rest('POST', `${p}/search`, wrong), OP.search, WRONG_TENANT);
    await expectFault(await rest('GET', `${p}/PRODUCT/p1`, wrong), OP.get, WRONG_TENANT);
    await expectFault(await rest('PUT', `${p}/PRODUCT/p1`, { ...wrong, body: {} }), OP.put, WRONG_TENANT);
    await expectFault(await rest('DELETE', `${p}/PRODUCT/p1`, wrong), OP.del, WRONG_TENANT);
    await expectFault(await rest('PUT', `${p}/PRODUCT/bulk`, { ...wrong, body: [] }), OP.bulkPut, WRONG_TENANT);
    await expectFault(await rest('DELETE', `${p}/PRODUCT/bulk`, { ...wrong, body: [] }), OP.bulkDel, WRONG_TENANT);
    expect(await rows(s)).toEqual(before);
  });

  test('the same segment and item ids in two tenants stay apart, reference data included', async () => {
    const id = uid('twin');
    await segment('acme', id);
    await segment('globex', id);
    await product('p-twin', 'ACME', { en: 'Acme product' });
    await product('p-twin', 'GLOBEX', { en: 'Globex product' }, 'globex');
    await put(id, 'PRODUCT', 'p-twin', { mixins: { owner: 'acme' } });
    const opts = { token: tok.globex, tenant: 'globex' };
    await expectError(await rest('GET', `/segments/${id}/items/PRODUCT/p-twin`, opts), 404, OP.get);
    const listed = await rest('GET', `/segments/${id}/items`, { ...opts, headers: { 'x-total-count': 'true' } });
    expect(listed.statusCode).toBe(200);
    expect(listed.json()).toEqual([]);
    expect(listed.headers['x-total-count']).toBe('0');

    const created = await rest('PUT', `/segments/${id}/items/PRODUCT/p-twin`, { ...opts, body: { mixins: { owner: 'globex' } } });
    expect(created.statusCode).toBe(201);
    const theirs = await rest('GET', `/segments/${id}/items/PRODUCT/p-twin`, opts);
    expect(theirs.json().item).toEqual({ id: 'p-twin', code: 'GLOBEX', name: { en: 'Globex product' } });
    expect(theirs.json().mixins).toEqual({ owner: 'globex' });
    expect(theirs.json().metadata.version).toBe(1);
    const ours = await get(id, 'PRODUCT', 'p-twin');
    expect(ours.item.code).toBe('ACME');
    expect(ours.mixins).toEqual({ owner: 'acme' });

    await rest('DELETE', `/segments/${id}/items/PRODUCT/bulk`, { ...opts, body: ['p-twin'] });
    expect((await get(id, 'PRODUCT', 'p-twin')).mixins).toEqual({ owner: 'acme' });
  });
});
