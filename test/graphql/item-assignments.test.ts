/**
 * The item-assignment twins over GraphQL: queries, mutations, the Item interface, the Segment
 * edges (items, itemCount) and their batching, errors by code, scopes and tenancy.
 */
import { withQueryCount } from '../../src/db/query-counter';
import { ItemAssignmentRepository } from '../../src/modules/item-assignments/item-assignment.repository';
import { SegmentRepository } from '../../src/modules/segments/segment.repository';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { assignmentRow, guardGql, itemAssignmentRow, uid } from '../rest/_support';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response documents are read loosely in assertions
type Doc = Record<string, any>;

let t: TestApp;
let gql: TestApp['gql'];

beforeAll(async () => {
  t = await startTestApp();
  gql = guardGql(t);
});
afterAll(() => t.close());

async function segment(extra: Record<string, unknown> = {}, tenant = 'acme'): Promise<string> {
  const id = (extra.id as string | undefined) ?? uid('seg');
  await t.db.knex('segments').insert({
    tenant,
    id,
    name: JSON.stringify({ en: id }),
    status: (extra.status as string | undefined) ?? 'ACTIVE',
    site_code: (extra.siteCode as string | undefined) ?? 'main',
    version: 1,
    created_at: Date.now(),
    modified_at: Date.now(),
  });
  return id;
}

async function assign(segmentId: string, type: string, itemId: string, createdAt?: number, tenant = 'acme'): Promise<void> {
  const row = itemAssignmentRow(tenant, segmentId, itemId, type);
  if (createdAt !== undefined) Object.assign(row, { created_at: createdAt, modified_at: createdAt });
  await t.db.knex('item_assignments').insert(row);
}

function codeOf(res: { errors?: { extensions?: Record<string, unknown> }[] }): unknown {
  return res.errors?.[0]?.extensions?.code;
}

const ITEM_FIELDS = `
  segmentId type itemId mixins
  metadata { createdAt modifiedAt version mixins }
  item {
    __typename id code name known
    ... on Product { id }
    ... on Category { parentId published }
  }`;

beforeAll(async () => {
  await t.db
    .knex('products')
    .insert({ tenant: 'acme', id: 'p-hammer', code: 'H', name: JSON.stringify({ en: 'Hammer', de: 'Hammer DE' }) });
  await t.db.knex('categories').insert([
    { tenant: 'acme', id: 'c-root', code: 'ROOT', name: JSON.stringify({ en: 'Root' }), published: true },
    { tenant: 'acme', id: 'c-tools', parent_id: 'c-root', code: 'TOOLS', name: JSON.stringify({ en: 'Tools' }), published: true },
  ]);
});

