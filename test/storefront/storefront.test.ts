import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';

/**
 * Named fixture "hardware store": a four-level category tree, products in it, three segments
 * (two active on site main, one inactive) with B2C and B2B members and category/product
 * assignments. Written straight into the tables so this file does not depend on the write APIs.
 *
 *   tools (1)
 *   ├── hammers (10)            ← assigned to gold
 *   │   └── sledge (100)
 *   │       └── mini-sledge (1000)
 *   └── drills (11)
 *       └── cordless (110)      ← assigned to b2b
 *   garden (2)
 *   └── hoses (20)              ← assigned to archive (inactive)
 */
const T = 'acme';
let t: TestApp;
const now = Date.now();
const meta = { version: 1, created_at: now, modified_at: now };

function cat(id: string, parent: string | null, code: string, position: number, en: string, de?: string) {
  return {
    tenant: T,
    id,
    parent_id: parent,
    code,
    name: JSON.stringify(de ? { en, de } : { en }),
    description: JSON.stringify({ en: `${en} for everyone` }),
    slug: JSON.stringify({ en: code }),
    ecn: JSON.stringify([`ECN-${code}`]),
    validity_from: null,
    validity_to: null,
    position,
    published: true,
  };
}

beforeAll(async () => {
  t = await startTestApp();
  const k = t.db.knex;
  await k('categories').insert([
    cat('c-tools', null, 'tools', 1, 'Tools', 'Werkzeug'),
    cat('c-hammers', 'c-tools', 'hammers', 10, 'Hammers', 'Hämmer'),
    cat('c-sledge', 'c-hammers', 'sledge', 100, 'Sledgehammers'),
    cat('c-mini', 'c-sledge', 'mini-sledge', 1000, 'Mini sledges'),
    cat('c-drills', 'c-tools', 'drills', 11, 'Drills'),
    cat('c-cordless', 'c-drills', 'cordless', 110, 'Cordless drills'),
    cat('c-garden', null, 'garden', 2, 'Garden'),
    cat('c-hoses', 'c-garden', 'hoses', 20, 'Hoses'),
  ]);
  await k('products').insert([
    { tenant: T, id: 'p-mini', code: 'MINI', name: JSON.stringify({ en: 'Mini sledge' }) },
    { tenant: T, id: 'p-drill', code: 'DRL', name: JSON.stringify({ en: 'Drill' }) },
    { tenant: T, id: 'p-hose', code: 'HOSE', name: JSON.stringify({ en: 'Hose' }) },
    { tenant: T, id: 'p-direct', code: 'DIR', name: JSON.stringify({ en: 'Direct' }) },
    { tenant: T, id: 'p-none', code: 'NONE', name: JSON.stringify({ en: 'Nothing' }) },
  ]);
  await k('product_categories').insert([
    { tenant: T, product_id: 'p-mini', category_id: 'c-mini' },
    { tenant: T, product_id: 'p-drill', category_id: 'c-cordless' },
    { tenant: T, product_id: 'p-hose', category_id: 'c-hoses' },
  ]);
  const seg = (id: string, status: string, site = 'main') => ({
    tenant: T,
    id,
    name: JSON.stringify({ en: id }),
    description: null,
    validity_from: null,
    validity_to: null,
    status,
    site_code: site,
    mixins: null,
    metadata_mixins: null,
    ...meta,
  });
  await k('segments').insert([
    seg('gold', 'ACTIVE'),
    seg('b2b', 'ACTIVE'),
    seg('archive', 'INACTIVE'),
    seg('outlet', 'ACTIVE', 'outlet'),
  ]);
  const item = (segment_id: string, type: string, item_id: string) => ({
    tenant: T,
    segment_id,
    type,
    item_id,
    mixins: null,
    metadata_mixins: null,
    ...meta,
  });
  await k('item_assignments').insert([
    item('gold', 'CATEGORY', 'c-hammers'),
    item('gold', 'PRODUCT', 'p-direct'),
    item('b2b', 'CATEGORY', 'c-cordless'),
    item('archive', 'CATEGORY', 'c-hoses'),
    item('outlet', 'PRODUCT', 'p-hose'),
  ]);
  const member = (segment_id: string, customer_id: string, legal_entity_id = '') => ({
    tenant: T,
    segment_id,
    customer_id,
    legal_entity_id,
    assignment_type: 'MANUAL',
    mixins: null,
    metadata_mixins: null,
    ...meta,
  });
  await k('customer_assignments').insert([
    member('gold', 'alice'), // B2C
    member('b2b', 'bob', 'le-1'), // B2B for legal entity le-1 only
    member('gold', 'bob', 'le-2'),
    member('archive', 'alice'),
  ]);
});
afterAll(() => t.close());

