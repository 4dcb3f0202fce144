/**
 * Customer assignments through GraphQL: the twins of the REST operations, the Segment edges
 * (`customers`, `customerCount`) batched over many segments, segment_read_own visibility,
 * tenancy, and the number of SQL statements a many-segment query costs.
 */
import { withQueryCount } from '../../src/db/query-counter';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { assignmentRow, guardGql, ISO_MS_Z, uid } from '../rest/_support';

const MSG_CHANGED = 'The resource you are attempting to access has changed.';

let t: TestApp;
let gql: TestApp['gql'];
const tok = {} as Record<'readOnly' | 'manageOnly' | 'globex', string>;

beforeAll(async () => {
  t = await startTestApp();
  gql = guardGql(t);
  tok.readOnly = await t.token({ scopes: [SCOPE.read] });
  tok.manageOnly = await t.token({ scopes: [SCOPE.manage] });
  tok.globex = await t.token({ tenant: 'globex' });
});
afterAll(() => t.close());

type Gql = Awaited<ReturnType<TestApp['gql']>>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response documents are read loosely in assertions
type Doc = any;

const ASSIGNMENT = `segmentId assignmentType mixins
  customer { id firstName lastName email } legalEntity { id name }
  metadata { createdAt modifiedAt version mixins }`;
const Q_LIST = `query($segmentId: ID!, $q: String, $pageNumber: Int, $pageSize: Int, $sort: String, $legalEntityId: ID) {
  customerAssignments(segmentId: $segmentId, q: $q, pageNumber: $pageNumber, pageSize: $pageSize, sort: $sort, legalEntityId: $legalEntityId) {
    items { ${ASSIGNMENT} } totalCount pageNumber pageSize
  }
}`;
const Q_ONE = `query($segmentId: ID!, $customerId: ID!, $legalEntityId: ID) {
  customerAssignment(segmentId: $segmentId, customerId: $customerId, legalEntityId: $legalEntityId) { ${ASSIGNMENT} segment { id status } }
}`;
const M_UPSERT = `mutation($segmentId: ID!, $customerId: ID!, $legalEntityId: ID, $input: CustomerAssignmentInput) {
  upsertCustomerAssignment(segmentId: $segmentId, customerId: $customerId, legalEntityId: $legalEntityId, input: $input) {
    created assignment { ${ASSIGNMENT} }
  }
}`;
const M_DELETE = `mutation($segmentId: ID!, $customerId: ID!, $legalEntityId: ID) {
  deleteCustomerAssignment(segmentId: $segmentId, customerId: $customerId, legalEntityId: $legalEntityId)
}`;
const BULK = 'index id code status message';
const M_UPSERT_MANY = `mutation($segmentId: ID!, $inputs: [CustomerAssignmentBulkInput!]!) {
  upsertCustomerAssignments(segmentId: $segmentId, inputs: $inputs) { ${BULK} }
}`;
const M_DELETE_MANY = `mutation($segmentId: ID!, $keys: [CustomerAssignmentKeyInput!]!) {
  deleteCustomerAssignments(segmentId: $segmentId, keys: $keys) { ${BULK} }
}`;

