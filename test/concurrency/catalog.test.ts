/**
 * The reference store under concurrency (issue 8, findings 1 and 2): overlapping upserts and
 * deletes never fail and never merge two writers' link sets; concurrent category writes can
 * never store a cycle.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { countRows, range, report } from '../helpers/concurrency';
import { UPSERT_CATEGORIES, UPSERT_CUSTOMERS, UPSERT_LEGAL_ENTITIES, UPSERT_PRODUCTS } from '../catalog/fixtures';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

type Answer = Awaited<ReturnType<TestApp['gql']>>;

/** A GraphQL answer as a REST status would be: 500 for an internal error, 400 for bad input. */
const gqlStatus = (a: Answer): number => {
  const code = a.errors?.[0]?.extensions?.code;
  return a.status !== 200 ? a.status : code === undefined ? 200 : code === 'BAD_USER_INPUT' ? 400 : 500;
};

test('overlapping upserts and deletes of customers, legal entities, products and categories: no errors, no merged links', async () => {
  const POOL = 30;
  // Delete targets, present before.
  await t.gql(UPSERT_CUSTOMERS, { input: range(10, (i) => ({ id: `x-cus-${i}`, legalEntityIds: ['x'] })) });
  await t.gql(UPSERT_PRODUCTS, { input: range(10, (i) => ({ id: `x-prd-${i}`, categoryIds: ['x'] })) });
  await t.gql(UPSERT_CATEGORIES, { input: range(10, (i) => ({ id: `x-cat-${i}`, parentId: 'root' })) });
  const window = (i: number) => range(10, (k) => (i * 7 + k * 3) % POOL);
  const calls: Promise<Answer>[] = [];
  for (let i = 0; i < 24; i++) {
    // Each request links its elements to its own ids, so a merge of two writers would show.
    calls.push(
      t.gql(UPSERT_CUSTOMERS, {
        input: window(i).map((n) => ({ id: `cus-${n}`, firstName: `r${i}`, legalEntityIds: [`le-r${i}`] })),
      }),
      t.gql(UPSERT_PRODUCTS, {
        input: window(i).map((n) => ({ id: `prd-${n}`, code: `r${i}`, categoryIds: [`cat-r${i}-a`, `cat-r${i}-b`] })),
      }),
      t.gql(UPSERT_LEGAL_ENTITIES, { input: window(i).map((n) => ({ id: `le-${n}`, name: `r${i}` })) }),
      t.gql(UPSERT_CATEGORIES, {
        input: window(i).map((n) => ({ id: `cat-${n}`, parentId: n % 3 ? 'root' : null, code: `r${i}` })),
      }),
    );
    if (i < 10) {
      calls.push(
        t.gql(`mutation($ids: [ID!]!) { deleteCustomers(ids: $ids) }`, { ids: [`x-cus-${i}`] }),
        t.gql(`mutation($ids: [ID!]!) { deleteProducts(ids: $ids) }`, { ids: [`x-prd-${i}`] }),
        t.gql(`mutation($ids: [ID!]!) { deleteCategories(ids: $ids) }`, { ids: [`x-cat-${i}`, 'root'] }),
      );
    }
  }
  const answers = await Promise.all(calls);
  report('reference store: overlapping upserts and deletes', answers.map(gqlStatus));
  expect(answers.filter((a) => a.status !== 200 || a.errors)).toEqual([]);

  for (const table of ['customers', 'products', 'legal_entities', 'categories']) {
    const prefix = { customers: 'cus', products: 'prd', legal_entities: 'le', categories: 'cat' }[table];
    const n = await t.db.knex(table).where('tenant', 'acme').where('id', 'like', `${prefix}-%`).count({ n: '*' });
    expect([table, Number(n[0].n)]).toEqual([table, POOL]);
  }
  for (const prefix of ['x-cus', 'x-prd', 'x-cat']) {
    const table = { 'x-cus': 'customers', 'x-prd': 'products', 'x-cat': 'categories' }[prefix] as string;
    const n = await t.db.knex(table).where('tenant', 'acme').where('id', 'like', `${prefix}-%`).count({ n: '*' });
    expect([prefix, Number(n[0].n)]).toEqual([prefix, 0]);
  }
  // Each customer has the one link of one writer, and its fields are that writer's.
  const customers = await t.db.knex('customers').where('tenant', 'acme').where('id', 'like', 'cus-%');
  for (const c of customers) {
    const links = await t.db
      .knex('customer_legal_entities')
      .where({ tenant: 'acme', customer_id: c.id })
      .pluck('legal_entity_id');
    expect([c.id, links]).toEqual([c.id, [`le-${c.first_name}`]]);
  }
  const products = await t.db.knex('products').where('tenant', 'acme').where('id', 'like', 'prd-%');
  for (const p of products) {
    const links = await t.db
      .knex('product_categories')
      .where({ tenant: 'acme', product_id: p.id })
      .orderBy('category_id')
      .pluck('category_id');
    expect([p.id, links]).toEqual([p.id, [`cat-${p.code}-a`, `cat-${p.code}-b`]]);
  }
  expect(await countRows(t.db, 'customer_legal_entities', { legal_entity_id: 'x' })).toBe(0);
  expect(await countRows(t.db, 'product_categories', { category_id: 'x' })).toBe(0);
});

