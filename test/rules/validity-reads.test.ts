/**
 * Issue 11, time-bound membership, read side: the reads that decide what a customer gets —
 * read_own listings, /segments/items, category trees, match, Customer.segments,
 * Product.segments — count an assignment only while now ∈ [from, to), and answer "as at" an
 * instant when asked (`at`: a GraphQL argument, a REST query parameter). The clock is injected
 * and moved, so boundaries are crossed for real. Admin listings keep showing every assignment.
 *
 *   c-root
 *   └── c-child   ← CATEGORY of seg-a, valid in June only
 *   p-1 in c-child; p-2 a PRODUCT of seg-a from July on
 *   alice: member of seg-a in June only; bob: always
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

const MAY = Date.parse('2026-05-15T00:00:00Z');
const JUNE_10 = '2026-06-10T00:00:00.000Z';
const JULY_1 = '2026-07-01T00:00:00.000Z';
const JULY_5 = '2026-07-05T00:00:00.000Z';
const JUNE = { from: '2026-06-01T00:00:00.000Z', to: JULY_1 };

let now = MAY;
let t: TestApp;
let alice: string;
let bob: string;

beforeAll(async () => {
  t = await startTestApp({}, { clock: () => now });
  const k = t.db.knex;
  const cat = (id: string, parent: string | null, position: number) => ({
    tenant: 'acme',
    id,
    parent_id: parent,
    code: id,
    name: JSON.stringify({ en: id }),
    description: null,
    slug: null,
    ecn: null,
    validity_from: null,
    validity_to: null,
    position,
    published: true,
  });
  await k('categories').insert([cat('c-root', null, 1), cat('c-child', 'c-root', 2)]);
  await k('products').insert([
    { tenant: 'acme', id: 'p-1', code: 'P1', name: JSON.stringify({ en: 'One' }) },
    { tenant: 'acme', id: 'p-2', code: 'P2', name: JSON.stringify({ en: 'Two' }) },
  ]);
  await k('product_categories').insert([{ tenant: 'acme', product_id: 'p-1', category_id: 'c-child' }]);
  await k('customers').insert([
    { tenant: 'acme', id: 'alice', first_name: 'Alice' },
    { tenant: 'acme', id: 'bob', first_name: 'Bob' },
  ]);
  const writes = [
    () => t.rest('PUT', '/segments/seg-a', { body: { name: 'A', siteCode: 'main', status: 'ACTIVE' } }),
    () => t.rest('PUT', '/segments/seg-a/customers/alice', { body: { validity: JUNE } }),
    () => t.rest('PUT', '/segments/seg-a/customers/bob'),
    () => t.rest('PUT', '/segments/seg-a/items/CATEGORY/c-child', { body: { validity: JUNE } }),
    () => t.rest('PUT', '/segments/seg-a/items/PRODUCT/p-2', { body: { validity: { from: JULY_1 } } }),
  ];
  for (const w of writes) expect((await w()).statusCode).toBeLessThan(300);
  alice = await t.token({ scopes: [SCOPE.readOwn], customerId: 'alice' });
  bob = await t.token({ scopes: [SCOPE.readOwn], customerId: 'bob' });
});
afterAll(() => t.close());

afterEach(() => {
  now = MAY;
});

const ids = (body: Json[]): string[] => body.map((s) => s.id);
const itemIds = (body: Json[]): string[] => body.map((a) => a.item.id).sort();
const q = (at: string) => `at=${encodeURIComponent(at)}`;

describe('read_own GET /segments', () => {
  test('a membership outside its validity does not count now, and does "as at" an instant inside it', async () => {
    expect(ids((await t.rest('GET', '/segments', { token: alice })).json())).toEqual([]);
    const june = await t.rest('GET', `/segments?${q(JUNE_10)}`, { token: alice });
    expect(ids(june.json())).toEqual(['seg-a']);
    await expectContract('GET-customer-segment-retrieve-segments', 200, june.json());
    expect(ids((await t.rest('GET', '/segments', { token: bob })).json())).toEqual(['seg-a']);
  });

  test('the injected clock crossing from and to ([from, to): the end is outside)', async () => {
    now = Date.parse(JUNE_10);
    expect(ids((await t.rest('GET', '/segments', { token: alice })).json())).toEqual(['seg-a']);
    now = Date.parse(JULY_1) - 1;
    expect(ids((await t.rest('GET', '/segments', { token: alice })).json())).toEqual(['seg-a']);
    now = Date.parse(JULY_1);
    expect(ids((await t.rest('GET', '/segments', { token: alice })).json())).toEqual([]);
  });

  test('an administrator sees every assignment with customerId, unless asking as at', async () => {
    expect(ids((await t.rest('GET', '/segments?customerId=alice')).json())).toEqual(['seg-a']);
    expect(ids((await t.rest('GET', `/segments?customerId=alice&${q(JULY_5)}`)).json())).toEqual([]);
    expect(ids((await t.rest('GET', `/segments?customerId=alice&${q(JUNE_10)}`)).json())).toEqual(['seg-a']);
  });

  test('admin listings of a segment still show every assignment, with its validity', async () => {
    const members = (await t.rest('GET', '/segments/seg-a/customers?sort=customer.id')).json();
    expect(members.map((m: Json) => [m.customer.id, m.validity ?? null])).toEqual([
      ['alice', JUNE],
      ['bob', null],
    ]);
  });

  test('a malformed at is a 400 naming it, on every read that takes one', async () => {
    const calls = [
      t.rest('GET', '/segments?at=tomorrow', { token: alice }),
      t.rest('GET', '/segments/items?at=tomorrow', { token: alice }),
      t.rest('GET', '/segments/items/category-trees?at=tomorrow', { token: alice }),
      t.rest('POST', '/segments/match?at=tomorrow', {
        body: { siteCode: 'main', segmentIds: ['seg-a'], items: [{ id: 'p-1' }] },
      }),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({ code: 400, details: { field: 'at' } });
    }
  });
});

describe('GET /segments/items', () => {
  test('read_own: only item assignments valid now, or at the instant asked for', async () => {
    expect(itemIds((await t.rest('GET', '/segments/items', { token: bob })).json())).toEqual([]);
    expect(itemIds((await t.rest('GET', `/segments/items?${q(JUNE_10)}`, { token: bob })).json())).toEqual(['c-child']);
    const july = await t.rest('GET', `/segments/items?${q(JULY_5)}`, { token: bob });
    expect(itemIds(july.json())).toEqual(['p-2']);
    await expectContract('GET-customer-segment-retrieve-segments-items', 200, july.json());
    // alice's own membership is June's: in July she gets nothing, in June the category.
    expect(itemIds((await t.rest('GET', `/segments/items?${q(JULY_5)}`, { token: alice })).json())).toEqual([]);
    expect(itemIds((await t.rest('GET', `/segments/items?${q(JUNE_10)}`, { token: alice })).json())).toEqual(['c-child']);
  });

  test('segment_read lists every assignment; with at, those valid then', async () => {
    expect(itemIds((await t.rest('GET', '/segments/items')).json())).toEqual(['c-child', 'p-2']);
    expect(itemIds((await t.rest('GET', `/segments/items?${q(JUNE_10)}`)).json())).toEqual(['c-child']);
  });

  test('the clock moving into July changes what read_own gets', async () => {
    now = Date.parse(JULY_5);
    expect(itemIds((await t.rest('GET', '/segments/items', { token: bob })).json())).toEqual(['p-2']);
  });
});

describe('category trees', () => {
  const tree = (body: Json[]): unknown =>
    body.map((n) => [n.id, n.isSegmentAssigned, (n.subcategories ?? []).map((c: Json) => [c.id, c.isSegmentAssigned])]);

  test('REST: the assigned category counts only while valid', async () => {
    expect((await t.rest('GET', '/segments/items/category-trees', { token: bob })).json()).toEqual([]);
    const june = await t.rest('GET', `/segments/items/category-trees?${q(JUNE_10)}`, { token: bob });
    expect(tree(june.json())).toEqual([['c-root', false, [['c-child', true]]]]);
    await expectContract('GET-customer-segment-retrieve-category-trees', 200, june.json());
    now = Date.parse(JUNE_10);
    expect(tree((await t.rest('GET', '/segments/items/category-trees', { token: bob })).json())).toEqual([
      ['c-root', false, [['c-child', true]]],
    ]);
    // Alice is a member in June only, so in July nothing, even though she asks.
    expect((await t.rest('GET', `/segments/items/category-trees?${q(JULY_5)}`, { token: alice })).json()).toEqual([]);
  });

  test('GraphQL: categoryTrees(customerId, at) for an administrator', async () => {
    const query = 'query($at: DateTimeISO) { categoryTrees(customerId: "alice", at: $at) { id subcategories { id } } }';
    expect((await t.gql(query, {})).data).toEqual({ categoryTrees: [] });
    expect((await t.gql(query, { at: JUNE_10 })).data).toEqual({
      categoryTrees: [{ id: 'c-root', subcategories: [{ id: 'c-child' }] }],
    });
  });
});

describe('match', () => {
  const match = async (at?: string) => {
    const res = await t.rest('POST', `/segments/match${at ? `?${q(at)}` : ''}`, {
      body: { siteCode: 'main', segmentIds: ['seg-a'], items: [{ id: 'p-1' }, { id: 'p-2' }] },
    });
    expect(res.statusCode).toBe(200);
    return ids(res.json());
  };

  test('REST: products match through assignments valid now, or at the instant asked for', async () => {
    expect(await match()).toEqual([]);
    expect(await match(JUNE_10)).toEqual(['p-1']);
    expect(await match(JULY_5)).toEqual(['p-2']);
    now = Date.parse(JULY_5);
    expect(await match()).toEqual(['p-2']);
  });

  test('GraphQL: matchItems(at) says why', async () => {
    const res = await t.gql(
      `query { matchItems(siteCode: "main", segmentIds: ["seg-a"], productIds: ["p-1", "p-2"], at: "${JUNE_10}") { productId reasons { via categoryId } } }`,
    );
    expect(res.data).toEqual({ matchItems: [{ productId: 'p-1', reasons: [{ via: 'CATEGORY', categoryId: 'c-child' }] }] });
  });
});

describe('GraphQL edges', () => {
  test('Customer.segments counts validity now, or at', async () => {
    const query = 'query($at: DateTimeISO) { customer(id: "alice") { segments(at: $at) { id } } }';
    expect((await t.gql(query, {})).data).toEqual({ customer: { segments: [] } });
    expect((await t.gql(query, { at: JUNE_10 })).data).toEqual({ customer: { segments: [{ id: 'seg-a' }] } });
  });

  test('Product.segments counts validity now, or at', async () => {
    const query =
      'query($at: DateTimeISO) { p1: product(id: "p-1") { segments(at: $at) { id } } p2: product(id: "p-2") { segments(at: $at) { id } } }';
    expect((await t.gql(query, {})).data).toEqual({ p1: { segments: [] }, p2: { segments: [] } });
    expect((await t.gql(query, { at: JUNE_10 })).data).toEqual({ p1: { segments: [{ id: 'seg-a' }] }, p2: { segments: [] } });
    expect((await t.gql(query, { at: JULY_5 })).data).toEqual({ p1: { segments: [] }, p2: { segments: [{ id: 'seg-a' }] } });
  });

  test('Category.segments counts validity now, or at', async () => {
    const query = 'query($at: DateTimeISO) { category(id: "c-child") { segments(at: $at) { id } } }';
    expect((await t.gql(query, {})).data).toEqual({ category: { segments: [] } });
    expect((await t.gql(query, { at: JUNE_10 })).data).toEqual({ category: { segments: [{ id: 'seg-a' }] } });
  });

  test('read_own segments(at) through GraphQL', async () => {
    const query = 'query($at: DateTimeISO) { segments(at: $at) { items { id } } }';
    expect((await t.gql(query, {}, { token: alice })).data).toEqual({ segments: { items: [] } });
    expect((await t.gql(query, { at: JUNE_10 }, { token: alice })).data).toEqual({ segments: { items: [{ id: 'seg-a' }] } });
  });
});
