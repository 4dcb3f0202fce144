/**
 * Listing a segment's item assignments over REST (GET /segments/{id}/items and POST …/search):
 * q, sort, paging, fields, X-Total-Count, Accept-Language on embedded item names, and what
 * `segment_read_own` sees. Bodies are validated against the OpenAPI contract.
 */
import type { LightMyRequestResponse } from 'fastify';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import { assignmentRow, expect400, expectError, guardRest, itemAssignmentRow, uid } from './_support';

const OP = {
  list: 'GET-customer-segment-retrieve-segment-items',
  search: 'POST-customer-segment-search-items',
  get: 'GET-customer-segment-retrieve-item',
} as const;

let t: TestApp;
let rest: TestApp['rest'];

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
});
afterAll(() => t.close());

async function segment(extra: Record<string, unknown> = {}): Promise<string> {
  const id = uid('seg');
  const res = await rest('POST', '/segments', { body: { id, name: { en: 'S' }, siteCode: 'main', ...extra } });
  if (res.statusCode !== 201) throw new Error(`segment: ${res.statusCode} ${res.body}`);
  return id;
}

/** Rows written directly, with chosen timestamps and mixins, so order and filters are exact. */
async function assign(
  segmentId: string,
  type: string,
  itemId: string,
  extra: { createdAt?: number; mixins?: unknown; version?: number } = {},
): Promise<void> {
  const row = itemAssignmentRow('acme', segmentId, itemId, type);
  if (extra.createdAt !== undefined) Object.assign(row, { created_at: extra.createdAt, modified_at: extra.createdAt });
  if (extra.mixins !== undefined) row.mixins = JSON.stringify(extra.mixins);
  if (extra.version !== undefined) row.version = extra.version;
  await t.db.knex('item_assignments').insert(row);
}

async function list(
  path: string,
  op: string = OP.list,
  init: Parameters<TestApp['rest']>[2] = {},
): Promise<LightMyRequestResponse> {
  const res = await rest(op === OP.search ? 'POST' : 'GET', path, init);
  if (res.statusCode !== 200) throw new Error(`${path}: ${res.statusCode} ${res.body}`);
  await expectContract(op, 200, res.json());
  return res;
}

const keys = (res: LightMyRequestResponse): string[] =>
  (res.json() as { type: string; item: { id: string } }[]).map((a) => `${a.type}:${a.item.id}`);

