/**
 * docs/behaviour.md "Routing and tenancy": data of one tenant is never visible, countable or writable
 * from another — over REST (single and bulk endpoints) and GraphQL.
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import {
  assignmentRow,
  expectError,
  expectFault,
  guardGql,
  guardRest,
  itemAssignmentRow,
  type SegmentDoc,
  uid,
} from './_support';

let t: TestApp;
let rest: TestApp['rest'];
let gql: TestApp['gql'];
let acme: string;
let globex: string;

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
  gql = guardGql(t);
  acme = await t.token({ tenant: 'acme' });
  globex = await t.token({ tenant: 'globex' });
});
afterAll(() => t.close());

type Tenant = 'acme' | 'globex';
const tokenOf = (tenant: Tenant) => (tenant === 'acme' ? acme : globex);

function call(
  tenant: Tenant,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) {
  return rest(method, path, { tenant, token: tokenOf(tenant), body, headers });
}

async function create(tenant: Tenant, extra: Record<string, unknown> = {}): Promise<string> {
  const res = await call(tenant, 'POST', '/segments', { name: { en: `${tenant} segment` }, siteCode: 'main', ...extra });
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

/** The stored row of (tenant, id), straight from the database. */
async function row(tenant: Tenant, id: string): Promise<{ name: string; version: number | string } | undefined> {
  return t.db.knex('segments').where({ tenant, id }).first();
}

async function get(tenant: Tenant, id: string): Promise<SegmentDoc> {
  const res = await call(tenant, 'GET', `/segments/${id}`);
  if (res.statusCode !== 200) throw new Error(`GET ${tenant}/${id}: ${res.statusCode} ${res.body}`);
  await expectContract('GET-customer-segment-retrieve-segment', 200, res.json());
  return res.json();
}

async function listIds(tenant: Tenant, q: string): Promise<string[]> {
  const res = await call(tenant, 'GET', `/segments?q=${encodeURIComponent(q)}`);
  expect(res.statusCode).toBe(200);
  return (res.json() as { id: string }[]).map((s) => s.id);
}

