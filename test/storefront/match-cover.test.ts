import { readTenantVersions } from '../../src/db/tenant-version';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { ok as gqlOk, UPSERT_CATEGORIES, UPSERT_PRODUCTS } from '../catalog/fixtures';
import { expectContract } from '../helpers/contract';
import { postMatch } from './match-http';

/**
 * The category cover a match walks in memory (modules/storefront/category-cover.ts), over real
 * HTTP: a warm match reads no categories and no CATEGORY assignments, yet every write that can
 * change a match through categories changes the next answer at once — assignments, a parent
 * move, a category delete, a segment's status — as does an instant across a validity bound;
 * a kept cover never crosses tenants or segments, and is kept per segment; and a cover too large to keep leaves the
 * answer the same, walked in SQL.
 *
 *   c-root ── c-a ── c-a1      p-a1 in c-a1, p-b in c-b, p-root in c-root, p-none in none
 *          └─ c-b
 */
const JUNE_1 = '2026-06-01T00:00:00.000Z';
const PRODUCTS = ['p-a1', 'p-b', 'p-root', 'p-none'];

let t: TestApp;
let base: string;
const admins: Record<string, string> = {};
let statements: string[] = [];
/** The bindings of each statement in `statements`, in the same order. */
let bindings: unknown[][] = [];

async function okRest(res: Promise<{ statusCode: number; body: string }>): Promise<void> {
  const r = await res;
  if (r.statusCode >= 300) throw new Error(`${r.statusCode} ${r.body}`);
}

/** POST /segments/match over real HTTP: the matching product ids, and the statements it ran. */
async function match(
  segmentIds: string[],
  opts: { tenant?: string; at?: string } = {},
): Promise<{ ids: string[]; statements: string[] }> {
  const tenant = opts.tenant ?? 'acme';
  statements = [];
  bindings = [];
  const ids = await postMatch(base, tenant, admins[tenant] as string, segmentIds, PRODUCTS, opts.at);
  return { ids, statements };
}

/** Statements that read the tenant's categories (the cover's parent links). */
const linkReads = (sql: string[]): string[] => sql.filter((s) => /\bcategories\b/i.test(s));

/** Statements that read a segment's CATEGORY assignments (a cover's part). */
const partReads = (sql: string[]): string[] =>
  sql.filter((s, i) => /select [`"]item_id[`"], [`"]validity_from/i.test(s) && bindings[i]?.includes('CATEGORY'));

/** Statements that read the category tree or CATEGORY assignments (what a kept cover replaces). */
const walks = (sql: string[]): string[] => sql.filter((s) => /\bcategories\b|'CATEGORY'|with recursive/i.test(s));

/** Categories (id, parent) and products (id, category ids) through the API, as `token`. */
async function catalog(
  app: TestApp,
  categories: [string, string | null][],
  products: [string, string[]][],
  token?: string,
): Promise<void> {
  const input = categories.map(([id, parentId], position) => ({ id, parentId, code: id, position }));
  await gqlOk(app.gql(UPSERT_CATEGORIES, { input }, { token }));
  const items = products.map(([id, categoryIds]) => ({ id, code: id, categoryIds }));
  await gqlOk(app.gql(UPSERT_PRODUCTS, { input: items }, { token }));
}

async function setUp(tenant: string): Promise<void> {
  const token = admins[tenant];
  await catalog(
    t,
    [
      ['c-root', null],
      ['c-a', 'c-root'],
      ['c-a1', 'c-a'],
      ['c-b', 'c-root'],
    ],
    [
      ['p-a1', ['c-a1']],
      ['p-b', ['c-b']],
      ['p-root', ['c-root']],
      ['p-none', []],
    ],
    token,
  );
  for (const s of ['gold', 'silver']) {
    await okRest(t.rest('PUT', `/segments/${s}`, { tenant, token, body: { name: s, siteCode: 'main', status: 'ACTIVE' } }));
  }
}