describe('order, q, sort and paging', () => {
  let s: string;
  const T0 = Date.UTC(2024, 0, 1);
  beforeAll(async () => {
    s = await segment();
    const other = await segment();
    // Same creation time for the first three: type, then item id break the tie.
    await assign(s, 'PRODUCT', 'p-b', { createdAt: T0, mixins: { tier: 'gold', rank: 3 } });
    await assign(s, 'PRODUCT', 'p-a', { createdAt: T0, mixins: { tier: 'silver', rank: 10 } });
    await assign(s, 'CATEGORY', 'c-z', { createdAt: T0, mixins: { tier: 'gold' }, version: 4 });
    await assign(s, 'PRODUCT', 'p-c', { createdAt: T0 - 1000 });
    await assign(s, 'CATEGORY', 'c-y', { createdAt: T0 + 1000, mixins: { rank: 1 }, version: 2 });
    await assign(other, 'PRODUCT', 'p-a', { createdAt: T0 });
  });

  test('default order: creation time, then type, then item id; only this segment', async () => {
    const res = await list(`/segments/${s}/items`);
    expect(keys(res)).toEqual(['PRODUCT:p-c', 'CATEGORY:c-z', 'PRODUCT:p-a', 'PRODUCT:p-b', 'CATEGORY:c-y']);
    expect(res.json().every((a: { segmentId: string }) => a.segmentId === s)).toBe(true);
  });

  test('q over type, item.id / itemId, segmentId, mixins.* and metadata.*', async () => {
    const q = async (expr: string) => keys(await list(`/segments/${s}/items?q=${encodeURIComponent(expr)}`));
    expect(await q('type:CATEGORY')).toEqual(['CATEGORY:c-z', 'CATEGORY:c-y']);
    expect(await q('itemId:p-a')).toEqual(['PRODUCT:p-a']);
    expect(await q('item.id:(p-a,c-y)')).toEqual(['PRODUCT:p-a', 'CATEGORY:c-y']);
    expect(await q('item.id:~^p- type:PRODUCT')).toEqual(['PRODUCT:p-c', 'PRODUCT:p-a', 'PRODUCT:p-b']);
    expect(await q(`segmentId:${s}`)).toHaveLength(5);
    expect(await q('segmentId:other')).toEqual([]);
    expect(await q('mixins.tier:gold')).toEqual(['CATEGORY:c-z', 'PRODUCT:p-b']);
    expect(await q('mixins.rank:>=3')).toEqual(['PRODUCT:p-a', 'PRODUCT:p-b']);
    expect(await q('mixins.tier:missing')).toEqual(['PRODUCT:p-c', 'CATEGORY:c-y']);
    expect(await q('metadata.version:>1')).toEqual(['CATEGORY:c-z', 'CATEGORY:c-y']);
    expect(await q(`metadata.createdAt:>"${new Date(T0).toISOString()}"`)).toEqual(['CATEGORY:c-y']);
    expect(await q(`metadataCreatedAt:<"${new Date(T0).toISOString()}"`)).toEqual(['PRODUCT:p-c']);
  });

  test('POST …/items/search takes q from the body', async () => {
    const res = await list(`/segments/${s}/items/search`, OP.search, { body: { q: 'type:PRODUCT mixins.tier:gold' } });
    expect(keys(res)).toEqual(['PRODUCT:p-b']);
    expect(keys(await list(`/segments/${s}/items/search`, OP.search, { body: {} }))).toHaveLength(5);
    expect(keys(await list(`/segments/${s}/items/search?pageSize=2`, OP.search))).toHaveLength(2);
  });

  test('sort over the q fields, direction case-insensitive; the default order breaks ties', async () => {
    const sorted = async (sort: string) => keys(await list(`/segments/${s}/items?sort=${encodeURIComponent(sort)}`));
    expect(await sorted('item.id:desc')).toEqual(['PRODUCT:p-c', 'PRODUCT:p-b', 'PRODUCT:p-a', 'CATEGORY:c-z', 'CATEGORY:c-y']);
    expect(await sorted('type:DESC,itemId')).toEqual([
      'PRODUCT:p-a',
      'PRODUCT:p-b',
      'PRODUCT:p-c',
      'CATEGORY:c-y',
      'CATEGORY:c-z',
    ]);
    // Absent values first ascending; numbers numerically (10 after 3).
    expect(await sorted('mixins.rank')).toEqual(['PRODUCT:p-c', 'CATEGORY:c-z', 'CATEGORY:c-y', 'PRODUCT:p-b', 'PRODUCT:p-a']);
    expect(await sorted('metadata.version:desc')).toEqual([
      'CATEGORY:c-z',
      'CATEGORY:c-y',
      'PRODUCT:p-c',
      'PRODUCT:p-a',
      'PRODUCT:p-b',
    ]);
  });

  test('paging: pageSize and pageNumber cut the same order; past the end is []', async () => {
    const all = keys(await list(`/segments/${s}/items`));
    expect(keys(await list(`/segments/${s}/items?pageSize=2`))).toEqual(all.slice(0, 2));
    expect(keys(await list(`/segments/${s}/items?pageSize=2&pageNumber=2`))).toEqual(all.slice(2, 4));
    expect(keys(await list(`/segments/${s}/items?pageSize=2&pageNumber=3`))).toEqual(all.slice(4));
    expect(keys(await list(`/segments/${s}/items?pageSize=2&pageNumber=9`))).toEqual([]);
  });

  test('X-Total-Count: true → the match count ignoring paging; otherwise no header', async () => {
    const counted = await list(`/segments/${s}/items?q=type:PRODUCT&pageSize=1`, OP.list, {
      headers: { 'x-total-count': 'true' },
    });
    expect(counted.headers['x-total-count']).toBe('3');
    expect(counted.json()).toHaveLength(1);
    const searched = await list(`/segments/${s}/items/search`, OP.search, {
      body: { q: 'type:CATEGORY' },
      headers: { 'x-total-count': 'true' },
    });
    expect(searched.headers['x-total-count']).toBe('2');
    expect((await list(`/segments/${s}/items`)).headers['x-total-count']).toBeUndefined();
  });

  test('fields projects every element and keeps segmentId, type and item.id', async () => {
    const res = await list(`/segments/${s}/items?fields=mixins.tier&q=itemId:(p-a,p-c)`);
    expect(res.json()).toEqual([
      { segmentId: s, type: 'PRODUCT', item: { id: 'p-c' } },
      { segmentId: s, type: 'PRODUCT', item: { id: 'p-a' }, mixins: { tier: 'silver' } },
    ]);
  });

  test('bad q, sort, paging and fields are 400s naming the parameter', async () => {
    const p = `/segments/${s}/items`;
    await expect400(await rest('GET', `${p}?q=name:x`), OP.list, 'q');
    await expect400(await rest('GET', `${p}?q=type:FOO`), OP.list, 'FOO');
    await expect400(await rest('GET', `${p}?q=type:>PRODUCT`), OP.list, 'type');
    await expect400(await rest('GET', `${p}?q=metadata.version:abc`), OP.list, 'metadata.version');
    await expect400(
      await rest('GET', `${p}?q=${encodeURIComponent('metadata.createdAt:>"yesterday"')}`),
      OP.list,
      'metadata.createdAt',
    );
    await expect400(await rest('POST', `${p}/search`, { body: { q: 'type:FOO' } }), OP.search, 'FOO');
    await expect400(await rest('GET', `${p}?q=${encodeURIComponent('type:(')}`), OP.list, 'q');
    await expect400(await rest('GET', `${p}?sort=name`), OP.list, 'sort');
    await expect400(await rest('GET', `${p}?sort=type:up`), OP.list, 'sort');
    await expect400(await rest('GET', `${p}?pageSize=0`), OP.list, 'pageSize');
    await expect400(await rest('GET', `${p}?pageSize=1001`), OP.list, 'pageSize');
    await expect400(await rest('GET', `${p}?pageNumber=abc`), OP.list, 'pageNumber');
    await expect400(await rest('GET', `${p}?fields=a..b`), OP.list, 'fields');
    await expect400(await rest('POST', `${p}/search`, { body: { q: 5 } }), OP.search, 'q');
    await expect400(await rest('POST', `${p}/search`, { body: [] }), OP.search, 'body');
    // Input is checked before existence: a bad q under a missing segment is still a 400.
    await expect400(await rest('GET', `/segments/${uid('missing')}/items?q=name:x`), OP.list, 'q');
  });

  test('a missing segment is 404 for the list and the search', async () => {
    const missing = uid('missing');
    await expectError(await rest('GET', `/segments/${missing}/items`), 404, OP.list);
    await expectError(await rest('POST', `/segments/${missing}/items/search`, { body: { q: 'type:PRODUCT' } }), 404, OP.search);
  });
});