describe('reading', () => {
  test("GET by id of another tenant's segment → 404 Error body, no data", async () => {
    const id = await create('acme', { name: { en: 'acme-secret-name' } });
    const res = await call('globex', 'GET', `/segments/${id}`);
    await expectError(res, 404, 'GET-customer-segment-retrieve-segment');
    expect(res.body).not.toContain('acme-secret-name');
    expect((await get('acme', id)).name).toEqual({ en: 'acme-secret-name' });
  });

  test('lists, search and X-Total-Count only see and count the caller tenant', async () => {
    const site = uid('shared-site');
    const a1 = await create('acme', { siteCode: site });
    const a2 = await create('acme', { siteCode: site });
    const g1 = await create('globex', { siteCode: site });
    const q = `siteCode:"${site}"`;

    expect((await listIds('acme', q)).sort()).toEqual([a1, a2].sort());
    expect(await listIds('globex', q)).toEqual([g1]);

    for (const [tenant, expected] of [
      ['acme', '2'],
      ['globex', '1'],
    ] as const) {
      const res = await call(tenant, 'GET', `/segments?q=${encodeURIComponent(q)}&pageSize=1`, undefined, {
        'x-total-count': 'true',
      });
      expect(res.headers['x-total-count']).toBe(expected);
      const search = await call(tenant, 'POST', '/segments/search', { q }, { 'x-total-count': 'true' });
      expect(search.statusCode).toBe(200);
      await expectContract('POST-customer-segment-search-segments', 200, search.json());
      expect(search.headers['x-total-count']).toBe(expected);
    }

    // By id, too: nothing of acme's is found from globex.
    expect(await listIds('globex', `id:(${a1},${a2})`)).toEqual([]);
    const all = await call('globex', 'GET', '/segments?pageSize=1000');
    expect((all.json() as { id: string }[]).map((s) => s.id)).not.toEqual(expect.arrayContaining([a1]));
  });

  test('an unfiltered count in one tenant does not move when the other tenant writes', async () => {
    const count = async (tenant: Tenant) =>
      Number(
        (await call(tenant, 'GET', '/segments?pageSize=1', undefined, { 'x-total-count': 'true' })).headers['x-total-count'],
      );
    const before = await count('globex');
    await create('acme');
    await create('acme');
    expect(await count('globex')).toBe(before);
  });

  test("admin ?customerId= only sees the caller tenant's assignments", async () => {
    const id = await create('acme');
    const customer = uid('cust');
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', id, customer));
    expect(await listIds('acme', '')).toContain(id);
    const acmeRes = await call('acme', 'GET', `/segments?customerId=${customer}`);
    expect((acmeRes.json() as { id: string }[]).map((s) => s.id)).toEqual([id]);
    const globexRes = await call('globex', 'GET', `/segments?customerId=${customer}`);
    expect(globexRes.statusCode).toBe(200);
    expect(globexRes.json()).toEqual([]);
  });

  test("a read_own customer of one tenant sees nothing through the other tenant's assignments", async () => {
    const id = await create('acme', { status: 'ACTIVE' });
    const customer = uid('cust');
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', id, customer));
    // Same id and customer in globex, but the globex segment has no assignment.
    await call('globex', 'PUT', `/segments/${id}`, { name: { en: 'g' }, siteCode: 'main', status: 'ACTIVE' });
    const ownAcme = await t.token({ tenant: 'acme', scopes: [SCOPE.readOwn], customerId: customer });
    const ownGlobex = await t.token({ tenant: 'globex', scopes: [SCOPE.readOwn], customerId: customer });
    const a = await rest('GET', '/segments', { tenant: 'acme', token: ownAcme });
    expect((a.json() as { id: string }[]).map((s) => s.id)).toEqual([id]);
    const g = await rest('GET', '/segments', { tenant: 'globex', token: ownGlobex });
    expect(g.statusCode).toBe(200);
    expect(g.json()).toEqual([]);
    const gOne = await rest('GET', `/segments/${id}`, { tenant: 'globex', token: ownGlobex });
    await expectError(gOne, 404, 'GET-customer-segment-retrieve-segment');
  });

  test("a token of one tenant on the other tenant's path → 401", async () => {
    const id = await create('acme');
    const res = await rest('GET', `/segments/${id}`, { tenant: 'acme', token: globex });
    await expectFault(res, 'GET-customer-segment-retrieve-segment', {
      faultstring: /^Invalid access token/,
      errorcode: 'oauth.v2.InvalidAccessToken',
    });
    const del = await rest('DELETE', `/segments/${id}`, { tenant: 'acme', token: globex });
    expect(del.statusCode).toBe(401);
    expect(await row('acme', id)).toBeDefined();
  });
});

