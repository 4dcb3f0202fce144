import { withQueryCount } from '../../src/db/query-counter';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import {
  assignCustomer,
  assignItem,
  createSegment,
  firstError,
  ok,
  UPSERT_CATEGORIES,
  UPSERT_CUSTOMERS,
  UPSERT_PRODUCTS,
} from './fixtures';

/**
 * One catalog for the whole file:
 *
 *   cat-a (pos 2)            seg-top  → CATEGORY cat-a
 *   └─ cat-b                 seg-mid  → CATEGORY cat-b (INACTIVE)
 *      └─ cat-c
 *         └─ cat-d           p-deep in cat-d: reaches seg-top three levels up
 *   cat-z (pos 1), cat-y (no position, code A), cat-x (no position, code B)
 *   p-direct                 seg-prod → PRODUCT p-direct
 *
 *   customers: cu1 B2C in seg-b2c; B2B with le1 in seg-le1, with le2 in seg-le2 (INACTIVE)
 */
let t: TestApp;
const gqlIds = (list: { id: string }[]) => list.map((s) => s.id);

beforeAll(async () => {
  t = await startTestApp();
  for (const id of ['seg-top', 'seg-prod', 'seg-b2c', 'seg-le1']) await createSegment(t, id);
  for (const id of ['seg-mid', 'seg-le2']) await createSegment(t, id, { status: 'INACTIVE' });
  await ok(
    t.gql(UPSERT_CATEGORIES, {
      input: [
        { id: 'cat-d', parentId: 'cat-c', code: 'D' },
        { id: 'cat-c', parentId: 'cat-b', code: 'C' },
        { id: 'cat-b', parentId: 'cat-a', code: 'B' },
        { id: 'cat-a', code: 'A', position: 2, name: { en: 'Top', de: 'Oben' } },
        { id: 'cat-z', parentId: 'root', code: 'Z', position: 1 },
        { id: 'cat-y', parentId: 'root', code: 'A' },
        { id: 'cat-x', parentId: 'root', code: 'B' },
        { id: 'cat-w', parentId: 'root', code: 'W', position: 5 },
        { id: 'root', code: 'R' },
      ],
    }),
  );
  await ok(
    t.gql(UPSERT_PRODUCTS, {
      input: [
        { id: 'p-deep', categoryIds: ['cat-d'] },
        { id: 'p-direct', categoryIds: ['cat-z'] },
        { id: 'p-none', categoryIds: [] },
      ],
    }),
  );
  await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'cu1', legalEntityIds: ['le1', 'le2'] }, { id: 'cu2' }] }));
  await assignItem(t.db, 'acme', 'seg-top', 'CATEGORY', 'cat-a');
  await assignItem(t.db, 'acme', 'seg-mid', 'CATEGORY', 'cat-b');
  await assignItem(t.db, 'acme', 'seg-prod', 'PRODUCT', 'p-direct');
  await assignCustomer(t.db, 'acme', 'seg-b2c', 'cu1');
  await assignCustomer(t.db, 'acme', 'seg-le1', 'cu1', 'le1');
  await assignCustomer(t.db, 'acme', 'seg-le2', 'cu1', 'le2');
  // The same segment through B2C and B2B: listed once.
  await assignCustomer(t.db, 'acme', 'seg-b2c', 'cu1', 'le1');
});
afterAll(() => t.close());

describe('Customer.segments', () => {
  const q = `query($le: ID, $active: Boolean) { customer(id: "cu1") { segments(activeOnly: $active, legalEntityId: $le) { id } } }`;
  const segs = async (vars: Record<string, unknown>, token?: string) =>
    gqlIds((await ok<{ customer: { segments: { id: string }[] } }>(t.gql(q, vars, { token }))).customer.segments).sort();

  test('B2C and every B2B, active only by default', async () => {
    expect(await segs({})).toEqual(['seg-b2c', 'seg-le1']);
    expect(await segs({ active: false })).toEqual(['seg-b2c', 'seg-le1', 'seg-le2']);
  });

  test('legalEntityId narrows B2B; B2C always counts', async () => {
    expect(await segs({ le: 'le2', active: false })).toEqual(['seg-b2c', 'seg-le2']);
    expect(await segs({ le: 'le2' })).toEqual(['seg-b2c']);
    expect(await segs({ le: 'nobody' })).toEqual(['seg-b2c']);
  });

  test('legal entities of the customer', async () => {
    expect(await ok(t.gql(`{ customer(id: "cu1") { legalEntities { id } } }`))).toEqual({
      customer: { legalEntities: [{ id: 'le1' }, { id: 'le2' }] },
    });
  });
});