describe('Accept-Language on embedded item names', () => {
  let s: string;
  beforeAll(async () => {
    s = await segment();
    const names = { en: 'Hammer', de: 'Hammer (de)', 'fr-FR': 'Marteau' };
    await t.db.knex('products').insert([
      { tenant: 'acme', id: 'p-lang', code: 'H1', name: JSON.stringify(names) },
      { tenant: 'acme', id: 'p-noname', code: 'N1', name: null },
    ]);
    await t.db.knex('categories').insert({
      tenant: 'acme',
      id: 'c-lang',
      code: 'TOOLS',
      name: JSON.stringify({ en: 'Tools', de: 'Werkzeug' }),
      published: true,
    });
    await assign(s, 'PRODUCT', 'p-lang', { createdAt: 1 });
    await assign(s, 'CATEGORY', 'c-lang', { createdAt: 2 });
    await assign(s, 'PRODUCT', 'p-noname', { createdAt: 3 });
    await assign(s, 'PRODUCT', 'p-ghost', { createdAt: 4 });
  });

  const items = async (lang?: string) =>
    (await list(`/segments/${s}/items`, OP.list, { headers: lang === undefined ? {} : { 'accept-language': lang } }))
      .json()
      .map((a: { item: unknown }) => a.item);

  test('no header or * → whole maps; unknown items have the id alone; no null fields', async () => {
    const whole = [
      { id: 'p-lang', code: 'H1', name: { en: 'Hammer', de: 'Hammer (de)', 'fr-FR': 'Marteau' } },
      { id: 'c-lang', code: 'TOOLS', name: { en: 'Tools', de: 'Werkzeug' } },
      { id: 'p-noname', code: 'N1' },
      { id: 'p-ghost' },
    ];
    expect(await items()).toEqual(whole);
    expect(await items('*')).toEqual(whole);
  });

  test('a language, a weighted list, a fallback to the default language', async () => {
    expect((await items('de')).slice(0, 2).map((i: { name: unknown }) => i.name)).toEqual([
      { de: 'Hammer (de)' },
      { de: 'Werkzeug' },
    ]);
    expect((await items('fr-CH, de;q=0.5')).slice(0, 2).map((i: { name: unknown }) => i.name)).toEqual([
      { 'fr-FR': 'Marteau' },
      { de: 'Werkzeug' },
    ]);
    expect((await items('ja')).slice(0, 2).map((i: { name: unknown }) => i.name)).toEqual([{ en: 'Hammer' }, { en: 'Tools' }]);
  });

  test('the single GET follows Accept-Language too', async () => {
    const res = await rest('GET', `/segments/${s}/items/category/c-lang`, { headers: { 'accept-language': 'de-AT' } });
    expect(res.statusCode).toBe(200);
    await expectContract(OP.get, 200, res.json());
    expect(res.json().item).toEqual({ id: 'c-lang', code: 'TOOLS', name: { de: 'Werkzeug' } });
  });
});