describe('mutations', () => {
  test('upsertItemAssignment creates, then updates with the version check; CONFLICT when stale', async () => {
    const s = await segment();
    const m = `mutation($s: ID!, $type: ItemType!, $id: ID!, $input: ItemAssignmentInput) {
      upsertItemAssignment(segmentId: $s, type: $type, itemId: $id, input: $input) { created assignment { ${ITEM_FIELDS} } } }`;
    const created = await gql<{ upsertItemAssignment: { created: boolean; assignment: Doc } }>(m, {
      s,
      type: 'PRODUCT',
      id: 'p-hammer',
      input: { mixins: { tier: 'gold' }, metadata: { mixins: { tier: 'https://schema' } } },
    });
    expect(created.errors).toBeUndefined();
    expect(created.data?.upsertItemAssignment).toEqual({
      created: true,
      assignment: {
        segmentId: s,
        type: 'PRODUCT',
        itemId: 'p-hammer',
        mixins: { tier: 'gold' },
        metadata: expect.objectContaining({ version: 1, mixins: { tier: 'https://schema' } }),
        item: { __typename: 'Product', id: 'p-hammer', code: 'H', name: { en: 'Hammer', de: 'Hammer DE' }, known: true },
      },
    });
    const updated = await gql<{ upsertItemAssignment: { created: boolean; assignment: { metadata: { version: number } } } }>(m, {
      s,
      type: 'PRODUCT',
      id: 'p-hammer',
      input: { metadata: { version: 1 } },
    });
    expect(updated.data?.upsertItemAssignment.created).toBe(false);
    expect(updated.data?.upsertItemAssignment.assignment.metadata.version).toBe(2);
    const stale = await gql(m, { s, type: 'PRODUCT', id: 'p-hammer', input: { metadata: { version: 1 } } });
    expect(codeOf(stale)).toBe('CONFLICT');
    expect(stale.errors?.[0].message).toBe('The resource you are attempting to access has changed.');
    // No input at all: an empty assignment.
    const bare = await gql<{ upsertItemAssignment: { created: boolean } }>(m, { s, type: 'CATEGORY', id: 'c-tools' });
    expect(bare.data?.upsertItemAssignment.created).toBe(true);
  });

  test('NOT_FOUND for a missing segment, BAD_USER_INPUT for bad input, enum values are strict', async () => {
    const m = `mutation($s: ID!, $type: ItemType!, $input: ItemAssignmentInput) {
      upsertItemAssignment(segmentId: $s, type: $type, itemId: "p1", input: $input) { created } }`;
    expect(codeOf(await gql(m, { s: uid('missing'), type: 'PRODUCT' }))).toBe('NOT_FOUND');
    const s = await segment();
    const bad = await gql(m, { s, type: 'PRODUCT', input: { metadata: { mixins: { a: 1 } } } });
    expect(codeOf(bad)).toBe('BAD_USER_INPUT');
    expect(bad.errors?.[0].extensions?.field).toBe('metadata.mixins.a');
    expect(codeOf(await gql(m, { s, type: 'PRODUCT', input: { metadata: { version: -2 } } }))).toBe('BAD_USER_INPUT');
    const lower = await gql(m, { s, type: 'product' });
    expect(lower.status).toBe(400);
    expect(lower.data).toBeUndefined();
  });

  test('deleteItemAssignment is true whether or not the assignment or segment exists', async () => {
    const s = await segment();
    await assign(s, 'PRODUCT', 'p1');
    const m = `mutation($s: ID!) { deleteItemAssignment(segmentId: $s, type: PRODUCT, itemId: "p1") }`;
    expect((await gql(m, { s })).data).toEqual({ deleteItemAssignment: true });
    expect((await gql(m, { s })).data).toEqual({ deleteItemAssignment: true });
    expect((await gql(m, { s: uid('missing') })).data).toEqual({ deleteItemAssignment: true });
    expect(await t.db.knex('item_assignments').where({ segment_id: s })).toHaveLength(0);
  });

  test('upsertItemAssignments and deleteItemAssignments: one result per element, at most 200', async () => {
    const s = await segment();
    const up = `mutation($s: ID!, $inputs: [ItemAssignmentBulkInput!]!) {
      upsertItemAssignments(segmentId: $s, type: CATEGORY, inputs: $inputs) { index id code status message } }`;
    const res = await gql<{ upsertItemAssignments: Record<string, unknown>[] }>(up, {
      s,
      inputs: [{ id: 'c-tools' }, { id: 'c-root', mixins: { a: 1 } }, { id: 'c-tools' }, { id: '' }],
    });
    expect(res.data?.upsertItemAssignments).toEqual([
      { index: 1, id: 'c-tools', code: 201, status: 'Created', message: null },
      { index: 2, id: 'c-root', code: 201, status: 'Created', message: null },
      { index: 3, id: 'c-tools', code: 409, status: 'Conflict', message: expect.any(String) },
      { index: 4, id: '', code: 400, status: 'Bad Request', message: expect.any(String) },
    ]);
    const again = await gql<{ upsertItemAssignments: { code: number }[] }>(up, {
      s,
      inputs: [{ id: 'c-root', metadata: { version: 1 } }],
    });
    expect(again.data?.upsertItemAssignments.map((r) => r.code)).toEqual([204]);
    const tooMany = await gql(up, { s, inputs: Array.from({ length: 201 }, (_, i) => ({ id: `c${i}` })) });
    expect(codeOf(tooMany)).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(up, { s: uid('missing'), inputs: [{ id: 'x' }] }))).toBe('NOT_FOUND');

    const del = `mutation($s: ID!, $ids: [ID!]!) { deleteItemAssignments(segmentId: $s, type: CATEGORY, itemIds: $ids) { index code status } }`;
    const deleted = await gql<{ deleteItemAssignments: unknown[] }>(del, { s, ids: ['c-tools', 'c-root', 'nope'] });
    expect(deleted.data?.deleteItemAssignments).toEqual([
      { index: 1, code: 204, status: 'OK' },
      { index: 2, code: 204, status: 'OK' },
      { index: 3, code: 204, status: 'OK' },
    ]);
    expect(await t.db.knex('item_assignments').where({ segment_id: s })).toHaveLength(0);
  });

  test('writes in one request clear what the same request reads again', async () => {
    const s = await segment();
    const m = `mutation($s: ID!) {
      a: upsertItemAssignment(segmentId: $s, type: PRODUCT, itemId: "p1") { assignment { segment { itemCount items { totalCount items { itemId } } } } }
      b: upsertItemAssignment(segmentId: $s, type: PRODUCT, itemId: "p2") { assignment { segment { itemCount items { totalCount items { itemId } } } } }
      c: deleteItemAssignment(segmentId: $s, type: PRODUCT, itemId: "p1")
      d: upsertItemAssignment(segmentId: $s, type: CATEGORY, itemId: "c1") { assignment { segment { itemCount items { totalCount items { itemId } } } } }
    }`;
    const res = await gql<Doc>(m, { s });
    expect(res.errors).toBeUndefined();
    const seen = (k: string) => res.data?.[k].assignment.segment;
    expect(seen('a')).toEqual({ itemCount: 1, items: { totalCount: 1, items: [{ itemId: 'p1' }] } });
    expect(seen('b')).toEqual({ itemCount: 2, items: { totalCount: 2, items: [{ itemId: 'p1' }, { itemId: 'p2' }] } });
    expect(seen('d')).toEqual({ itemCount: 2, items: { totalCount: 2, items: [{ itemId: 'p2' }, { itemId: 'c1' }] } });
  });
});