const customerToken = (customerId: string, legalEntityId?: string) =>
  t.token({ scopes: [SCOPE.readOwn], customerId, legalEntityId });

interface Node {
  id: string;
  isSegmentAssigned: boolean;
  subcategories?: Node[];
  name: Record<string, string>;
  [k: string]: unknown;
}
const shape = (nodes: Node[]): unknown => nodes.map((n) => [n.id, n.isSegmentAssigned, shape(n.subcategories ?? [])]);

describe('GET /segments/items/category-trees', () => {
  test('a B2C member gets the assigned subtree with its ancestors, ordered, contract-valid', async () => {
    const res = await t.rest('GET', '/segments/items/category-trees', { token: await customerToken('alice') });
    expect(res.statusCode).toBe(200);
    await expectContract('GET-customer-segment-retrieve-category-trees', 200, res.json());
    // gold → hammers (and everything below it); archive is inactive, so no garden/hoses.
    expect(shape(res.json())).toEqual([['c-tools', false, [['c-hammers', true, [['c-sledge', true, [['c-mini', true, []]]]]]]]]);
    const root = res.json()[0];
    expect(root).toMatchObject({ code: 'tools', position: 1, published: true, ecn: ['ECN-tools'] });
    expect(root.subcategories[0]).toMatchObject({ parentId: 'c-tools', localizedSlug: { en: 'hammers' } });
  });

  test('B2B membership counts for the chosen legal entity; without one, for all of them', async () => {
    const all = await t.rest('GET', '/segments/items/category-trees', { token: await customerToken('bob') });
    expect(shape(all.json())).toEqual([
      [
        'c-tools',
        false,
        [
          ['c-hammers', true, [['c-sledge', true, [['c-mini', true, []]]]]],
          ['c-drills', false, [['c-cordless', true, []]]],
        ],
      ],
    ]);
    const le1 = await t.rest('GET', '/segments/items/category-trees?legalEntityId=le-1', { token: await customerToken('bob') });
    expect(shape(le1.json())).toEqual([['c-tools', false, [['c-drills', false, [['c-cordless', true, []]]]]]]);
    const claim = await t.rest('GET', '/segments/items/category-trees', { token: await customerToken('bob', 'le-2') });
    expect(shape(claim.json())).toEqual([
      ['c-tools', false, [['c-hammers', true, [['c-sledge', true, [['c-mini', true, []]]]]]]],
    ]);
  });

  test('siteCode filters segments; an unknown customer gets []', async () => {
    const other = await t.rest('GET', '/segments/items/category-trees?siteCode=outlet', { token: await customerToken('alice') });
    expect(other.json()).toEqual([]);
    const nobody = await t.rest('GET', '/segments/items/category-trees', { token: await customerToken('zed') });
    expect(nobody.statusCode).toBe(200);
    expect(nobody.json()).toEqual([]);
  });

  test('Accept-Language picks one language per localized field', async () => {
    const res = await t.rest('GET', '/segments/items/category-trees', {
      token: await customerToken('alice'),
      headers: { 'accept-language': 'de-CH, de;q=0.9' },
    });
    const root = res.json()[0];
    expect(root.name).toEqual({ de: 'Werkzeug' });
    expect(root.subcategories[0].name).toEqual({ de: 'Hämmer' });
    // No German: the default language.
    expect(root.subcategories[0].subcategories[0].name).toEqual({ en: 'Sledgehammers' });
  });

  test('without a customer identity: 403 with the Error body; without read_own: 403', async () => {
    const admin = await t.rest('GET', '/segments/items/category-trees'); // all scopes, no customerId
    expect(admin.statusCode).toBe(403);
    await expectContract('GET-customer-segment-retrieve-category-trees', 403, admin.json());
    expect(admin.json()).toMatchObject({ code: 403, status: 'Forbidden' });
    const readOnly = await t.rest('GET', '/segments/items/category-trees', {
      token: await t.token({ scopes: [SCOPE.read], customerId: 'alice' }),
    });
    expect(readOnly.statusCode).toBe(403);
  });

  test('GraphQL categoryTrees: an admin may ask for any customer, nested as deep as selected', async () => {
    const res = await t.gql<{ categoryTrees: { id: string; subcategories: { id: string; isSegmentAssigned: boolean }[] }[] }>(
      'query($c: ID) { categoryTrees(customerId: $c) { id isSegmentAssigned subcategories { id isSegmentAssigned } } }',
      { c: 'alice' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data?.categoryTrees).toEqual([
      { id: 'c-tools', isSegmentAssigned: false, subcategories: [{ id: 'c-hammers', isSegmentAssigned: true }] },
    ]);
    const own = await t.gql('query { categoryTrees(customerId: "alice") { id } }', undefined, {
      token: await customerToken('bob'),
    });
    expect(own.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });
});

describe('POST /segments/match', () => {
  const match = (body: unknown, token?: string) => t.rest('POST', '/segments/match', { body, token });

  test('direct, through a category, through an ancestor three levels up; input order, distinct', async () => {
    const res = await match({
      siteCode: 'main',
      segmentIds: ['gold', 'b2b', 'archive', 'no-such-segment'],
      items: [
        { id: 'p-none' },
        { id: 'p-drill' },
        { id: 'p-mini' },
        { id: 'p-hose' },
        { id: 'p-direct' },
        { id: 'p-mini' },
        { id: 'ghost' },
      ],
    });
    expect(res.statusCode).toBe(200);
    await expectContract('POST-customer-segment-check-match', 200, res.json());
    // p-hose: only in the inactive archive segment (and in outlet, another site).
    expect(res.json()).toEqual([{ id: 'p-drill' }, { id: 'p-mini' }, { id: 'p-direct' }]);
  });

  test('the site comes as siteCode or site; segments of other sites do not count', async () => {
    const viaSite = await match({ site: 'outlet', segmentIds: ['outlet', 'gold'], items: [{ id: 'p-hose' }, { id: 'p-mini' }] });
    expect(viaSite.json()).toEqual([{ id: 'p-hose' }]);
  });

  test('empty items → []; unknown segments → []', async () => {
    expect((await match({ siteCode: 'main', segmentIds: ['gold'], items: [] })).json()).toEqual([]);
    expect((await match({ siteCode: 'main', segmentIds: ['nope'], items: [{ id: 'p-mini' }] })).json()).toEqual([]);
  });

  test('bad input: missing site, >1000 items, items not an array, item without id, segmentIds missing', async () => {
    const cases: [unknown, string][] = [
      [{ segmentIds: ['gold'], items: [{ id: 'p' }] }, 'siteCode'],
      [{ siteCode: 'main', segmentIds: ['gold'], items: Array.from({ length: 1001 }, (_, i) => ({ id: `p${i}` })) }, 'items'],
      [{ siteCode: 'main', segmentIds: ['gold'], items: 'p-mini' }, 'items'],
      [{ siteCode: 'main', segmentIds: ['gold'], items: [{ id: 'ok' }, { code: 'x' }] }, 'items[1].id'],
      [{ siteCode: 'main', items: [{ id: 'p' }] }, 'segmentIds'],
    ];
    for (const [body, field] of cases) {
      const res = await match(body);
      expect(res.statusCode).toBe(400);
      await expectContract('POST-customer-segment-check-match', 400, res.json());
      expect(res.json().message).toContain(field);
    }
  });

  test('matchItems names its own argument when over 1,000 products or segments', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => `p${i}`);
    for (const [vars, field] of [
      [{ s: ['gold'], p: many }, 'productIds'],
      [{ s: many, p: ['p'] }, 'segmentIds'],
    ] as const) {
      const res = await t.gql(
        'query($s: [ID!]!, $p: [ID!]!) { matchItems(siteCode: "main", segmentIds: $s, productIds: $p) { productId } }',
        vars,
      );
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(res.errors?.[0]?.message).toMatch(new RegExp(`^${field}: at most 1000`));
    }
  });

  test('needs segment_manage', async () => {
    const res = await match({ siteCode: 'main', segmentIds: ['gold'], items: [] }, await t.token({ scopes: [SCOPE.read] }));
    expect(res.statusCode).toBe(403);
  });

  test('matchItems says why each product matched', async () => {
    const res = await t.gql<{
      matchItems: { productId: string; reasons: { segmentId: string; via: string; categoryId: string | null }[] }[];
    }>(
      `query { matchItems(siteCode: "main", segmentIds: ["gold", "b2b"], productIds: ["p-mini", "p-direct", "p-drill"]) {
         productId reasons { segmentId via categoryId } } }`,
    );
    expect(res.data?.matchItems).toEqual([
      { productId: 'p-mini', reasons: [{ segmentId: 'gold', via: 'CATEGORY', categoryId: 'c-hammers' }] },
      { productId: 'p-direct', reasons: [{ segmentId: 'gold', via: 'DIRECT', categoryId: null }] },
      { productId: 'p-drill', reasons: [{ segmentId: 'b2b', via: 'CATEGORY', categoryId: 'c-cordless' }] },
    ]);
  });

  test('another tenant matches nothing of ours', async () => {
    const res = await t.rest('POST', '/segments/match', {
      tenant: 'globex',
      token: await t.token({ tenant: 'globex' }),
      body: { siteCode: 'main', segmentIds: ['gold', 'b2b'], items: [{ id: 'p-mini' }, { id: 'p-direct' }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([]);
  });
});

describe('GET /segments/items (across segments)', () => {
  const OP = 'GET-customer-segment-retrieve-segments-items';
  const keys = (body: { segmentId: string; type: string; item: { id: string } }[]) =>
    body.map((a) => `${a.segmentId}/${a.type}/${a.item.id}`).sort();

  test('segment_read sees every segment’s items; onlyActive, siteCode and q narrow them', async () => {
    const all = await t.rest('GET', '/segments/items', { headers: { 'x-total-count': 'true' } });
    expect(all.statusCode).toBe(200);
    await expectContract(OP, 200, all.json());
    expect(keys(all.json())).toEqual([
      'archive/CATEGORY/c-hoses',
      'b2b/CATEGORY/c-cordless',
      'gold/CATEGORY/c-hammers',
      'gold/PRODUCT/p-direct',
      'outlet/PRODUCT/p-hose',
    ]);
    expect(all.headers['x-total-count']).toBe('5');
    const active = await t.rest('GET', '/segments/items?onlyActive=true&siteCode=main');
    expect(keys(active.json())).toEqual(['b2b/CATEGORY/c-cordless', 'gold/CATEGORY/c-hammers', 'gold/PRODUCT/p-direct']);
    const categories = await t.rest('GET', '/segments/items?q=type:CATEGORY%20segmentId:(gold,archive)&sort=item.id:desc');
    expect(categories.json().map((a: { item: { id: string } }) => a.item.id)).toEqual(['c-hoses', 'c-hammers']);
    const page = await t.rest('GET', '/segments/items?pageSize=2&pageNumber=3');
    expect(page.json()).toHaveLength(1);
  });

  test('embedded items are localized and projected with their ids kept', async () => {
    const res = await t.rest('GET', '/segments/items?q=segmentId:gold&fields=item.name', {
      headers: { 'accept-language': 'de' },
    });
    await expectContract(OP, 200, res.json());
    const hammers = res.json().find((a: { item: { id: string } }) => a.item.id === 'c-hammers');
    expect(hammers).toEqual({ segmentId: 'gold', type: 'CATEGORY', item: { id: 'c-hammers', name: { de: 'Hämmer' } } });
  });

  test('segment_read_own sees only items of its own active segments (onlyActive forced)', async () => {
    const alice = await t.rest('GET', '/segments/items?onlyActive=false', { token: await customerToken('alice') });
    expect(alice.statusCode).toBe(200);
    await expectContract(OP, 200, alice.json());
    // alice is also in the inactive archive segment: its items stay hidden.
    expect(keys(alice.json())).toEqual(['gold/CATEGORY/c-hammers', 'gold/PRODUCT/p-direct']);
    const bobLe1 = await t.rest('GET', '/segments/items?legalEntityId=le-1', { token: await customerToken('bob') });
    expect(keys(bobLe1.json())).toEqual(['b2b/CATEGORY/c-cordless']);
    const stranger = await t.rest('GET', '/segments/items', { token: await customerToken('zed') });
    expect(stranger.json()).toEqual([]);
  });

  test('bad input is a 400 naming the parameter; another tenant sees nothing', async () => {
    for (const [query, field] of [
      ['onlyActive=maybe', 'onlyActive'],
      ['q=type:FOO', 'type'],
      ['pageSize=0', 'pageSize'],
      ['sort=nope', 'nope'],
    ]) {
      const res = await t.rest('GET', `/segments/items?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toContain(field);
    }
    const other = await t.rest('GET', '/segments/items', { tenant: 'globex', token: await t.token({ tenant: 'globex' }) });
    expect(other.statusCode).toBe(200);
    expect(other.json()).toEqual([]);
  });

  test('GraphQL segmentItems is the same listing', async () => {
    const res = await t.gql<{ segmentItems: { totalCount: number; items: { segmentId: string; item: { id: string } }[] } }>(
      'query { segmentItems(onlyActive: true, siteCode: "main", sort: "item.id") { totalCount items { segmentId item { id } } } }',
    );
    expect(res.data?.segmentItems.totalCount).toBe(3);
    expect(res.data?.segmentItems.items.map((a) => a.item.id)).toEqual(['c-cordless', 'c-hammers', 'p-direct']);
  });
});
