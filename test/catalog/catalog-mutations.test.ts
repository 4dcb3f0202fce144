import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { firstError, ok, UPSERT_CATEGORIES, UPSERT_CUSTOMERS, UPSERT_LEGAL_ENTITIES, UPSERT_PRODUCTS } from './fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

const count = async (table: string, where: Record<string, unknown> = {}): Promise<number> => {
  const row = (await t.db
    .knex(table)
    .where({ tenant: 'acme', ...where })
    .count({ n: '*' })
    .first()) as { n: number | string };
  return Number(row.n);
};

describe('upserts', () => {
  test('customers: count, fields, legal-entity links replaced only when given', async () => {
    const data = await ok(
      t.gql(UPSERT_CUSTOMERS, {
        input: [
          { id: 'mc1', firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', legalEntityIds: ['mle1', 'mle2'] },
          { id: 'mc2', email: 'bob@example.com' },
        ],
      }),
    );
    expect(data).toEqual({ upsertCustomers: 2 });
    await ok(t.gql(UPSERT_LEGAL_ENTITIES, { input: [{ id: 'mle1', name: 'Acme Ltd' }] }));
    const read = `{ customer(id: "mc1") { id firstName lastName email legalEntities { id name } } }`;
    expect(await ok(t.gql(read))).toEqual({
      customer: {
        id: 'mc1',
        firstName: 'Ada',
        lastName: 'Lovelace',
        email: 'ada@example.com',
        // mle2 is not in the store: the link still shows, with the id alone.
        legalEntities: [
          { id: 'mle1', name: 'Acme Ltd' },
          { id: 'mle2', name: null },
        ],
      },
    });

    // Without legalEntityIds the links stay; the other fields are replaced.
    await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'mc1', firstName: 'Augusta' }] }));
    expect(await ok(t.gql(read))).toMatchObject({
      customer: { firstName: 'Augusta', lastName: null, email: null, legalEntities: [{ id: 'mle1' }, { id: 'mle2' }] },
    });
    // With them they are replaced; [] removes all.
    await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'mc1', legalEntityIds: ['mle3'] }] }));
    expect(await ok(t.gql(read))).toMatchObject({ customer: { legalEntities: [{ id: 'mle3' }] } });
    await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'mc1', legalEntityIds: [] }] }));
    expect(await ok(t.gql(read))).toMatchObject({ customer: { legalEntities: [] } });
  });

  test('products: localized name from a string (Content-Language) or a map, category links replaced', async () => {
    const n = await ok(
      t.gql(
        UPSERT_PRODUCTS,
        {
          input: [
            { id: 'mp1', code: 'P-1', name: 'Stuhl', categoryIds: ['mcat1', 'mcat2'] },
            { id: 'mp2', name: { en: 'Table', de: 'Tisch' } },
          ],
        },
        { headers: { 'content-language': 'de' } },
      ),
    );
    expect(n).toEqual({ upsertProducts: 2 });
    const read = `{ product(id: "mp1") { id code name known categories { id known } } p2: product(id: "mp2") { name } }`;
    expect(await ok(t.gql(read))).toEqual({
      product: {
        id: 'mp1',
        code: 'P-1',
        name: { de: 'Stuhl' },
        known: true,
        categories: [
          { id: 'mcat1', known: false },
          { id: 'mcat2', known: false },
        ],
      },
      p2: { name: { en: 'Table', de: 'Tisch' } },
    });
    // Accept-Language narrows.
    expect(await ok(t.gql(`{ product(id: "mp2") { name } }`, {}, { headers: { 'accept-language': 'de' } }))).toEqual({
      product: { name: { de: 'Tisch' } },
    });
    await ok(t.gql(UPSERT_PRODUCTS, { input: [{ id: 'mp1', categoryIds: ['mcat2'] }] }));
    expect(await count('product_categories', { product_id: 'mp1' })).toBe(1);
  });

  test('categories: every field round-trips', async () => {
    await ok(
      t.gql(UPSERT_CATEGORIES, {
        input: [
          {
            id: 'rt1',
            code: 'RT',
            name: { en: 'Chairs' },
            description: { en: 'Things to sit on' },
            slug: { en: 'chairs' },
            ecn: ['E1', 'E2'],
            validity: { from: '2024-01-01T00:00:00.000Z', to: '2025-01-01T00:00:00.000Z' },
            position: 3,
            published: false,
          },
        ],
      }),
    );
    const { category } = await ok<{ category: unknown }>(
      t.gql(
        `{ category(id: "rt1") { id parentId code name description slug ecn validity { from to } position published known } }`,
      ),
    );
    expect(category).toEqual({
      id: 'rt1',
      parentId: null,
      code: 'RT',
      name: { en: 'Chairs' },
      description: { en: 'Things to sit on' },
      slug: { en: 'chairs' },
      ecn: ['E1', 'E2'],
      validity: { from: '2024-01-01T00:00:00.000Z', to: '2025-01-01T00:00:00.000Z' },
      position: 3,
      published: false,
      known: true,
    });
  });

  test('unknown ids read as null', async () => {
    expect(await ok(t.gql(`{ customer(id: "nope") { id } product(id: "nope") { id } category(id: "nope") { id } }`))).toEqual({
      customer: null,
      product: null,
      category: null,
    });
  });
});