beforeAll(async () => {
  t = await startTestApp();
  base = await t.listen();
  t.db.knex.on('query', (q: { sql: string; bindings?: unknown[] }) => {
    statements.push(q.sql);
    bindings.push(q.bindings ?? []);
  });
  admins.acme = await t.token({ tenant: 'acme', scopes: [SCOPE.read, SCOPE.manage] });
  admins.other = await t.token({ tenant: 'other', scopes: [SCOPE.read, SCOPE.manage] });
  await setUp('acme');
  await setUp('other');
});

afterAll(async () => {
  await t.close();
});

test('a warm match walks in memory; every write that changes it changes the next answer', async () => {
  const assign = (path: string, body?: unknown) => okRest(t.rest('PUT', `/segments/gold/items/CATEGORY/${path}`, { body }));
  await assign('c-a');
  const cold = await match(['gold']);
  expect(cold.ids).toEqual(['p-a1']);
  const warm = await match(['gold']);
  expect(warm.ids).toEqual(['p-a1']);
  expect(walks(warm.statements)).toEqual([]);

  // A parent move: c-b under c-a. The links are read again.
  await gqlOk(t.gql(UPSERT_CATEGORIES, { input: [{ id: 'c-b', parentId: 'c-a', code: 'c-b', position: 2 }] }));
  const moved = await match(['gold']);
  expect(moved.ids).toEqual(['p-a1', 'p-b']);
  expect(linkReads(moved.statements)).toHaveLength(1);
  // A category deleted: p-a1's link now names a category the store lacks, which is not assigned.
  await gqlOk(t.gql('mutation($ids: [ID!]!) { deleteCategories(ids: $ids) }', { ids: ['c-a1'] }));
  expect((await match(['gold'])).ids).toEqual(['p-b']);
  // An assignment of the root covers everything linked below it; its deletion takes it back.
  // Neither moves a category: the segment's part is read again, the tenant's links are not.
  await assign('c-root');
  const assigned = await match(['gold']);
  expect(assigned.ids).toEqual(['p-b', 'p-root']);
  expect(linkReads(assigned.statements)).toEqual([]);
  expect(partReads(assigned.statements)).toHaveLength(1);
  await okRest(t.rest('DELETE', '/segments/gold/items/CATEGORY/c-root'));
  expect((await match(['gold'])).ids).toEqual(['p-b']);
  // The segment made inactive, then active again.
  await okRest(t.rest('PATCH', '/segments/gold', { body: [{ op: 'replace', path: '/status', value: 'INACTIVE' }] }));
  expect((await match(['gold'])).ids).toEqual([]);
  await okRest(t.rest('PATCH', '/segments/gold', { body: [{ op: 'replace', path: '/status', value: 'ACTIVE' }] }));
  const again = await match(['gold']);
  expect(again.ids).toEqual(['p-b']);
  expect((await match(['gold'])).statements.length).toBeLessThan(again.statements.length);
});

test('category-links moves only when a category is created, deleted or moved', async () => {
  const versions = (tenant: string) => readTenantVersions(t.db.knex, tenant, ['category-tree', 'category-links']);
  const step = async (write: () => Promise<unknown>): Promise<[number, number]> => {
    const before = await versions('acme');
    await write();
    const after = await versions('acme');
    return [after['category-tree'] - before['category-tree'], after['category-links'] - before['category-links']];
  };
  const upsert = (input: unknown[]) => gqlOk(t.gql(UPSERT_CATEGORIES, { input }));
  // Renamed (same parent): the trees change, the links do not.
  expect(await step(() => upsert([{ id: 'c-root', code: 'c-root', name: { en: 'Root' }, position: 1 }]))).toEqual([1, 0]);
  expect(await step(() => upsert([{ id: 'c-new', parentId: 'c-root', code: 'c-new', position: 9 }]))).toEqual([1, 1]);
  expect(await step(() => upsert([{ id: 'c-new', parentId: null, code: 'c-new', position: 9 }]))).toEqual([1, 1]);
  expect(await step(() => gqlOk(t.gql('mutation($ids: [ID!]!) { deleteCategories(ids: $ids) }', { ids: ['c-new'] })))).toEqual([
    1, 1,
  ]);
  expect(await step(() => okRest(t.rest('PUT', '/segments/silver/items/CATEGORY/c-b')))).toEqual([1, 0]);
  expect(await step(() => okRest(t.rest('DELETE', '/segments/silver/items/CATEGORY/c-b')))).toEqual([1, 0]);
  // A rolled-back write bumps neither: a batch with one bad element is all or nothing.
  const bad = await t.gql(UPSERT_CATEGORIES, {
    input: [
      { id: 'c-new2', code: 'c-new2', position: 1 },
      { id: '', code: 'x', position: 1 },
    ],
  });
  expect(bad.errors?.length).toBeGreaterThan(0);
  expect(await step(async () => undefined)).toEqual([0, 0]);
});