describe('Product.segments and Category.segments', () => {
  test('direct, through a category, through an ancestor three levels up', async () => {
    const data = await ok<Record<string, { segments: { id: string }[] }>>(
      t.gql(`{
        deep: product(id: "p-deep") { segments { id } }
        deepAll: product(id: "p-deep") { segments(activeOnly: false) { id } }
        direct: product(id: "p-direct") { segments { id } }
        none: product(id: "p-none") { segments { id } }
      }`),
    );
    expect(gqlIds(data.deep!.segments)).toEqual(['seg-top']);
    expect(gqlIds(data.deepAll!.segments).sort()).toEqual(['seg-mid', 'seg-top']);
    expect(gqlIds(data.direct!.segments)).toEqual(['seg-prod']);
    expect(data.none!.segments).toEqual([]);
  });

  test('category: directly and through an ancestor', async () => {
    const data = await ok<Record<string, { segments: { id: string }[] }>>(
      t.gql(`{
        a: category(id: "cat-a") { segments { id } }
        c: category(id: "cat-c") { segments(activeOnly: false) { id } }
        z: category(id: "cat-z") { segments { id } }
      }`),
    );
    expect(gqlIds(data.a!.segments)).toEqual(['seg-top']);
    expect(gqlIds(data.c!.segments).sort()).toEqual(['seg-mid', 'seg-top']);
    expect(data.z!.segments).toEqual([]);
  });

  test('an assignment to a category the store does not know still counts for its products', async () => {
    await ok(t.gql(UPSERT_PRODUCTS, { input: [{ id: 'p-ghost', categoryIds: ['ghost-cat'] }] }));
    await assignItem(t.db, 'acme', 'seg-prod', 'CATEGORY', 'ghost-cat');
    expect(await ok(t.gql(`{ product(id: "p-ghost") { segments { id } categories { id known } } }`))).toEqual({
      product: { segments: [{ id: 'seg-prod' }], categories: [{ id: 'ghost-cat', known: false }] },
    });
  });
});

describe('category tree edges', () => {
  test('children ordered by position (unset last), then code; parent; localized name', async () => {
    const data = await ok(
      t.gql(
        `{ category(id: "root") { children { id } } d: category(id: "cat-d") { parent { id parent { id parent { id name } } } } }`,
        {},
        { headers: { 'accept-language': 'de' } },
      ),
    );
    expect(data).toEqual({
      category: { children: [{ id: 'cat-z' }, { id: 'cat-w' }, { id: 'cat-y' }, { id: 'cat-x' }] },
      d: { parent: { id: 'cat-c', parent: { id: 'cat-b', parent: { id: 'cat-a', name: { de: 'Oben' } } } } },
    });
  });

  test('product categories', async () => {
    expect(await ok(t.gql(`{ product(id: "p-deep") { categories { id code } } }`))).toEqual({
      product: { categories: [{ id: 'cat-d', code: 'D' }] },
    });
  });
});