function ok<T = Doc>(res: Gql): T {
  if (res.status !== 200 || res.errors?.length)
    throw new Error(`expected success, got ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

function failure(res: Gql, code: string): { message: string; extensions?: Record<string, unknown> } {
  if (!res.errors?.length) throw new Error(`expected ${code}, got data ${JSON.stringify(res.data)}`);
  expect(res.errors[0].extensions?.code).toBe(code);
  return res.errors[0];
}

async function createSegment(extra: Record<string, unknown> = {}, token?: string): Promise<string> {
  const res = await gql(
    `mutation($input: SegmentInput!) { createSegment(input: $input) { id } }`,
    { input: { name: { en: 'S' }, siteCode: 'main', ...extra } },
    { token },
  );
  return ok(res).createSegment.id as string;
}

async function upsert(segmentId: string, customerId: string, legalEntityId?: string, input?: unknown, token?: string) {
  return ok(await gql(M_UPSERT, { segmentId, customerId, legalEntityId, input }, { token })).upsertCustomerAssignment;
}

const keyOf = (a: Doc): string => (a.legalEntity ? `${a.customer.id}/${a.legalEntity.id}` : a.customer.id);

async function listKeys(segmentId: string, vars: Record<string, unknown> = {}, token?: string): Promise<string[]> {
  return ok(await gql(Q_LIST, { segmentId, ...vars }, { token })).customerAssignments.items.map(keyOf);
}

// ---------------------------------------------------------------------------------------------

describe('upsertCustomerAssignment / customerAssignment / deleteCustomerAssignment', () => {
  test('created, then updated; the assignment resolves customer, legal entity and segment', async () => {
    const s = await createSegment({ status: 'ACTIVE' });
    const first = await upsert(s, 'C1', undefined, { mixins: { a: 1 }, metadata: { mixins: { a: 'https://x/a.json' } } });
    expect(first.created).toBe(true);
    expect(first.assignment).toEqual({
      segmentId: s,
      assignmentType: 'MANUAL',
      mixins: { a: 1 },
      customer: { id: 'C1', firstName: null, lastName: null, email: null },
      legalEntity: null,
      metadata: {
        createdAt: expect.stringMatching(ISO_MS_Z),
        modifiedAt: first.assignment.metadata.createdAt,
        version: 1,
        mixins: { a: 'https://x/a.json' },
      },
    });
    const second = await upsert(s, 'C1', undefined, { mixins: { b: 2 }, metadata: { version: 1 } });
    expect(second.created).toBe(false);
    expect(second.assignment.mixins).toEqual({ b: 2 });
    expect(second.assignment.metadata.version).toBe(2);
    expect(second.assignment.metadata.mixins).toBeNull();

    const got = ok(await gql(Q_ONE, { segmentId: s, customerId: 'C1' })).customerAssignment;
    expect(got).toMatchObject({ segmentId: s, mixins: { b: 2 }, legalEntity: null, segment: { id: s, status: 'ACTIVE' } });
  });

  test('input may be omitted; B2B keys are separate from B2C ones', async () => {
    const s = await createSegment();
    expect((await upsert(s, 'C1', 'L1')).assignment.legalEntity).toEqual({ id: 'L1', name: null });
    expect(ok(await gql(Q_ONE, { segmentId: s, customerId: 'C1' })).customerAssignment).toBeNull();
    expect(ok(await gql(Q_ONE, { segmentId: s, customerId: 'C1', legalEntityId: 'L1' })).customerAssignment.customer.id).toBe(
      'C1',
    );
  });

  test('stale metadata.version → CONFLICT', async () => {
    const s = await createSegment();
    await upsert(s, 'C1', 'L1');
    await upsert(s, 'C1', 'L1');
    const res = await gql(M_UPSERT, { segmentId: s, customerId: 'C1', legalEntityId: 'L1', input: { metadata: { version: 1 } } });
    expect(failure(res, 'CONFLICT').message).toBe(MSG_CHANGED);
  });

  test('missing segment: reads and upsert → NOT_FOUND, delete → true', async () => {
    const s = uid('missing');
    expect(failure(await gql(Q_LIST, { segmentId: s }), 'NOT_FOUND').message).toContain(s);
    failure(await gql(Q_ONE, { segmentId: s, customerId: 'C1' }), 'NOT_FOUND');
    failure(await gql(M_UPSERT, { segmentId: s, customerId: 'C1' }), 'NOT_FOUND');
    failure(await gql(M_UPSERT_MANY, { segmentId: s, inputs: [{ customerId: 'C1' }] }), 'NOT_FOUND');
    expect(ok(await gql(M_DELETE, { segmentId: s, customerId: 'C1' })).deleteCustomerAssignment).toBe(true);
    expect(ok(await gql(M_DELETE_MANY, { segmentId: s, keys: [{ customerId: 'C1' }] })).deleteCustomerAssignments).toEqual([
      { index: 1, id: null, code: 204, status: 'OK', message: null },
    ]);
  });

  test('bad ids and inputs → BAD_USER_INPUT naming the field', async () => {
    const s = await createSegment();
    expect(
      failure(await gql(M_UPSERT, { segmentId: s, customerId: 'C1', legalEntityId: '' }), 'BAD_USER_INPUT').extensions?.field,
    ).toBe('legalEntityId');
    expect(failure(await gql(M_UPSERT, { segmentId: s, customerId: 'a b' }), 'BAD_USER_INPUT').extensions?.field).toBe(
      'customerId',
    );
    const res = await gql(M_UPSERT, { segmentId: s, customerId: 'C1', input: { metadata: { mixins: { a: 1 } } } });
    expect(failure(res, 'BAD_USER_INPUT').extensions?.field).toBe('metadata.mixins.a');
    expect(
      failure(await gql(M_UPSERT, { segmentId: s, customerId: 'C1', input: { mixins: 5 } }), 'BAD_USER_INPUT').message,
    ).toMatch(/mixins/);
  });

  test('delete → true; the assignment is gone', async () => {
    const s = await createSegment();
    await upsert(s, 'C1');
    await upsert(s, 'C1', 'L1');
    expect(ok(await gql(M_DELETE, { segmentId: s, customerId: 'C1' })).deleteCustomerAssignment).toBe(true);
    expect(await listKeys(s)).toEqual(['C1/L1']);
  });

  test('scopes: reads need segment_read (customerAssignment) or a reader scope (list); writes need segment_manage', async () => {
    const s = await createSegment();
    await upsert(s, 'C1');
    failure(await gql(Q_LIST, { segmentId: s }, { token: tok.manageOnly }), 'FORBIDDEN');
    failure(await gql(Q_ONE, { segmentId: s, customerId: 'C1' }, { token: tok.manageOnly }), 'FORBIDDEN');
    const own = await t.token({ scopes: [SCOPE.readOwn], customerId: 'C1' });
    failure(await gql(Q_ONE, { segmentId: s, customerId: 'C1' }, { token: own }), 'FORBIDDEN');
    failure(await gql(M_UPSERT, { segmentId: s, customerId: 'C2' }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_DELETE, { segmentId: s, customerId: 'C1' }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_UPSERT_MANY, { segmentId: s, inputs: [] }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_DELETE_MANY, { segmentId: s, keys: [] }, { token: tok.readOnly }), 'FORBIDDEN');
    // A manage-only caller still gets back what it wrote.
    const res = await upsert(s, 'C3', undefined, {}, tok.manageOnly);
    expect(res.assignment.customer.id).toBe('C3');
  });

  test('customer and legal entity come from the reference store', async () => {
    const s = await createSegment();
    await t.db.knex('customers').insert({ tenant: 'acme', id: 'gq-john', first_name: 'John', last_name: 'Doe', email: 'j@d' });
    await t.db.knex('legal_entities').insert({ tenant: 'acme', id: 'gq-co', name: 'Co' });
    const a = (await upsert(s, 'gq-john', 'gq-co')).assignment;
    expect(a.customer).toEqual({ id: 'gq-john', firstName: 'John', lastName: 'Doe', email: 'j@d' });
    expect(a.legalEntity).toEqual({ id: 'gq-co', name: 'Co' });
  });
});

describe('bulk mutations', () => {
  test('upsertCustomerAssignments: per-element outcomes, 1-based, no ids', async () => {
    const s = await createSegment();
    await upsert(s, 'U1');
    const res = ok(
      await gql(M_UPSERT_MANY, {
        segmentId: s,
        inputs: [
          { customerId: 'N1', mixins: { a: 1 } },
          { customerId: 'U1', metadata: { version: 1 } },
          { customerId: 'U1', legalEntityId: 'L1', metadata: { version: 5 } },
          { customerId: '' },
          { customerId: 'N1' },
          { customerId: 'N2', metadata: { mixins: { x: 1 } } },
        ],
      }),
    ).upsertCustomerAssignments;
    expect(res.map((r: Doc) => [r.index, r.code, r.status, r.id])).toEqual([
      [1, 201, 'Created', null],
      [2, 204, 'OK', null],
      [3, 201, 'Created', null],
      [4, 400, 'Bad Request', null],
      [5, 409, 'Conflict', null],
      [6, 400, 'Bad Request', null],
    ]);
    expect(await listKeys(s, { sort: 'customerId,legalEntityId' })).toEqual(['N1', 'U1', 'U1/L1']);
  });

  test('more than 200 → BAD_USER_INPUT; deleteCustomerAssignments removes only the listed keys', async () => {
    const s = await createSegment();
    const inputs = Array.from({ length: 201 }, (_, i) => ({ customerId: `c${i}` }));
    failure(await gql(M_UPSERT_MANY, { segmentId: s, inputs }), 'BAD_USER_INPUT');
    failure(await gql(M_DELETE_MANY, { segmentId: s, keys: inputs }), 'BAD_USER_INPUT');
    ok(
      await gql(M_UPSERT_MANY, {
        segmentId: s,
        inputs: [{ customerId: 'a' }, { customerId: 'a', legalEntityId: 'L' }, { customerId: 'b' }],
      }),
    );
    const res = ok(
      await gql(M_DELETE_MANY, {
        segmentId: s,
        keys: [
          { customerId: 'a', legalEntityId: 'L' },
          { customerId: 'b', legalEntityId: ' ' },
        ],
      }),
    );
    expect(res.deleteCustomerAssignments.map((r: Doc) => r.code)).toEqual([204, 400]);
    expect(await listKeys(s)).toEqual(['a', 'b']);
  });
});

describe('customerAssignments(segmentId, …)', () => {
  test('q, sort, paging and totalCount', async () => {
    const s = await createSegment();
    ok(
      await gql(M_UPSERT_MANY, {
        segmentId: s,
        inputs: ['d', 'a', 'c', 'b'].flatMap((c) => [
          { customerId: c, mixins: { n: c.charCodeAt(0) } },
          { customerId: c, legalEntityId: 'L' },
        ]),
      }),
    );
    const page = ok(
      await gql(Q_LIST, { segmentId: s, q: 'legalEntityId:null', sort: 'customer.id:desc', pageSize: 3, pageNumber: 1 }),
    ).customerAssignments;
    expect(page.items.map(keyOf)).toEqual(['d', 'c', 'b']);
    expect(page).toMatchObject({ totalCount: 4, pageNumber: 1, pageSize: 3 });
    expect(await listKeys(s, { q: 'legalEntityId:L', sort: 'customerId', pageSize: 2, pageNumber: 2 })).toEqual(['c/L', 'd/L']);
    expect(await listKeys(s, { q: 'mixins.n:>98', sort: 'mixins.n' })).toEqual(['c', 'd']);
    expect(failure(await gql(Q_LIST, { segmentId: s, q: 'assignmentType:NEVER' }), 'BAD_USER_INPUT').extensions?.field).toBe('q');
    expect(failure(await gql(Q_LIST, { segmentId: s, sort: 'nope' }), 'BAD_USER_INPUT').extensions?.field).toBe('sort');
    expect(failure(await gql(Q_LIST, { segmentId: s, pageSize: 0 }), 'BAD_USER_INPUT').extensions?.field).toBe('pageSize');
  });

  test('totalCount is counted only when selected', async () => {
    const s = await createSegment();
    await upsert(s, 'C1');
    const q = (withTotal: boolean) =>
      `query($s: ID!) { customerAssignments(segmentId: $s) { items { assignmentType } ${withTotal ? 'totalCount' : ''} } }`;
    const without = await withQueryCount(() => t.gql(q(false), { s }));
    const withTotal = await withQueryCount(() => t.gql(q(true), { s }));
    expect(withTotal.count).toBe(without.count + 1);
    expect(without.sql.some((sql) => /count\(/i.test(sql))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Segment.customers and Segment.customerCount
// ---------------------------------------------------------------------------------------------

describe('Segment.customers and Segment.customerCount', () => {
  const site = uid('edges');
  const ids: string[] = [];
  beforeAll(async () => {
    // Three segments with 0, 3 and 5 assignments (B2C and B2B mixed).
    for (let i = 0; i < 3; i++) ids.push(await createSegment({ id: `${site}-${i}`, siteCode: site, status: 'ACTIVE' }));
    const rows = [
      ...['c3', 'c1', 'c2'].map((c, i) => ({ ...assignmentRow('acme', ids[1], c), created_at: 1000 + i })),
      ...['e', 'a', 'd', 'b'].map((c, i) => ({ ...assignmentRow('acme', ids[2], c), created_at: 1000 + i })),
      { ...assignmentRow('acme', ids[2], 'a', 'L1'), created_at: 999, mixins: JSON.stringify({ vip: true }) },
    ];
    await t.db.knex('customer_assignments').insert(rows);
  });

  // The outer page is sized to the three segments: 60 (the default) × 60 members with customer
  // and legal entity would be 10,860 estimated rows, over the default GRAPHQL_MAX_ROWS.
  const Q_EDGES = `query($site: String!, $q: String, $pageSize: Int, $pageNumber: Int, $sort: String) {
    segments(q: $site, sort: "id", pageSize: 10) {
      items {
        id customerCount
        customers(q: $q, pageSize: $pageSize, pageNumber: $pageNumber, sort: $sort) {
          totalCount pageNumber pageSize items { segmentId customer { id } legalEntity { id } }
        }
      }
    }
  }`;
  const edges = async (vars: Record<string, unknown> = {}, token?: string) =>
    ok(await gql(Q_EDGES, { site: `siteCode:"${site}"`, ...vars }, { token })).segments.items as Doc[];

  test('every segment gets its own count and page (default order: creation time)', async () => {
    const items = await edges();
    expect(items.map((s) => s.customerCount)).toEqual([0, 3, 5]);
    expect(items.map((s) => s.customers.totalCount)).toEqual([0, 3, 5]);
    expect(items.map((s) => s.customers.items.map(keyOf))).toEqual([[], ['c3', 'c1', 'c2'], ['a/L1', 'e', 'a', 'd', 'b']]);
    expect(items[2].customers.items.every((a: Doc) => a.segmentId === ids[2])).toBe(true);
  });

  test('paging and sort are per segment', async () => {
    const items = await edges({ pageSize: 2, pageNumber: 2, sort: 'customerId,legalEntityId' });
    expect(items.map((s) => s.customers.items.map(keyOf))).toEqual([[], ['c3'], ['b', 'd']]);
    expect(items[1].customers).toMatchObject({ totalCount: 3, pageNumber: 2, pageSize: 2 });
    const desc = await edges({ pageSize: 1, sort: 'customer.id:desc' });
    expect(desc.map((s) => s.customers.items.map(keyOf))).toEqual([[], ['c3'], ['e']]);
  });

  test('q filters the page and its totalCount, not customerCount', async () => {
    const items = await edges({ q: 'customerId:(a,c1)' });
    expect(items.map((s) => s.customers.items.map(keyOf))).toEqual([[], ['c1'], ['a/L1', 'a']]);
    expect(items.map((s) => s.customers.totalCount)).toEqual([0, 1, 2]);
    expect(items.map((s) => s.customerCount)).toEqual([0, 3, 5]);
    const vip = await edges({ q: 'mixins.vip:true' });
    expect(vip.map((s) => s.customers.totalCount)).toEqual([0, 0, 1]);
    failure(await gql(Q_EDGES, { site: `siteCode:"${site}"`, q: 'assignmentType:NEVER' }), 'BAD_USER_INPUT');
  });

  test('two differently-argued aliases in one query', async () => {
    const res = ok(
      await gql(
        `query($id: ID!) { segment(id: $id) {
          first: customers(pageSize: 1) { items { customer { id } } }
          rest: customers(pageSize: 1, pageNumber: 2) { items { customer { id } } }
          b2b: customers(q: "legalEntityId:exists") { totalCount }
        } }`,
        { id: ids[2] },
      ),
    ).segment;
    expect(res.first.items.map((a: Doc) => a.customer.id)).toEqual(['a']);
    expect(res.rest.items.map((a: Doc) => a.customer.id)).toEqual(['e']);
    expect(res.b2b.totalCount).toBe(1);
  });

  test("segment_read_own: only the caller's own assignments on the edges", async () => {
    const token = await t.token({ scopes: [SCOPE.readOwn], customerId: 'a' });
    const items = await edges({}, token);
    // Only the segment 'a' belongs to is visible at all.
    expect(items.map((s) => s.id)).toEqual([ids[2]]);
    expect(items[0].customerCount).toBe(2);
    expect(items[0].customers.items.map(keyOf)).toEqual(['a/L1', 'a']);
    const narrowed = await t.token({ scopes: [SCOPE.readOwn], customerId: 'a', legalEntityId: 'L9' });
    const only = await edges({}, narrowed);
    expect(only[0].customerCount).toBe(1);
    expect(only[0].customers.items.map(keyOf)).toEqual(['a']);
  });

  test('customerAssignments for segment_read_own: active member only, own only', async () => {
    const token = await t.token({ scopes: [SCOPE.readOwn], customerId: 'c1' });
    expect(await listKeys(ids[1], {}, token)).toEqual(['c1']);
    failure(await gql(Q_LIST, { segmentId: ids[2] }, { token }), 'NOT_FOUND');
    const inactive = await createSegment();
    await upsert(inactive, 'c1');
    failure(await gql(Q_LIST, { segmentId: inactive }, { token }), 'NOT_FOUND');
  });

  test('writes in one request are visible to later reads of the same request (loaders cleared)', async () => {
    const s = await createSegment();
    const res = ok(
      await gql(
        `mutation($s: ID!) {
          a: upsertCustomerAssignment(segmentId: $s, customerId: "x1") { assignment { segment { customerCount } } }
          b: upsertCustomerAssignment(segmentId: $s, customerId: "x2") { assignment { segment { customerCount customers { items { customer { id } } } } } }
          d: deleteCustomerAssignment(segmentId: $s, customerId: "x1")
          c: upsertCustomerAssignments(segmentId: $s, inputs: [{ customerId: "x3" }, { customerId: "x4" }]) { code }
          e: upsertCustomerAssignment(segmentId: $s, customerId: "x2", input: { mixins: { v: 2 } }) {
            assignment { segment { customerCount customers { items { customer { id } mixins } } } }
          }
        }`,
        { s },
      ),
    );
    expect(res.a.assignment.segment.customerCount).toBe(1);
    expect(res.b.assignment.segment.customerCount).toBe(2);
    expect(res.b.assignment.segment.customers.items.map((a: Doc) => a.customer.id)).toEqual(['x1', 'x2']);
    expect(res.e.assignment.segment.customerCount).toBe(3);
    expect(res.e.assignment.segment.customers.items).toEqual([
      { customer: { id: 'x2' }, mixins: { v: 2 } },
      { customer: { id: 'x3' }, mixins: null },
      { customer: { id: 'x4' }, mixins: null },
    ]);
  });
});

describe('SQL statements do not grow with the number of segments', () => {
  async function seed(n: number): Promise<string> {
    const site = uid(`qc${n}`);
    const segs = Array.from({ length: n }, (_, i) => ({
      id: `${site}-${String(i).padStart(2, '0')}`,
      name: { en: 'S' },
      siteCode: site,
      status: 'ACTIVE',
    }));
    ok(await gql(`mutation($inputs: [SegmentInput!]!) { createSegments(inputs: $inputs) { code } }`, { inputs: segs }));
    const rows = segs.flatMap((s, i) =>
      Array.from({ length: (i % 4) + 1 }, (_, j) => assignmentRow('acme', s.id, `qc-cust-${j}`, j % 2 ? `qc-le-${j}` : '')),
    );
    await t.db.knex.batchInsert('customer_assignments', rows, 200);
    return site;
  }

  const Q = `query($q: String!) {
    segments(q: $q, pageSize: 100, sort: "id") {
      items {
        id customerCount
        customers(pageSize: 3, sort: "customerId") {
          totalCount
          items { customer { id firstName } legalEntity { id name } segment { id } assignmentType }
        }
      }
    }
  }`;

  test('customers + customerCount for 10 and for 50 segments cost the same statements', async () => {
    await t.db.knex('customers').insert([0, 1, 2, 3].map((j) => ({ tenant: 'acme', id: `qc-cust-${j}`, first_name: `F${j}` })));
    await t.db.knex('legal_entities').insert([1, 3].map((j) => ({ tenant: 'acme', id: `qc-le-${j}`, name: `LE${j}` })));
    const site10 = await seed(10);
    const site50 = await seed(50);
    const run = (site: string) => withQueryCount(() => t.gql(Q, { q: `siteCode:"${site}"` }));
    const ten = await run(site10);
    const fifty = await run(site50);
    const items10 = ok(ten.result).segments.items;
    const items50 = ok(fifty.result).segments.items;
    expect(items10).toHaveLength(10);
    expect(items50).toHaveLength(50);
    expect(items50.map((s: Doc) => s.customerCount)).toEqual(Array.from({ length: 50 }, (_, i) => (i % 4) + 1));
    expect(items50[3].customers.totalCount).toBe(4);
    expect(items50[3].customers.items.map(keyOf)).toEqual(['qc-cust-0', 'qc-cust-1/qc-le-1', 'qc-cust-2']);
    expect(items50[3].customers.items[1]).toMatchObject({ customer: { firstName: 'F1' }, legalEntity: { name: 'LE1' } });
    expect(fifty.count).toBe(ten.count);
    // segments, counts, pages, customers, legal entities, segments by id.
    expect(ten.count).toBeLessThanOrEqual(6);
    // The pages: one UNION ALL of a LIMIT arm per segment (no window over every member); the
    // unfiltered counts: the segments' counters (migrations/007), no GROUP BY.
    const pages = fifty.sql.filter((s) => /customer_assignments/i.test(s) && /union all/i.test(s));
    expect(pages).toHaveLength(1);
    expect(pages[0].match(/union all/gi)).toHaveLength(49);
    expect(fifty.sql.filter((s) => /row_number\(\) over|group by/i.test(s))).toHaveLength(0);
    expect(fifty.sql.filter((s) => /customer_count/i.test(s))).toHaveLength(1);
  });
});

describe('tenancy', () => {
  test("globex neither sees, counts, changes nor deletes acme's assignments", async () => {
    const id = uid('shared');
    await createSegment({ id });
    await upsert(id, 'C1', undefined, { mixins: { owner: 'acme' } });
    const g = { token: tok.globex };
    failure(await gql(Q_LIST, { segmentId: id }, g), 'NOT_FOUND');
    failure(await gql(Q_ONE, { segmentId: id, customerId: 'C1' }, g), 'NOT_FOUND');
    failure(await gql(M_UPSERT, { segmentId: id, customerId: 'C1' }, g), 'NOT_FOUND');
    failure(await gql(M_UPSERT_MANY, { segmentId: id, inputs: [{ customerId: 'C1' }] }, g), 'NOT_FOUND');
    ok(await gql(M_DELETE, { segmentId: id, customerId: 'C1' }, g));
    ok(await gql(M_DELETE_MANY, { segmentId: id, keys: [{ customerId: 'C1' }] }, g));
    expect(await listKeys(id)).toEqual(['C1']);

    // A globex segment with the same id: its edges count only globex rows.
    await createSegment({ id }, tok.globex);
    const edge = `query($id: ID!) { segment(id: $id) { customerCount customers { totalCount items { customer { id } } } } }`;
    expect(ok(await gql(edge, { id }, g)).segment).toEqual({ customerCount: 0, customers: { totalCount: 0, items: [] } });
    expect((await upsert(id, 'C1', undefined, { mixins: { owner: 'globex' } }, tok.globex)).created).toBe(true);
    expect(ok(await gql(edge, { id }, g)).segment.customerCount).toBe(1);
    expect(ok(await gql(Q_ONE, { segmentId: id, customerId: 'C1' })).customerAssignment.mixins).toEqual({ owner: 'acme' });
    expect(ok(await gql(edge, { id })).segment.customerCount).toBe(1);
  });
});