describe('writing', () => {
  test('POST with an id that exists only in the other tenant → 201 (no 409)', async () => {
    const id = await create('acme', { name: { en: 'acme' } });
    const res = await call('globex', 'POST', '/segments', { id, name: { en: 'globex' }, siteCode: 'main' });
    expect(res.statusCode).toBe(201);
    expect((await get('acme', id)).name).toEqual({ en: 'acme' });
    expect((await get('globex', id)).name).toEqual({ en: 'globex' });
  });

  test("PUT creates the caller's own segment with the same id, the other is untouched", async () => {
    const id = await create('acme', { name: { en: 'acme original' }, status: 'ACTIVE' });
    const res = await call('globex', 'PUT', `/segments/${id}`, {
      name: { en: 'globex copy' },
      siteCode: 'gsite',
      metadata: { version: 1 },
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id });
    const a = await get('acme', id);
    expect(a).toMatchObject({ name: { en: 'acme original' }, status: 'ACTIVE', siteCode: 'main' });
    expect(a.metadata.version).toBe(1);
    const g = await get('globex', id);
    expect(g).toMatchObject({ name: { en: 'globex copy' }, status: 'INACTIVE', siteCode: 'gsite' });
    expect(g.metadata.version).toBe(1);

    // A second PUT from globex updates only globex's copy.
    const again = await call('globex', 'PUT', `/segments/${id}`, { name: { en: 'globex v2' }, siteCode: 'gsite' });
    expect(again.statusCode).toBe(204);
    expect((await get('globex', id)).metadata.version).toBe(2);
    expect((await get('acme', id)).metadata.version).toBe(1);
  });

  test("PATCH of another tenant's segment → 404, nothing changed", async () => {
    const id = await create('acme', { name: { en: 'untouched' } });
    const res = await call('globex', 'PATCH', `/segments/${id}`, [{ op: 'replace', path: '/name', value: { en: 'hacked' } }]);
    await expectError(res, 404, 'PATCH-customer-segment-update-segment');
    const a = await get('acme', id);
    expect(a.name).toEqual({ en: 'untouched' });
    expect(a.metadata.version).toBe(1);
    expect(await row('globex', id)).toBeUndefined();
  });

  test("DELETE of another tenant's segment → 204 and the segment still exists", async () => {
    const id = await create('acme');
    const res = await call('globex', 'DELETE', `/segments/${id}?forceDelete=true`);
    expect(res.statusCode).toBe(204);
    await get('acme', id);
  });

  test('DELETE with the same id in both tenants removes only the caller’s', async () => {
    const id = await create('acme');
    await call('globex', 'PUT', `/segments/${id}`, { name: { en: 'g' }, siteCode: 'main' });
    expect((await call('globex', 'DELETE', `/segments/${id}`)).statusCode).toBe(204);
    expect(await row('globex', id)).toBeUndefined();
    await get('acme', id);
  });

  test("the other tenant's assignments neither block a DELETE nor get removed by forceDelete", async () => {
    const id = await create('acme');
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', id, 'c1'));
    await t.db.knex('item_assignments').insert(itemAssignmentRow('acme', id, 'p1'));
    // globex's own segment with the same id has no assignments: no forceDelete needed.
    await call('globex', 'PUT', `/segments/${id}`, { name: { en: 'g' }, siteCode: 'main' });
    expect((await call('globex', 'DELETE', `/segments/${id}`)).statusCode).toBe(204);
    // And forceDelete from globex (segment now missing there) leaves acme's rows alone.
    expect((await call('globex', 'DELETE', `/segments/${id}?forceDelete=true`)).statusCode).toBe(204);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: id })).toHaveLength(1);
    expect(await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: id })).toHaveLength(1);
    // acme still needs forceDelete for its own.
    const blocked = await call('acme', 'DELETE', `/segments/${id}`);
    await expectError(blocked, 400, 'DELETE-customer-segment-remove-segment');
    await get('acme', id);
  });

  test("globex's assignments on a same-id segment do not block acme", async () => {
    const id = await create('acme');
    await call('globex', 'PUT', `/segments/${id}`, { name: { en: 'g' }, siteCode: 'main' });
    await t.db.knex('customer_assignments').insert(assignmentRow('globex', id, 'c1'));
    expect((await call('acme', 'DELETE', `/segments/${id}`)).statusCode).toBe(204);
    expect(await row('acme', id)).toBeUndefined();
    expect(await row('globex', id)).toBeDefined();
    expect(await t.db.knex('customer_assignments').where({ tenant: 'globex', segment_id: id })).toHaveLength(1);
  });
});

