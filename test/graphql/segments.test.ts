/**
 * The segment core through GraphQL (/graphql): queries, mutations, bulk results, error codes,
 * authentication (docs/behaviour.md "Authentication and scopes", GraphQL paragraph) and the
 * protections (no stack traces, depth/alias limits).
 */
import { withQueryCount } from '../../src/db/query-counter';
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { assignmentRow, guardGql, ISO_MS_Z, itemAssignmentRow, sleep, uid } from '../rest/_support';

const MSG_EXISTS = 'The resource already exists.';
const MSG_CHANGED = 'The resource you are attempting to access has changed.';

let t: TestApp;
let gql: TestApp['gql'];
const tok = {} as Record<'readOnly' | 'manageOnly' | 'expired' | 'noScopes', string>;

beforeAll(async () => {
  t = await startTestApp();
  gql = guardGql(t);
  tok.readOnly = await t.token({ scopes: [SCOPE.read] });
  tok.manageOnly = await t.token({ scopes: [SCOPE.manage] });
  tok.expired = await t.token({ expiresIn: '-1h' });
  tok.noScopes = await t.token({ scopes: ['some.other_scope'] });
});
afterAll(() => t.close());

type Gql = Awaited<ReturnType<TestApp['gql']>>;

interface GSegment {
  id: string;
  name: Record<string, string>;
  description: Record<string, string> | null;
  validity: { from: string | null; to: string | null } | null;
  status: string;
  siteCode: string;
  mixins: Record<string, unknown> | null;
  isActive: boolean;
  metadata: { createdAt: string; modifiedAt: string; version: number; mixins: Record<string, string> | null };
}
interface Bulk {
  index: number;
  id: string | null;
  code: number;
  status: string;
  message: string | null;
}
/** Every root field these tests select, typed as the schema declares it. */
interface Data {
  segment: GSegment | null;
  segments: {
    items: { id: string; name: Record<string, string>; status: string }[];
    totalCount: number;
    pageNumber: number;
    pageSize: number;
  };
  createSegment: GSegment;
  upsertSegment: { created: boolean; segment: GSegment };
  patchSegment: GSegment;
  deleteSegment: boolean;
  createSegments: Bulk[];
  upsertSegments: Bulk[];
  deleteSegments: Bulk[];
  __type: { name: string; fields: { name: string }[] };
}

const FIELDS = `id name description validity { from to } status siteCode mixins isActive metadata { createdAt modifiedAt version mixins }`;
const Q_SEGMENT = `query($id: ID!) { segment(id: $id) { ${FIELDS} } }`;
const M_CREATE = `mutation($input: SegmentInput!) { createSegment(input: $input) { ${FIELDS} } }`;
const M_UPSERT = `mutation($id: ID!, $input: SegmentInput!) { upsertSegment(id: $id, input: $input) { created segment { ${FIELDS} } } }`;
const M_PATCH = `mutation($id: ID!, $ops: [PatchOperationInput!]!) { patchSegment(id: $id, operations: $ops) { ${FIELDS} } }`;
const M_DELETE = `mutation($id: ID!, $force: Boolean! = false) { deleteSegment(id: $id, forceDelete: $force) }`;
const Q_LIST = `query($q: String, $pageNumber: Int, $pageSize: Int, $sort: String, $customerId: ID, $legalEntityId: ID) {
  segments(q: $q, pageNumber: $pageNumber, pageSize: $pageSize, sort: $sort, customerId: $customerId, legalEntityId: $legalEntityId) {
    items { id name status } totalCount pageNumber pageSize
  }
}`;
const BULK = 'index id code status message';
const M_CREATE_MANY = `mutation($inputs: [SegmentInput!]!) { createSegments(inputs: $inputs) { ${BULK} } }`;
const M_UPSERT_MANY = `mutation($inputs: [SegmentInput!]!) { upsertSegments(inputs: $inputs) { ${BULK} } }`;
const M_DELETE_MANY = `mutation($ids: [ID!]!, $force: Boolean! = false) { deleteSegments(ids: $ids, forceDelete: $force) { ${BULK} } }`;

/** The data of a successful answer (HTTP 200, no errors). */
function ok<T = Data>(res: Gql): T {
  if (res.status !== 200 || res.errors?.length)
    throw new Error(`expected success, got ${res.status} ${JSON.stringify(res.errors)}`);
  return res.data as T;
}