test('an instant across a validity bound changes the answer with no write', async () => {
  await okRest(t.rest('PUT', '/segments/silver/items/CATEGORY/c-root', { body: { validity: { from: JUNE_1 } } }));
  expect((await match(['silver'], { at: '2026-05-15T00:00:00.000Z' })).ids).toEqual([]);
  const june = await match(['silver'], { at: '2026-06-15T00:00:00.000Z' });
  expect(june.ids).toEqual(['p-b', 'p-root']);
  // Both instants are kept apart: asking May again is still empty, June again reads no walk.
  expect((await match(['silver'], { at: '2026-05-20T00:00:00.000Z' })).ids).toEqual([]);
  expect(walks((await match(['silver'], { at: '2026-06-20T00:00:00.000Z' })).statements).length).toBeLessThanOrEqual(
    walks(june.statements).length,
  );
});

test('a kept cover never crosses tenants or segment sets', async () => {
  // other: only c-b is assigned, to gold.
  await okRest(t.rest('PUT', '/segments/gold/items/CATEGORY/c-b', { tenant: 'other', token: admins.other }));
  const acme = (await match(['gold'])).ids;
  expect((await match(['gold'], { tenant: 'other' })).ids).toEqual(['p-b']);
  expect((await match(['gold'])).ids).toEqual(acme);
  expect((await match(['gold', 'silver'], { tenant: 'other' })).ids).toEqual(['p-b']);
  expect((await match(['silver'], { tenant: 'other' })).ids).toEqual([]);
});

test('parts are per segment: a new set of warm segments reads no walk, and each segment answers for itself', async () => {
  // acme: gold has c-a (c-b under it), silver has c-root from June; both warm at this version.
  const may = { at: '2026-05-15T00:00:00.000Z' };
  expect((await match(['gold'], may)).ids).toEqual(['p-b']);
  expect((await match(['silver'], may)).ids).toEqual([]);
  const both = await match(['gold', 'silver'], may);
  expect(both.ids).toEqual(['p-b']);
  expect(walks(both.statements)).toEqual([]);
  const june = { at: '2026-06-15T00:00:00.000Z' };
  expect((await match(['silver'], june)).ids).toEqual(['p-b', 'p-root']);
  expect((await match(['gold', 'silver'], june)).ids).toEqual(['p-b', 'p-root']);
});

test('GraphQL reasons come from the same cover: the category on the path that is assigned', async () => {
  const res = await t.gql<{
    matchItems: { productId: string; reasons: { segmentId: string; via: string; categoryId: string }[] }[];
  }>(
    `query($p: [ID!]!) { matchItems(siteCode: "main", segmentIds: ["gold"], productIds: $p) { productId reasons { segmentId via categoryId } } }`,
    { p: PRODUCTS },
  );
  expect(res.errors).toBeUndefined();
  // gold has c-a (c-b now sits under it).
  expect(res.data?.matchItems).toEqual([
    { productId: 'p-b', reasons: [{ segmentId: 'gold', via: 'CATEGORY', categoryId: 'c-a' }] },
  ]);
});