/** Follows parent_id from every category whose id starts with `prefix`; the ids on a cycle, if any. */
async function storedCycles(prefix: string): Promise<string[]> {
  const rows: { id: string; parent_id: string | null }[] = await t.db
    .knex('categories')
    .where('tenant', 'acme')
    .where('id', 'like', `${prefix}%`)
    .select('id', 'parent_id');
  const parent = new Map(rows.map((r) => [r.id, r.parent_id]));
  const onCycle = new Set<string>();
  for (const start of parent.keys()) {
    const seen = new Set<string>();
    let node: string | null | undefined = start;
    while (node != null && parent.has(node) && !seen.has(node)) {
      seen.add(node);
      node = parent.get(node);
    }
    if (node != null && seen.has(node)) onCycle.add(node);
  }
  return [...onCycle].sort();
}

test('20 rounds of three concurrent writes x→y, y→z, z→x: no cycle is ever stored, the refusal names it', async () => {
  const answers: Answer[] = [];
  const perRound: { refused: number; stored: number; cycles: string[] }[] = [];
  for (let round = 0; round < 20; round++) {
    const [x, y, z] = ['x', 'y', 'z'].map((n) => `cyc-${round}-${n}`);
    const edges: [string, string][] = [
      [x, y],
      [y, z],
      [z, x],
    ];
    const got = await Promise.all(edges.map(([id, parentId]) => t.gql(UPSERT_CATEGORIES, { input: [{ id, parentId }] })));
    answers.push(...got);
    const stored = await t.db.knex('categories').where('tenant', 'acme').whereIn('id', [x, y, z]).count({ n: '*' });
    perRound.push({
      refused: got.filter((a) => a.errors).length,
      stored: Number(stored[0].n),
      cycles: await storedCycles(`cyc-${round}-`),
    });
  }
  report('20 rounds of x→y, y→z, z→x at once', answers.map(gqlStatus), {
    roundsWithCycle: perRound.filter((r) => r.cycles.length).length,
  });
  for (const a of answers) {
    expect(a.status).toBe(200);
    if (a.errors) {
      expect(a.errors).toHaveLength(1);
      expect(a.errors[0]).toMatchObject({
        message: 'input[0].parentId: the category would become its own ancestor',
        extensions: { code: 'BAD_USER_INPUT', field: 'input[0].parentId' },
      });
    } else {
      expect(a.data).toEqual({ upsertCategories: 1 });
    }
  }
  // Whichever came last closed the cycle and was refused; the first two were written.
  expect(perRound).toEqual(range(20, () => ({ refused: 1, stored: 2, cycles: [] })));
});

test('concurrent moves within one tree (and deletes) never store a cycle', async () => {
  // A chain n0 ← n1 ← … ← n9; concurrent writes try to hang low nodes above high ones and back.
  await t.gql(UPSERT_CATEGORIES, { input: range(10, (i) => ({ id: `n${i}`, parentId: i ? `n${i - 1}` : null })) });
  const all: Answer[] = [];
  const cycles: string[][] = [];
  for (let round = 0; round < 5; round++) {
    const answers = await Promise.all([
      ...range(10, (i) => t.gql(UPSERT_CATEGORIES, { input: [{ id: `n${i}`, parentId: `n${(i + 3 + round) % 10}` }] })),
      t.gql(`mutation($ids: [ID!]!) { deleteCategories(ids: $ids) }`, { ids: [`gone-${round}`] }),
    ]);
    all.push(...answers);
    cycles.push(await storedCycles('n'));
  }
  report('moves within one tree at once (5 rounds of 11)', all.map(gqlStatus), {
    roundsWithCycle: cycles.filter((c) => c.length).length,
  });
  expect(all.map(gqlStatus).filter((s) => s !== 200 && s !== 400)).toEqual([]);
  expect(cycles).toEqual(range(5, () => []));
});
