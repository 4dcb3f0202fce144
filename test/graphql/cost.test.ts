import { getIntrospectionQuery, parse } from 'graphql';
import { withQueryCount } from '../../src/db/query-counter';
import { ASSUMED_FAN_OUT, operationRows, rowEstimator } from '../../src/graphql/cost';
import { getSchema } from '../../src/graphql/schema';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * The row cost (graphql/cost.ts): list fields multiplied by their page size, capped per
 * operation by GRAPHQL_MAX_ROWS (default 10,000). An operation over the cap is refused before
 * any SQL runs; legitimate deep pages still work; the REST adapter is not subject to it.
 */

// 30 aliases of 50 segments × (1,000 customers + 1,000 items): passes depth, alias and
// directive limits, and once read 113 MB in 31 s.
const ONE = `segments(pageSize: 50) { items { id
  customers(pageSize: 1000) { items { assignmentType customer { id email } legalEntity { id } } }
  items(pageSize: 1000) { items { type item { id code name } } } } }`;
const ATTACK = `{ ${Array.from({ length: 30 }, (_, i) => `a${i}: ${ONE}`).join('\n')} }`;
// 30 × 50 × (1 segment + 1,000 × (1 assignment + customer + legal entity) + 1,000 × (1 + item))
const ATTACK_COST = 30 * 50 * (1 + 1000 * 3 + 1000 * 2);

const BY_VARIABLE = `query($n: Int) { segments(pageSize: 50) { items { customers(pageSize: $n) { items { customer { id } } } } } }`;

interface GqlError {
  message: string;
  extensions?: Record<string, unknown>;
}

const now = Date.now();
const meta = { version: 1, created_at: now, modified_at: now, mixins: null, metadata_mixins: null };

/** Three segments; `big` has 1,000 members, the others two each. */
async function seed(t: TestApp): Promise<void> {
  const k = t.db.knex;
  // SQLite caps the terms of one multi-row insert at 500.
  const insert = async (table: string, rows: object[]) => {
    for (let i = 0; i < rows.length; i += 200) await k(table).insert(rows.slice(i, i + 200));
  };
  await insert(
    'customers',
    Array.from({ length: 1000 }, (_, i) => ({ tenant: 'acme', id: `c${i}`, first_name: `F${i}`, email: `c${i}@x.io` })),
  );
  await insert(
    'segments',
    ['big', 's1', 's2'].map((id, i) => ({
      tenant: 'acme',
      id,
      name: JSON.stringify({ en: id }),
      description: null,
      validity_from: null,
      validity_to: null,
      status: 'ACTIVE',
      site_code: 'main',
      ...meta,
      created_at: now + i,
    })),
  );
  const rows = [
    ...Array.from({ length: 1000 }, (_, i) => ({ segment_id: 'big', customer_id: `c${i}` })),
    ...['s1', 's2'].flatMap((s) => [0, 1].map((i) => ({ segment_id: s, customer_id: `c${i}` }))),
  ].map((r) => ({ tenant: 'acme', ...r, legal_entity_id: '', assignment_type: 'MANUAL', ...meta }));
  await insert('customer_assignments', rows);
}

function costError(res: { status: number; data?: unknown; errors?: GqlError[] }): GqlError {
  expect(res.status).toBe(400);
  expect(res.data).toBeUndefined();
  expect(res.errors).toHaveLength(1);
  const [e] = res.errors as GqlError[];
  expect(e.extensions?.code).toBe('COST_LIMIT_EXCEEDED');
  return e;
}

describe('the rule, field by field', () => {
  const schema = getSchema();
  const estimator = rowEstimator(schema);
  const rows = (query: string) => operationRows(schema, estimator, parse(query), undefined, {});
  const F = ASSUMED_FAN_OUT;

  test.each([
    ['a page: its size × its rows', '{ segments(pageSize: 50) { items { id name } } }', 50],
    ['a page without rows', '{ segments(pageSize: 50) { totalCount } }', 0],
    ['an object field: 1 row', '{ segment(id: "s") { id metadata { version } } }', 2],
    ['pages in pages', '{ segment(id: "s") { items(pageSize: 7) { items { item { id } } } } }', 1 + 7 * 2],
    ['an id list: its length', '{ products(ids: ["a", "b", "c"]) { id categories { id } } }', 3 * (1 + F)],
    [
      'matchItems: the product ids',
      '{ matchItems(siteCode: "m", segmentIds: ["s1", "s2"], productIds: ["a", "b", "c"]) { productId reasons { segmentId } } }',
      3 * (1 + F),
    ],
    ['unpaged lists: the assumed fan-out', '{ customer(id: "c") { segments { id } legalEntities { id } } }', 1 + F + F],
    ['nested unpaged lists', '{ categoryTrees { id subcategories { id subcategories { id } } } }', F * (1 + F * (1 + F))],
    ['a bulk mutation: its inputs', 'mutation { deleteSegments(ids: ["a", "b"]) { index code } }', 2],
    ['introspection: nothing', '{ __schema { types { name fields { name } } } __type(name: "Segment") { name } }', 0],
  ])('%s', (_what, query, expected) => {
    expect(rows(query)).toBe(expected);
  });
});