describe('two tenants at the same version with different trees', () => {
  // An app of their own: no other tenant's entries (at other versions) in its cache.
  const main = { t: undefined as TestApp | undefined, base: '' };
  beforeAll(async () => {
    main.t = t;
    main.base = base;
    t = await startTestApp();
    base = await t.listen();
  });
  afterAll(async () => {
    await t.close();
    t = main.t as TestApp;
    base = main.base;
  });

  test('keep their own', async () => {
    // The same writes, row for row, so both tenants' versions are equal: only the trees differ.
    // twinx: c2 under c1, c1 assigned; twiny: c2 under c3, c3 assigned. Each matches p-a1 (in c2)
    // by its own tree and assignments, and by neither with the other's.
    for (const [tenant, parentOfC2, assigned] of [
      ['twinx', 'c1', 'c1'],
      ['twiny', 'c3', 'c3'],
    ] as const) {
      admins[tenant] = await t.token({ tenant, scopes: [SCOPE.read, SCOPE.manage] });
      const token = admins[tenant];
      await catalog(
        t,
        [
          ['c1', null],
          ['c3', null],
          ['c2', parentOfC2],
        ],
        [['p-a1', ['c2']]],
        token,
      );
      await okRest(
        t.rest('PUT', '/segments/gold', { tenant, token, body: { name: 'gold', siteCode: 'main', status: 'ACTIVE' } }),
      );
      await okRest(t.rest('PUT', `/segments/gold/items/CATEGORY/${assigned}`, { tenant, token }));
    }
    const versions = (tenant: string) => readTenantVersions(t.db.knex, tenant, ['category-tree', 'category-links']);
    expect(await versions('twinx')).toEqual(await versions('twiny'));
    expect((await match(['gold'], { tenant: 'twinx' })).ids).toEqual(['p-a1']);
    expect((await match(['gold'], { tenant: 'twiny' })).ids).toEqual(['p-a1']);
    expect((await match(['gold'], { tenant: 'twinx' })).ids).toEqual(['p-a1']);
  });
});

describe.each([
  // 1,000 bytes: each part may take 250, about two rows; the catalog has four categories.
  ['the catalog', '1000'],
  // 1,800 bytes: four rows a part; the catalog fits, a segment with five assignments does not.
  ['a segment', '1800'],
])('%s too large to keep', (_part, bytes) => {
  let small: TestApp;
  afterAll(async () => {
    await small.close();
  });

  test('answers the same, walked in SQL on every request', async () => {
    small = await startTestApp({ CATEGORY_COVER_CACHE_BYTES: bytes });
    const sql: string[] = [];
    small.db.knex.on('query', (q: { sql: string }) => sql.push(q.sql));
    await catalog(
      small,
      [
        ['c-root', null],
        ['c-a', 'c-root'],
        ['c-a1', 'c-a'],
        ['c-b', 'c-root'],
      ],
      [['p-a1', ['c-a1']]],
    );
    await okRest(small.rest('PUT', '/segments/gold', { body: { name: 'gold', siteCode: 'main', status: 'ACTIVE' } }));
    // c-a among ids the store does not have (assignments to unknown ids are accepted).
    const ids = ['c-a', 'x-1', 'x-2', 'x-3', 'x-4'];
    await okRest(small.rest('PUT', '/segments/gold/items/CATEGORY/bulk', { body: ids.map((id) => ({ id })) }));
    for (let i = 0; i < 2; i++) {
      sql.length = 0;
      const res = await small.rest('POST', '/segments/match', {
        body: { siteCode: 'main', segmentIds: ['gold'], items: [{ id: 'p-a1' }] },
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual([{ id: 'p-a1' }]);
      await expectContract('POST-customer-segment-check-match', 200, res.json());
      expect(sql.filter((s) => /with recursive/i.test(s))).toHaveLength(1);
    }
  });
});
