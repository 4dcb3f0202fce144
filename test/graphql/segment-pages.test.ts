import type { Knex } from 'knex';
import { withQueryCount } from '../../src/db/query-counter';
import { customerAssignmentFields } from '../../src/modules/customer-assignments/customer-assignment.repository';
import { itemAssignmentFields } from '../../src/modules/item-assignments/item-assignment.repository';
import { segmentFields } from '../../src/modules/segments/segment.repository';
import { applyWhere, compileQ } from '../../src/query/q-compile';
import { parseQ } from '../../src/query/q-parser';
import { applySort, parseSort } from '../../src/query/sort';
import { startTestApp, type TestApp } from '../helpers/app';

/**
 * Issue 10: pages of many segments come from one UNION ALL of per-segment LIMIT/OFFSET arms, and
 * a segment's list from a deferred join. Both must answer exactly what the plain query answers —
 * `SELECT … WHERE segment_id = ? [AND q] ORDER BY sort, tiebreak LIMIT n OFFSET m`, one segment
 * at a time — for first, middle and last pages, sorted and filtered, through GraphQL (nested
 * and top-level) and REST. Ties on creation time and null sort values make the tiebreak count.
 */
let t: TestApp;
const SIZES: Record<string, number> = { 'sp-0': 0, 'sp-1': 1, 'sp-2': 7, 'sp-3': 40, 'sp-4': 131 };
const SEGMENTS = Object.keys(SIZES);

beforeAll(async () => {
  t = await startTestApp();
  const k = t.db.knex;
  const now = 1_700_000_000_000;
  await k('legal_entities').insert([{ tenant: 'acme', id: 'le-1', name: 'One' }]);
  await k('segments').insert(
    SEGMENTS.map((id, i) => ({
      tenant: 'acme',
      id,
      name: JSON.stringify({ en: id }),
      status: 'ACTIVE',
      site_code: 'main',
      version: 1,
      created_at: now + i,
      modified_at: now + i,
    })),
  );
  const customers: Record<string, unknown>[] = [];
  const items: Record<string, unknown>[] = [];
  for (const [s, n] of Object.entries(SIZES)) {
    for (let i = 0; i < n; i++) {
      const common = {
        tenant: 'acme',
        segment_id: s,
        version: 1 + (i % 3),
        // Groups of five share a creation time: the key decides within them.
        created_at: now + Math.floor(i / 5),
        modified_at: now,
        // Every seventh without a score: nulls sort first ascending, last descending.
        mixins: i % 7 === 0 ? null : JSON.stringify({ score: (i * 37) % 50, tag: i % 2 ? 'odd' : 'even' }),
      };
      customers.push({
        ...common,
        customer_id: `c${String((i * 53) % 1000).padStart(4, '0')}`,
        legal_entity_id: i % 4 === 0 ? 'le-1' : '',
        assignment_type: i % 3 ? 'MANUAL' : 'AUTOMATIC',
      });
      items.push({
        ...common,
        type: i % 5 === 0 ? 'CATEGORY' : 'PRODUCT',
        item_id: `i${String((i * 31) % 1000).padStart(4, '0')}`,
        assignment_type: 'MANUAL',
      });
    }
  }
  for (let i = 0; i < customers.length; i += 50) await k('customer_assignments').insert(customers.slice(i, i + 50));
  for (let i = 0; i < items.length; i += 50) await k('item_assignments').insert(items.slice(i, i + 50));
});
afterAll(() => t.close());

const dialect = (): 'mysql' | 'sqlite' => t.db.dialect;

/** The plain query, one segment at a time: what every page must equal. */
async function reference(
  table: 'customer_assignments' | 'item_assignments',
  segmentId: string,
  opts: { q?: string; sort?: string; pageNumber: number; pageSize: number },
): Promise<string[]> {
  const customers = table === 'customer_assignments';
  const alias = customers ? 'ca' : 'ia';
  const fields = customers ? customerAssignmentFields : itemAssignmentFields;
  const qb: Knex.QueryBuilder = t.db
    .knex(`${table} as ${alias}`)
    .where(`${alias}.tenant`, 'acme')
    .where(`${alias}.segment_id`, segmentId);
  if (opts.q) applyWhere(qb, compileQ(parseQ(opts.q), fields, dialect()));
  const tiebreak = customers
    ? ['ca.created_at', 'ca.customer_id', 'ca.legal_entity_id']
    : ['ia.created_at', 'ia.segment_id', 'ia.type', 'ia.item_id'];
  applySort(qb, parseSort(opts.sort, fields, dialect()), tiebreak);
  const rows: Record<string, string>[] = await qb
    .select(`${alias}.*`)
    .limit(opts.pageSize)
    .offset((opts.pageNumber - 1) * opts.pageSize);
  return rows.map((r) => (customers ? `${r.customer_id}@${r.legal_entity_id}` : `${r.type}:${r.item_id}`));
}

const CASES: { name: string; q?: string; sort?: string; pageSize: number }[] = [
  { name: 'default order', pageSize: 10 },
  { name: 'by score descending', sort: 'mixins.score:desc', pageSize: 9 },
  { name: 'by version, then id descending', sort: 'metadata.version,customer.id:desc', pageSize: 8 },
  { name: 'filtered', q: 'mixins.tag:odd', sort: 'mixins.score', pageSize: 6 },
];
const ITEM_CASES: { name: string; q?: string; sort?: string; pageSize: number }[] = [
  { name: 'default order', pageSize: 10 },
  { name: 'by score descending', sort: 'mixins.score:desc', pageSize: 9 },
  { name: 'filtered', q: 'mixins.tag:odd', sort: 'item.id:desc', pageSize: 6 },
];