describe('with the default limit (10,000 rows)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    await seed(t);
  });
  afterAll(() => t.close());

  test('the 30-alias attack is refused before any SQL runs, naming its cost and the limit', async () => {
    const { result, count, sql } = await withQueryCount(() => t.gql(ATTACK));
    const e = costError(result);
    expect(e.message).toBe(
      `Operation cost ${ATTACK_COST.toLocaleString('en-US')} estimated rows exceeds the limit of 10,000 (GRAPHQL_MAX_ROWS)`,
    );
    expect(e.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', cost: ATTACK_COST, limit: 10_000 });
    expect(sql).toEqual([]);
    expect(count).toBe(0);
  });

  test('a page size given as a variable is counted', async () => {
    const big = await withQueryCount(() => t.gql(BY_VARIABLE, { n: 1000 }));
    expect(costError(big.result).extensions?.cost).toBe(50 * (1 + 1000 * 2));
    expect(big.count).toBe(0);

    const small = await t.gql<{ segments: { items: unknown[] } }>(BY_VARIABLE, { n: 10 });
    expect(small.errors).toBeUndefined();
    expect(small.data?.segments.items).toHaveLength(3);
  });

  test('a page size left out counts as the default 60', async () => {
    // 60 segments × (1 + 60 × (assignment + customer) + 60 × (assignment + item)) = 14,460.
    const res = await t.gql(
      '{ segments { items { id customers { items { customer { id } } } items { items { item { id } } } } } }',
    );
    expect(costError(res).extensions?.cost).toBe(60 * (1 + 60 * 2 + 60 * 2));
  });

  test('legitimate deep pages work: 1,000 members of one segment, 1,000 segments of ids', async () => {
    const one = await t.gql<{ segment: { customers: { items: { customer: { id: string; email: string } }[] } } }>(
      '{ segment(id: "big") { customers(pageSize: 1000) { items { customer { id email } } } } }',
    );
    expect(one.errors).toBeUndefined();
    expect(one.data?.segment.customers.items).toHaveLength(1000);
    expect(one.data?.segment.customers.items[999].customer.email).toMatch(/@x\.io$/);

    const ids = await t.gql<{ segments: { items: { id: string }[] } }>('{ segments(pageSize: 1000) { items { id } } }');
    expect(ids.errors).toBeUndefined();
    expect(ids.data?.segments.items.map((s) => s.id).sort()).toEqual(['big', 's1', 's2']);
  });

  test("the README's nested query (20 segments × 10 members + 10 items) works", async () => {
    const res = await t.gql<{ segments: { items: { id: string; customers: { items: unknown[] } }[] } }>(`{
      segments(q: "status:ACTIVE", pageSize: 20) { items { id name customerCount
        customers(pageSize: 10) { items { assignmentType customer { id firstName lastName email } legalEntity { id name } } }
        items(pageSize: 10) { items { type item { id code name ... on Category { parentId } } } } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data?.segments.items.find((s) => s.id === 'big')?.customers.items).toHaveLength(10);
  });

  test('introspection costs nothing: the full introspection query works with and without a token', async () => {
    for (const token of [undefined, null]) {
      const res = await t.gql<{ __schema: { types: unknown[] } }>(getIntrospectionQuery(), undefined, { token });
      expect(res.errors).toBeUndefined();
      expect(res.data?.__schema.types.length).toBeGreaterThan(20);
    }
  });

  test('variables that do not coerce are refused before anything runs, never run unestimated', async () => {
    const bad = await withQueryCount(() => t.gql(BY_VARIABLE, { n: 'many' }));
    expect(bad.result.status).toBe(400);
    expect(bad.result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(bad.result.errors?.[0].message).toMatch(/^Variable "\$n" got invalid value "many"/);
    expect(bad.count).toBe(0);
    // A null reaching a non-null argument through a defaulted variable: graphql-jit would fail
    // that one field and run the rest; the analysis cannot cost it, so nothing runs.
    const nul = await withQueryCount(() => t.gql(`query($id: ID = "big") { segment(id: $id) { id } ${ONE} }`, { id: null }));
    expect(nul.result.status).toBe(400);
    expect(nul.result.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(nul.count).toBe(0);
  });

  test('without a token the attack is a 401, not a cost error', async () => {
    const res = await t.gql(ATTACK, undefined, { token: null });
    expect(res.status).toBe(401);
    expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('GRAPHQL_MAX_ROWS changes the outcome', () => {
  let low: TestApp;
  let high: TestApp;
  beforeAll(async () => {
    low = await startTestApp({ GRAPHQL_MAX_ROWS: '500' });
    high = await startTestApp({ GRAPHQL_MAX_ROWS: '200000' });
    await seed(low);
    await seed(high);
  });
  afterAll(async () => {
    await low.close();
    await high.close();
  });

  test('a lower limit refuses what the default lets through', async () => {
    const e = costError(await low.gql('{ segments(pageSize: 1000) { items { id } } }'));
    expect(e.message).toBe('Operation cost 1,000 estimated rows exceeds the limit of 500 (GRAPHQL_MAX_ROWS)');
    expect(e.extensions?.limit).toBe(500);
    const ok = await low.gql('{ segments(pageSize: 500) { items { id } } }');
    expect(ok.errors).toBeUndefined();
  });

  test('a higher limit lets through what the default refuses', async () => {
    const res = await high.gql<{ segments: { items: { customers: { items: unknown[] } }[] } }>(BY_VARIABLE, { n: 1000 });
    expect(res.errors).toBeUndefined();
    expect(res.data?.segments.items.map((s) => s.customers.items.length).sort((a, b) => a - b)).toEqual([2, 2, 1000]);
  });

  test('the REST adapter is not subject to it: a 1,000-row page under a limit of 500', async () => {
    const res = await low.rest('GET', '/segments/big/customers?pageSize=1000');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(1000);
  });
});