describe('queries', () => {
  let s: string;
  beforeAll(async () => {
    s = await segment();
    await assign(s, 'PRODUCT', 'p-hammer', 1);
    await assign(s, 'CATEGORY', 'c-tools', 2);
    await assign(s, 'PRODUCT', 'p-ghost', 3);
    await assign(s, 'CATEGORY', 'c-ghost', 4);
  });

  test('itemAssignments: the Item interface resolves to Product or Category, or an unknown stand-in', async () => {
    const q = `query($s: ID!) { itemAssignments(segmentId: $s) { pageNumber pageSize totalCount items { ${ITEM_FIELDS} segment { id } } } }`;
    const res = await gql<{ itemAssignments: Doc }>(q, { s }, { headers: { 'accept-language': 'de' } });
    expect(res.errors).toBeUndefined();
    const page = res.data!.itemAssignments;
    expect(page.pageNumber).toBe(1);
    expect(page.pageSize).toBe(60);
    expect(page.totalCount).toBe(4);
    expect(page.items.map((a: { item: unknown }) => a.item)).toEqual([
      { __typename: 'Product', id: 'p-hammer', code: 'H', name: { de: 'Hammer DE' }, known: true },
      {
        __typename: 'Category',
        id: 'c-tools',
        code: 'TOOLS',
        name: { en: 'Tools' },
        known: true,
        parentId: 'c-root',
        published: true,
      },
      { __typename: 'Product', id: 'p-ghost', code: null, name: null, known: false },
      { __typename: 'Category', id: 'c-ghost', code: null, name: null, known: false, parentId: null, published: false },
    ]);
    expect(page.items.every((a: { segment: { id: string } }) => a.segment.id === s)).toBe(true);
  });

  test('q, sort and paging arguments; bad ones are BAD_USER_INPUT', async () => {
    const q = `query($s: ID!, $q: String, $sort: String, $n: Int, $size: Int) {
      itemAssignments(segmentId: $s, q: $q, sort: $sort, pageNumber: $n, pageSize: $size) { totalCount items { itemId } } }`;
    const res = await gql<{ itemAssignments: { totalCount: number; items: { itemId: string }[] } }>(q, {
      s,
      q: 'type:CATEGORY',
      sort: 'itemId:desc',
      n: 2,
      size: 1,
    });
    expect(res.data?.itemAssignments).toEqual({ totalCount: 2, items: [{ itemId: 'c-ghost' }] });
    for (const vars of [{ q: 'name:x' }, { q: 'type:FOO' }, { sort: 'nope' }, { size: 0 }, { n: 0 }]) {
      expect(codeOf(await gql(q, { s, ...vars }))).toBe('BAD_USER_INPUT');
    }
  });

  test('itemAssignment: one assignment, null when missing, NOT_FOUND for a missing segment', async () => {
    const q = `query($s: ID!, $type: ItemType!, $id: ID!) { itemAssignment(segmentId: $s, type: $type, itemId: $id) { itemId type } }`;
    expect((await gql(q, { s, type: 'CATEGORY', id: 'c-tools' })).data).toEqual({
      itemAssignment: { itemId: 'c-tools', type: 'CATEGORY' },
    });
    expect((await gql(q, { s, type: 'PRODUCT', id: 'c-tools' })).data).toEqual({ itemAssignment: null });
    expect(codeOf(await gql(q, { s: uid('missing'), type: 'PRODUCT', id: 'x' }))).toBe('NOT_FOUND');
    expect(codeOf(await gql(`query($s: ID!) { itemAssignments(segmentId: $s) { pageNumber } }`, { s: uid('missing') }))).toBe(
      'NOT_FOUND',
    );
  });

  test('Segment.items and Segment.itemCount, with per-segment paging and q', async () => {
    const other = await segment();
    await assign(other, 'PRODUCT', 'o1', 1);
    const q = `{ a: segment(id: "${s}") { itemCount items(pageSize: 2, pageNumber: 2) { pageNumber pageSize totalCount items { itemId } } }
      b: segment(id: "${other}") { itemCount items(pageSize: 2, pageNumber: 2) { totalCount items { itemId } } cats: items(q: "type:CATEGORY") { totalCount items { itemId } } }
      ids: segments(q: "id:(${s},${other})") { items { id itemCount } } }`;
    const res = await gql<Doc>(q);
    expect(res.errors).toBeUndefined();
    expect(res.data?.a).toEqual({
      itemCount: 4,
      items: { pageNumber: 2, pageSize: 2, totalCount: 4, items: [{ itemId: 'p-ghost' }, { itemId: 'c-ghost' }] },
    });
    expect(res.data?.b).toEqual({ itemCount: 1, items: { totalCount: 1, items: [] }, cats: { totalCount: 0, items: [] } });
    expect(res.data?.ids.items.map((x: { itemCount: number }) => x.itemCount).sort()).toEqual([1, 4]);
  });
});