/** The one error of a failed answer, with its code; data (if any) is null. */
function failure(res: Gql, code: string): { message: string; extensions?: Record<string, unknown> } {
  if (!res.errors?.length) throw new Error(`expected ${code}, got data ${JSON.stringify(res.data)}`);
  expect(res.errors[0].extensions?.code).toBe(code);
  if (res.data !== undefined && res.data !== null) {
    for (const v of Object.values(res.data as Record<string, unknown>)) expect(v).toBeNull();
  }
  return res.errors[0];
}

const seg = (extra: Record<string, unknown> = {}) => ({ name: { en: 'Segment' }, siteCode: 'main', ...extra });

async function create(extra: Record<string, unknown> = {}): Promise<GSegment> {
  return ok(await gql(M_CREATE, { input: seg(extra) })).createSegment;
}

/** segment(id): null when missing. */
async function maybe(id: string, headers?: Record<string, string>): Promise<GSegment | null> {
  return ok(await gql(Q_SEGMENT, { id }, { headers })).segment;
}

/** segment(id), which must exist. */
async function fetch(id: string, headers?: Record<string, string>): Promise<GSegment> {
  const s = await maybe(id, headers);
  if (!s) throw new Error(`segment ${id} is missing`);
  return s;
}

// ---------------------------------------------------------------------------------------------

describe('segment(id)', () => {
  test('returns the segment with every field', async () => {
    const s = await create({
      id: uid('g'),
      name: { en: 'Gold', de: 'Gold DE' },
      description: { en: 'desc' },
      validity: { from: '2024-04-17T08:00:00.000Z', to: '2024-05-17T08:00:00.000Z' },
      status: 'ACTIVE',
      mixins: { attrs: { tier: 'gold', n: 1 } },
      metadata: { mixins: { attrs: 'https://example.com/attrs.json' } },
    });
    const got = await fetch(s.id);
    expect(got).toEqual({
      id: s.id,
      name: { en: 'Gold', de: 'Gold DE' },
      description: { en: 'desc' },
      validity: { from: '2024-04-17T08:00:00.000Z', to: '2024-05-17T08:00:00.000Z' },
      status: 'ACTIVE',
      siteCode: 'main',
      mixins: { attrs: { tier: 'gold', n: 1 } },
      isActive: true,
      metadata: {
        createdAt: s.metadata.createdAt,
        modifiedAt: s.metadata.createdAt,
        version: 1,
        mixins: { attrs: 'https://example.com/attrs.json' },
      },
    });
  });

  test('null (no error) when missing', async () => {
    const res = await gql(Q_SEGMENT, { id: uid('missing') });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ segment: null });
  });

  test('Accept-Language narrows name and description', async () => {
    const s = await create({ name: { en: 'Gold', de: 'Gold DE' }, description: { en: 'd', fr: 'd fr' } });
    const de = await fetch(s.id, { 'accept-language': 'de, en;q=0.5' });
    expect(de.name).toEqual({ de: 'Gold DE' });
    expect(de.description).toEqual({ en: 'd' });
    const all = await fetch(s.id, { 'accept-language': '*' });
    expect(all.name).toEqual({ en: 'Gold', de: 'Gold DE' });
    expect((await fetch(s.id, { 'accept-language': 'fr' })).description).toEqual({ fr: 'd fr' });
  });

  test('a manage-only token → FORBIDDEN', async () => {
    const s = await create();
    failure(await gql(Q_SEGMENT, { id: s.id }, { token: tok.manageOnly }), 'FORBIDDEN');
  });
});