describe('bulk endpoints', () => {
  interface BulkRes {
    index: number;
    id?: string;
    code: number;
  }

  test("POST /segments/bulk with the other tenant's ids → 201 each", async () => {
    const a = await create('acme', { name: { en: 'acme a' } });
    const b = await create('acme', { name: { en: 'acme b' } });
    const res = await call('globex', 'POST', '/segments/bulk', [
      { id: a, name: { en: 'g a' }, siteCode: 'main' },
      { id: b, name: { en: 'g b' }, siteCode: 'main' },
    ]);
    expect(res.statusCode).toBe(207);
    await expectContract('POST-customer-segment-create-segments-bulk', 207, res.json());
    expect((res.json() as BulkRes[]).map((r) => [r.index, r.code, r.id])).toEqual([
      [1, 201, a],
      [2, 201, b],
    ]);
    expect((await get('acme', a)).name).toEqual({ en: 'acme a' });
    expect((await get('globex', a)).name).toEqual({ en: 'g a' });
  });

  test("PUT /segments/bulk with the other tenant's ids creates (201), leaves the other's version alone", async () => {
    const a = await create('acme', { name: { en: 'acme a' } });
    const res = await call('globex', 'PUT', '/segments/bulk', [
      { id: a, name: { en: 'g' }, siteCode: 'main', metadata: { version: 1 } },
    ]);
    expect(res.statusCode).toBe(207);
    await expectContract('PUT-customer-segment-update-segments-bulk', 207, res.json());
    expect((res.json() as BulkRes[])[0]).toMatchObject({ index: 1, code: 201, id: a });
    const acmeSeg = await get('acme', a);
    expect(acmeSeg.name).toEqual({ en: 'acme a' });
    expect(acmeSeg.metadata.version).toBe(1);
    // Upserting again from globex updates globex's copy only.
    const again = await call('globex', 'PUT', '/segments/bulk', [{ id: a, name: { en: 'g2' }, siteCode: 'main' }]);
    expect((again.json() as BulkRes[])[0].code).toBe(204);
    expect((await get('acme', a)).metadata.version).toBe(1);
    expect((await get('globex', a)).metadata.version).toBe(2);
  });

  test("DELETE /segments/bulk of the other tenant's ids → 204 each, nothing of theirs deleted", async () => {
    const a = await create('acme');
    const b = await create('acme');
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', b, 'c1'));
    const res = await call('globex', 'DELETE', '/segments/bulk?forceDelete=true', [a, b]);
    expect(res.statusCode).toBe(207);
    await expectContract('DELETE-customer-segment-remove-segments-bulk', 207, res.json());
    expect((res.json() as BulkRes[]).map((r) => [r.index, r.code])).toEqual([
      [1, 204],
      [2, 204],
    ]);
    await get('acme', a);
    await get('acme', b);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: b })).toHaveLength(1);
  });
});