describe('batching: Segment.items and itemCount cost the same for 10 or 50 segments', () => {
  // 50 segments, the most the test makes: with 100, the default-sized `categories` pages
  // (60 × assignment and item) would estimate 12,500 rows, over the default GRAPHQL_MAX_ROWS.
  const QUERY = `query($site: String!) { segments(q: $site, pageSize: 50) { items { id itemCount
    items(pageSize: 2, sort: "itemId:desc") { totalCount items { itemId item { id name } } }
    categories: items(q: "type:CATEGORY") { items { item { ... on Category { code } } } } } } }`;

  async function fixture(n: number): Promise<string> {
    const site = uid('site');
    for (let i = 0; i < n; i++) {
      const s = await segment({ siteCode: site });
      await assign(s, 'PRODUCT', 'p-hammer');
      await assign(s, 'PRODUCT', `p-${i}`);
      await assign(s, 'CATEGORY', 'c-tools');
    }
    return site;
  }

  test('the number of SQL statements does not grow with the number of segments', async () => {
    const counts: number[] = [];
    for (const n of [10, 50]) {
      const site = await fixture(n);
      const { result, count, sql } = await withQueryCount(() => gql<Doc>(QUERY, { site: `siteCode:${site}` }));
      expect(result.errors).toBeUndefined();
      const segments = result.data?.segments.items as Doc[];
      expect(segments).toHaveLength(n);
      for (const seg of segments) {
        expect(seg.itemCount).toBe(3);
        expect(seg.items.totalCount).toBe(3);
        expect(seg.items.items.map((a: { itemId: string }) => a.itemId)).toHaveLength(2);
        expect(seg.categories.items).toEqual([{ item: { code: 'TOOLS' } }]);
      }
      // Two pages (items, categories), each one UNION ALL; itemCount and totalCount from the
      // segments' counters (migrations/007).
      expect(sql.filter((s) => /item_assignments/.test(s))).toHaveLength(2);
      expect(sql.filter((s) => /item_count/.test(s))).toHaveLength(1);
      counts.push(count);
    }
    expect(counts[0]).toBe(counts[1]);
    // segments, pages ×2 (two argument sets), counts ×1, products, categories.
    expect(counts[0]).toBeLessThanOrEqual(6);
  });
});