describe('validation', () => {
  test('errors name the element and field', async () => {
    const cases: [string, unknown[], string][] = [
      [UPSERT_CUSTOMERS, [{ id: 'ok1' }, { id: 'ok2' }, { id: 'ok3' }, { id: 'v4', email: 'not-an-email' }], 'input[3].email'],
      [UPSERT_CUSTOMERS, [{ id: 'has space' }], 'input[0].id'],
      [UPSERT_CUSTOMERS, [{ id: 'x', legalEntityIds: ['a', ''] }], 'input[0].legalEntityIds[1]'],
      [UPSERT_CUSTOMERS, [{ id: 'x', firstName: 'a'.repeat(256) }], 'input[0].firstName'],
      [UPSERT_LEGAL_ENTITIES, [{ id: 'a/b' }], 'input[0].id'],
      [UPSERT_PRODUCTS, [{ id: 'x', name: { 'no good!': 'x' } }], 'input[0].name.no good!'],
      [UPSERT_PRODUCTS, [{ id: 'x', name: 42 }], 'input[0].name'],
      [UPSERT_CATEGORIES, [{ id: 'x', parentId: 'x' }], 'input[0].parentId'],
      [
        UPSERT_CATEGORIES,
        [{ id: 'x', validity: { from: '2025-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } }],
        'input[0].validity.from',
      ],
      [UPSERT_CATEGORIES, [{ id: 'x' }, { id: 'x' }], 'input[1].id'],
    ];
    for (const [mutation, input, field] of cases) {
      const e = await firstError(t.gql(mutation, { input }));
      expect({ field: e.field, code: e.code }).toEqual({ field, code: 'BAD_USER_INPUT' });
      expect(e.message).toContain(field);
    }
  });

  test('more than 1000 elements is a 400 naming input; 1000 is fine', async () => {
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `bulk${i}`, name: `LE ${i}` }));
    const e = await firstError(t.gql(UPSERT_LEGAL_ENTITIES, { input: many(1001) }));
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input' });
    expect(await count('legal_entities')).toBeLessThan(1000);
    expect(await ok(t.gql(UPSERT_LEGAL_ENTITIES, { input: many(1000) }))).toEqual({ upsertLegalEntities: 1000 });
    const d = await firstError(
      t.gql(`mutation($ids: [ID!]!) { deleteLegalEntities(ids: $ids) }`, { ids: many(1001).map((x) => x.id) }),
    );
    expect(d).toMatchObject({ code: 'BAD_USER_INPUT', field: 'ids' });
  });

  test('atomic: one bad element means nothing is written', async () => {
    const before = await count('customers');
    const e = await firstError(
      t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'atom1' }, { id: 'atom2', legalEntityIds: ['le'] }, { id: 'atom3', email: 'x' }] }),
    );
    expect(e.field).toBe('input[2].email');
    expect(await count('customers')).toBe(before);
    expect(await count('customer_legal_entities', { customer_id: 'atom2' })).toBe(0);
  });

  test('scopes: writes need segment_manage', async () => {
    const reader = await t.token({ scopes: [SCOPE.read] });
    const e = await firstError(t.gql(UPSERT_LEGAL_ENTITIES, { input: [{ id: 'x' }] }, { token: reader }));
    expect(e.code).toBe('FORBIDDEN');
    const manager = await t.token({ scopes: [SCOPE.manage] });
    expect((await firstError(t.gql(`{ product(id: "x") { id } }`, {}, { token: manager }))).code).toBe('FORBIDDEN');
  });
});