describe('GraphQL', () => {
  const SEGMENT = 'query($id: ID!) { segment(id: $id) { id name } }';

  test("segment(id) of another tenant's segment is null", async () => {
    const id = await create('acme');
    const g = await gql<{ segment: unknown }>(SEGMENT, { id }, { token: globex });
    expect(g.errors).toBeUndefined();
    expect(g.data?.segment).toBeNull();
    const a = await gql<{ segment: { id: string } }>(SEGMENT, { id }, { token: acme });
    expect(a.data?.segment?.id).toBe(id);
  });

  test('segments() neither lists nor counts the other tenant', async () => {
    const site = uid('gql-site');
    const a1 = await create('acme', { siteCode: site });
    await create('acme', { siteCode: site });
    const query = 'query($q: String) { segments(q: $q) { items { id } totalCount } }';
    const g = await gql<{ segments: { items: { id: string }[]; totalCount: number } }>(
      query,
      { q: `siteCode:"${site}"` },
      { token: globex },
    );
    expect(g.errors).toBeUndefined();
    expect(g.data?.segments).toEqual({ items: [], totalCount: 0 });
    const byId = await gql<{ segments: { items: unknown[]; totalCount: number } }>(query, { q: `id:${a1}` }, { token: globex });
    expect(byId.data?.segments.totalCount).toBe(0);
    const a = await gql<{ segments: { totalCount: number } }>(query, { q: `siteCode:"${site}"` }, { token: acme });
    expect(a.data?.segments.totalCount).toBe(2);
  });

  test("upsertSegment creates the caller's own copy; patchSegment of the other's → NOT_FOUND", async () => {
    const id = await create('acme', { name: { en: 'acme' } });
    const up = await gql<{ upsertSegment: { created: boolean; segment: { id: string; name: unknown } } }>(
      'mutation($id: ID!, $input: SegmentInput!) { upsertSegment(id: $id, input: $input) { created segment { id name } } }',
      { id, input: { name: { en: 'globex' }, siteCode: 'main', metadata: { version: 7 } } },
      { token: globex },
    );
    expect(up.errors).toBeUndefined();
    expect(up.data?.upsertSegment).toEqual({ created: true, segment: { id, name: { en: 'globex' } } });
    expect((await get('acme', id)).name).toEqual({ en: 'acme' });

    const onlyAcme = await create('acme', { name: { en: 'only acme' } });
    const patch = await gql(
      'mutation($id: ID!, $ops: [PatchOperationInput!]!) { patchSegment(id: $id, operations: $ops) { id } }',
      { id: onlyAcme, ops: [{ op: 'replace', path: '/status', value: 'ACTIVE' }] },
      { token: globex },
    );
    expect(patch.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const a = await get('acme', onlyAcme);
    expect(a.status).toBe('INACTIVE');
    expect(a.metadata.version).toBe(1);
  });

  test("createSegment with the other tenant's id succeeds; deleteSegment leaves the other's", async () => {
    const id = await create('acme');
    const c = await gql<{ createSegment: { id: string } }>(
      'mutation($input: SegmentInput!) { createSegment(input: $input) { id } }',
      { input: { id, name: { en: 'g' }, siteCode: 'main' } },
      { token: globex },
    );
    expect(c.errors).toBeUndefined();
    expect(c.data?.createSegment.id).toBe(id);
    const d = await gql<{ deleteSegment: boolean }>(
      'mutation($id: ID!) { deleteSegment(id: $id, forceDelete: true) }',
      { id },
      { token: globex },
    );
    expect(d.data?.deleteSegment).toBe(true);
    expect(await row('globex', id)).toBeUndefined();
    await get('acme', id);
  });

  test('bulk mutations stay in the caller tenant', async () => {
    const a = await create('acme', { name: { en: 'acme' } });
    const created = await gql<{ createSegments: { index: number; code: number; id: string }[] }>(
      'mutation($inputs: [SegmentInput!]!) { createSegments(inputs: $inputs) { index code id } }',
      { inputs: [{ id: a, name: { en: 'g' }, siteCode: 'main' }] },
      { token: globex },
    );
    expect(created.data?.createSegments).toEqual([{ index: 1, code: 201, id: a }]);
    const upserted = await gql<{ upsertSegments: { code: number }[] }>(
      'mutation($inputs: [SegmentInput!]!) { upsertSegments(inputs: $inputs) { code } }',
      { inputs: [{ id: a, name: { en: 'g2' }, siteCode: 'main' }] },
      { token: globex },
    );
    expect(upserted.data?.upsertSegments).toEqual([{ code: 204 }]);
    const deleted = await gql<{ deleteSegments: { code: number }[] }>(
      'mutation($ids: [ID!]!) { deleteSegments(ids: $ids) { code } }',
      { ids: [a] },
      { token: globex },
    );
    expect(deleted.data?.deleteSegments).toEqual([{ code: 204 }]);
    const acmeSeg = await get('acme', a);
    expect(acmeSeg.name).toEqual({ en: 'acme' });
    expect(acmeSeg.metadata.version).toBe(1);
    expect(await row('globex', a)).toBeUndefined();
  });
});