describe('scopes, read_own and tenancy', () => {
  test('segment_manage alone cannot read items; read scopes cannot write', async () => {
    const s = await segment();
    await assign(s, 'PRODUCT', 'p1');
    const manageOnly = await t.token({ scopes: [SCOPE.manage] });
    const readOnly = await t.token({ scopes: [SCOPE.read] });
    expect(codeOf(await gql(`{ itemAssignments(segmentId: "${s}") { totalCount } }`, {}, { token: manageOnly }))).toBe(
      'FORBIDDEN',
    );
    const edge = await gql<Doc>(
      `mutation { upsertItemAssignment(segmentId: "${s}", type: PRODUCT, itemId: "p2") { created assignment { itemId segment { itemCount } } } }`,
      {},
      { token: manageOnly },
    );
    expect(codeOf(edge)).toBe('FORBIDDEN');
    expect(edge.errors?.[0]).toMatchObject({ path: ['upsertItemAssignment', 'assignment', 'segment'] });
    expect(
      codeOf(
        await gql(`mutation { deleteItemAssignment(segmentId: "${s}", type: PRODUCT, itemId: "p1") }`, {}, { token: readOnly }),
      ),
    ).toBe('FORBIDDEN');
  });

  test('read_own sees items only of its active segments: others are NOT_FOUND', async () => {
    const C = uid('cust');
    const mine = await segment({ status: 'ACTIVE' });
    const inactive = await segment({ status: 'INACTIVE' });
    const foreign = await segment({ status: 'ACTIVE' });
    await t.db.knex('customer_assignments').insert([assignmentRow('acme', mine, C), assignmentRow('acme', inactive, C)]);
    for (const s of [mine, inactive, foreign]) await assign(s, 'PRODUCT', 'p1');
    const own = await t.token({ scopes: [SCOPE.readOwn], customerId: C });
    const q = `query($s: ID!) { itemAssignments(segmentId: $s) { totalCount } itemAssignment(segmentId: $s, type: PRODUCT, itemId: "p1") { itemId } }`;
    const ok = await gql(q, { s: mine }, { token: own });
    expect(ok.data).toEqual({ itemAssignments: { totalCount: 1 }, itemAssignment: { itemId: 'p1' } });
    // One root field per request: a NOT_FOUND on the non-null list nulls the whole `data`.
    const list = `query($s: ID!) { itemAssignments(segmentId: $s) { totalCount } }`;
    const single = `query($s: ID!) { itemAssignment(segmentId: $s, type: PRODUCT, itemId: "p1") { itemId } }`;
    for (const s of [inactive, foreign]) {
      expect(codeOf(await gql(list, { s }, { token: own }))).toBe('NOT_FOUND');
      expect(codeOf(await gql(single, { s }, { token: own }))).toBe('NOT_FOUND');
    }
  });

  test('another tenant sees no assignments, counts none and writes none, with the same ids', async () => {
    const id = uid('twin');
    await segment({ id });
    await segment({ id }, 'globex');
    await assign(id, 'PRODUCT', 'p1');
    await assign(id, 'PRODUCT', 'p2');
    const globex = await t.token({ tenant: 'globex' });
    const read = await gql<Doc>(
      `{ segment(id: "${id}") { itemCount items { totalCount items { itemId } } }
         itemAssignments(segmentId: "${id}") { totalCount } itemAssignment(segmentId: "${id}", type: PRODUCT, itemId: "p1") { itemId } }`,
      {},
      { token: globex },
    );
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({
      segment: { itemCount: 0, items: { totalCount: 0, items: [] } },
      itemAssignments: { totalCount: 0 },
      itemAssignment: null,
    });
    const write = await gql<Doc>(
      `mutation { upsertItemAssignments(segmentId: "${id}", type: PRODUCT, inputs: [{ id: "p1", metadata: { version: 9 } }]) { code }
        deleteItemAssignments(segmentId: "${id}", type: PRODUCT, itemIds: ["p2"]) { code } }`,
      {},
      { token: globex },
    );
    expect(write.data?.upsertItemAssignments).toEqual([{ code: 201 }]);
    const acme = await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: id }).orderBy('item_id');
    expect(acme.map((r) => [r.item_id, Number(r.version)])).toEqual([
      ['p1', 1],
      ['p2', 1],
    ]);
    const theirs = await t.db.knex('item_assignments').where({ tenant: 'globex', segment_id: id });
    expect(theirs.map((r) => [r.item_id, Number(r.version)])).toEqual([['p1', 1]]);
  });
});