describe('category cycles', () => {
  beforeAll(async () => {
    // cy1 ← cy2 ← cy3 (cy3's parent is cy2, cy2's parent is cy1)
    await ok(
      t.gql(UPSERT_CATEGORIES, {
        input: [
          { id: 'cy1', code: 'a' },
          { id: 'cy2', parentId: 'cy1' },
          { id: 'cy3', parentId: 'cy2' },
        ],
      }),
    );
  });

  test('through stored categories → 400, nothing written', async () => {
    const e = await firstError(t.gql(UPSERT_CATEGORIES, { input: [{ id: 'other' }, { id: 'cy1', parentId: 'cy3' }] }));
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[1].parentId' });
    expect(await count('categories', { id: 'other' })).toBe(0);
    expect((await t.db.knex('categories').where({ tenant: 'acme', id: 'cy1' }).first()).parent_id).toBeNull();
  });

  test('within the batch → 400', async () => {
    const e = await firstError(
      t.gql(UPSERT_CATEGORIES, {
        input: [
          { id: 'b1', parentId: 'b2' },
          { id: 'b2', parentId: 'b3' },
          { id: 'b3', parentId: 'b1' },
        ],
      }),
    );
    expect(e).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input[0].parentId' });
  });

  test('mixing batch and store → 400; moving a subtree elsewhere is fine', async () => {
    const e = await firstError(
      t.gql(UPSERT_CATEGORIES, {
        input: [
          { id: 'nx', parentId: 'cy3' },
          { id: 'cy1', parentId: 'nx' },
        ],
      }),
    );
    expect(e.code).toBe('BAD_USER_INPUT');
    // Re-parenting cy2 under a new root, and that root under nothing: no cycle.
    expect(
      await ok(
        t.gql(UPSERT_CATEGORIES, {
          input: [{ id: 'cy2', parentId: 'root2' }, { id: 'root2' }],
        }),
      ),
    ).toEqual({ upsertCategories: 2 });
  });

  test('an unknown parent is accepted: a root until it arrives', async () => {
    await ok(t.gql(UPSERT_CATEGORIES, { input: [{ id: 'orphan', parentId: 'later' }] }));
    expect(await ok(t.gql(`{ category(id: "orphan") { parentId parent { id } } }`))).toEqual({
      category: { parentId: 'later', parent: null },
    });
    await ok(t.gql(UPSERT_CATEGORIES, { input: [{ id: 'later', code: 'L' }] }));
    expect(await ok(t.gql(`{ category(id: "orphan") { parent { id code } } }`))).toEqual({
      category: { parent: { id: 'later', code: 'L' } },
    });
    // The late parent cannot then hang itself under its child.
    const e = await firstError(t.gql(UPSERT_CATEGORIES, { input: [{ id: 'later', parentId: 'orphan' }] }));
    expect(e.field).toBe('input[0].parentId');
  });
});

describe('deletes', () => {
  test('return how many existed; links go; children become roots', async () => {
    await ok(
      t.gql(UPSERT_CATEGORIES, {
        input: [{ id: 'd-root' }, { id: 'd-child', parentId: 'd-root' }, { id: 'd-grand', parentId: 'd-child' }],
      }),
    );
    await ok(t.gql(UPSERT_PRODUCTS, { input: [{ id: 'd-p', categoryIds: ['d-child', 'd-root'] }] }));
    await ok(t.gql(UPSERT_CUSTOMERS, { input: [{ id: 'd-c', legalEntityIds: ['d-le'] }] }));
    await ok(t.gql(UPSERT_LEGAL_ENTITIES, { input: [{ id: 'd-le' }] }));

    const del = (name: string, ids: string[]) => ok(t.gql(`mutation($ids: [ID!]!) { ${name}(ids: $ids) }`, { ids }));
    expect(await del('deleteCategories', ['d-child', 'missing'])).toEqual({ deleteCategories: 1 });
    expect(await ok(t.gql(`{ category(id: "d-grand") { parentId parent { id } } }`))).toEqual({
      category: { parentId: null, parent: null },
    });
    expect(await ok(t.gql(`{ product(id: "d-p") { categories { id } } }`))).toEqual({
      product: { categories: [{ id: 'd-root' }] },
    });

    expect(await del('deleteLegalEntities', ['d-le'])).toEqual({ deleteLegalEntities: 1 });
    expect(await count('customer_legal_entities', { customer_id: 'd-c' })).toBe(0);
    expect(await del('deleteProducts', ['d-p'])).toEqual({ deleteProducts: 1 });
    expect(await count('product_categories', { product_id: 'd-p' })).toBe(0);
    expect(await del('deleteCustomers', ['d-c', 'd-c'])).toEqual({ deleteCustomers: 1 });
    expect(await del('deleteCustomers', ['d-c'])).toEqual({ deleteCustomers: 0 });
  });
});