describe('segments(q, pageNumber, pageSize, sort)', () => {
  const site = uid('gsite');
  const ids = { a: uid('ga'), b: uid('gb'), c: uid('gc') };

  beforeAll(async () => {
    await create({ id: ids.a, siteCode: site, name: { en: 'Gold' }, status: 'ACTIVE', mixins: { rank: 1 } });
    await sleep(3);
    await create({ id: ids.b, siteCode: site, name: { en: 'Silver' }, status: 'INACTIVE', mixins: { rank: 2 } });
    await sleep(3);
    await create({ id: ids.c, siteCode: site, name: { en: 'Bronze' }, status: 'ACTIVE', mixins: { rank: 3 } });
  });

  const inSite = (q = '') => `siteCode:"${site}" ${q}`;
  async function page(
    vars: Record<string, unknown>,
  ): Promise<{ items: { id: string }[]; totalCount: number; pageNumber: number; pageSize: number }> {
    return ok(await gql(Q_LIST, vars)).segments;
  }

  test('items, totalCount and the paging it used (defaults 1 / 60)', async () => {
    const p = await page({ q: inSite() });
    expect(p.items.map((s) => s.id)).toEqual([ids.a, ids.b, ids.c]);
    expect(p).toMatchObject({ totalCount: 3, pageNumber: 1, pageSize: 60 });
  });

  test('q filters, sort orders, paging windows (totalCount ignores paging)', async () => {
    expect((await page({ q: inSite('status:ACTIVE') })).items.map((s) => s.id)).toEqual([ids.a, ids.c]);
    expect((await page({ q: inSite('name.en:~^s') })).items.map((s) => s.id)).toEqual([ids.b]);
    expect((await page({ q: inSite('mixins.rank:>=2') })).items.map((s) => s.id)).toEqual([ids.b, ids.c]);
    expect((await page({ q: inSite(), sort: 'name.en:desc' })).items.map((s) => s.id)).toEqual([ids.b, ids.a, ids.c]);
    const p2 = await page({ q: inSite(), pageSize: 2, pageNumber: 2 });
    expect(p2).toEqual({
      items: [{ id: ids.c, name: { en: 'Bronze' }, status: 'ACTIVE' }],
      totalCount: 3,
      pageNumber: 2,
      pageSize: 2,
    });
    const past = await page({ q: inSite(), pageSize: 2, pageNumber: 9 });
    expect(past).toMatchObject({ items: [], totalCount: 3, pageNumber: 9 });
  });

  test.each([
    [{ pageSize: 0 }, 'pageSize'],
    [{ pageSize: 1001 }, 'pageSize'],
    [{ pageNumber: 0 }, 'pageNumber'],
    [{ sort: 'bogus:asc' }, 'sort'],
    [{ sort: 'name.en:up' }, 'sort'],
    [{ q: 'bogusField:x' }, 'bogusField'],
    [{ q: 'id:(a,b' }, 'q'],
  ])('%j → BAD_USER_INPUT naming the parameter', async (vars, field) => {
    const e = failure(await gql(Q_LIST, vars), 'BAD_USER_INPUT');
    expect(`${e.message} ${String(e.extensions?.field ?? '')}`).toContain(field);
  });

  // Unknown enum values and values that do not parse are input errors (docs/behaviour.md).
  test.each([
    [{ q: 'status:FOO' }, 'status'],
    [{ q: 'validity.from:>"not-a-date"' }, 'validity.from'],
  ])('%j → BAD_USER_INPUT', async (vars) => {
    failure(await gql(Q_LIST, vars), 'BAD_USER_INPUT');
  });

  test('a pageSize that is not an Int → BAD_USER_INPUT (HTTP 400)', async () => {
    const res = await gql(Q_LIST, { pageSize: 'abc' });
    expect(res.status).toBe(400);
    failure(res, 'BAD_USER_INPUT');
  });

  test('a manage-only token → FORBIDDEN', async () => {
    failure(await gql(Q_LIST, {}, { token: tok.manageOnly }), 'FORBIDDEN');
  });

  test('customerId with read_own only → FORBIDDEN; with segment_read → that customer’s segments', async () => {
    const customer = uid('gcust');
    await t.db
      .knex('customer_assignments')
      .insert([assignmentRow('acme', ids.a, customer), assignmentRow('acme', ids.b, customer, 'le1')]);
    const own = await t.token({ scopes: [SCOPE.readOwn], customerId: customer });
    failure(await gql(Q_LIST, { customerId: customer }, { token: own }), 'FORBIDDEN');
    const adminView = ok(await gql(Q_LIST, { customerId: customer }, { token: tok.readOnly })).segments;
    expect(adminView.items.map((s: { id: string }) => s.id)).toEqual([ids.a, ids.b]);
    const ownView = ok(await gql(Q_LIST, {}, { token: own })).segments;
    expect(ownView.items.map((s: { id: string }) => s.id)).toEqual([ids.a]); // b is INACTIVE
    expect(ownView.totalCount).toBe(1);
    expect(ok(await gql('query($id: ID!) { segment(id: $id) { id } }', { id: ids.b }, { token: own })).segment).toBeNull();
    expect(ok(await gql('query($id: ID!) { segment(id: $id) { id } }', { id: ids.a }, { token: own })).segment).toEqual({
      id: ids.a,
    });
  });

  // A membership of up to 1,000 assignment rows is resolved to segment keys first, a larger one
  // stays a subquery (SegmentRepository.keyedByMembership): both forms answer alike, with q, sort,
  // paging and totalCount applied to the customer's segments only.
  test.each([
    ['resolved to keys', 2],
    ['as a subquery (over 1,000 rows)', 1001],
  ])('customerId filter %s: q, sort, paging and totalCount over that customer’s segments', async (_form, rows) => {
    const customer = uid('gmany');
    const entities = Array.from({ length: rows - 2 }, (_, i) => `le${i}`);
    // In batches: SQLite caps the terms of the one compound SELECT a multi-row insert becomes.
    await t.db.knex.batchInsert(
      'customer_assignments',
      [
        assignmentRow('acme', ids.a, customer),
        assignmentRow('acme', ids.c, customer, 'le-c'),
        ...entities.map((le) => assignmentRow('acme', ids.b, customer, le)),
      ],
      200,
    );
    const members = rows > 2 ? [ids.a, ids.b, ids.c] : [ids.a, ids.c];
    const { result, sql } = await withQueryCount(() => page({ customerId: customer }));
    const all = result;
    // Items and totalCount share one read of the customer's assignments (kept as a subquery of
    // both when it is too long).
    expect(sql.filter((q) => /from [`"]?customer_assignments/i.test(q))).toHaveLength(rows > 2 ? 3 : 1);
    expect(all.items.map((s) => s.id)).toEqual(members);
    expect(all.totalCount).toBe(members.length);
    const second = await page({ customerId: customer, q: inSite(), sort: 'name.en:desc', pageSize: 1, pageNumber: 2 });
    // By name descending: Silver (b), Gold (a), Bronze (c); the second of those the customer has.
    expect(second.items.map((s) => s.id)).toEqual([rows > 2 ? ids.a : ids.c]);
    expect(second.totalCount).toBe(members.length);
    expect((await page({ customerId: customer, q: inSite('status:ACTIVE') })).items.map((s) => s.id)).toEqual([ids.a, ids.c]);
    expect((await page({ customerId: customer, legalEntityId: 'le-c' })).items.map((s) => s.id)).toEqual([ids.a, ids.c]);
    expect((await page({ customerId: uid('gnobody') })).totalCount).toBe(0);
  });
});

describe('createSegment', () => {
  test('generated 24-hex id, version 1, createdAt = modifiedAt, status INACTIVE', async () => {
    const s = await create({ name: { en: 'Gold' } });
    expect(s.id).toMatch(/^[0-9a-f]{24}$/);
    expect(s).toMatchObject({ name: { en: 'Gold' }, status: 'INACTIVE', isActive: false, siteCode: 'main' });
    expect(s.metadata.version).toBe(1);
    expect(s.metadata.createdAt).toMatch(ISO_MS_Z);
    expect(s.metadata.modifiedAt).toBe(s.metadata.createdAt);
    expect((await fetch(s.id)).name).toEqual({ en: 'Gold' });
  });

  test('custom id; CONFLICT when it exists', async () => {
    const id = uid('gc');
    expect((await create({ id })).id).toBe(id);
    const e = failure(await gql(M_CREATE, { input: seg({ id, name: { en: 'again' } }) }), 'CONFLICT');
    expect(e.message).toBe(MSG_EXISTS);
    expect(e.extensions?.resourceId).toBe(id);
    expect((await fetch(id)).name).toEqual({ en: 'Segment' });
  });

  test('a plain-string name follows Content-Language; * → BAD_USER_INPUT', async () => {
    const res = await gql(M_CREATE, { input: seg({ name: 'Or' }) }, { headers: { 'content-language': 'fr' } });
    expect(ok(res).createSegment.name).toEqual({ fr: 'Or' });
    const plain = ok(await gql(M_CREATE, { input: seg({ name: 'Gold' }) })).createSegment;
    expect(plain.name).toEqual({ en: 'Gold' });
    const star = failure(
      await gql(M_CREATE, { input: seg({ name: 'Gold' }) }, { headers: { 'content-language': '*' } }),
      'BAD_USER_INPUT',
    );
    expect(star.extensions?.field).toBe('name');
  });

  test.each([
    [{ name: 5 }, 'name'],
    [{ name: {} }, 'name'],
    [{ siteCode: '' }, 'siteCode'],
    [{ id: '' }, 'id'],
    [{ id: 'a/b' }, 'id'],
    [{ validity: { from: '2024-05-01T00:00:00Z', to: '2024-04-01T00:00:00Z' } }, 'validity'],
    [{ mixins: undefined, metadata: { mixins: { a: 1 } } }, 'metadata.mixins'],
  ])('%j → BAD_USER_INPUT naming the field, nothing stored', async (extra, field) => {
    const site = uid('gbad');
    const e = failure(await gql(M_CREATE, { input: seg({ siteCode: site, ...extra }) }), 'BAD_USER_INPUT');
    expect(`${e.message} ${String(e.extensions?.field ?? '')}`).toContain(field);
    expect(await t.db.knex('segments').where({ tenant: 'acme', site_code: site })).toHaveLength(0);
  });

  test('variables of the wrong type → BAD_USER_INPUT (HTTP 400)', async () => {
    for (const input of [seg({ status: 'FOO' }), seg({ validity: { from: 'nope' } }), { name: { en: 'no site' } }]) {
      const res = await gql(M_CREATE, { input });
      expect(res.status).toBe(400);
      failure(res, 'BAD_USER_INPUT');
    }
  });

  test('a read-only token → FORBIDDEN, nothing stored', async () => {
    const id = uid('gforb');
    failure(await gql(M_CREATE, { input: seg({ id }) }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_CREATE, { input: seg({ id }) }, { token: tok.noScopes }), 'FORBIDDEN');
    expect(await t.db.knex('segments').where({ tenant: 'acme', id })).toHaveLength(0);
  });

  test('scopes are independent: manage-only can create and sees what it wrote', async () => {
    const res = await gql(M_CREATE, { input: seg({ name: { en: 'mine' } }) }, { token: tok.manageOnly });
    expect(ok(res).createSegment.name).toEqual({ en: 'mine' });
  });
});

describe('upsertSegment', () => {
  test('created: true with version 1 (ignoring any version), then created: false with version 2', async () => {
    const id = uid('gup');
    const first = ok(await gql(M_UPSERT, { id, input: seg({ name: { en: 'v1' }, metadata: { version: 9 } }) })).upsertSegment;
    expect(first.created).toBe(true);
    expect(first.segment).toMatchObject({ id, name: { en: 'v1' } });
    expect(first.segment.metadata.version).toBe(1);
    await sleep(5);
    const second = ok(
      await gql(M_UPSERT, { id, input: seg({ name: { en: 'v2' }, status: 'ACTIVE', metadata: { version: 1 } }) }),
    ).upsertSegment;
    expect(second.created).toBe(false);
    expect(second.segment).toMatchObject({ id, name: { en: 'v2' }, status: 'ACTIVE', isActive: true });
    expect(second.segment.metadata.version).toBe(2);
    expect(second.segment.metadata.createdAt).toBe(first.segment.metadata.createdAt);
    expect(Date.parse(second.segment.metadata.modifiedAt)).toBeGreaterThan(Date.parse(first.segment.metadata.modifiedAt));
    expect((await fetch(id)).metadata.version).toBe(2);
  });

  test('a stale version → CONFLICT, nothing written; no version → no check', async () => {
    const { id } = await create({ name: { en: 'orig' } });
    const e = failure(await gql(M_UPSERT, { id, input: seg({ name: { en: 'x' }, metadata: { version: 2 } }) }), 'CONFLICT');
    expect(e.message).toBe(MSG_CHANGED);
    const s = await fetch(id);
    expect(s.name).toEqual({ en: 'orig' });
    expect(s.metadata.version).toBe(1);
    const free = ok(await gql(M_UPSERT, { id, input: seg({ name: { en: 'y' } }) })).upsertSegment;
    expect(free).toMatchObject({ created: false, segment: { name: { en: 'y' } } });
  });

  test('an invalid id or input → BAD_USER_INPUT', async () => {
    failure(await gql(M_UPSERT, { id: 'a/b', input: seg() }), 'BAD_USER_INPUT');
    failure(await gql(M_UPSERT, { id: '', input: seg() }), 'BAD_USER_INPUT');
    failure(await gql(M_UPSERT, { id: uid(), input: seg({ name: 5 }) }), 'BAD_USER_INPUT');
  });

  test('a read-only token → FORBIDDEN', async () => {
    failure(await gql(M_UPSERT, { id: uid(), input: seg() }, { token: tok.readOnly }), 'FORBIDDEN');
  });
});

describe('patchSegment', () => {
  test('replace/add/remove/test apply in one update and return the new segment', async () => {
    const s = await create({ name: { en: 'Gold' }, description: { en: 'd' }, mixins: { a: { b: 1 } } });
    const res = await gql(M_PATCH, {
      id: s.id,
      ops: [
        { op: 'test', path: '/status', value: 'INACTIVE' },
        { op: 'replace', path: '/status', value: 'ACTIVE' },
        { op: 'add', path: '/name/de', value: 'Gold DE' },
        { op: 'remove', path: '/description' },
        { op: 'replace', path: '/mixins/a/b', value: 2 },
      ],
    });
    const p = ok(res).patchSegment;
    expect(p).toMatchObject({
      id: s.id,
      status: 'ACTIVE',
      isActive: true,
      name: { en: 'Gold', de: 'Gold DE' },
      description: null,
      mixins: { a: { b: 2 } },
    });
    expect(p.metadata.version).toBe(2);
    expect(await fetch(s.id)).toEqual(p);
  });

  test('read-only paths and invalid results → BAD_USER_INPUT, nothing written', async () => {
    const s = await create();
    for (const ops of [
      [{ op: 'replace', path: '/id', value: 'x' }],
      [{ op: 'replace', path: '/metadata/version', value: 5 }],
      [{ op: 'remove', path: '/name' }],
      [{ op: 'replace', path: '/status', value: 'FOO' }],
      [{ op: 'test', path: '/status', value: 'ACTIVE' }],
      [{ op: 'nope', path: '/status', value: 'ACTIVE' }],
    ]) {
      failure(await gql(M_PATCH, { id: s.id, ops }), 'BAD_USER_INPUT');
    }
    const after = await fetch(s.id);
    expect(after.metadata.version).toBe(1);
    expect(after.status).toBe('INACTIVE');
  });

  test('a missing segment → NOT_FOUND', async () => {
    const id = uid('gnope');
    const e = failure(await gql(M_PATCH, { id, ops: [{ op: 'replace', path: '/status', value: 'ACTIVE' }] }), 'NOT_FOUND');
    expect(e.message).toContain(id);
    expect(await maybe(id)).toBeNull();
  });

  test('a read-only token → FORBIDDEN', async () => {
    const s = await create();
    failure(await gql(M_PATCH, { id: s.id, ops: [] }, { token: tok.readOnly }), 'FORBIDDEN');
  });
});

describe('deleteSegment', () => {
  test('true for an existing and for a missing segment', async () => {
    const s = await create();
    expect(ok(await gql(M_DELETE, { id: s.id })).deleteSegment).toBe(true);
    expect(await maybe(s.id)).toBeNull();
    expect(ok(await gql(M_DELETE, { id: s.id })).deleteSegment).toBe(true);
  });

  test('with assignments: BAD_USER_INPUT unless forceDelete, which removes them too', async () => {
    const s = await create();
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', s.id, 'c1'));
    await t.db.knex('item_assignments').insert(itemAssignmentRow('acme', s.id, 'p1'));
    failure(await gql(M_DELETE, { id: s.id }), 'BAD_USER_INPUT');
    expect(await maybe(s.id)).not.toBeNull();
    expect(ok(await gql(M_DELETE, { id: s.id, force: true })).deleteSegment).toBe(true);
    expect(await maybe(s.id)).toBeNull();
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: s.id })).toHaveLength(0);
    expect(await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: s.id })).toHaveLength(0);
  });

  test('an invalid id → BAD_USER_INPUT; a read-only token → FORBIDDEN', async () => {
    failure(await gql(M_DELETE, { id: 'a/b' }), 'BAD_USER_INPUT');
    const s = await create();
    failure(await gql(M_DELETE, { id: s.id }, { token: tok.readOnly }), 'FORBIDDEN');
    expect(await maybe(s.id)).not.toBeNull();
  });
});

describe('bulk mutations', () => {
  test('createSegments: one result per element, 1-based, per-element 400/409', async () => {
    const existing = (await create()).id;
    const fresh = uid('gbc');
    const bad = uid('gbad');
    const res = ok<{ createSegments: Bulk[] }>(
      await gql(M_CREATE_MANY, {
        inputs: [seg(), seg({ id: fresh }), seg({ id: bad, name: 5 }), seg({ id: existing }), seg({ id: fresh })],
      }),
    ).createSegments;
    expect(res.map((r) => [r.index, r.code, r.status])).toEqual([
      [1, 201, 'Created'],
      [2, 201, 'Created'],
      [3, 400, 'Bad Request'],
      [4, 409, 'Conflict'],
      [5, 409, 'Conflict'],
    ]);
    expect(res[0].id).toMatch(/^[0-9a-f]{24}$/);
    expect(res[0].message).toBeNull();
    expect(res[1].id).toBe(fresh);
    expect(res[2]).toMatchObject({ id: bad, message: expect.stringContaining('name') });
    expect(res[3]).toMatchObject({ id: existing, message: MSG_EXISTS });
    expect(await maybe(res[0].id as string)).not.toBeNull();
    expect(await maybe(bad)).toBeNull();
  });

  test('upsertSegments: 201 / 204 / 409 stale / 400 without id', async () => {
    const existing = (await create({ name: { en: 'old' } })).id;
    const locked = (await create({ name: { en: 'locked' } })).id;
    const fresh = uid('gbu');
    const res = ok<{ upsertSegments: Bulk[] }>(
      await gql(M_UPSERT_MANY, {
        inputs: [
          seg({ id: fresh }),
          seg({ id: existing, name: { en: 'new' } }),
          seg({ id: locked, metadata: { version: 3 } }),
          seg(),
        ],
      }),
    ).upsertSegments;
    expect(res.map((r) => [r.index, r.code, r.status])).toEqual([
      [1, 201, 'Created'],
      [2, 204, 'OK'],
      [3, 409, 'Conflict'],
      [4, 400, 'Bad Request'],
    ]);
    expect(res[2].message).toBe(MSG_CHANGED);
    expect(typeof res[3].message).toBe('string');
    const e = await fetch(existing);
    expect(e.name).toEqual({ en: 'new' });
    expect(e.metadata.version).toBe(2);
    const l = await fetch(locked);
    expect(l.name).toEqual({ en: 'locked' });
    expect(l.metadata.version).toBe(1);
  });

  test('deleteSegments: 204 / 204 missing / 400 assigned / 400 invalid id', async () => {
    const a = (await create()).id;
    const assigned = (await create()).id;
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', assigned, 'c1'));
    const missing = uid('ggone');
    const res = ok<{ deleteSegments: Bulk[] }>(await gql(M_DELETE_MANY, { ids: [a, missing, assigned, ''] })).deleteSegments;
    expect(res.map((r) => [r.index, r.code])).toEqual([
      [1, 204],
      [2, 204],
      [3, 400],
      [4, 400],
    ]);
    expect(res[0].id).toBe(a);
    expect(res[2].id).toBe(assigned);
    expect(await maybe(a)).toBeNull();
    expect(await maybe(assigned)).not.toBeNull();
    const forced = ok<{ deleteSegments: Bulk[] }>(await gql(M_DELETE_MANY, { ids: [assigned], force: true })).deleteSegments;
    expect(forced).toEqual([{ index: 1, id: assigned, code: 204, status: 'OK', message: null }]);
    expect(await maybe(assigned)).toBeNull();
  });

  test('more than 200 elements → BAD_USER_INPUT, nothing written', async () => {
    const site = uid('gover');
    failure(await gql(M_CREATE_MANY, { inputs: Array.from({ length: 201 }, () => seg({ siteCode: site })) }), 'BAD_USER_INPUT');
    failure(
      await gql(M_UPSERT_MANY, { inputs: Array.from({ length: 201 }, () => seg({ id: uid(), siteCode: site })) }),
      'BAD_USER_INPUT',
    );
    expect(await t.db.knex('segments').where({ tenant: 'acme', site_code: site })).toHaveLength(0);
    const keep = (await create()).id;
    failure(await gql(M_DELETE_MANY, { ids: [keep, ...Array.from({ length: 200 }, () => uid())] }), 'BAD_USER_INPUT');
    expect(await maybe(keep)).not.toBeNull();
  });

  test('a read-only token → FORBIDDEN for every bulk mutation', async () => {
    failure(await gql(M_CREATE_MANY, { inputs: [seg()] }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_UPSERT_MANY, { inputs: [seg({ id: uid() })] }, { token: tok.readOnly }), 'FORBIDDEN');
    failure(await gql(M_DELETE_MANY, { ids: [uid()] }, { token: tok.readOnly }), 'FORBIDDEN');
  });
});

describe('authentication', () => {
  test('no token: a query or a mutation → HTTP 401 UNAUTHENTICATED, no data, nothing written', async () => {
    for (const [query, vars] of [
      [Q_LIST, {}],
      [Q_SEGMENT, { id: 'x' }],
      [M_CREATE, { input: seg({ id: 'no-token-create' }) }],
      ['{ __typename segments { totalCount } }', {}],
    ] as const) {
      const res = await gql(query, vars, { token: null });
      expect(res.status).toBe(401);
      expect(res.data).toBeUndefined();
      expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    }
    expect(await t.db.knex('segments').where({ tenant: 'acme', id: 'no-token-create' })).toHaveLength(0);
  });

  test('no token: introspection works', async () => {
    const res = await gql('{ __schema { queryType { name } } }', undefined, { token: null });
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const type = await gql('{ __type(name: "Segment") { name fields { name } } }', undefined, { token: null });
    expect(type.status).toBe(200);
    expect((type.data as unknown as Data).__type.fields.map((f: { name: string }) => f.name)).toContain('siteCode');
  });

  test('introspection hidden in a fragment still counts as introspection; a real field in one does not', async () => {
    const intro = await gql('query { ...F } fragment F on Query { __schema { queryType { name } } }', undefined, { token: null });
    expect(intro.status).toBe(200);
    const sneaky = await gql('query { ...F } fragment F on Query { __typename segments { totalCount } }', undefined, {
      token: null,
    });
    expect(sneaky.status).toBe(401);
    expect(sneaky.data).toBeUndefined();
    const inline = await gql('query { ... on Query { segments { totalCount } } }', undefined, { token: null });
    expect(inline.status).toBe(401);
  });

  test('a bad token → HTTP 401 UNAUTHENTICATED, even for introspection', async () => {
    for (const token of ['garbage', 'a.b.c']) {
      for (const query of [Q_LIST, '{ __schema { queryType { name } } }']) {
        const res = await gql(query, {}, { token });
        expect(res.status).toBe(401);
        expect(res.data).toBeUndefined();
        expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      }
    }
  });

  test('an expired token → HTTP 401 UNAUTHENTICATED', async () => {
    const res = await gql(Q_LIST, {}, { token: tok.expired });
    expect(res.status).toBe(401);
    expect(res.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(res.errors?.[0]?.message).toMatch(/expired/i);
  });
});

describe('error hygiene and protections', () => {
  test('no stacktrace (or internals) in any error extensions', async () => {
    // guardGql checks every answer of this file; here one of each kind, explicitly.
    const answers = [
      await gql('{ segments { nope } }'),
      await gql(M_CREATE, { input: seg({ name: 5 }) }),
      await gql(M_CREATE, { input: seg({ status: 'FOO' }) }),
      await gql(Q_LIST, { q: 'status:FOO' }),
      await gql(Q_LIST, { pageSize: 0 }),
      await gql(M_PATCH, { id: uid(), ops: [] }),
      await gql(Q_LIST, {}, { token: null }),
    ];
    for (const res of answers) {
      expect(res.errors?.length).toBeGreaterThan(0);
      for (const e of res.errors ?? []) {
        expect(e.extensions ?? {}).not.toHaveProperty('stacktrace');
        expect(e.extensions ?? {}).not.toHaveProperty('exception');
        expect(JSON.stringify(e)).not.toMatch(/\.ts:\d+|\.js:\d+|SELECT|sqlite|\bER_/);
      }
    }
  });

  test('a syntax error is a 400 GRAPHQL_PARSE_FAILED without data or internals', async () => {
    const res = await gql('{ segments { ');
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.message).toMatch(/Syntax Error/);
    expect(res.errors?.[0]?.extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
  });

  test('a depth bomb (nested fragments) is rejected before execution', async () => {
    let sel = 'segments { totalCount }';
    for (let i = 0; i < 14; i++) sel = `... on Query { ${sel} }`;
    const res = await gql(`{ ${sel} }`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.message).toMatch(/depth/i);
  });

  test('a depth bomb through __type is rejected', async () => {
    let sel = 'name';
    for (let i = 0; i < 7; i++) sel = `fields { type { ${sel} } }`;
    const res = await gql(`{ __type(name: "Segment") { ${sel} } }`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors?.map((e) => e.message).join(' ')).toMatch(/depth/i);
  });

  test('a recursive __schema introspection bomb is rejected, with or without a token', async () => {
    let sel = 'name';
    for (let i = 0; i < 7; i++) sel = `fields { type { ${sel} } }`;
    for (const token of [undefined, null]) {
      const res = await gql(`{ __schema { types { ${sel} } } }`, undefined, { token });
      expect(res.status).toBe(400);
      expect(res.data).toBeUndefined();
    }
  });

  test('an alias bomb is rejected', async () => {
    let sel = '';
    for (let i = 0; i < 40; i++) sel += ` a${i}: segments { totalCount }`;
    const res = await gql(`{ ${sel} }`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.message).toMatch(/alias/i);
  });

  test('a query within the limits runs', async () => {
    let sel = 'segments { items { validity { from } } }';
    for (let i = 0; i < 3; i++) sel = `... on Query { ${sel} }`;
    const res = await gql(`{ ${sel} }`);
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
  });
});

describe('token limit', () => {
  test('a query longer than the token limit is refused with 400, not executed', async () => {
    const fields = Array.from({ length: 6000 }, () => '__typename').join(' ');
    const res = await gql(`{ ${fields} }`);
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors?.[0]?.message).toMatch(/token/i);
  });
});