/** First, middle, last and past-the-end page numbers of the largest segment. */
function pagesOf(pageSize: number): number[] {
  const last = Math.ceil(SIZES['sp-4'] / pageSize);
  return [1, 2, Math.ceil(last / 2), last - 1, last, last + 1];
}

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- response bodies in assertions

describe.each(CASES)('customer pages, $name', ({ q, sort, pageSize }) => {
  test.each(pagesOf(pageSize))('page %i: nested, top-level and REST equal the plain query', async (pageNumber) => {
    const nested = await t.gql<Json>(
      `query($n: Int, $s: Int, $q: String, $sort: String) {
        segments(pageSize: 10) { items { id customers(pageNumber: $n, pageSize: $s, q: $q, sort: $sort) {
          totalCount items { customer { id } legalEntity { id } } } } }
      }`,
      { n: pageNumber, s: pageSize, q, sort },
    );
    expect(nested.errors).toBeUndefined();
    const bySegment = new Map<string, Json>((nested.data?.segments.items as Json[]).map((s) => [s.id as string, s.customers]));
    expect([...bySegment.keys()].sort()).toEqual(SEGMENTS);
    for (const s of SEGMENTS) {
      const expected = await reference('customer_assignments', s, { q, sort, pageNumber, pageSize });
      const page = bySegment.get(s) as Json;
      expect((page.items as Json[]).map((a) => `${a.customer.id}@${a.legalEntity?.id ?? ''}`)).toEqual(expected);
      const all = await reference('customer_assignments', s, { q, sort, pageNumber: 1, pageSize: 1000 });
      expect(page.totalCount).toBe(all.length);
    }
    // The big segment through the single-segment paths too.
    const expected = await reference('customer_assignments', 'sp-4', { q, sort, pageNumber, pageSize });
    const top = await t.gql<Json>(
      `query($n: Int, $s: Int, $q: String, $sort: String) { customerAssignments(segmentId: "sp-4", pageNumber: $n, pageSize: $s, q: $q, sort: $sort) { items { customer { id } legalEntity { id } } } }`,
      { n: pageNumber, s: pageSize, q, sort },
    );
    expect((top.data?.customerAssignments.items as Json[]).map((a) => `${a.customer.id}@${a.legalEntity?.id ?? ''}`)).toEqual(
      expected,
    );
    const params = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: String(pageSize) });
    if (q) params.set('q', q);
    if (sort) params.set('sort', sort);
    const res = await t.rest('GET', `/segments/sp-4/customers?${params.toString()}`);
    expect(res.statusCode).toBe(200);
    expect((res.json() as Json[]).map((a) => `${a.customer.id}@${a.legalEntity?.id ?? ''}`)).toEqual(expected);
  });
});

describe.each(ITEM_CASES)('item pages, $name', ({ q, sort, pageSize }) => {
  test.each(pagesOf(pageSize))('page %i: nested, REST equal the plain query', async (pageNumber) => {
    const nested = await t.gql<Json>(
      `query($n: Int, $s: Int, $q: String, $sort: String) {
        segments(pageSize: 10) { items { id items(pageNumber: $n, pageSize: $s, q: $q, sort: $sort) { totalCount items { type itemId } } } }
      }`,
      { n: pageNumber, s: pageSize, q, sort },
    );
    expect(nested.errors).toBeUndefined();
    for (const s of nested.data?.segments.items as Json[]) {
      const expected = await reference('item_assignments', s.id, { q, sort, pageNumber, pageSize });
      expect((s.items.items as Json[]).map((i) => `${i.type}:${i.itemId}`)).toEqual(expected);
      expect(s.items.totalCount).toBe(
        (await reference('item_assignments', s.id, { q, sort, pageNumber: 1, pageSize: 1000 })).length,
      );
    }
    const expected = await reference('item_assignments', 'sp-4', { q, sort, pageNumber, pageSize });
    const params = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: String(pageSize) });
    if (q) params.set('q', q);
    if (sort) params.set('sort', sort);
    const res = await t.rest('GET', `/segments/sp-4/items?${params.toString()}`);
    expect(res.statusCode).toBe(200);
    expect((res.json() as Json[]).map((i) => `${i.type}:${i.item.id}`)).toEqual(expected);
  });
});

test('segment list pages (deferred join) equal the plain query, sorted both ways', async () => {
  for (const sort of [undefined, 'id:desc', 'name.en']) {
    const all: Record<string, string>[] = await (() => {
      const qb = t.db.knex('segments as s').select('s.id').where('s.tenant', 'acme');
      applySort(qb, parseSort(sort, segmentFields, dialect()), ['s.created_at', 's.id']);
      return qb;
    })();
    for (const pageNumber of [1, 2, 3, 4]) {
      const params = new URLSearchParams({ pageNumber: String(pageNumber), pageSize: '2' });
      if (sort) params.set('sort', sort);
      const res = await t.rest('GET', `/segments?${params.toString()}`);
      expect(res.statusCode).toBe(200);
      expect((res.json() as Json[]).map((s) => s.id)).toEqual(all.slice((pageNumber - 1) * 2, pageNumber * 2).map((r) => r.id));
    }
  }
});

test('a nested page of every segment is one statement for the customers and one for the items', async () => {
  const { result, sql } = await withQueryCount(() =>
    t.gql<Json>(
      `{ segments(pageSize: 10) { items { id customers(pageSize: 5) { items { customer { id } } } items(pageSize: 5) { items { itemId } } } } }`,
    ),
  );
  expect(result.errors).toBeUndefined();
  const pages = sql.filter((s) => /from [`"]?(customer|item)_assignments/i.test(s));
  expect(pages).toHaveLength(2);
  for (const s of pages) {
    expect(s).not.toMatch(/row_number/i);
    expect(s.match(/union all/gi)).toHaveLength(SEGMENTS.length - 1);
  }
});
