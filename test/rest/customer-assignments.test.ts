/**
 * The ten customer-assignment endpoints of the REST contract: success and every documented error,
 * bodies validated against the OpenAPI contract. Behaviour follows docs/behaviour.md
 * ("Assignments and reference data", "What segment_read_own sees", "Bulk endpoints", "The q
 * language", "Paging…").
 */
import { SCOPE, startTestApp, type TestApp } from '../helpers/app';
import { expectContract } from '../helpers/contract';
import {
  assignmentRow,
  EXPIRED_TOKEN,
  expect400,
  expectError,
  expectFault,
  guardRest,
  INVALID_TOKEN,
  ISO_MS_Z,
  sleep,
  uid,
} from './_support';

const OP = {
  list: 'GET-customer-segment-retrieve-customers',
  search: 'POST-customer-segment-search-customers',
  getB2C: 'GET-customer-segment-retrieve-customer-by-customerId',
  putB2C: 'PUT-customer-segment-update-customer-by-customerId',
  delB2C: 'DELETE-customer-segment-remove-customer-by-customerId',
  getB2B: 'GET-customer-segment-retrieve-customer',
  putB2B: 'PUT-customer-segment-update-customer',
  delB2B: 'DELETE-customer-segment-remove-customer',
  bulkPut: 'PUT-customer-segment-update-customers-bulk',
  bulkDel: 'DELETE-customer-segment-remove-customers-bulk',
} as const;

const MSG_CHANGED = 'The resource you are attempting to access has changed.';

let t: TestApp;
let rest: TestApp['rest'];
const tok = {} as Record<'readOnly' | 'manageOnly' | 'readOwnAnon' | 'expired' | 'globex' | 'noScopes', string>;

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
  tok.readOnly = await t.token({ scopes: [SCOPE.read] });
  tok.manageOnly = await t.token({ scopes: [SCOPE.manage] });
  tok.readOwnAnon = await t.token({ scopes: [SCOPE.readOwn], customerId: 'cust-nobody' });
  tok.expired = await t.token({ expiresIn: '-1h' });
  tok.globex = await t.token({ tenant: 'globex' });
  tok.noScopes = await t.token({ scopes: ['some.other_scope'] });
});
afterAll(() => t.close());

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response documents are read loosely in assertions
type Json = Record<string, any>;
const enc = encodeURIComponent;