describe('repository: listing across segments (ready for GET /segments/items)', () => {
  test('filters by site, activity and membership through the segment rules', async () => {
    const repo = new ItemAssignmentRepository(t.db, new SegmentRepository(t.db, false));
    const site = uid('xsite');
    const C = uid('cust');
    const mine = await segment({ siteCode: site, status: 'ACTIVE' });
    const mineInactive = await segment({ siteCode: site, status: 'INACTIVE' });
    const other = await segment({ siteCode: site, status: 'ACTIVE' });
    const elsewhere = await segment({ siteCode: uid('xsite'), status: 'ACTIVE' });
    await t.db.knex('customer_assignments').insert([assignmentRow('acme', mine, C), assignmentRow('acme', mineInactive, C)]);
    await assign(mine, 'PRODUCT', 'x1', 1);
    await assign(mineInactive, 'PRODUCT', 'x2', 2);
    await assign(other, 'CATEGORY', 'x3', 3);
    await assign(elsewhere, 'PRODUCT', 'x4', 4);
    const paging = { pageNumber: 1, pageSize: 60, offset: 0 };
    const ids = async (segments: Parameters<typeof repo.list>[1]['segments']) =>
      (await repo.list('acme', { segments }, [], paging)).map((a) => a.itemId);
    expect(await ids({ siteCode: site })).toEqual(['x1', 'x2', 'x3']);
    expect(await ids({ siteCode: site, activeOnly: true })).toEqual(['x1', 'x3']);
    expect(await ids({ siteCode: site, activeOnly: true, member: { customerId: C } })).toEqual(['x1']);
    expect(await repo.count('acme', { segments: { siteCode: site, member: { customerId: C } } })).toBe(2);
    expect(await repo.count('globex', { segments: { siteCode: site } })).toBe(0);
  });
});