describe('segment_read_own: only items of the active segments the caller belongs to', () => {
  const C = uid('cust-C');
  const LE1 = uid('le1');
  const LE2 = uid('le2');
  const s = {} as Record<'mine' | 'inactive' | 'foreign' | 'b2b', string>;
  let own: string;
  let ownLE2: string;
  let noCustomer: string;

  beforeAll(async () => {
    s.mine = await segment({ status: 'ACTIVE' });
    s.inactive = await segment({ status: 'INACTIVE' });
    s.foreign = await segment({ status: 'ACTIVE' });
    s.b2b = await segment({ status: 'ACTIVE' });
    await t.db
      .knex('customer_assignments')
      .insert([
        assignmentRow('acme', s.mine, C),
        assignmentRow('acme', s.inactive, C),
        assignmentRow('acme', s.foreign, uid('cust-D')),
        assignmentRow('acme', s.b2b, C, LE1),
      ]);
    for (const id of Object.values(s)) await assign(id, 'PRODUCT', `p-${id}`);
    own = await t.token({ scopes: [SCOPE.readOwn], customerId: C });
    ownLE2 = await t.token({ scopes: [SCOPE.readOwn], customerId: C, legalEntityId: LE2 });
    noCustomer = await t.token({ scopes: [SCOPE.readOwn] });
  });

  test('list, search and single GET on an own active segment', async () => {
    const listed = await list(`/segments/${s.mine}/items`, OP.list, { token: own });
    expect(keys(listed)).toEqual([`PRODUCT:p-${s.mine}`]);
    const searched = await list(`/segments/${s.mine}/items/search`, OP.search, { token: own, body: { q: 'type:PRODUCT' } });
    expect(keys(searched)).toEqual([`PRODUCT:p-${s.mine}`]);
    const single = await rest('GET', `/segments/${s.mine}/items/PRODUCT/p-${s.mine}`, { token: own });
    expect(single.statusCode).toBe(200);
    await expectContract(OP.get, 200, single.json());
  });

  test('an inactive own segment or one the caller does not belong to is 404 on every read', async () => {
    for (const id of [s.inactive, s.foreign]) {
      await expectError(await rest('GET', `/segments/${id}/items`, { token: own }), 404, OP.list);
      await expectError(await rest('POST', `/segments/${id}/items/search`, { token: own, body: {} }), 404, OP.search);
      await expectError(await rest('GET', `/segments/${id}/items/PRODUCT/p-${id}`, { token: own }), 404, OP.get);
    }
  });

  test('B2B membership: any legal entity by default, or the one chosen by the parameter or the claim', async () => {
    expect(keys(await list(`/segments/${s.b2b}/items`, OP.list, { token: own }))).toHaveLength(1);
    expect(keys(await list(`/segments/${s.b2b}/items?legalEntityId=${LE1}`, OP.list, { token: own }))).toHaveLength(1);
    await expectError(await rest('GET', `/segments/${s.b2b}/items?legalEntityId=${LE2}`, { token: own }), 404, OP.list);
    await expectError(await rest('GET', `/segments/${s.b2b}/items/PRODUCT/p-${s.b2b}`, { token: ownLE2 }), 404, OP.get);
    // B2C membership counts whatever the legal entity.
    expect(keys(await list(`/segments/${s.mine}/items`, OP.list, { token: ownLE2 }))).toHaveLength(1);
  });

  test('segment_read sees every segment; a read_own token without a customer is 403', async () => {
    const admin = await t.token({ scopes: [SCOPE.read] });
    for (const id of Object.values(s))
      expect(keys(await list(`/segments/${id}/items`, OP.list, { token: admin }))).toHaveLength(1);
    await expectError(await rest('GET', `/segments/${s.mine}/items`, { token: noCustomer }), 403, OP.list);
  });
});
