import { withQueryCount } from '../../src/db/query-counter';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * DataLoader everywhere an edge is followed: one nested query over a page of segments, their
 * customers (with customer and legal entity from the store), items (with the item) and counts
 * costs the same, small number of SQL statements whether the page holds 10 or 100 segments.
 */
let t: TestApp;
const N = 100;

beforeAll(async () => {
  t = await startTestApp();
  const k = t.db.knex;
  const now = Date.now();
  const meta = { version: 1, created_at: now, modified_at: now, mixins: null, metadata_mixins: null };
  await k('legal_entities').insert([
    { tenant: 'acme', id: 'le-1', name: 'One' },
    { tenant: 'acme', id: 'le-2', name: 'Two' },
  ]);
  await k('customers').insert(
    Array.from({ length: 20 }, (_, i) => ({
      tenant: 'acme',
      id: `c${i}`,
      first_name: `F${i}`,
      last_name: `L${i}`,
      email: `c${i}@x.io`,
    })),
  );
  await k('products').insert(
    Array.from({ length: 10 }, (_, i) => ({
      tenant: 'acme',
      id: `p${i}`,
      code: `P${i}`,
      name: JSON.stringify({ en: `P ${i}` }),
    })),
  );
  await k('categories').insert(
    Array.from({ length: 5 }, (_, i) => ({
      tenant: 'acme',
      id: `cat${i}`,
      parent_id: null,
      code: `C${i}`,
      name: JSON.stringify({ en: `C ${i}` }),
      published: true,
    })),
  );
  await k('segments').insert(
    Array.from({ length: N }, (_, i) => ({
      tenant: 'acme',
      id: `s${String(i).padStart(3, '0')}`,
      name: JSON.stringify({ en: `S${i}` }),
      description: null,
      validity_from: null,
      validity_to: null,
      status: 'ACTIVE',
      site_code: 'main',
      ...meta,
      created_at: now + i,
    })),
  );
  const customers = [];
  const items = [];
  for (let i = 0; i < N; i++) {
    const segment_id = `s${String(i).padStart(3, '0')}`;
    for (let j = 0; j < 3; j++) {
      customers.push({
        tenant: 'acme',
        segment_id,
        customer_id: `c${(i + j) % 20}`,
        legal_entity_id: j === 2 ? `le-${(i % 2) + 1}` : '',
        assignment_type: 'MANUAL',
        ...meta,
      });
      items.push({
        tenant: 'acme',
        segment_id,
        type: j === 2 ? 'CATEGORY' : 'PRODUCT',
        item_id: j === 2 ? `cat${i % 5}` : `p${(i + j) % 10}`,
        ...meta,
      });
    }
  }
  for (let i = 0; i < customers.length; i += 100) await k('customer_assignments').insert(customers.slice(i, i + 100));
  for (let i = 0; i < items.length; i += 100) await k('item_assignments').insert(items.slice(i, i + 100));
});
afterAll(() => t.close());

const QUERY = `query($n: Int) {
  segments(pageSize: $n) {
    items {
      id
      customerCount
      itemCount
      customers(pageSize: 5) { totalCount items { assignmentType customer { id firstName email } legalEntity { id name } segment { id } } }
      items(pageSize: 5) { items { type item { id code name ... on Category { published } } } }
    }
  }
}`;

interface Result {
  segments: {
    items: {
      id: string;
      customerCount: number;
      itemCount: number;
      customers: {
        totalCount: number;
        items: { customer: { id: string; firstName: string | null }; legalEntity: { name: string } | null }[];
      };
      items: { items: { type: string; item: { id: string; code: string | null } }[] };
    }[];
  };
}

async function run(n: number) {
  const { result, count, sql } = await withQueryCount(() => t.gql<Result>(QUERY, { n }));
  expect(result.errors).toBeUndefined();
  return { data: result.data as Result, count, sql };
}

test('the same statement count for 10 and for 100 segments, and a small one', async () => {
  const small = await run(10);
  const large = await run(100);
  expect(small.data.segments.items).toHaveLength(10);
  expect(large.data.segments.items).toHaveLength(100);
  expect(large.count).toBe(small.count);
  expect(large.count).toBeLessThan(10);
});

test('the batched answers are the right ones', async () => {
  const { data } = await run(100);
  const s7 = data.segments.items.find((s) => s.id === 's007');
  expect(s7?.customerCount).toBe(3);
  expect(s7?.itemCount).toBe(3);
  expect(s7?.customers.totalCount).toBe(3);
  expect(s7?.customers.items.map((a) => a.customer.id).sort()).toEqual(['c7', 'c8', 'c9']);
  expect(s7?.customers.items.find((a) => a.legalEntity)?.legalEntity?.name).toBe('Two');
  expect(s7?.customers.items.find((a) => a.customer.id === 'c8')?.customer.firstName).toBe('F8');
  expect(s7?.items.items.map((i) => `${i.type}:${i.item.id}:${i.item.code}`).sort()).toEqual([
    'CATEGORY:cat2:C2',
    'PRODUCT:p7:P7',
    'PRODUCT:p8:P8',
  ]);
});

test('customer { id } and legalEntity { id } alone look nothing up: the assignment holds the ids', async () => {
  const ids = `{ segments(pageSize: 10) { items { customers(pageSize: 5) { items { customer { id __typename } legalEntity { id } } } } } }`;
  const more = `{ segments(pageSize: 10) { items { customers(pageSize: 5) { items { customer { id email } legalEntity { id name } } } } } }`;
  const a = await withQueryCount(() => t.gql<{ segments: { items: { customers: { items: unknown[] } }[] } }>(ids));
  const b = await withQueryCount(() => t.gql<{ segments: { items: { customers: { items: unknown[] } }[] } }>(more));
  expect(a.result.errors).toBeUndefined();
  expect(b.result.errors).toBeUndefined();
  expect(a.sql.some((s) => /from [`"]?customers[`"]? /i.test(s) || /from [`"]?legal_entities/i.test(s))).toBe(false);
  expect(b.count - a.count).toBe(2);
  const items = (r: typeof a) =>
    r.result.data?.segments.items.flatMap((s) => s.customers.items) as {
      customer: { id: string };
      legalEntity: { id: string } | null;
    }[];
  expect(items(a).map((x) => [x.customer.id, x.legalEntity?.id ?? null])).toEqual(
    items(b).map((x) => [x.customer.id, x.legalEntity?.id ?? null]),
  );
  expect(items(a)[0].customer).toEqual({ id: items(b)[0].customer.id, __typename: 'Customer' });
});

test('customerCount, itemCount and the unfiltered totalCounts of a page share one read of the counters', async () => {
  const { sql, data } = await run(100);
  const counterReads = sql.filter((s) => /customer_count|item_count/.test(s));
  expect(counterReads).toHaveLength(1);
  expect(counterReads[0]).toMatch(/customer_count/);
  expect(counterReads[0]).toMatch(/item_count/);
  const s7 = data.segments.items.find((s) => s.id === 's007');
  expect([s7?.customerCount, s7?.itemCount, s7?.customers.totalCount]).toEqual([3, 3, 3]);
});
