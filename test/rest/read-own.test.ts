/**
 * docs/behaviour.md "What segment_read_own sees" and "customerId for administrators", over REST.
 *
 * Fixture (one per test file run, fresh ids): customer C belongs to
 *   s1 ACTIVE   B2C
 *   s2 ACTIVE   B2B with LE1
 *   s3 ACTIVE   B2B with LE2
 *   s4 INACTIVE B2C
 * and not to
 *   s5 ACTIVE   (assigned to customer D only)
 *   s6 ACTIVE   (no assignments)
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import { assignmentRow, expectError, guardRest, uid } from './_support';

const OP = {
  list: 'GET-customer-segment-retrieve-segments',
  search: 'POST-customer-segment-search-segments',
  get: 'GET-customer-segment-retrieve-segment',
} as const;

let t: TestApp;
let rest: TestApp['rest'];
const C = uid('cust-C');
const D = uid('cust-D');
const LE1 = uid('le1');
const LE2 = uid('le2');
const site = uid('own-site');
const s = { s1: uid('s1'), s2: uid('s2'), s3: uid('s3'), s4: uid('s4'), s5: uid('s5'), s6: uid('s6') };
let own: string; // read_own for C, no legal entity claim
let ownLE2: string; // read_own for C with legalEntityId claim LE2
let ownD: string;
let admin: string; // segment_read only

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
  const defs: [string, string][] = [
    [s.s1, 'ACTIVE'],
    [s.s2, 'ACTIVE'],
    [s.s3, 'ACTIVE'],
    [s.s4, 'INACTIVE'],
    [s.s5, 'ACTIVE'],
    [s.s6, 'ACTIVE'],
  ];
  for (const [id, status] of defs) {
    const res = await rest('POST', '/segments', { body: { id, name: { en: id, de: `${id}-de` }, siteCode: site, status } });
    expect(res.statusCode).toBe(201);
  }
  await t.db
    .knex('customer_assignments')
    .insert([
      assignmentRow('acme', s.s1, C),
      assignmentRow('acme', s.s2, C, LE1),
      assignmentRow('acme', s.s3, C, LE2),
      assignmentRow('acme', s.s4, C),
      assignmentRow('acme', s.s5, D),
    ]);
  own = await t.token({ scopes: [SCOPE.readOwn], customerId: C });
  ownLE2 = await t.token({ scopes: [SCOPE.readOwn], customerId: C, legalEntityId: LE2 });
  ownD = await t.token({ scopes: [SCOPE.readOwn], customerId: D });
  admin = await t.token({ scopes: [SCOPE.read] });
});
afterAll(() => t.close());

const sorted = (xs: string[]) => [...xs].sort();

async function listAs(token: string, query = '', headers?: Record<string, string>): Promise<string[]> {
  const res = await rest('GET', `/segments${query}`, { token, headers });
  if (res.statusCode !== 200) throw new Error(`list: ${res.statusCode} ${res.body}`);
  await expectContract(OP.list, 200, res.json());
  return sorted((res.json() as { id: string }[]).map((x) => x.id));
}

async function searchAs(token: string, q?: string, query = ''): Promise<string[]> {
  const res = await rest('POST', `/segments/search${query}`, { token, body: q === undefined ? {} : { q } });
  if (res.statusCode !== 200) throw new Error(`search: ${res.statusCode} ${res.body}`);
  await expectContract(OP.search, 200, res.json());
  return sorted((res.json() as { id: string }[]).map((x) => x.id));
}

describe('segment_read_own', () => {
  test('GET /segments: only the active segments the customer belongs to (B2C and every B2B)', async () => {
    expect(await listAs(own)).toEqual(sorted([s.s1, s.s2, s.s3]));
  });

  test('POST /segments/search: the same set, and q only narrows it', async () => {
    expect(await searchAs(own)).toEqual(sorted([s.s1, s.s2, s.s3]));
    expect(await searchAs(own, `id:(${s.s1},${s.s4},${s.s5},${s.s6})`)).toEqual([s.s1]);
    expect(await searchAs(own, 'status:INACTIVE')).toEqual([]);
    expect(await searchAs(own, `siteCode:"${site}"`)).toEqual(sorted([s.s1, s.s2, s.s3]));
  });

  test('X-Total-Count counts only what the customer may see', async () => {
    const res = await rest('GET', '/segments?pageSize=1', { token: own, headers: { 'x-total-count': 'true' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(1);
    expect(res.headers['x-total-count']).toBe('3');
  });

  test('another customer sees only its own', async () => {
    expect(await listAs(ownD)).toEqual([s.s5]);
  });

  test('a customer with no assignments sees nothing', async () => {
    const nobody = await t.token({ scopes: [SCOPE.readOwn], customerId: uid('nobody') });
    expect(await listAs(nobody)).toEqual([]);
    expect(await searchAs(nobody)).toEqual([]);
  });

  test('GET /segments/{id} of a member active segment → 200', async () => {
    for (const id of [s.s1, s.s2, s.s3]) {
      const res = await rest('GET', `/segments/${id}`, { token: own });
      expect(res.statusCode).toBe(200);
      await expectContract(OP.get, 200, res.json());
      expect(res.json().id).toBe(id);
    }
  });

  test('GET /segments/{id} of an inactive member, a non-member or a missing segment → 404, no data', async () => {
    for (const id of [s.s4, s.s5, s.s6, uid('missing')]) {
      const res = await rest('GET', `/segments/${id}`, { token: own });
      await expectError(res, 404, OP.get);
      expect(res.body).not.toContain(`${id}-de`);
    }
  });

  test('legalEntityId query parameter narrows B2B membership (B2C always counts)', async () => {
    expect(await listAs(own, `?legalEntityId=${LE1}`)).toEqual(sorted([s.s1, s.s2]));
    expect(await listAs(own, `?legalEntityId=${LE2}`)).toEqual(sorted([s.s1, s.s3]));
    expect(await listAs(own, `?legalEntityId=${uid('le-other')}`)).toEqual([s.s1]);
    expect(await searchAs(own, undefined, `?legalEntityId=${LE1}`)).toEqual(sorted([s.s1, s.s2]));
  });

  test('legalEntityId on GET /segments/{id}', async () => {
    const ok = await rest('GET', `/segments/${s.s2}?legalEntityId=${LE1}`, { token: own });
    expect(ok.statusCode).toBe(200);
    const b2c = await rest('GET', `/segments/${s.s1}?legalEntityId=${LE1}`, { token: own });
    expect(b2c.statusCode).toBe(200);
    const other = await rest('GET', `/segments/${s.s3}?legalEntityId=${LE1}`, { token: own });
    await expectError(other, 404, OP.get);
  });

  test("the token's legalEntityId claim narrows B2B membership; the query parameter wins over it", async () => {
    expect(await listAs(ownLE2)).toEqual(sorted([s.s1, s.s3]));
    expect(await listAs(ownLE2, `?legalEntityId=${LE1}`)).toEqual(sorted([s.s1, s.s2]));
    const res = await rest('GET', `/segments/${s.s2}`, { token: ownLE2 });
    await expectError(res, 404, OP.get);
    const visible = await rest('GET', `/segments/${s.s3}`, { token: ownLE2 });
    expect(visible.statusCode).toBe(200);
  });

  test('customerId query parameter with read_own only → 403', async () => {
    for (const customer of [C, D]) {
      const res = await rest('GET', `/segments?customerId=${customer}`, { token: own });
      await expectError(res, 403, OP.list);
      const search = await rest('POST', `/segments/search?customerId=${customer}`, { token: own, body: {} });
      await expectError(search, 403, OP.search);
    }
  });

  test('read_own cannot write', async () => {
    const res = await rest('POST', '/segments', { token: own, body: { name: { en: 'x' }, siteCode: site } });
    await expectError(res, 403, 'POST-customer-segment-create-segment');
    const patch = await rest('PATCH', `/segments/${s.s1}`, {
      token: own,
      body: [{ op: 'replace', path: '/status', value: 'INACTIVE' }],
    });
    await expectError(patch, 403, 'PATCH-customer-segment-update-segment');
  });

  test('deactivating a segment removes it from the member view; reactivating brings it back', async () => {
    const id = uid('toggle');
    expect(
      (await rest('POST', '/segments', { body: { id, name: { en: 't' }, siteCode: site, status: 'ACTIVE' } })).statusCode,
    ).toBe(201);
    const customer = uid('cust-T');
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', id, customer));
    const tok = await t.token({ scopes: [SCOPE.readOwn], customerId: customer });
    expect(await listAs(tok)).toEqual([id]);
    expect(
      (await rest('PATCH', `/segments/${id}`, { body: [{ op: 'replace', path: '/status', value: 'INACTIVE' }] })).statusCode,
    ).toBe(204);
    expect(await listAs(tok)).toEqual([]);
    await expectError(await rest('GET', `/segments/${id}`, { token: tok }), 404, OP.get);
    expect(
      (await rest('PATCH', `/segments/${id}`, { body: [{ op: 'replace', path: '/status', value: 'ACTIVE' }] })).statusCode,
    ).toBe(204);
    expect(await listAs(tok)).toEqual([id]);
  });

  test('Accept-Language applies to the member view too', async () => {
    const res = await rest('GET', `/segments/${s.s1}`, { token: own, headers: { 'accept-language': 'de' } });
    expect(res.json().name).toEqual({ de: `${s.s1}-de` });
  });
});

describe('segment_read with ?customerId= (administrators)', () => {
  test('every segment the customer belongs to, active or not', async () => {
    expect(await listAs(admin, `?customerId=${C}`)).toEqual(sorted([s.s1, s.s2, s.s3, s.s4]));
    expect(await searchAs(admin, undefined, `?customerId=${C}`)).toEqual(sorted([s.s1, s.s2, s.s3, s.s4]));
    expect(await listAs(admin, `?customerId=${D}`)).toEqual([s.s5]);
    expect(await listAs(admin, `?customerId=${uid('nobody')}`)).toEqual([]);
  });

  test('combined with q=status:ACTIVE', async () => {
    expect(await listAs(admin, `?customerId=${C}&q=${encodeURIComponent('status:ACTIVE')}`)).toEqual(sorted([s.s1, s.s2, s.s3]));
    expect(await searchAs(admin, 'status:INACTIVE', `?customerId=${C}`)).toEqual([s.s4]);
  });

  test('with legalEntityId: B2C plus B2B with that legal entity only', async () => {
    expect(await listAs(admin, `?customerId=${C}&legalEntityId=${LE1}`)).toEqual(sorted([s.s1, s.s2, s.s4]));
    expect(await listAs(admin, `?customerId=${C}&legalEntityId=${LE2}`)).toEqual(sorted([s.s1, s.s3, s.s4]));
  });

  test('X-Total-Count follows the customer filter', async () => {
    const res = await rest('GET', `/segments?customerId=${C}&pageSize=1`, { token: admin, headers: { 'x-total-count': 'true' } });
    expect(res.headers['x-total-count']).toBe('4');
  });

  test('without customerId an administrator sees everything, inactive and unassigned included', async () => {
    expect(await listAs(admin, `?q=${encodeURIComponent(`siteCode:"${site}"`)}`)).toEqual(
      expect.arrayContaining(Object.values(s)),
    );
    const res = await rest('GET', `/segments/${s.s6}`, { token: admin });
    expect(res.statusCode).toBe(200);
  });

  test('a token with both read scopes gets the administrator view (segment_read wins)', async () => {
    const both = await t.token({ scopes: [SCOPE.read, SCOPE.readOwn], customerId: C });
    const all = await listAs(both, `?q=${encodeURIComponent(`siteCode:"${site}"`)}`);
    expect(all).toEqual(expect.arrayContaining([s.s4, s.s5, s.s6]));
    expect(await listAs(both, `?customerId=${D}`)).toEqual([s.s5]);
  });
});