describe('segment_read_own', () => {
  const own = (customerId: string, legalEntityId?: string) => t.token({ scopes: [SCOPE.readOwn], customerId, legalEntityId });

  test('customer: itself only; others are FORBIDDEN', async () => {
    const token = await own('cu1');
    expect(await ok(t.gql(`{ customer(id: "cu1") { id } }`, {}, { token }))).toEqual({ customer: { id: 'cu1' } });
    expect((await firstError(t.gql(`{ customer(id: "cu2") { id } }`, {}, { token }))).code).toBe('FORBIDDEN');
  });

  test('Customer.segments: activeOnly forced, the token legal entity narrows B2B', async () => {
    const q = `{ customer(id: "cu1") { segments(activeOnly: false) { id } } }`;
    const all = await ok<{ customer: { segments: { id: string }[] } }>(t.gql(q, {}, { token: await own('cu1') }));
    expect(gqlIds(all.customer.segments).sort()).toEqual(['seg-b2c', 'seg-le1']);
    const le2 = await ok<{ customer: { segments: { id: string }[] } }>(t.gql(q, {}, { token: await own('cu1', 'le2') }));
    expect(gqlIds(le2.customer.segments)).toEqual(['seg-b2c']);
  });

  test('item edges show only active segments the caller belongs to', async () => {
    await assignCustomer(t.db, 'acme', 'seg-top', 'cu2');
    const q = `{ product(id: "p-deep") { segments(activeOnly: false) { id } } direct: product(id: "p-direct") { segments { id } } category(id: "cat-c") { segments(activeOnly: false) { id } } }`;
    expect(await ok(t.gql(q, {}, { token: await own('cu2') }))).toEqual({
      product: { segments: [{ id: 'seg-top' }] },
      direct: { segments: [] },
      category: { segments: [{ id: 'seg-top' }] },
    });
    expect(await ok(t.gql(q, {}, { token: await own('cu1') }))).toEqual({
      product: { segments: [] },
      direct: { segments: [] },
      category: { segments: [] },
    });
  });
});

describe('tenancy', () => {
  test("tenant B sees nothing of A's catalog, edges included", async () => {
    const other = await t.token({ tenant: 'globex' });
    expect(
      await ok(
        t.gql(
          `{ customer(id: "cu1") { id } product(id: "p-deep") { id } category(id: "cat-a") { id } products(ids: ["p-deep"]) { id } }`,
          {},
          { token: other },
        ),
      ),
    ).toEqual({ customer: null, product: null, category: null, products: [null] });
    // B stores its own p-deep and cat-d with the same ids: A's links and assignments stay invisible.
    await ok(t.gql(UPSERT_PRODUCTS, { input: [{ id: 'p-deep', categoryIds: ['cat-d'] }] }, { token: other }));
    await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'cu1' }] }, { token: other }));
    expect(
      await ok(
        t.gql(
          `{ product(id: "p-deep") { segments(activeOnly: false) { id } categories { id known } }
             customer(id: "cu1") { segments(activeOnly: false) { id } legalEntities { id } } }`,
          {},
          { token: other },
        ),
      ),
    ).toEqual({
      product: { segments: [], categories: [{ id: 'cat-d', known: false }] },
      customer: { segments: [], legalEntities: [] },
    });
    // And A's data is untouched by B's writes.
    expect(await ok(t.gql(`{ product(id: "p-deep") { segments { id } } }`))).toEqual({
      product: { segments: [{ id: 'seg-top' }] },
    });
  });
});

describe('batching', () => {
  test('Product.segments for 10 and 40 products: the same number of statements', async () => {
    const ids = Array.from({ length: 40 }, (_, i) => `batch-p${i}`);
    await ok(t.gql(UPSERT_PRODUCTS, { input: ids.map((id, i) => ({ id, categoryIds: [i % 2 ? 'cat-d' : 'cat-z', 'cat-c'] })) }));
    const q = `query($ids: [ID!]!) { products(ids: $ids) { id categories { id parent { id } children { id } segments { id } } segments { id name } } }`;
    const run = (n: number) => withQueryCount(() => t.gql(q, { ids: ids.slice(0, n) }));
    const ten = await run(10);
    const forty = await run(40);
    expect(ten.result.errors).toBeUndefined();
    expect(forty.result.errors).toBeUndefined();
    expect(forty.count).toBe(ten.count);
    // products, categories, parents, children, category segments, product segments.
    expect(forty.count).toBeLessThanOrEqual(6);
    const products = (forty.result.data as { products: { segments: { id: string }[] }[] }).products;
    expect(products).toHaveLength(40);
    expect(products.every((p) => p.segments.length === 1 && p.segments[0]!.id === 'seg-top')).toBe(true);
  });

  test('Customer.segments for many customers: one statement', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `batch-c${i}`);
    await ok(t.gql(UPSERT_CUSTOMERS, { input: ids.map((id) => ({ id })) }));
    const aliases = ids.map((id, i) => `c${i}: customer(id: "${id}") { segments { id } }`).join(' ');
    const { count, result } = await withQueryCount(() => t.gql(`{ ${aliases} }`));
    expect(result.errors).toBeUndefined();
    expect(count).toBe(2); // the customers, their segments
  });
});