async function createSegment(extra: Record<string, unknown> = {}, tenant = 'acme', token?: string): Promise<string> {
  const res = await rest('POST', '/segments', { body: { name: { en: 'S' }, siteCode: 'main', ...extra }, tenant, token });
  if (res.statusCode !== 201) throw new Error(`create segment: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

function one(segmentId: string, customerId: string, legalEntityId?: string): string {
  const base = `/segments/${enc(segmentId)}/customers/${enc(customerId)}`;
  return legalEntityId === undefined ? base : `${base}/${enc(legalEntityId)}`;
}

async function put(segmentId: string, customerId: string, legalEntityId?: string, body?: unknown): Promise<number> {
  const res = await rest('PUT', one(segmentId, customerId, legalEntityId), { body: body ?? {} });
  if (res.statusCode !== 201 && res.statusCode !== 204) throw new Error(`PUT: ${res.statusCode} ${res.body}`);
  return res.statusCode;
}

async function get(segmentId: string, customerId: string, legalEntityId?: string): Promise<Json> {
  const res = await rest('GET', one(segmentId, customerId, legalEntityId));
  if (res.statusCode !== 200) throw new Error(`GET: ${res.statusCode} ${res.body}`);
  await expectContract(legalEntityId === undefined ? OP.getB2C : OP.getB2B, 200, res.json());
  return res.json();
}

/** GET …/customers with a query string, contract-checked; returns the body. */
async function list(
  segmentId: string,
  query = '',
  opts: { token?: string; headers?: Record<string, string> } = {},
): Promise<Json[]> {
  const res = await rest('GET', `/segments/${enc(segmentId)}/customers${query}`, opts);
  if (res.statusCode !== 200) throw new Error(`list ${query}: ${res.statusCode} ${res.body}`);
  await expectContract(OP.list, 200, res.json());
  return res.json();
}

/** "C1" for B2C, "C1/L1" for B2B: compact keys of a listing, in order. */
const keys = (items: Json[]): string[] =>
  items.map((a) => (a.legalEntity ? `${a.customer.id}/${a.legalEntity.id}` : a.customer.id));

async function stored(tenant: string, segmentId: string): Promise<string[]> {
  const rows: { customer_id: string; legal_entity_id: string }[] = await t.db
    .knex('customer_assignments')
    .where({ tenant, segment_id: segmentId })
    .orderBy(['customer_id', 'legal_entity_id']);
  return rows.map((r) => (r.legal_entity_id ? `${r.customer_id}/${r.legal_entity_id}` : r.customer_id));
}

// ---------------------------------------------------------------------------------------------
// Authentication, tenant and scope, for every endpoint
// ---------------------------------------------------------------------------------------------

interface Endpoint {
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** Tokens holding only scopes this endpoint does not accept. */
  wrongScopes: (keyof typeof tok)[];
}

const P = '/segments/auth-probe/customers';
const ENDPOINTS: Endpoint[] = [
  { op: OP.list, method: 'GET', path: P, wrongScopes: ['manageOnly', 'noScopes'] },
  {
    op: OP.search,
    method: 'POST',
    path: `${P}/search`,
    body: { q: 'assignmentType:MANUAL' },
    wrongScopes: ['manageOnly', 'readOwnAnon'],
  },
  { op: OP.getB2C, method: 'GET', path: `${P}/C1`, wrongScopes: ['manageOnly', 'readOwnAnon'] },
  { op: OP.putB2C, method: 'PUT', path: `${P}/C1`, body: {}, wrongScopes: ['readOnly', 'readOwnAnon'] },
  { op: OP.delB2C, method: 'DELETE', path: `${P}/C1`, wrongScopes: ['readOnly', 'readOwnAnon'] },
  { op: OP.getB2B, method: 'GET', path: `${P}/C1/L1`, wrongScopes: ['manageOnly', 'readOwnAnon'] },
  { op: OP.putB2B, method: 'PUT', path: `${P}/C1/L1`, body: {}, wrongScopes: ['readOnly', 'readOwnAnon'] },
  { op: OP.delB2B, method: 'DELETE', path: `${P}/C1/L1`, wrongScopes: ['readOnly', 'readOwnAnon'] },
  { op: OP.bulkPut, method: 'PUT', path: `${P}/bulk`, body: [{ customerId: 'C1' }], wrongScopes: ['readOnly', 'readOwnAnon'] },
  { op: OP.bulkDel, method: 'DELETE', path: `${P}/bulk`, body: [{ customerId: 'C1' }], wrongScopes: ['readOnly', 'readOwnAnon'] },
];

describe.each(ENDPOINTS)('$method $path: authentication and authorization', (e) => {
  test('no token → 401 Invalid access token', async () => {
    await expectFault(await rest(e.method, e.path, { body: e.body, token: null }), e.op, INVALID_TOKEN);
  });

  test('expired token → 401 Access Token expired', async () => {
    await expectFault(await rest(e.method, e.path, { body: e.body, token: tok.expired }), e.op, EXPIRED_TOKEN);
  });

  test("another tenant's token → 401", async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: tok.globex });
    await expectFault(res, e.op, { faultstring: /^Invalid access token/, errorcode: 'oauth.v2.InvalidAccessToken' });
  });

  test('malformed path tenant → 400', async () => {
    const res = await rest(e.method, e.path, { body: e.body, tenant: 'Bad_Tenant' });
    await expect400(res, e.op, 'tenant');
  });

  test('missing scope → 403 Error body', async () => {
    for (const name of e.wrongScopes) {
      await expectError(await rest(e.method, e.path, { body: e.body, token: tok[name] }), 403, e.op);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// PUT / GET / DELETE of one assignment
// ---------------------------------------------------------------------------------------------

describe('B2C assignment: PUT, GET, DELETE', () => {
  test('PUT creates (201, no body), GET returns the CustomerAssignmentB2CResponse', async () => {
    const s = await createSegment();
    const body = {
      mixins: { segmentAttributes: { membershipStatus: 'PREMIUM' } },
      metadata: { mixins: { segmentAttributes: 'https://example.com/segmentAttributes.json' } },
    };
    const res = await rest('PUT', one(s, 'C1'), { body });
    expect(res.statusCode).toBe(201);
    expect(res.body).toBe('');
    const a = await get(s, 'C1');
    expect(a).toEqual({
      customer: { id: 'C1' },
      assignmentType: 'MANUAL',
      mixins: body.mixins,
      metadata: {
        createdAt: expect.stringMatching(ISO_MS_Z),
        modifiedAt: a.metadata.createdAt,
        version: 1,
        mixins: body.metadata.mixins,
      },
    });
  });

  test('PUT without a body creates a bare assignment', async () => {
    const s = await createSegment();
    const res = await rest('PUT', one(s, 'C1'));
    expect(res.statusCode).toBe(201);
    const a = await get(s, 'C1');
    expect(a.mixins).toBeUndefined();
    expect(a.metadata.version).toBe(1);
  });

  test('PUT on an existing one replaces its mixins (204), version +1, createdAt kept', async () => {
    const s = await createSegment();
    await put(s, 'C1', undefined, { mixins: { a: 1, b: 2 } });
    const before = await get(s, 'C1');
    await sleep(5);
    const res = await rest('PUT', one(s, 'C1'), { body: { mixins: { c: 3 } } });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const after = await get(s, 'C1');
    expect(after.mixins).toEqual({ c: 3 });
    expect(after.metadata.version).toBe(2);
    expect(after.metadata.createdAt).toBe(before.metadata.createdAt);
    expect(Date.parse(after.metadata.modifiedAt)).toBeGreaterThan(Date.parse(before.metadata.modifiedAt));
  });

  test('createdAt/modifiedAt in the body are ignored; a body from GET can be sent back', async () => {
    const s = await createSegment();
    await put(s, 'C1', undefined, { mixins: { a: 1 } });
    const fetched = await get(s, 'C1');
    const res = await rest('PUT', one(s, 'C1'), {
      body: { ...fetched, metadata: { ...fetched.metadata, createdAt: '2000-01-01T00:00:00.000Z' } },
    });
    expect(res.statusCode).toBe(204);
    const after = await get(s, 'C1');
    expect(after.metadata.createdAt).toBe(fetched.metadata.createdAt);
    expect(after.metadata.version).toBe(2);
  });

  test('GET of a missing assignment → 404', async () => {
    const s = await createSegment();
    await put(s, 'C1', 'L1');
    const res = await rest('GET', one(s, 'C1'));
    await expectError(res, 404, OP.getB2C);
  });

  test('DELETE → 204, then gone; again → 204', async () => {
    const s = await createSegment();
    await put(s, 'C1');
    await put(s, 'C1', 'L1');
    const res = await rest('DELETE', one(s, 'C1'));
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect(await stored('acme', s)).toEqual(['C1/L1']);
    expect((await rest('DELETE', one(s, 'C1'))).statusCode).toBe(204);
  });

  test('fields projection keeps customer.id', async () => {
    const s = await createSegment();
    await put(s, 'C1', undefined, { mixins: { a: 1 } });
    const res = await rest('GET', `${one(s, 'C1')}?fields=assignmentType`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ customer: { id: 'C1' }, assignmentType: 'MANUAL' });
  });
});

describe('B2B assignment: PUT, GET, DELETE', () => {
  test('PUT creates (201), GET returns the CustomerAssignmentResponse with the legal entity', async () => {
    const s = await createSegment();
    expect(await put(s, 'C1', 'L1', { mixins: { x: true } })).toBe(201);
    const a = await get(s, 'C1', 'L1');
    expect(a).toMatchObject({ customer: { id: 'C1' }, legalEntity: { id: 'L1' }, assignmentType: 'MANUAL', mixins: { x: true } });
    expect(a.metadata.version).toBe(1);
  });

  test('B2C and B2B assignments of one customer are distinct', async () => {
    const s = await createSegment();
    expect(await put(s, 'C1')).toBe(201);
    expect(await put(s, 'C1', 'L1')).toBe(201);
    expect(await put(s, 'C1', 'L2')).toBe(201);
    expect(await put(s, 'C1', 'L1')).toBe(204);
    expect(await stored('acme', s)).toEqual(['C1', 'C1/L1', 'C1/L2']);
    expect((await get(s, 'C1')).legalEntity).toBeUndefined();
    expect((await get(s, 'C1', 'L2')).legalEntity).toEqual({ id: 'L2' });
    expect((await rest('DELETE', one(s, 'C1', 'L1'))).statusCode).toBe(204);
    expect(await stored('acme', s)).toEqual(['C1', 'C1/L2']);
  });

  test('GET of a missing B2B assignment → 404 (a B2C one does not count)', async () => {
    const s = await createSegment();
    await put(s, 'C1');
    await expectError(await rest('GET', one(s, 'C1', 'L1')), 404, OP.getB2B);
  });

  test('DELETE of a missing B2B assignment → 204', async () => {
    const s = await createSegment();
    expect((await rest('DELETE', one(s, 'C9', 'L9'))).statusCode).toBe(204);
  });

  test('fields projection keeps customer.id and legalEntity.id', async () => {
    const s = await createSegment();
    await put(s, 'C1', 'L1', { mixins: { a: 1, b: 2 } });
    const res = await rest('GET', `${one(s, 'C1', 'L1')}?fields=mixins.a`);
    expect(res.json()).toEqual({ customer: { id: 'C1' }, legalEntity: { id: 'L1' }, mixins: { a: 1 } });
  });
});

describe('Ids in the path', () => {
  test.each([
    ['GET', OP.getB2B],
    ['PUT', OP.putB2B],
    ['DELETE', OP.delB2B],
  ] as const)('%s with an empty legal entity (…/C1/) → 400 naming legalEntityId', async (method, op) => {
    const s = await createSegment();
    const res = await rest(method, `/segments/${s}/customers/C1/`, { body: method === 'PUT' ? {} : undefined });
    await expect400(res, op, 'legalEntityId');
    expect(await stored('acme', s)).toEqual([]);
  });

  test.each([
    ['GET', OP.getB2B],
    ['PUT', OP.putB2B],
    ['DELETE', OP.delB2B],
  ] as const)('%s with a blank legal entity (%%20) → 400 naming legalEntityId', async (method, op) => {
    const s = await createSegment();
    const res = await rest(method, `/segments/${s}/customers/C1/%20`, { body: method === 'PUT' ? {} : undefined });
    await expect400(res, op, 'legalEntityId');
  });

  test('a blank customer id → 400 naming customerId', async () => {
    const s = await createSegment();
    await expect400(await rest('PUT', `/segments/${s}/customers/%20`, { body: {} }), OP.putB2C, 'customerId');
    await expect400(await rest('GET', `/segments/${s}/customers/a%20b`), OP.getB2C, 'customerId');
  });

  test('an id longer than 64 characters → 400', async () => {
    const s = await createSegment();
    await expect400(await rest('PUT', one(s, 'c'.repeat(65)), { body: {} }), OP.putB2C, 'customerId');
    await expect400(await rest('PUT', one(s, 'C1', 'l'.repeat(65)), { body: {} }), OP.putB2B, 'legalEntityId');
  });

  test('ids with characters that need escaping round-trip', async () => {
    const s = await createSegment();
    await put(s, 'c:1+x@y', 'le%1');
    const a = await get(s, 'c:1+x@y', 'le%1');
    expect(a.customer.id).toBe('c:1+x@y');
    expect(a.legalEntity.id).toBe('le%1');
  });

  test('ids are case-sensitive', async () => {
    const s = await createSegment();
    await put(s, 'abc');
    await put(s, 'ABC');
    expect(await stored('acme', s)).toEqual(['ABC', 'abc']);
    await expectError(await rest('GET', one(s, 'Abc')), 404, OP.getB2C);
  });
});

describe('Versions (optimistic locking)', () => {
  test.each([
    [undefined, OP.putB2C],
    ['L1', OP.putB2B],
  ])('legal entity %s: stale metadata.version → 409, nothing written; the right one → 204', async (le, op) => {
    const s = await createSegment();
    await put(s, 'C1', le, { mixins: { v: 1 } });
    await put(s, 'C1', le, { mixins: { v: 2 } });
    const res = await rest('PUT', one(s, 'C1', le), { body: { mixins: { v: 3 }, metadata: { version: 1 } } });
    await expectError(res, 409, op, MSG_CHANGED);
    const a = await get(s, 'C1', le);
    expect(a.mixins).toEqual({ v: 2 });
    expect(a.metadata.version).toBe(2);
    expect((await rest('PUT', one(s, 'C1', le), { body: { mixins: { v: 3 }, metadata: { version: 2 } } })).statusCode).toBe(204);
    expect((await get(s, 'C1', le)).metadata.version).toBe(3);
  });

  test('a version on create is ignored (201, version 1)', async () => {
    const s = await createSegment();
    expect(await put(s, 'C1', undefined, { metadata: { version: 42 } })).toBe(201);
    expect((await get(s, 'C1')).metadata.version).toBe(1);
  });
});

describe('Request bodies of the single PUT', () => {
  test.each([
    [{ mixins: 5 }, 'mixins'],
    [{ mixins: 'text' }, 'mixins'],
    [{ mixins: [1] }, 'mixins'],
    [{ metadata: { version: 'x' } }, 'metadata.version'],
    [{ metadata: { version: 1.5 } }, 'metadata.version'],
    [{ metadata: { version: -1 } }, 'metadata.version'],
    [{ metadata: 7 }, 'metadata'],
    [{ metadata: { mixins: { a: 5 } } }, 'metadata.mixins.a'],
    [[{ mixins: {} }], 'body'],
    ['"text"', 'body'],
  ])('%j → 400 naming %s, nothing written', async (body, field) => {
    const s = await createSegment();
    await expect400(await rest('PUT', one(s, 'C1'), { body }), OP.putB2C, field);
    await expect400(await rest('PUT', one(s, 'C1', 'L1'), { body }), OP.putB2B, field);
    expect(await stored('acme', s)).toEqual([]);
  });

  test('malformed JSON → 400', async () => {
    const s = await createSegment();
    await expect400(await rest('PUT', one(s, 'C1'), { body: '{"mixins": ' }), OP.putB2C, 'body');
  });

  test('unknown properties (an assignmentType, a customer) are ignored; the type stays MANUAL', async () => {
    const s = await createSegment();
    await put(s, 'C1', undefined, { assignmentType: 'AUTOMATIC', customer: { id: 'other' }, mixins: { a: 1 } });
    const a = await get(s, 'C1');
    expect(a.assignmentType).toBe('MANUAL');
    expect(a.customer).toEqual({ id: 'C1' });
  });
});

// ---------------------------------------------------------------------------------------------
// Missing segment
// ---------------------------------------------------------------------------------------------

describe('A segment that does not exist', () => {
  const s = 'no-such-segment';
  test('GET list, search, single → 404', async () => {
    await expectError(await rest('GET', `/segments/${s}/customers`), 404, OP.list);
    await expectError(await rest('POST', `/segments/${s}/customers/search`, { body: {} }), 404, OP.search);
    const body = await expectError(await rest('GET', one(s, 'C1')), 404, OP.getB2C);
    expect(body.message).toContain(s);
    await expectError(await rest('GET', one(s, 'C1', 'L1')), 404, OP.getB2B);
  });

  test('PUT single (B2C, B2B) and bulk → 404; nothing written', async () => {
    await expectError(await rest('PUT', one(s, 'C1'), { body: {} }), 404, OP.putB2C);
    await expectError(await rest('PUT', one(s, 'C1', 'L1'), { body: {} }), 404, OP.putB2B);
    await expectError(await rest('PUT', `/segments/${s}/customers/bulk`, { body: [{ customerId: 'C1' }] }), 404, OP.bulkPut);
    expect(await stored('acme', s)).toEqual([]);
  });

  test('DELETE single → 204, bulk → 207 with 204 each', async () => {
    expect((await rest('DELETE', one(s, 'C1'))).statusCode).toBe(204);
    expect((await rest('DELETE', one(s, 'C1', 'L1'))).statusCode).toBe(204);
    const res = await rest('DELETE', `/segments/${s}/customers/bulk`, {
      body: [{ customerId: 'C1' }, { customerId: 'C2', legalEntityId: 'L' }],
    });
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkDel, 207, res.json());
    expect(res.json()).toEqual([
      { index: 1, code: 204, status: 'OK' },
      { index: 2, code: 204, status: 'OK' },
    ]);
  });

  test('input errors come before existence: a bad q on a missing segment → 400', async () => {
    await expect400(await rest('GET', `/segments/${s}/customers?q=nope:1`), OP.list, 'q');
  });

  test('an assignment left after its segment was deleted with force is gone too', async () => {
    const seg = await createSegment();
    await put(seg, 'C1');
    expect((await rest('DELETE', `/segments/${seg}?forceDelete=true`)).statusCode).toBe(204);
    expect(await stored('acme', seg)).toEqual([]);
    await expectError(await rest('GET', one(seg, 'C1')), 404, OP.getB2C);
  });
});

// ---------------------------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------------------------

describe('PUT …/customers/bulk', () => {
  const bulk = (s: string, body: unknown, token?: string) => rest('PUT', `/segments/${enc(s)}/customers/bulk`, { body, token });

  test('a mix of creations, updates and failures: 207, 1-based index, elements independent', async () => {
    const s = await createSegment();
    await put(s, 'U1', undefined, { mixins: { v: 1 } });
    await put(s, 'U2', 'L1');
    const res = await bulk(s, [
      { customerId: 'N1', mixins: { a: 1 }, metadata: { mixins: { a: 'https://example.com/a.json' } } }, // 201
      { customerId: 'N2', legalEntityId: 'L1' }, // 201
      { customerId: 'U1', mixins: { v: 2 }, metadata: { version: 1 } }, // 204
      { customerId: 'U2', legalEntityId: 'L1', metadata: { version: 7 } }, // 409 stale
      { customerId: '' }, // 400
      { legalEntityId: 'L1' }, // 400 customerId missing
      { customerId: 'N3', mixins: 5 }, // 400
      { customerId: 'N4', legalEntityId: '' }, // 400
      'text', // 400
      { customerId: 'N1' }, // 409 repeated in this request
      { customerId: 'N5', metadata: { version: 'x' } }, // 400
    ]);
    expect(res.statusCode).toBe(207);
    const body = res.json() as Json[];
    await expectContract(OP.bulkPut, 207, body);
    expect(body.map((r) => [r.index, r.code, r.status])).toEqual([
      [1, 201, 'Created'],
      [2, 201, 'Created'],
      [3, 204, 'OK'],
      [4, 409, 'Conflict'],
      [5, 400, 'Bad Request'],
      [6, 400, 'Bad Request'],
      [7, 400, 'Bad Request'],
      [8, 400, 'Bad Request'],
      [9, 400, 'Bad Request'],
      [10, 409, 'Conflict'],
      [11, 400, 'Bad Request'],
    ]);
    for (const r of body) {
      expect(Object.keys(r).every((k) => ['index', 'code', 'status', 'message'].includes(k))).toBe(true);
      if (r.code >= 400) expect(typeof r.message).toBe('string');
      else expect(r.message).toBeUndefined();
    }
    expect(body[3].message).toBe(MSG_CHANGED);
    expect(body[4].message).toMatch(/customerId/);
    expect(body[5].message).toMatch(/customerId/);
    expect(body[6].message).toMatch(/mixins/);
    expect(body[7].message).toMatch(/legalEntityId/);
    expect(body[10].message).toMatch(/metadata\.version/);
    expect(await stored('acme', s)).toEqual(['N1', 'N2/L1', 'U1', 'U2/L1']);
    const n1 = await get(s, 'N1');
    expect(n1).toMatchObject({
      mixins: { a: 1 },
      assignmentType: 'MANUAL',
      metadata: { version: 1, mixins: { a: 'https://example.com/a.json' } },
    });
    const u1 = await get(s, 'U1');
    expect(u1.mixins).toEqual({ v: 2 });
    expect(u1.metadata.version).toBe(2);
    expect((await get(s, 'U2', 'L1')).metadata.version).toBe(1);
  });

  test('the contract example body works', async () => {
    const s = await createSegment();
    const res = await bulk(s, [
      {
        customerId: '98029737',
        legalEntityId: '660af2af69babe3cf6e40771',
        mixins: { segmentAttributes: { membershipStatus: 'PREMIUM' } },
        metadata: { mixins: { segmentAttributes: 'https://example.com/segmentAttributes.json' } },
      },
      { customerId: '18249883', legalEntityId: '628cd20c6e8b2432b6346ca6', metadata: { version: 1 } },
    ]);
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkPut, 207, res.json());
    expect(res.json().map((r: Json) => r.code)).toEqual([201, 201]);
  });

  test('200 elements are fine; 201 → 400 and nothing written', async () => {
    const s = await createSegment();
    const ok = await bulk(
      s,
      Array.from({ length: 200 }, (_, i) => ({ customerId: `c${i}` })),
    );
    expect(ok.statusCode).toBe(207);
    expect(ok.json()).toHaveLength(200);
    expect((await stored('acme', s)).length).toBe(200);
    const s2 = await createSegment();
    const res = await bulk(
      s2,
      Array.from({ length: 201 }, (_, i) => ({ customerId: `c${i}` })),
    );
    await expect400(res, OP.bulkPut, /200/);
    expect(await stored('acme', s2)).toEqual([]);
  });

  test.each([[{ customerId: 'C1' }], ['x'], [5], [null]])('a body that is not an array (%j) → 400', async (body) => {
    const s = await createSegment();
    await expect400(await bulk(s, body), OP.bulkPut, 'body');
  });

  test('an empty array → 207 []', async () => {
    const s = await createSegment();
    const res = await bulk(s, []);
    expect(res.statusCode).toBe(207);
    expect(res.json()).toEqual([]);
  });

  test('a whole bulk re-sent updates every element (204) and bumps versions', async () => {
    const s = await createSegment();
    const body = [{ customerId: 'A' }, { customerId: 'A', legalEntityId: 'L' }, { customerId: 'B' }];
    expect((await bulk(s, body)).json().map((r: Json) => r.code)).toEqual([201, 201, 201]);
    expect((await bulk(s, body)).json().map((r: Json) => r.code)).toEqual([204, 204, 204]);
    expect((await list(s)).map((a) => a.metadata.version)).toEqual([2, 2, 2]);
  });
});

describe('DELETE …/customers/bulk', () => {
  const bulkDel = (s: string, body: unknown) => rest('DELETE', `/segments/${enc(s)}/customers/bulk`, { body });

  test('207 with 204 per element; only the listed keys go (B2C and B2B apart)', async () => {
    const s = await createSegment();
    for (const [c, l] of [['A'], ['A', 'L1'], ['A', 'L2'], ['B'], ['C']] as [string, string?][]) await put(s, c, l);
    const res = await bulkDel(s, [
      { customerId: 'A' },
      { customerId: 'A', legalEntityId: 'L2' },
      { customerId: 'missing' },
      { customerId: '' },
      { legalEntityId: 'L1' },
      { customerId: 'B', legalEntityId: '' },
      42,
    ]);
    expect(res.statusCode).toBe(207);
    await expectContract(OP.bulkDel, 207, res.json());
    expect(res.json().map((r: Json) => [r.index, r.code])).toEqual([
      [1, 204],
      [2, 204],
      [3, 204],
      [4, 400],
      [5, 400],
      [6, 400],
      [7, 400],
    ]);
    expect(await stored('acme', s)).toEqual(['A/L1', 'B', 'C']);
  });

  test('more than 200 → 400, nothing deleted; not an array → 400', async () => {
    const s = await createSegment();
    await put(s, 'c0');
    await expect400(
      await bulkDel(
        s,
        Array.from({ length: 201 }, (_, i) => ({ customerId: `c${i}` })),
      ),
      OP.bulkDel,
      /200/,
    );
    expect(await stored('acme', s)).toEqual(['c0']);
    await expect400(await bulkDel(s, { customerId: 'c0' }), OP.bulkDel, 'body');
  });

  test('200 keys in one request', async () => {
    const s = await createSegment();
    const all = Array.from({ length: 200 }, (_, i) => ({ customerId: `c${i}`, legalEntityId: i % 2 ? 'L' : undefined }));
    await rest('PUT', `/segments/${s}/customers/bulk`, { body: all });
    expect((await stored('acme', s)).length).toBe(200);
    const res = await bulkDel(s, all);
    expect(res.json().every((r: Json) => r.code === 204)).toBe(true);
    expect(await stored('acme', s)).toEqual([]);
  });
});

describe('Literal paths win over /customers/{customerId}', () => {
  test('PUT and DELETE /customers/bulk are the bulk endpoints, not customer "bulk"', async () => {
    const s = await createSegment();
    const res = await rest('PUT', `/segments/${s}/customers/bulk`, { body: [{ customerId: 'C1' }] });
    expect(res.statusCode).toBe(207);
    expect(await stored('acme', s)).toEqual(['C1']);
    // An object body is not "the upsert body of customer bulk" but a bulk body that is not an array.
    await expect400(await rest('PUT', `/segments/${s}/customers/bulk`, { body: { mixins: {} } }), OP.bulkPut, 'body');
    expect(await stored('acme', s)).toEqual(['C1']);
    const del = await rest('DELETE', `/segments/${s}/customers/bulk`, { body: [{ customerId: 'C1' }] });
    expect(del.statusCode).toBe(207);
    expect(await stored('acme', s)).toEqual([]);
  });

  test('a customer called "bulk" or "search" is still reachable through the B2B paths and bulk', async () => {
    const s = await createSegment();
    await rest('PUT', `/segments/${s}/customers/bulk`, { body: [{ customerId: 'bulk' }, { customerId: 'search' }] });
    expect(await put(s, 'bulk', 'L1')).toBe(201);
    expect((await get(s, 'bulk', 'L1')).customer.id).toBe('bulk');
    expect(keys(await list(s, '?q=customerId:(bulk,search)&sort=customerId'))).toEqual(['bulk', 'bulk/L1', 'search']);
  });

  test('POST /customers/search is the search; other methods on the literal paths → 405', async () => {
    const s = await createSegment();
    await put(s, 'C1');
    const res = await rest('POST', `/segments/${s}/customers/search`, { body: {} });
    expect(res.statusCode).toBe(200);
    expect(keys(res.json())).toEqual(['C1']);
    await expectError(await rest('GET', `/segments/${s}/customers/bulk`), 405);
    await expectError(await rest('GET', `/segments/${s}/customers/search`), 405);
    await expectError(await rest('PATCH', one(s, 'C1'), { body: {} }), 405);
  });
});

// ---------------------------------------------------------------------------------------------
// Listing and searching: q, sort, paging, fields, X-Total-Count
// ---------------------------------------------------------------------------------------------

describe('GET …/customers and POST …/customers/search', () => {
  let s: string;
  beforeAll(async () => {
    s = await createSegment();
    // Created in this order, a few ms apart: the default order is creation time.
    const plan: [string, string | undefined, Json | undefined][] = [
      ['c3', undefined, { tier: 'gold', points: 10 }],
      ['c1', 'L2', { tier: 'silver', points: 9 }],
      ['c2', undefined, undefined],
      ['c1', undefined, { tier: 'Gold', points: 100 }],
      ['c2', 'L1', { tier: 'gold' }],
    ];
    for (const [c, l, mixins] of plan) {
      await put(s, c, l, mixins ? { mixins } : {});
      await sleep(3);
    }
    await put(s, 'c2', 'L1', { mixins: { tier: 'gold' } }); // version 2
    // An AUTOMATIC one, as the service itself would write it.
    await t.db
      .knex('customer_assignments')
      .insert({ ...assignmentRow('acme', s, 'auto1'), assignment_type: 'AUTOMATIC', created_at: Date.now() + 1000 });
  });

  test('default order: creation time', async () => {
    expect(keys(await list(s))).toEqual(['c3', 'c1/L2', 'c2', 'c1', 'c2/L1', 'auto1']);
  });

  test.each([
    ['customer.id:c1', ['c1/L2', 'c1']],
    ['customerId:c1', ['c1/L2', 'c1']],
    ['customerId:(c1,c3)', ['c3', 'c1/L2', 'c1']],
    ['legalEntity.id:L1', ['c2/L1']],
    ['legalEntityId:(L1,L2)', ['c1/L2', 'c2/L1']],
    ['legalEntityId:null', ['c3', 'c2', 'c1', 'auto1']],
    ['legalEntityId:missing', ['c3', 'c2', 'c1', 'auto1']],
    ['legalEntityId:exists', ['c1/L2', 'c2/L1']],
    ['legalEntityId:""', []],
    ['legalEntityId:~L', ['c1/L2', 'c2/L1']],
    ['assignmentType:MANUAL', ['c3', 'c1/L2', 'c2', 'c1', 'c2/L1']],
    ['assignmentType:AUTOMATIC', ['auto1']],
    ['mixins.tier:gold', ['c3', 'c2/L1']],
    ['mixins.tier:~gold', ['c3', 'c1', 'c2/L1']],
    ['mixins.points:>=10', ['c3', 'c1']],
    ['mixins.tier:missing', ['c2', 'auto1']],
    ['metadata.version:2', ['c2/L1']],
    ['metadata.version:>1 customerId:c2', ['c2/L1']],
    ['customerId:c2 legalEntityId:null', ['c2']],
  ])('q=%s', async (q, expected) => {
    expect(keys(await list(s, `?q=${enc(q)}`))).toEqual(expected);
    const res = await rest('POST', `/segments/${s}/customers/search`, { body: { q } });
    expect(res.statusCode).toBe(200);
    await expectContract(OP.search, 200, res.json());
    expect(keys(res.json())).toEqual(expected);
  });

  test('q on metadata.createdAt (and the alias) with instants', async () => {
    const all = await list(s);
    const third = all[2].metadata.createdAt as string;
    expect(keys(await list(s, `?q=${enc(`metadata.createdAt:>="${third}" assignmentType:MANUAL`)}`))).toEqual([
      'c2',
      'c1',
      'c2/L1',
    ]);
    expect(keys(await list(s, `?q=${enc(`metadataCreatedAt:<"${third}"`)}`))).toEqual(['c3', 'c1/L2']);
  });

  test.each([
    ['unknownField:1', 'q'],
    ['id:c1', 'q'],
    ['assignmentType:SOMETIMES', 'q'],
    ['metadata.version:abc', 'q'],
    ['customerId:(a,', 'q'],
  ])('bad q %s → 400 naming %s', async (q, field) => {
    await expect400(await rest('GET', `/segments/${s}/customers?q=${enc(q)}`), OP.list, field);
    await expect400(await rest('POST', `/segments/${s}/customers/search`, { body: { q } }), OP.search, field);
  });

  test('search body: none or {} lists everything; a non-string q → 400', async () => {
    const res = await rest('POST', `/segments/${s}/customers/search`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(6);
    await expect400(await rest('POST', `/segments/${s}/customers/search`, { body: { q: 5 } }), OP.search, 'q');
  });

  test.each([
    ['customerId', ['auto1', 'c1/L2', 'c1', 'c2', 'c2/L1', 'c3']],
    ['customer.id:desc,legalEntityId:desc', ['c3', 'c2/L1', 'c2', 'c1/L2', 'c1', 'auto1']],
    ['legalEntityId:desc,customerId', ['c1/L2', 'c2/L1', 'auto1', 'c1', 'c2', 'c3']],
    ['mixins.points:desc', ['c1', 'c3', 'c1/L2', 'c2', 'c2/L1', 'auto1']],
    ['metadata.version:DESC,customerId:asc', ['c2/L1', 'auto1', 'c1/L2', 'c1', 'c2', 'c3']],
    ['assignmentType,metadata.createdAt:desc', ['auto1', 'c2/L1', 'c1', 'c2', 'c1/L2', 'c3']],
  ])('sort=%s', async (sort, expected) => {
    expect(keys(await list(s, `?sort=${enc(sort)}`))).toEqual(expected);
  });

  test.each(['nope', 'customerId:sideways', 'id'])('bad sort %s → 400 naming sort', async (sort) => {
    await expect400(await rest('GET', `/segments/${s}/customers?sort=${enc(sort)}`), OP.list, 'sort');
  });

  test('paging: pageSize and pageNumber over the default order; past the end is []', async () => {
    expect(keys(await list(s, '?pageSize=2'))).toEqual(['c3', 'c1/L2']);
    expect(keys(await list(s, '?pageSize=2&pageNumber=2'))).toEqual(['c2', 'c1']);
    expect(keys(await list(s, '?pageSize=4&pageNumber=2'))).toEqual(['c2/L1', 'auto1']);
    expect(await list(s, '?pageSize=2&pageNumber=9')).toEqual([]);
    const res = await rest('POST', `/segments/${s}/customers/search?pageSize=1&pageNumber=3&sort=customerId`, {
      body: { q: 'legalEntityId:null' },
    });
    expect(keys(res.json())).toEqual(['c2']);
  });

  test.each([
    ['pageSize=0', 'pageSize'],
    ['pageSize=1001', 'pageSize'],
    ['pageSize=x', 'pageSize'],
    ['pageNumber=0', 'pageNumber'],
    ['pageNumber=1.5', 'pageNumber'],
  ])('%s → 400', async (query, field) => {
    await expect400(await rest('GET', `/segments/${s}/customers?${query}`), OP.list, field);
  });

  test('X-Total-Count: true → the number of matches ignoring paging; absent → no header', async () => {
    let res = await rest('GET', `/segments/${s}/customers?pageSize=2&q=${enc('legalEntityId:null')}`, {
      headers: { 'x-total-count': 'true' },
    });
    expect(res.headers['x-total-count']).toBe('4');
    expect(res.json()).toHaveLength(2);
    res = await rest('POST', `/segments/${s}/customers/search?pageSize=1`, {
      body: { q: 'customerId:c1' },
      headers: { 'x-total-count': 'true' },
    });
    expect(res.headers['x-total-count']).toBe('2');
    res = await rest('GET', `/segments/${s}/customers`);
    expect(res.headers['x-total-count']).toBeUndefined();
  });

  test('fields keeps the identifying ids and the named paths', async () => {
    const items = await list(s, `?fields=mixins.tier&q=${enc('customerId:(c1,c2)')}`);
    expect(items).toEqual([
      { customer: { id: 'c1' }, legalEntity: { id: 'L2' }, mixins: { tier: 'silver' } },
      { customer: { id: 'c2' } },
      { customer: { id: 'c1' }, mixins: { tier: 'Gold' } },
      { customer: { id: 'c2' }, legalEntity: { id: 'L1' }, mixins: { tier: 'gold' } },
    ]);
    await expect400(await rest('GET', `/segments/${s}/customers?fields=${enc('a b')}`), OP.list, 'fields');
  });

  test('an empty segment lists []', async () => {
    const empty = await createSegment();
    expect(await list(empty)).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Embedding from the reference store
// ---------------------------------------------------------------------------------------------

describe('customer and legalEntity come from the reference store', () => {
  test('known ids are embedded, unknown ones carry the id alone, missing values are absent', async () => {
    const s = await createSegment();
    await t.db.knex('customers').insert([
      { tenant: 'acme', id: 'emb-john', first_name: 'John', last_name: 'Doe', email: 'john.doe@email.com' },
      { tenant: 'acme', id: 'emb-jane', first_name: 'Jane', last_name: null, email: null },
      // Same id in another tenant: never seen from acme.
      { tenant: 'globex', id: 'emb-ghost', first_name: 'Ghost', last_name: 'G', email: 'g@globex' },
    ]);
    await t.db.knex('legal_entities').insert([
      { tenant: 'acme', id: 'emb-co', name: 'SomeCompany' },
      { tenant: 'globex', id: 'emb-globex-co', name: 'Globex' },
    ]);
    await put(s, 'emb-john', 'emb-co');
    await put(s, 'emb-jane');
    await put(s, 'emb-ghost', 'emb-globex-co');
    await put(s, 'emb-john');

    expect(await get(s, 'emb-john', 'emb-co')).toMatchObject({
      customer: { id: 'emb-john', firstName: 'John', lastName: 'Doe', email: 'john.doe@email.com' },
      legalEntity: { id: 'emb-co', name: 'SomeCompany' },
    });
    expect((await get(s, 'emb-jane')).customer).toEqual({ id: 'emb-jane', firstName: 'Jane' });
    const ghost = await get(s, 'emb-ghost', 'emb-globex-co');
    expect(ghost.customer).toEqual({ id: 'emb-ghost' });
    expect(ghost.legalEntity).toEqual({ id: 'emb-globex-co' });

    // Four puts can share a millisecond; the default order then falls back to ids, so order by key here.
    const key = (a: Json) => `${(a.customer as Json).id}|${(a.legalEntity as Json | undefined)?.id ?? ''}`;
    const byPut = ['emb-john|emb-co', 'emb-jane|', 'emb-ghost|emb-globex-co', 'emb-john|'];
    const items = (await list(s)).sort((a, b) => byPut.indexOf(key(a)) - byPut.indexOf(key(b)));
    expect(items.map(key)).toEqual(byPut);
    expect(items.map((a) => a.customer)).toEqual([
      { id: 'emb-john', firstName: 'John', lastName: 'Doe', email: 'john.doe@email.com' },
      { id: 'emb-jane', firstName: 'Jane' },
      { id: 'emb-ghost' },
      { id: 'emb-john', firstName: 'John', lastName: 'Doe', email: 'john.doe@email.com' },
    ]);
    expect(items.map((a) => a.legalEntity)).toEqual([
      { id: 'emb-co', name: 'SomeCompany' },
      undefined,
      { id: 'emb-globex-co' },
      undefined,
    ]);
    // No null anywhere in a REST body.
    expect(JSON.stringify(items)).not.toContain('null');
  });
});

// ---------------------------------------------------------------------------------------------
// segment_read_own
// ---------------------------------------------------------------------------------------------

describe('segment_read_own: own assignments of active segments only', () => {
  let active: string;
  let inactive: string;
  const own = (extra: { legalEntityId?: string; customerId?: string } = {}) =>
    t.token({ scopes: [SCOPE.readOwn], customerId: 'me', ...extra });

  beforeAll(async () => {
    active = await createSegment({ status: 'ACTIVE' });
    inactive = await createSegment({ status: 'INACTIVE' });
    for (const [c, l] of [['me'], ['me', 'L1'], ['me', 'L2'], ['other'], ['other', 'L1']] as [string, string?][]) {
      await put(active, c, l);
      await put(inactive, c, l);
    }
  });

  test("lists only the caller's own B2C and B2B assignments", async () => {
    const token = await own();
    expect(keys(await list(active, '', { token }))).toEqual(['me', 'me/L1', 'me/L2']);
    const res = await rest('GET', `/segments/${active}/customers?pageSize=1`, { token, headers: { 'x-total-count': 'true' } });
    expect(res.headers['x-total-count']).toBe('3');
  });

  test('the legalEntityId parameter, else the token claim, narrows B2B ones', async () => {
    expect(keys(await list(active, '?legalEntityId=L1', { token: await own() }))).toEqual(['me', 'me/L1']);
    expect(keys(await list(active, '', { token: await own({ legalEntityId: 'L2' }) }))).toEqual(['me', 'me/L2']);
    expect(keys(await list(active, '?legalEntityId=L1', { token: await own({ legalEntityId: 'L2' }) }))).toEqual(['me', 'me/L1']);
  });

  test('q, sort and paging apply within the own assignments', async () => {
    const token = await own();
    expect(keys(await list(active, `?q=${enc('legalEntityId:exists')}&sort=legalEntityId:desc`, { token }))).toEqual([
      'me/L2',
      'me/L1',
    ]);
    expect(keys(await list(active, `?q=${enc('customerId:other')}`, { token }))).toEqual([]);
  });

  test('an inactive segment → 404, even for a member', async () => {
    await expectError(await rest('GET', `/segments/${inactive}/customers`, { token: await own() }), 404, OP.list);
  });

  test('a segment the caller does not belong to → 404; another customer sees none of mine', async () => {
    const stranger = await t.token({ scopes: [SCOPE.readOwn], customerId: 'stranger' });
    await expectError(await rest('GET', `/segments/${active}/customers`, { token: stranger }), 404, OP.list);
    const other = await t.token({ scopes: [SCOPE.readOwn], customerId: 'other' });
    expect(keys(await list(active, '', { token: other }))).toEqual(['other', 'other/L1']);
    // B2B membership only for L2: 'other' has a B2C one, so it still belongs, and sees only that.
    expect(keys(await list(active, '?legalEntityId=L2', { token: other }))).toEqual(['other']);
  });

  test('membership through a B2B assignment of another legal entity does not count', async () => {
    const s = await createSegment({ status: 'ACTIVE' });
    await put(s, 'b2b-only', 'L1');
    const token = await t.token({ scopes: [SCOPE.readOwn], customerId: 'b2b-only', legalEntityId: 'L9' });
    await expectError(await rest('GET', `/segments/${s}/customers`, { token }), 404, OP.list);
    expect(keys(await list(s, '?legalEntityId=L1', { token }))).toEqual(['b2b-only/L1']);
  });

  test('a missing segment → 404; a token without a customer identity → 403', async () => {
    await expectError(await rest('GET', '/segments/none-such/customers', { token: await own() }), 404, OP.list);
    const anon = await t.token({ scopes: [SCOPE.readOwn] });
    await expectError(await rest('GET', `/segments/${active}/customers`, { token: anon }), 403, OP.list);
  });

  test('search and single reads need segment_read', async () => {
    const token = await own();
    await expectError(await rest('POST', `/segments/${active}/customers/search`, { token, body: {} }), 403, OP.search);
    await expectError(await rest('GET', one(active, 'me'), { token }), 403, OP.getB2C);
    await expectError(await rest('GET', one(active, 'me', 'L1'), { token }), 403, OP.getB2B);
  });

  test('with segment_read as well, the caller reads everything', async () => {
    const token = await t.token({ scopes: [SCOPE.read, SCOPE.readOwn], customerId: 'me' });
    expect(await list(inactive, '', { token })).toHaveLength(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Tenancy: globex never sees, counts, changes or deletes acme's assignments
// ---------------------------------------------------------------------------------------------

describe('Tenancy', () => {
  let s: string;
  beforeAll(async () => {
    s = uid('shared');
    await createSegment({ id: s, status: 'ACTIVE' });
    await put(s, 'C1', undefined, { mixins: { owner: 'acme' } });
    await put(s, 'C1', 'L1', { mixins: { owner: 'acme' } });
  });

  const g = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>) =>
    rest(method, path, { tenant: 'globex', token: tok.globex, body, headers });

  test('without a globex segment of that id: reads and writes → 404, deletes → 204, acme untouched', async () => {
    await expectError(await g('GET', `/segments/${s}/customers`), 404, OP.list);
    await expectError(await g('POST', `/segments/${s}/customers/search`, {}), 404, OP.search);
    await expectError(await g('GET', one(s, 'C1')), 404, OP.getB2C);
    await expectError(await g('GET', one(s, 'C1', 'L1')), 404, OP.getB2B);
    await expectError(await g('PUT', one(s, 'C1'), { mixins: { owner: 'globex' } }), 404, OP.putB2C);
    await expectError(await g('PUT', one(s, 'C1', 'L1'), {}), 404, OP.putB2B);
    await expectError(await g('PUT', `/segments/${s}/customers/bulk`, [{ customerId: 'C1' }]), 404, OP.bulkPut);
    expect((await g('DELETE', one(s, 'C1'))).statusCode).toBe(204);
    expect((await g('DELETE', one(s, 'C1', 'L1'))).statusCode).toBe(204);
    const bulk = await g('DELETE', `/segments/${s}/customers/bulk`, [
      { customerId: 'C1' },
      { customerId: 'C1', legalEntityId: 'L1' },
    ]);
    expect(bulk.statusCode).toBe(207);
    expect(await stored('acme', s)).toEqual(['C1', 'C1/L1']);
    expect(await stored('globex', s)).toEqual([]);
    expect((await get(s, 'C1')).mixins).toEqual({ owner: 'acme' });
  });

  test('with a globex segment of the same id: each tenant sees, counts, changes and deletes only its own', async () => {
    await createSegment({ id: s, status: 'ACTIVE' }, 'globex', tok.globex);
    const gl = await g('GET', `/segments/${s}/customers`, undefined, { 'x-total-count': 'true' });
    expect(gl.statusCode).toBe(200);
    expect(gl.json()).toEqual([]);
    expect(gl.headers['x-total-count']).toBe('0');
    await expectError(await g('GET', one(s, 'C1')), 404, OP.getB2C);
    await expectError(await g('GET', one(s, 'C1', 'L1')), 404, OP.getB2B);
    const search = await g('POST', `/segments/${s}/customers/search`, { q: 'customerId:C1' });
    expect(search.json()).toEqual([]);

    // globex writes the same keys: creations in globex (201), acme's versions untouched.
    expect((await g('PUT', one(s, 'C1'), { mixins: { owner: 'globex' }, metadata: { version: 1 } })).statusCode).toBe(201);
    const bulk = await g('PUT', `/segments/${s}/customers/bulk`, [
      { customerId: 'C1', legalEntityId: 'L1', mixins: { owner: 'globex' } },
    ]);
    expect(bulk.json()[0].code).toBe(201);
    expect((await get(s, 'C1')).mixins).toEqual({ owner: 'acme' });
    expect((await get(s, 'C1')).metadata.version).toBe(1);
    expect(keys(await list(s))).toEqual(['C1', 'C1/L1']);

    // globex deletes its own; acme's stay.
    expect((await g('DELETE', one(s, 'C1'))).statusCode).toBe(204);
    await g('DELETE', `/segments/${s}/customers/bulk`, [{ customerId: 'C1', legalEntityId: 'L1' }]);
    expect(await stored('globex', s)).toEqual([]);
    expect(await stored('acme', s)).toEqual(['C1', 'C1/L1']);
  });

  test("a globex read_own token with acme's customer id sees nothing of acme", async () => {
    const token = await t.token({ tenant: 'globex', scopes: [SCOPE.readOwn], customerId: 'C1' });
    const res = await rest('GET', `/segments/${s}/customers`, { tenant: 'globex', token });
    expect([404, 200]).toContain(res.statusCode);
    if (res.statusCode === 200) expect(res.json()).toEqual([]);
    else await expectError(res, 404, OP.list);
  });
});
