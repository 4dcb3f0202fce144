/**
 * The ten segment endpoints of the REST contract, success and every documented error, each body
 * validated against the OpenAPI contract. Behaviour follows docs/behaviour.md.
 */
import type { LightMyRequestResponse } from 'fastify';
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
  itemAssignmentRow,
  type SegmentDoc,
  sleep,
  uid,
} from './_support';

const OP = {
  create: 'POST-customer-segment-create-segment',
  list: 'GET-customer-segment-retrieve-segments',
  search: 'POST-customer-segment-search-segments',
  get: 'GET-customer-segment-retrieve-segment',
  put: 'PUT-customer-segment-update-segment',
  patch: 'PATCH-customer-segment-update-segment',
  del: 'DELETE-customer-segment-remove-segment',
  bulkCreate: 'POST-customer-segment-create-segments-bulk',
  bulkUpsert: 'PUT-customer-segment-update-segments-bulk',
  bulkDelete: 'DELETE-customer-segment-remove-segments-bulk',
} as const;

const MSG_EXISTS = 'The resource already exists.';
const MSG_CHANGED = 'The resource you are attempting to access has changed.';

let t: TestApp;
let rest: TestApp['rest'];
const tok = {} as Record<'readOnly' | 'manageOnly' | 'readOwn' | 'expired' | 'globex' | 'noScopes', string>;

beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
  tok.readOnly = await t.token({ scopes: [SCOPE.read] });
  tok.manageOnly = await t.token({ scopes: [SCOPE.manage] });
  tok.readOwn = await t.token({ scopes: [SCOPE.readOwn], customerId: 'cust-nobody' });
  tok.expired = await t.token({ expiresIn: '-1h' });
  tok.globex = await t.token({ tenant: 'globex' });
  tok.noScopes = await t.token({ scopes: ['some.other_scope'] });
});
afterAll(() => t.close());

function seg(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: { en: 'Segment' }, siteCode: 'main', ...extra };
}

async function create(extra: Record<string, unknown> = {}, headers?: Record<string, string>): Promise<string> {
  const res = await rest('POST', '/segments', { body: seg(extra), headers });
  if (res.statusCode !== 201) throw new Error(`create failed: ${res.statusCode} ${res.body}`);
  return res.json().id as string;
}

async function getSeg(id: string, headers?: Record<string, string>): Promise<SegmentDoc> {
  const res = await rest('GET', `/segments/${encodeURIComponent(id)}`, { headers });
  if (res.statusCode !== 200) throw new Error(`GET ${id}: ${res.statusCode} ${res.body}`);
  await expectContract(OP.get, 200, res.json());
  return res.json();
}

/** Not stored for tenant acme (checked in the database: independent of GET's own 404 path). */
async function expectMissing(id: string): Promise<void> {
  expect(await t.db.knex('segments').where({ tenant: 'acme', id })).toHaveLength(0);
}

/** Ids returned by GET /segments?q=… in order (contract-checked). */
async function listIds(q: string, query = ''): Promise<string[]> {
  const res = await rest('GET', `/segments?q=${encodeURIComponent(q)}${query}`);
  if (res.statusCode !== 200) throw new Error(`list ${q}: ${res.statusCode} ${res.body}`);
  await expectContract(OP.list, 200, res.json());
  return (res.json() as { id: string }[]).map((s) => s.id);
}

async function countSite(siteCode: string): Promise<number> {
  const res = await rest('GET', `/segments?q=${encodeURIComponent(`siteCode:"${siteCode}"`)}&pageSize=1`, {
    headers: { 'x-total-count': 'true' },
  });
  expect(res.statusCode).toBe(200);
  return Number(res.headers['x-total-count']);
}

// ---------------------------------------------------------------------------------------------
// Authentication, tenant and scope, for every endpoint
// ---------------------------------------------------------------------------------------------

interface Endpoint {
  op: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** A token with every scope except those this endpoint accepts. */
  wrongScope: 'readOnly' | 'manageOnly';
}

const ENDPOINTS: Endpoint[] = [
  { op: OP.create, method: 'POST', path: '/segments', body: seg(), wrongScope: 'readOnly' },
  { op: OP.list, method: 'GET', path: '/segments', wrongScope: 'manageOnly' },
  { op: OP.search, method: 'POST', path: '/segments/search', body: { q: 'status:ACTIVE' }, wrongScope: 'manageOnly' },
  { op: OP.get, method: 'GET', path: '/segments/auth-probe', wrongScope: 'manageOnly' },
  { op: OP.put, method: 'PUT', path: '/segments/auth-probe', body: seg(), wrongScope: 'readOnly' },
  {
    op: OP.patch,
    method: 'PATCH',
    path: '/segments/auth-probe',
    body: [{ op: 'replace', path: '/status', value: 'ACTIVE' }],
    wrongScope: 'readOnly',
  },
  { op: OP.del, method: 'DELETE', path: '/segments/auth-probe', wrongScope: 'readOnly' },
  { op: OP.bulkCreate, method: 'POST', path: '/segments/bulk', body: [seg()], wrongScope: 'readOnly' },
  { op: OP.bulkUpsert, method: 'PUT', path: '/segments/bulk', body: [seg({ id: 'auth-probe' })], wrongScope: 'readOnly' },
  { op: OP.bulkDelete, method: 'DELETE', path: '/segments/bulk', body: ['auth-probe'], wrongScope: 'readOnly' },
];

describe.each(ENDPOINTS)('$method $path: authentication and authorization', (e) => {
  test('no token → 401 Invalid access token', async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: null });
    await expectFault(res, e.op, INVALID_TOKEN);
  });

  test('garbage token → 401', async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: 'not.a.jwt' });
    await expectFault(res, e.op, INVALID_TOKEN);
  });

  test('Authorization header that is not Bearer → 401', async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: null, headers: { authorization: 'Basic YWRtaW46YWRtaW4=' } });
    await expectFault(res, e.op, INVALID_TOKEN);
  });

  test('token signed with another secret → 401', async () => {
    const good = await t.token();
    const [h, p] = good.split('.');
    const forged = `${h}.${p}.${Buffer.from('x'.repeat(32)).toString('base64url')}`;
    const res = await rest(e.method, e.path, { body: e.body, token: forged });
    await expectFault(res, e.op, INVALID_TOKEN);
  });

  test('expired token → 401 Access Token expired', async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: tok.expired });
    await expectFault(res, e.op, EXPIRED_TOKEN);
  });

  test("another tenant's token → 401", async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: tok.globex });
    await expectFault(res, e.op, { faultstring: /^Invalid access token/, errorcode: 'oauth.v2.InvalidAccessToken' });
  });

  test('token without the needed scope → 403 Error body', async () => {
    const res = await rest(e.method, e.path, { body: e.body, token: tok[e.wrongScope] });
    await expectError(res, 403, e.op);
    const none = await rest(e.method, e.path, { body: e.body, token: tok.noScopes });
    await expectError(none, 403, e.op);
  });

  test('malformed tenant in the path → 400 (after the token check)', async () => {
    for (const tenant of ['A!', 'ab', 'Acme', '1acme', 'abcdefghijklmnopq']) {
      const res = await rest(e.method, e.path, { body: e.body, tenant });
      await expect400(res, e.op, 'tenant');
    }
    // Token first: without one the malformed tenant is not even looked at.
    const res = await rest(e.method, e.path, { body: e.body, tenant: 'A!', token: null });
    await expectFault(res, e.op, INVALID_TOKEN);
  });
});

test('a 16-character tenant is well-formed (401 for a token of another tenant, not 400)', async () => {
  const res = await rest('GET', '/segments', { tenant: 'abcdefghijklmnop' });
  await expectFault(res, OP.list, { faultstring: /^Invalid access token/, errorcode: 'oauth.v2.InvalidAccessToken' });
});

test('scopes are independent: segment_manage alone can write but not read', async () => {
  const created = await rest('POST', '/segments', { body: seg(), token: tok.manageOnly });
  expect(created.statusCode).toBe(201);
  await expectContract(OP.create, 201, created.json());
  const read = await rest('GET', `/segments/${created.json().id}`, { token: tok.manageOnly });
  await expectError(read, 403, OP.get);
  const reader = await rest('GET', `/segments/${created.json().id}`, { token: tok.readOnly });
  expect(reader.statusCode).toBe(200);
});

// ---------------------------------------------------------------------------------------------
// POST /segments
// ---------------------------------------------------------------------------------------------

describe('POST /segments', () => {
  test('201 with a generated 24-hex id; version 1, createdAt = modifiedAt, status INACTIVE', async () => {
    const res = await rest('POST', '/segments', { body: { name: { en: 'Gold' }, siteCode: 'main' } });
    expect(res.statusCode).toBe(201);
    await expectContract(OP.create, 201, res.json());
    expect(Object.keys(res.json())).toEqual(['id']);
    const id = res.json().id as string;
    expect(id).toMatch(/^[0-9a-f]{24}$/);
    const s = await getSeg(id);
    expect(s).toMatchObject({ id, name: { en: 'Gold' }, siteCode: 'main', status: 'INACTIVE' });
    expect(s.metadata.version).toBe(1);
    expect(s.metadata.createdAt).toMatch(ISO_MS_Z);
    expect(s.metadata.createdAt).toBe(s.metadata.modifiedAt);
    expect(Math.abs(Date.parse(s.metadata.createdAt) - Date.now())).toBeLessThan(60_000);
    const other = await create();
    expect(other).not.toBe(id);
  });

  test('201 with a custom id, stored verbatim with every field', async () => {
    const id = uid('Custom.ID_');
    const body = {
      id,
      name: { en: 'Gold', de: 'Gold DE' },
      description: { en: 'Our best customers' },
      validity: { from: '2024-04-17T08:00:00.000Z', to: '2024-05-17T08:00:00.000Z' },
      status: 'ACTIVE',
      siteCode: 'main',
      mixins: { segmentAttributes: { membershipStatus: 'gold', points: 1500, flags: [true, null] } },
      metadata: { mixins: { segmentAttributes: 'https://example.com/schemas/segment-attributes.v1.json' } },
    };
    const res = await rest('POST', '/segments', { body });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id });
    const s = await getSeg(id);
    expect(s).toMatchObject({ ...body, metadata: { ...body.metadata, version: 1 } });
    expect(Object.keys(s).sort()).toEqual(['description', 'id', 'metadata', 'mixins', 'name', 'siteCode', 'status', 'validity']);
  });

  test('ids are case-sensitive', async () => {
    const base = uid('CaseId');
    await create({ id: base, name: { en: 'upper' } });
    const lower = await rest('POST', '/segments', { body: seg({ id: base.toLowerCase(), name: { en: 'lower' } }) });
    expect(lower.statusCode).toBe(201);
    expect((await getSeg(base)).name).toEqual({ en: 'upper' });
    expect((await getSeg(base.toLowerCase())).name).toEqual({ en: 'lower' });
  });

  test('a 64-character id is accepted, 65 is a 400', async () => {
    const id64 = uid('x').padEnd(64, 'y');
    const ok = await rest('POST', '/segments', { body: seg({ id: id64 }) });
    expect(ok.statusCode).toBe(201);
    const bad = await rest('POST', '/segments', { body: seg({ id: `${id64}z` }) });
    await expect400(bad, OP.create, 'id');
  });

  test('409 when the id exists; the stored segment is untouched', async () => {
    const id = await create({ name: { en: 'first' } });
    const res = await rest('POST', '/segments', { body: seg({ id, name: { en: 'second' } }) });
    const body = await expectError(res, 409, OP.create, MSG_EXISTS);
    if (body.resourceId !== undefined) expect(body.resourceId).toBe(id);
    const s = await getSeg(id);
    expect(s.name).toEqual({ en: 'first' });
    expect(s.metadata.version).toBe(1);
  });

  test('createdAt/modifiedAt/version in the body are ignored on create', async () => {
    const id = uid();
    const res = await rest('POST', '/segments', {
      body: seg({ id, metadata: { version: 7, createdAt: '2000-01-01T00:00:00.000Z', modifiedAt: '2000-01-01T00:00:00.000Z' } }),
    });
    expect(res.statusCode).toBe(201);
    const s = await getSeg(id);
    expect(s.metadata.version).toBe(1);
    expect(s.metadata.createdAt.startsWith('2000')).toBe(false);
  });

  test('validity with a zone offset is stored and returned as UTC with milliseconds', async () => {
    const id = await create({ validity: { from: '2024-04-17T08:00:00+02:00', to: '2024-04-18T00:00:00Z' } });
    expect((await getSeg(id)).validity).toEqual({ from: '2024-04-17T06:00:00.000Z', to: '2024-04-18T00:00:00.000Z' });
  });

  test('Content-Type application/json with a charset is accepted', async () => {
    const res = await rest('POST', '/segments', {
      body: JSON.stringify(seg()),
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    expect(res.statusCode).toBe(201);
  });

  describe('400 for bad input, naming the field, nothing written', () => {
    const cases: [string, Record<string, unknown>, string | RegExp][] = [
      ['name is a number', { name: 5, siteCode: 'main' }, 'name'],
      ['name is missing', { siteCode: 'main' }, 'name'],
      ['name is an empty map', { name: {}, siteCode: 'main' }, 'name'],
      ['name key is not a language tag', { name: { 'not a tag!': 'x' }, siteCode: 'main' }, 'name'],
      ['name value is not a string', { name: { en: 5 }, siteCode: 'main' }, 'name'],
      ['description is a number', { name: { en: 'x' }, description: 5, siteCode: 'main' }, 'description'],
      ['siteCode is missing', { name: { en: 'x' } }, 'siteCode'],
      ['siteCode is a number', { name: { en: 'x' }, siteCode: 5 }, 'siteCode'],
      ['siteCode is empty', { name: { en: 'x' }, siteCode: '' }, 'siteCode'],
      ['status FOO', { name: { en: 'x' }, siteCode: 'main', status: 'FOO' }, 'status'],
      ['status lower case', { name: { en: 'x' }, siteCode: 'main', status: 'active' }, 'status'],
      ['validity.from is not a date', { name: { en: 'x' }, siteCode: 'main', validity: { from: 'nope' } }, 'validity.from'],
      [
        'validity.to is not a date',
        { name: { en: 'x' }, siteCode: 'main', validity: { to: '2024-13-45T99:00:00Z' } },
        'validity.to',
      ],
      [
        'validity.from after validity.to',
        { name: { en: 'x' }, siteCode: 'main', validity: { from: '2024-05-01T00:00:00.000Z', to: '2024-04-01T00:00:00.000Z' } },
        'validity',
      ],
      ['validity is a string', { name: { en: 'x' }, siteCode: 'main', validity: 'always' }, 'validity'],
      ['mixins is an array', { name: { en: 'x' }, siteCode: 'main', mixins: [1, 2] }, 'mixins'],
      [
        'metadata.mixins value is not a string',
        { name: { en: 'x' }, siteCode: 'main', metadata: { mixins: { a: 5 } } },
        'metadata.mixins',
      ],
      [
        'metadata.version is not an integer',
        { name: { en: 'x' }, siteCode: 'main', metadata: { version: 'one' } },
        'metadata.version',
      ],
      ['id is an empty string', { id: '', name: { en: 'x' }, siteCode: 'main' }, 'id'],
      ['id contains /', { id: 'a/b', name: { en: 'x' }, siteCode: 'main' }, 'id'],
      ['id contains whitespace', { id: 'a b', name: { en: 'x' }, siteCode: 'main' }, 'id'],
      ['id is an object', { id: { x: 1 }, name: { en: 'x' }, siteCode: 'main' }, 'id'],
    ];
    test.each(cases)('%s', async (_label, body, field) => {
      const site = uid('site-bad');
      const res = await rest('POST', '/segments', {
        body: { ...body, siteCode: body.siteCode === 'main' ? site : body.siteCode },
      });
      await expect400(res, OP.create, field);
      expect(await countSite(site)).toBe(0);
    });

    test('a valid id with an invalid field is not created', async () => {
      const id = uid();
      const res = await rest('POST', '/segments', { body: seg({ id, status: 'FOO' }) });
      await expect400(res, OP.create, 'status');
      await expectMissing(id);
    });

    test('body is a JSON array, a string or null → 400', async () => {
      for (const body of [[seg()], '"just a string"', 'null', '42']) {
        const res = await rest('POST', '/segments', { body });
        await expectError(res, 400, OP.create);
      }
    });

    test('malformed JSON → 400 Error body', async () => {
      const res = await rest('POST', '/segments', { body: '{"name": {"en": "x"}, "siteCode": ' });
      await expectError(res, 400, OP.create);
    });

    test('empty body with Content-Type application/json → 400', async () => {
      const res = await rest('POST', '/segments', { headers: { 'content-type': 'application/json' } });
      await expectError(res, 400, OP.create);
    });
  });

  describe('Content-Language', () => {
    test('a plain-string name is stored under the Content-Language', async () => {
      const id = await create({ name: 'Goldkunden', description: 'Die besten' }, { 'content-language': 'de' });
      const s = await getSeg(id);
      expect(s.name).toEqual({ de: 'Goldkunden' });
      expect(s.description).toEqual({ de: 'Die besten' });
    });

    test('without Content-Language a plain string goes under the default language (en)', async () => {
      const id = await create({ name: 'Gold customers' });
      expect((await getSeg(id)).name).toEqual({ en: 'Gold customers' });
    });

    test('a region tag is kept as sent', async () => {
      const id = await create({ name: 'Kunden' }, { 'content-language': 'de-CH' });
      expect((await getSeg(id)).name).toEqual({ 'de-CH': 'Kunden' });
    });

    test('a map is stored as is whatever Content-Language says', async () => {
      const id = await create({ name: { fr: 'Or', en: 'Gold' } }, { 'content-language': 'de' });
      expect((await getSeg(id)).name).toEqual({ fr: 'Or', en: 'Gold' });
    });

    test('Content-Language * with a plain string → 400; with a map it is fine', async () => {
      const id = uid();
      const res = await rest('POST', '/segments', { body: seg({ id, name: 'Gold' }), headers: { 'content-language': '*' } });
      await expect400(res, OP.create, 'name');
      await expectMissing(id);
      const ok = await rest('POST', '/segments', { body: seg({ name: { en: 'Gold' } }), headers: { 'content-language': '*' } });
      expect(ok.statusCode).toBe(201);
    });

    test('a Content-Language that is not a language tag → 400', async () => {
      const res = await rest('POST', '/segments', { body: seg({ name: 'Gold' }), headers: { 'content-language': 'not a tag!' } });
      await expect400(res, OP.create, 'Content-Language');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// GET /segments/{id}
// ---------------------------------------------------------------------------------------------

describe('GET /segments/{id}', () => {
  test('200 with the SegmentResponse', async () => {
    const id = await create({ status: 'ACTIVE', validity: { from: '2024-04-17T08:00:00Z' } });
    const res = await rest('GET', `/segments/${id}`);
    expect(res.statusCode).toBe(200);
    await expectContract(OP.get, 200, res.json());
    expect(res.json()).toMatchObject({ id, status: 'ACTIVE', validity: { from: '2024-04-17T08:00:00.000Z' } });
    expect(res.json().validity.to).toBeUndefined();
  });

  test('404 Error body for a missing id', async () => {
    const id = uid('missing');
    const res = await rest('GET', `/segments/${id}`);
    const body = await expectError(res, 404, OP.get);
    expect(body.message).toContain(id);
  });

  test('a deleted segment is no longer readable', async () => {
    const id = await create();
    expect((await rest('DELETE', `/segments/${id}`)).statusCode).toBe(204);
    await expectError(await rest('GET', `/segments/${id}`), 404, OP.get);
    expect(await listIds(`id:"${id}"`)).toEqual([]);
  });

  // Order of checks (docs/behaviour.md): input (400) before existence (404). The read path does not
  // check the id at all (segment.resolver.ts segment()), so an impossible id is looked up.
  test('an id containing / (escaped) or an empty id → 400, not a lookup', async () => {
    const res = await rest('GET', '/segments/a%2Fb');
    await expect400(res, OP.get, /id|segmentId/);
    const empty = await rest('GET', '/segments/');
    await expect400(empty, OP.get, /id|segmentId/);
  });

  test('fields cannot reach prototypes', async () => {
    const id = await create();
    const res = await rest('GET', `/segments/${id}?fields=__proto__,constructor,toString`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id });
  });

  test('fields projection keeps id and the named paths only', async () => {
    const id = await create({ name: { en: 'Gold', de: 'Gold DE' }, status: 'ACTIVE', description: { en: 'd' } });
    const res = await rest('GET', `/segments/${id}?fields=status`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id, status: 'ACTIVE' });
    // (A projection drops the contract's required name/siteCode: docs/behaviour.md wins over the schema.)
    const nested = await rest('GET', `/segments/${id}?fields=name.de,metadata.version`);
    expect(nested.json()).toEqual({ id, name: { de: 'Gold DE' }, metadata: { version: 1 } });
  });

  test('fields with an invalid path → 400', async () => {
    const id = await create();
    const res = await rest('GET', `/segments/${id}?fields=${encodeURIComponent('name..en')}`);
    await expect400(res, OP.get, 'fields');
  });
});

// ---------------------------------------------------------------------------------------------
// PUT /segments/{id}
// ---------------------------------------------------------------------------------------------

describe('PUT /segments/{id}', () => {
  test('201 {id} when missing (any version ignored), then 204 with the version incremented', async () => {
    const id = uid('put');
    const created = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: 'v1' }, metadata: { version: 42 } }) });
    expect(created.statusCode).toBe(201);
    await expectContract(OP.put, 201, created.json());
    expect(created.json()).toEqual({ id });
    const v1 = await getSeg(id);
    expect(v1.metadata.version).toBe(1);

    await sleep(5);
    const updated = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: 'v2' }, status: 'ACTIVE' }) });
    expect(updated.statusCode).toBe(204);
    expect(updated.body).toBe('');
    const v2 = await getSeg(id);
    expect(v2).toMatchObject({ name: { en: 'v2' }, status: 'ACTIVE' });
    expect(v2.metadata.version).toBe(2);
    expect(v2.metadata.createdAt).toBe(v1.metadata.createdAt);
    expect(v2.metadata.modifiedAt).toMatch(ISO_MS_Z);
    expect(Date.parse(v2.metadata.modifiedAt)).toBeGreaterThan(Date.parse(v1.metadata.modifiedAt));
  });

  test('with the current metadata.version → 204; a stale one → 409 and nothing written', async () => {
    const id = await create({ name: { en: 'orig' } });
    const ok = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: 'v2' }, metadata: { version: 1 } }) });
    expect(ok.statusCode).toBe(204);
    const stale = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: 'v3' }, metadata: { version: 1 } }) });
    const body = await expectError(stale, 409, OP.put, MSG_CHANGED);
    if (body.resourceId !== undefined) expect(body.resourceId).toBe(id);
    const ahead = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: 'v3' }, metadata: { version: 3 } }) });
    await expectError(ahead, 409, OP.put, MSG_CHANGED);
    const s = await getSeg(id);
    expect(s.name).toEqual({ en: 'v2' });
    expect(s.metadata.version).toBe(2);
  });

  test('without metadata.version there is no check', async () => {
    const id = await create();
    for (let i = 0; i < 3; i++) {
      const res = await rest('PUT', `/segments/${id}`, { body: seg({ name: { en: `n${i}` } }) });
      expect(res.statusCode).toBe(204);
    }
    expect((await getSeg(id)).metadata.version).toBe(4);
  });

  test('a fetched document sent back as is (metadata with createdAt etc.) is accepted', async () => {
    const id = await create({ status: 'ACTIVE' });
    const doc = await getSeg(id);
    const res = await rest('PUT', `/segments/${id}`, { body: { ...doc, name: { en: 'changed' } } });
    expect(res.statusCode).toBe(204);
    const s = await getSeg(id);
    expect(s.name).toEqual({ en: 'changed' });
    expect(s.metadata.createdAt).toBe(doc.metadata.createdAt);
    expect(s.metadata.version).toBe(2);
  });

  test('PUT replaces the whole document (absent optional fields are removed)', async () => {
    const id = await create({
      description: { en: 'd' },
      mixins: { a: 1 },
      validity: { from: '2024-01-01T00:00:00Z' },
      status: 'ACTIVE',
    });
    const res = await rest('PUT', `/segments/${id}`, { body: { name: { en: 'only' }, siteCode: 'other' } });
    expect(res.statusCode).toBe(204);
    const s = await getSeg(id);
    expect(s).toMatchObject({ id, name: { en: 'only' }, siteCode: 'other', status: 'INACTIVE' });
    expect(s.description).toBeUndefined();
    expect(s.mixins).toBeUndefined();
    expect(s.validity).toBeUndefined();
  });

  test('the path id wins over an id in the body', async () => {
    const id = uid('path');
    const other = uid('body');
    const res = await rest('PUT', `/segments/${id}`, { body: seg({ id: other }) });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({ id });
    await getSeg(id);
    await expectMissing(other);
  });

  test('a plain-string name follows Content-Language', async () => {
    const id = uid('put-lang');
    const res = await rest('PUT', `/segments/${id}`, { body: seg({ name: 'Or' }), headers: { 'content-language': 'fr' } });
    expect(res.statusCode).toBe(201);
    expect((await getSeg(id)).name).toEqual({ fr: 'Or' });
  });

  test('400 for invalid bodies; nothing written', async () => {
    const id = await create({ name: { en: 'keep' } });
    const cases: [unknown, string][] = [
      [{ name: { en: 'x' } }, 'siteCode'],
      [{ siteCode: 'main' }, 'name'],
      [seg({ status: 'FOO' }), 'status'],
      [seg({ name: 5 }), 'name'],
      [seg({ validity: { from: 'nope' } }), 'validity.from'],
      [seg({ validity: { from: '2025-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z' } }), 'validity'],
      [[seg()], 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await rest('PUT', `/segments/${id}`, { body });
      await expect400(res, OP.put, field);
    }
    const malformed = await rest('PUT', `/segments/${id}`, { body: '{"name":' });
    await expectError(malformed, 400, OP.put);
    const s = await getSeg(id);
    expect(s.name).toEqual({ en: 'keep' });
    expect(s.metadata.version).toBe(1);
  });

  test('bad ids in the path → 400 and nothing created', async () => {
    for (const path of ['a%2Fb', 'with%20space', 'x'.repeat(65)]) {
      const res = await rest('PUT', `/segments/${path}`, { body: seg() });
      await expect400(res, OP.put, 'id');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// PATCH /segments/{id}
// ---------------------------------------------------------------------------------------------

describe('PATCH /segments/{id}', () => {
  const base = () =>
    create({
      name: { en: 'Gold', de: 'Gold DE' },
      description: { en: 'desc' },
      status: 'INACTIVE',
      mixins: { a: { b: 1, keep: true } },
      validity: { from: '2024-01-01T00:00:00.000Z' },
    });

  async function patch(id: string, ops: unknown, headers?: Record<string, string>): Promise<LightMyRequestResponse> {
    return rest('PATCH', `/segments/${encodeURIComponent(id)}`, { body: ops, headers });
  }

  test('replace /status → 204, version + 1, modifiedAt moves, rest untouched', async () => {
    const id = await base();
    const before = await getSeg(id);
    await sleep(5);
    const res = await patch(id, [{ op: 'replace', path: '/status', value: 'ACTIVE' }]);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    const s = await getSeg(id);
    expect(s.status).toBe('ACTIVE');
    expect(s.metadata.version).toBe(2);
    expect(s.metadata.createdAt).toBe(before.metadata.createdAt);
    expect(Date.parse(s.metadata.modifiedAt)).toBeGreaterThan(Date.parse(before.metadata.modifiedAt));
    expect(s).toMatchObject({
      name: before.name,
      description: before.description,
      mixins: before.mixins,
      validity: before.validity,
    });
  });

  test('replace /name, add and remove /description, name entries by language', async () => {
    const id = await base();
    expect((await patch(id, [{ op: 'replace', path: '/name', value: { en: 'New name' } }])).statusCode).toBe(204);
    expect((await getSeg(id)).name).toEqual({ en: 'New name' });
    expect((await patch(id, [{ op: 'add', path: '/name/fr', value: 'Nouveau' }])).statusCode).toBe(204);
    expect((await getSeg(id)).name).toEqual({ en: 'New name', fr: 'Nouveau' });
    expect((await patch(id, [{ op: 'remove', path: '/description' }])).statusCode).toBe(204);
    expect((await getSeg(id)).description).toBeUndefined();
    expect((await patch(id, [{ op: 'add', path: '/description', value: { en: 'back' } }])).statusCode).toBe(204);
    const s = await getSeg(id);
    expect(s.description).toEqual({ en: 'back' });
    expect(s.metadata.version).toBe(5);
  });

  test('replace / add / remove under /mixins/a/b', async () => {
    const id = await base();
    expect((await patch(id, [{ op: 'replace', path: '/mixins/a/b', value: 15 }])).statusCode).toBe(204);
    expect((await getSeg(id)).mixins).toEqual({ a: { b: 15, keep: true } });
    expect((await patch(id, [{ op: 'add', path: '/mixins/a/c', value: { deep: ['x'] } }])).statusCode).toBe(204);
    expect((await getSeg(id)).mixins).toEqual({ a: { b: 15, keep: true, c: { deep: ['x'] } } });
    expect((await patch(id, [{ op: 'remove', path: '/mixins/a/b' }])).statusCode).toBe(204);
    expect((await getSeg(id)).mixins).toEqual({ a: { keep: true, c: { deep: ['x'] } } });
  });

  test('test op: passing → the batch applies; failing → 400 and nothing applied', async () => {
    const id = await base();
    const ok = await patch(id, [
      { op: 'test', path: '/status', value: 'INACTIVE' },
      { op: 'replace', path: '/status', value: 'ACTIVE' },
    ]);
    expect(ok.statusCode).toBe(204);
    const fail = await patch(id, [
      { op: 'replace', path: '/name', value: { en: 'should not stick' } },
      { op: 'test', path: '/status', value: 'INACTIVE' },
    ]);
    await expectError(fail, 400, OP.patch);
    const s = await getSeg(id);
    expect(s.status).toBe('ACTIVE');
    expect(s.name).toEqual({ en: 'Gold', de: 'Gold DE' });
    expect(s.metadata.version).toBe(2);
  });

  test('several operations apply in order, as one update (version + 1)', async () => {
    const id = await base();
    const res = await patch(id, [
      { op: 'replace', path: '/status', value: 'ACTIVE' },
      { op: 'replace', path: '/siteCode', value: 'second' },
      { op: 'copy', from: '/name/en', path: '/description/fr' },
    ]);
    expect(res.statusCode).toBe(204);
    const s = await getSeg(id);
    expect(s).toMatchObject({ status: 'ACTIVE', siteCode: 'second', description: { en: 'desc', fr: 'Gold' } });
    expect(s.metadata.version).toBe(2);
  });

  test('metadata.mixins survive a PATCH', async () => {
    const id = await create({ metadata: { mixins: { attrs: 'https://example.com/attrs.json' } }, mixins: { attrs: { a: 1 } } });
    expect((await patch(id, [{ op: 'replace', path: '/mixins/attrs/a', value: 2 }])).statusCode).toBe(204);
    const s = await getSeg(id);
    expect(s.metadata.mixins).toEqual({ attrs: 'https://example.com/attrs.json' });
    expect(s.mixins).toEqual({ attrs: { a: 2 } });
  });

  test('/id and /metadata paths are read-only → 400', async () => {
    const id = await base();
    const cases = [
      [{ op: 'replace', path: '/id', value: 'other' }],
      [{ op: 'replace', path: '/metadata/version', value: 9 }],
      [{ op: 'add', path: '/metadata', value: { version: 9 } }],
      [{ op: 'remove', path: '/metadata/createdAt' }],
      [{ op: 'copy', from: '/name/en', path: '/id' }],
      [{ op: 'move', from: '/id', path: '/description/en' }],
    ];
    for (const ops of cases) {
      const res = await patch(id, ops);
      await expectError(res, 400, OP.patch);
    }
    const s = await getSeg(id);
    expect(s.id).toBe(id);
    expect(s.metadata.version).toBe(1);
  });

  test('a patch that leaves an invalid segment → 400 naming the field, nothing written', async () => {
    const id = await base();
    const cases: [unknown[], string][] = [
      [[{ op: 'remove', path: '/name' }], 'name'],
      [[{ op: 'remove', path: '/siteCode' }], 'siteCode'],
      [[{ op: 'replace', path: '/status', value: 'FOO' }], 'status'],
      [[{ op: 'replace', path: '/name', value: 5 }], 'name'],
      [[{ op: 'replace', path: '/validity/from', value: 'nope' }], 'validity.from'],
      [[{ op: 'add', path: '/validity/to', value: '2023-01-01T00:00:00.000Z' }], 'validity'],
      [[{ op: 'replace', path: '/mixins', value: 'not an object' }], 'mixins'],
      [[{ op: 'add', path: '/unknownField', value: 1 }], 'unknownField'],
      [
        [
          { op: 'replace', path: '/status', value: 'ACTIVE' },
          { op: 'remove', path: '/name' },
        ],
        'name',
      ],
    ];
    for (const [ops, field] of cases) {
      const res = await patch(id, ops);
      await expect400(res, OP.patch, field);
    }
    const s = await getSeg(id);
    expect(s.metadata.version).toBe(1);
    expect(s.status).toBe('INACTIVE');
    expect(s.name).toEqual({ en: 'Gold', de: 'Gold DE' });
  });

  test('malformed operations → 400', async () => {
    const id = await base();
    const cases: unknown[] = [
      { op: 'replace', path: '/status', value: 'ACTIVE' }, // not an array
      [{ op: 'frobnicate', path: '/status', value: 'x' }],
      [{ op: 'replace', value: 'ACTIVE' }],
      [{ path: '/status', value: 'ACTIVE' }],
      [{ op: 'replace', path: 'status', value: 'ACTIVE' }],
      [{ op: 'remove', path: '/mixins/nope/deeper' }],
      [{ op: 'add', path: '/mixins/missing/child', value: 1 }],
      [{ op: 'replace', path: '/status' }],
      ['replace'],
    ];
    for (const ops of cases) {
      const res = await patch(id, ops);
      await expectError(res, 400, OP.patch);
    }
    const malformed = await rest('PATCH', `/segments/${id}`, { body: '[{"op":' });
    await expectError(malformed, 400, OP.patch);
    expect((await getSeg(id)).metadata.version).toBe(1);
  });

  test('a plain-string name follows Content-Language', async () => {
    const id = await base();
    const res = await patch(id, [{ op: 'replace', path: '/name', value: 'Or' }], { 'content-language': 'fr' });
    expect(res.statusCode).toBe(204);
    expect((await getSeg(id)).name).toEqual({ fr: 'Or' });
  });

  test('404 for a missing segment (and nothing created)', async () => {
    const id = uid('nopatch');
    const res = await patch(id, [{ op: 'replace', path: '/status', value: 'ACTIVE' }]);
    const body = await expectError(res, 404, OP.patch);
    expect(body.message).toContain(id);
    await expectMissing(id);
  });

  test('an empty operation list is fine', async () => {
    const id = await base();
    const res = await patch(id, []);
    expect(res.statusCode).toBe(204);
  });
});

// ---------------------------------------------------------------------------------------------
// DELETE /segments/{id}
// ---------------------------------------------------------------------------------------------

describe('DELETE /segments/{id}', () => {
  test('204, then the segment is gone; deleting again (missing) is also 204', async () => {
    const id = await create();
    const res = await rest('DELETE', `/segments/${id}`);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    await expectMissing(id);
    const again = await rest('DELETE', `/segments/${id}`);
    expect(again.statusCode).toBe(204);
    const never = await rest('DELETE', `/segments/${uid('never')}`);
    expect(never.statusCode).toBe(204);
  });

  test('with customer assignments: 400 without forceDelete, nothing removed', async () => {
    const id = await create();
    await t.db.knex('customer_assignments').insert([assignmentRow('acme', id, 'c1'), assignmentRow('acme', id, 'c2', 'le1')]);
    const res = await rest('DELETE', `/segments/${id}`);
    await expect400(res, OP.del, 'forceDelete');
    const explicit = await rest('DELETE', `/segments/${id}?forceDelete=false`);
    await expectError(explicit, 400, OP.del);
    await getSeg(id);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: id })).toHaveLength(2);
  });

  test('with item assignments only: 400 without forceDelete', async () => {
    const id = await create();
    await t.db.knex('item_assignments').insert(itemAssignmentRow('acme', id, 'p1'));
    const res = await rest('DELETE', `/segments/${id}`);
    await expectError(res, 400, OP.del);
    await getSeg(id);
  });

  test('forceDelete=true → 204, the segment and all its assignment rows are gone, others untouched', async () => {
    const id = await create();
    const other = await create();
    await t.db.knex('customer_assignments').insert([assignmentRow('acme', id, 'c1'), assignmentRow('acme', id, 'c2', 'le1')]);
    await t.db
      .knex('item_assignments')
      .insert([itemAssignmentRow('acme', id, 'p1'), itemAssignmentRow('acme', id, 'cat1', 'CATEGORY')]);
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', other, 'c1'));
    const res = await rest('DELETE', `/segments/${id}?forceDelete=true`);
    expect(res.statusCode).toBe(204);
    await expectMissing(id);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: id })).toHaveLength(0);
    expect(await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: id })).toHaveLength(0);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: other })).toHaveLength(1);
    await getSeg(other);
  });

  test('forceDelete that is not a boolean → 400', async () => {
    const id = await create();
    const res = await rest('DELETE', `/segments/${id}?forceDelete=yes`);
    await expect400(res, OP.del, 'forceDelete');
    await getSeg(id);
  });

  test('an id with / or whitespace → 400', async () => {
    for (const path of ['a%2Fb', 'a%20b']) {
      const res = await rest('DELETE', `/segments/${path}`);
      await expect400(res, OP.del, 'id');
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Listing: q, sort, paging, fields, totals, languages
// ---------------------------------------------------------------------------------------------

describe('GET /segments and POST /segments/search', () => {
  const site = uid('qsite');
  const ids = { a: uid('qa'), b: uid('qb'), c: uid('qc') };
  const created: Record<string, string> = {};

  beforeAll(async () => {
    const docs = [
      seg({
        id: ids.a,
        siteCode: site,
        name: { en: 'Gold Members', de: 'Goldmitglieder' },
        description: { en: 'The best', de: 'Die Besten' },
        status: 'ACTIVE',
        validity: { from: '2024-01-01T00:00:00.000Z', to: '2024-12-31T23:59:59.000Z' },
        mixins: { segAttrs: { tier: 'gold', rank: 1 } },
      }),
      seg({
        id: ids.b,
        siteCode: site,
        name: { en: 'Silver Club' },
        description: { fr: 'Les argentés' },
        status: 'INACTIVE',
        validity: { from: '2024-06-01T00:00:00.000Z' },
        mixins: { segAttrs: { tier: 'silver', rank: 2 } },
      }),
      seg({
        id: ids.c,
        siteCode: site,
        name: { en: 'Bronze' },
        status: 'ACTIVE',
        mixins: { segAttrs: { tier: 'bronze', rank: 3 } },
      }),
    ];
    for (const d of docs) {
      const res = await rest('POST', '/segments', { body: d });
      expect(res.statusCode).toBe(201);
      const s = await getSeg(d.id as string);
      created[d.id as string] = s.metadata.createdAt;
      await sleep(3);
    }
  });

  const inSite = (q: string) => `siteCode:"${site}" ${q}`;
  const sorted = (xs: string[]) => [...xs].sort();

  test('default order: creation time, then id; the body is a bare array of SegmentResponse', async () => {
    expect(await listIds(`siteCode:"${site}"`)).toEqual([ids.a, ids.b, ids.c]);
  });

  test('search without a body, with an empty body and with {} lists everything', async () => {
    for (const body of [undefined, {}]) {
      const res = await rest('POST', '/segments/search', { body });
      expect(res.statusCode).toBe(200);
      await expectContract(OP.search, 200, res.json());
      const got = (res.json() as { id: string }[]).map((s) => s.id);
      expect(got).toEqual(expect.arrayContaining([ids.a, ids.b, ids.c]));
    }
  });

  const cases: [string, string, (keyof typeof ids)[]][] = [
    ['exact enum', 'status:ACTIVE', ['a', 'c']],
    ['exact id', `id:${ids.b}`, ['b']],
    ['any of (in)', `id:(${ids.a},${ids.b})`, ['a', 'b']],
    ['any of, quoted values', `id:("${ids.a}","${ids.c}")`, ['a', 'c']],
    ['localized exact', 'name.en:"Gold Members"', ['a']],
    ['localized exact is case-sensitive', 'name.en:"gold members"', []],
    ['other language', 'name.de:Goldmitglieder', ['a']],
    ['contains, case-insensitive', 'name.en:~SILVER', ['b']],
    ['starts with', 'name.en:~^gold', ['a']],
    ['starts with does not match inside', 'name.en:~^members', []],
    ['ends with', 'name.en:~club$', ['b']],
    ['contains text with spaces', 'name.en:~(d mem)', ['a']],
    ['contains does not treat % as a wildcard', 'name.en:~%', []],
    ['range on validity.from (quoted ISO)', 'validity.from:>="2024-03-01T00:00:00Z"', ['b']],
    ['range with AND', 'validity.from:(>="2023-12-01T00:00:00.000Z" AND <"2024-03-01T00:00:00Z")', ['a']],
    ['validity.to less than', 'validity.to:<"2025-01-01T00:00:00Z"', ['a']],
    ['null: absent validity', 'validity.from:null', ['c']],
    ['exists', 'validity.from:exists', ['a', 'b']],
    ['missing on a JSON path', 'description.en:missing', ['b', 'c']],
    ['exists on a JSON path', 'description.fr:exists', ['b']],
    ['mixins path, text', 'mixins.segAttrs.tier:silver', ['b']],
    ['mixins path, number comparison', 'mixins.segAttrs.rank:>1', ['b', 'c']],
    ['mixins path, number equality', 'mixins.segAttrs.rank:3', ['c']],
    ['mixins path, any of', 'mixins.segAttrs.tier:(gold,bronze)', ['a', 'c']],
    ['terms are ANDed', 'status:ACTIVE mixins.segAttrs.rank:>=2', ['c']],
    ['version', 'metadata.version:1', ['a', 'b', 'c']],
    ['an injection attempt is just a value', `name.en:"x' OR '1'='1"`, []],
  ];

  test.each(cases)('q: %s (GET and POST search agree)', async (_label, q, expected) => {
    const want = sorted(expected.map((k) => ids[k]));
    expect(sorted(await listIds(inSite(q)))).toEqual(want);
    const res = await rest('POST', '/segments/search', { body: { q: inSite(q) } });
    expect(res.statusCode).toBe(200);
    await expectContract(OP.search, 200, res.json());
    expect(sorted((res.json() as { id: string }[]).map((s) => s.id))).toEqual(want);
  });

  // MariaDB's utf8mb4_bin is PAD SPACE ('x' = 'x '); the tables use a NO PAD binary collation.
  test('q: exact match on a column does not ignore trailing spaces', async () => {
    const padSite = uid('pad');
    const plain = await create({ siteCode: padSite });
    const padded = await create({ siteCode: `${padSite} ` });
    expect(await listIds(`siteCode:"${padSite}"`)).toEqual([plain]);
    expect(await listIds(`siteCode:"${padSite} "`)).toEqual([padded]);
    expect(await listIds(`siteCode:("${padSite}","nothing")`)).toEqual([plain]);
  });

  test('q: ranges on metadata.createdAt (and its alias) with quoted ISO values', async () => {
    const tb = created[ids.b];
    expect(await listIds(inSite(`metadata.createdAt:>="${tb}"`))).toEqual([ids.b, ids.c]);
    expect(await listIds(inSite(`metadata.createdAt:<"${tb}"`))).toEqual([ids.a]);
    expect(await listIds(inSite(`metadataCreatedAt:(>="${created[ids.a]}" AND <="${tb}")`))).toEqual([ids.a, ids.b]);
    expect(await listIds(inSite(`metadata.createdAt:>"2999-01-01T00:00:00Z"`))).toEqual([]);
  });

  // Values are checked (terms compiled) before any query runs.
  test.each([
    ['enum value not allowed', 'status:FOO', 'FOO'],
    ['bad instant', 'validity.from:>"yesterday"', 'validity.from'],
    ['number field with text', 'metadata.version:abc', 'metadata.version'],
    ['text search on a non-text field', 'metadata.version:~1', 'metadata.version'],
    ['comparison on an enum', 'status:>ACTIVE', 'status'],
  ])('q: %s → 400 naming it', async (_label, q, field) => {
    const get = await rest('GET', `/segments?q=${encodeURIComponent(q)}`);
    await expect400(get, OP.list, field);
    const post = await rest('POST', '/segments/search', { body: { q } });
    await expect400(post, OP.search, field);
  });

  const badQ: [string, string, string | RegExp][] = [
    ['unknown field', 'foo:bar', 'foo'],
    ['unknown nested field', 'metadataa.createdAt:1', 'metadataa.createdAt'],
    ['bad JSON path key', 'mixins.a$b:1', /mixins|q/],
    ['unparsable: unclosed list', 'id:(a,b', /position|q/],
    ['unparsable: no colon', 'justtext', /position|q/],
    ['unparsable: unterminated quote', 'name.en:"abc', /position|q/],
  ];
  test.each(badQ)('q: %s → 400 naming it', async (_label, q, field) => {
    const get = await rest('GET', `/segments?q=${encodeURIComponent(q)}`);
    await expect400(get, OP.list, field);
    const post = await rest('POST', '/segments/search', { body: { q } });
    await expect400(post, OP.search, field);
  });

  test('q longer than the limit → 400', async () => {
    const q = `id:${'x'.repeat(5000)}`;
    const res = await rest('POST', '/segments/search', { body: { q } });
    await expect400(res, OP.search, 'q');
  });

  test('search body: q of the wrong type or a non-object body → 400', async () => {
    await expect400(await rest('POST', '/segments/search', { body: { q: 5 } }), OP.search, 'q');
    await expectError(await rest('POST', '/segments/search', { body: ['status:ACTIVE'] }), 400, OP.search);
    await expectError(await rest('POST', '/segments/search', { body: '{"q":' }), 400, OP.search);
  });

  test('sort: name.en:desc, asc by default, direction case-insensitive, several keys', async () => {
    expect(await listIds(inSite(''), '&sort=name.en:desc')).toEqual([ids.b, ids.a, ids.c]);
    expect(await listIds(inSite(''), '&sort=name.en')).toEqual([ids.c, ids.a, ids.b]);
    expect(await listIds(inSite(''), '&sort=metadata.createdAt:DESC')).toEqual([ids.c, ids.b, ids.a]);
    expect(await listIds(inSite(''), `&sort=${encodeURIComponent('status:asc,mixins.segAttrs.rank:desc')}`)).toEqual([
      ids.c,
      ids.a,
      ids.b,
    ]);
    const res = await rest('POST', `/segments/search?sort=${encodeURIComponent('name.en:desc')}`, { body: { q: inSite('') } });
    expect((res.json() as { id: string }[]).map((s) => s.id)).toEqual([ids.b, ids.a, ids.c]);
  });

  test('sort: unknown field or direction → 400 naming it', async () => {
    await expect400(await rest('GET', '/segments?sort=bogus:asc'), OP.list, 'bogus');
    await expect400(await rest('GET', '/segments?sort=name.en:sideways'), OP.list, 'sort');
    await expect400(await rest('POST', '/segments/search?sort=bogus', { body: {} }), OP.search, 'bogus');
  });

  test('paging: pageSize/pageNumber select a window; a page past the end is []', async () => {
    expect(await listIds(inSite(''), '&pageSize=1&pageNumber=2')).toEqual([ids.b]);
    expect(await listIds(inSite(''), '&pageSize=2&pageNumber=2')).toEqual([ids.c]);
    expect(await listIds(inSite(''), '&pageSize=2')).toEqual([ids.a, ids.b]);
    expect(await listIds(inSite(''), '&pageSize=1000')).toEqual([ids.a, ids.b, ids.c]);
    const past = await rest('GET', `/segments?q=${encodeURIComponent(inSite(''))}&pageNumber=50`);
    expect(past.statusCode).toBe(200);
    expect(past.json()).toEqual([]);
  });

  test.each([
    ['pageSize=0', 'pageSize'],
    ['pageSize=1001', 'pageSize'],
    ['pageSize=abc', 'pageSize'],
    ['pageSize=1.5', 'pageSize'],
    ['pageSize=-1', 'pageSize'],
    ['pageNumber=0', 'pageNumber'],
    ['pageNumber=x', 'pageNumber'],
  ])('paging: %s → 400', async (query, field) => {
    await expect400(await rest('GET', `/segments?${query}`), OP.list, field);
    await expect400(await rest('POST', `/segments/search?${query}`, { body: {} }), OP.search, field);
  });

  test('X-Total-Count: true → the number of matches ignoring paging; absent → no header', async () => {
    const res = await rest('GET', `/segments?q=${encodeURIComponent(inSite(''))}&pageSize=1`, {
      headers: { 'x-total-count': 'true' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toHaveLength(1);
    expect(res.headers['x-total-count']).toBe('3');
    const filtered = await rest('POST', '/segments/search?pageSize=1&pageNumber=9', {
      body: { q: inSite('status:ACTIVE') },
      headers: { 'x-total-count': 'true' },
    });
    expect(filtered.json()).toEqual([]);
    expect(filtered.headers['x-total-count']).toBe('2');
    const none = await rest('GET', `/segments?q=${encodeURIComponent(inSite(''))}`);
    expect(none.headers['x-total-count']).toBeUndefined();
  });

  test('fields projection on lists keeps id always', async () => {
    const res = await rest('GET', `/segments?q=${encodeURIComponent(inSite(''))}&fields=status`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      { id: ids.a, status: 'ACTIVE' },
      { id: ids.b, status: 'INACTIVE' },
      { id: ids.c, status: 'ACTIVE' },
    ]);
    const nested = await rest('POST', '/segments/search?fields=mixins.segAttrs.tier,name.de', {
      body: { q: inSite(`id:${ids.a}`) },
    });
    expect(nested.json()).toEqual([{ id: ids.a, name: { de: 'Goldmitglieder' }, mixins: { segAttrs: { tier: 'gold' } } }]);
    const onlyId = await rest('GET', `/segments?q=${encodeURIComponent(inSite(`id:${ids.c}`))}&fields=id`);
    expect(onlyId.json()).toEqual([{ id: ids.c }]);
  });

  describe('Accept-Language', () => {
    async function nameOf(id: string, lang: string | undefined): Promise<unknown> {
      const headers = lang === undefined ? undefined : { 'accept-language': lang };
      return (await getSeg(id, headers)).name;
    }

    test('absent or * → the whole map', async () => {
      expect(await nameOf(ids.a, undefined)).toEqual({ en: 'Gold Members', de: 'Goldmitglieder' });
      expect(await nameOf(ids.a, '*')).toEqual({ en: 'Gold Members', de: 'Goldmitglieder' });
    });

    test('a weighted list → one entry, the best available', async () => {
      expect(await nameOf(ids.a, 'de, en;q=0.5')).toEqual({ de: 'Goldmitglieder' });
      expect(await nameOf(ids.a, 'en;q=0.5, de;q=0.9')).toEqual({ de: 'Goldmitglieder' });
      expect(await nameOf(ids.a, 'fr-CH, fr;q=0.9, de;q=0.8')).toEqual({ de: 'Goldmitglieder' });
      expect(await nameOf(ids.a, 'de-AT')).toEqual({ de: 'Goldmitglieder' });
    });

    test('falls back to the default language, then to any language', async () => {
      expect(await nameOf(ids.a, 'fr')).toEqual({ en: 'Gold Members' });
      expect(await nameOf(ids.b, 'de')).toEqual({ en: 'Silver Club' });
      const id = await create({ name: { fr: 'Seulement' } });
      expect(await nameOf(id, 'de')).toEqual({ fr: 'Seulement' });
    });

    test('description follows the same rule, and lists too', async () => {
      expect((await getSeg(ids.a, { 'accept-language': 'de' })).description).toEqual({ de: 'Die Besten' });
      expect((await getSeg(ids.b, { 'accept-language': 'de' })).description).toEqual({ fr: 'Les argentés' });
      const res = await rest('GET', `/segments?q=${encodeURIComponent(inSite(''))}`, {
        headers: { 'accept-language': 'de, en;q=0.5' },
      });
      expect(res.statusCode).toBe(200);
      expect((res.json() as { name: unknown }[]).map((s) => s.name)).toEqual([
        { de: 'Goldmitglieder' },
        { en: 'Silver Club' },
        { en: 'Bronze' },
      ]);
      const search = await rest('POST', '/segments/search', {
        body: { q: inSite(`id:${ids.a}`) },
        headers: { 'accept-language': 'de' },
      });
      expect(search.json()[0].name).toEqual({ de: 'Goldmitglieder' });
    });
  });

  test('customerId / legalEntityId query parameters that are not valid ids → 400', async () => {
    await expect400(await rest('GET', '/segments?customerId=a%2Fb'), OP.list, 'customerId');
    await expect400(await rest('GET', '/segments?customerId=c1&legalEntityId=a%20b'), OP.list, 'legalEntityId');
  });

  test('a query parameter given twice → 400', async () => {
    await expectError(await rest('GET', '/segments?pageSize=1&pageSize=2'), 400, OP.list);
  });
});

// ---------------------------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------------------------

interface BulkRes {
  index: number;
  id?: string;
  code: number;
  status: string;
  message?: string;
}

async function bulk(
  method: 'POST' | 'PUT' | 'DELETE',
  body: unknown,
  query = '',
  headers?: Record<string, string>,
): Promise<BulkRes[]> {
  const op = method === 'POST' ? OP.bulkCreate : method === 'PUT' ? OP.bulkUpsert : OP.bulkDelete;
  const res = await rest(method, `/segments/bulk${query}`, { body, headers });
  if (res.statusCode !== 207) throw new Error(`bulk ${method}: ${res.statusCode} ${res.body}`);
  await expectContract(op, 207, res.json());
  const results = res.json() as BulkRes[];
  for (const r of results) {
    const expected = { 201: 'Created', 204: 'OK', 400: 'Bad Request', 404: 'Not Found', 409: 'Conflict' }[r.code];
    expect(r.status).toBe(expected);
    if (r.code >= 400) expect(typeof r.message).toBe('string');
  }
  return results;
}

describe('POST /segments/bulk', () => {
  test('207, one result per element in request order, 1-based index, per-element 400/409', async () => {
    const existing = await create();
    const dup = uid('dup');
    const fresh = uid('fresh');
    const badStatus = uid('badstatus');
    const badName = uid('badname');
    const body = [
      seg({ name: { en: 'no id' } }), // 1 → 201, generated id
      seg({ id: fresh }), // 2 → 201
      seg({ id: badStatus, status: 'FOO' }), // 3 → 400 (input type)
      seg({ id: existing }), // 4 → 409 exists
      seg({ id: badName, name: 5 }), // 5 → 400 (segment rules)
      seg({ id: dup }), // 6 → 201
      seg({ id: dup, name: { en: 'again' } }), // 7 → 409 repeated in the request
      { name: { en: 'no site' } }, // 8 → 400 siteCode
      seg({ id: '' }), // 9 → 400 empty id
    ];
    const results = await bulk('POST', body);
    expect(results.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(results.map((r) => r.code)).toEqual([201, 201, 400, 409, 400, 201, 409, 400, 400]);
    expect(results[0].id).toMatch(/^[0-9a-f]{24}$/);
    expect(results[1].id).toBe(fresh);
    expect(results[2].id).toBe(badStatus);
    expect(results[2].message).toMatch(/status/);
    expect(results[3]).toMatchObject({ id: existing, message: MSG_EXISTS });
    expect(results[4].message).toMatch(/name/);
    expect(results[5].id).toBe(dup);
    expect(results[6].id).toBe(dup);
    expect(results[7].message).toMatch(/siteCode/);
    // What succeeded is stored; what failed is not.
    expect((await getSeg(results[0].id as string)).name).toEqual({ en: 'no id' });
    await getSeg(fresh);
    expect((await getSeg(dup)).name).toEqual({ en: 'Segment' });
    await expectMissing(badStatus);
    await expectMissing(badName);
    expect((await getSeg(existing)).metadata.version).toBe(1);
  });

  test('a plain-string name follows Content-Language for every element', async () => {
    const a = uid('bl');
    const b = uid('bl');
    const results = await bulk('POST', [seg({ id: a, name: 'Eins' }), seg({ id: b, name: 'Zwei' })], '', {
      'content-language': 'de',
    });
    expect(results.map((r) => r.code)).toEqual([201, 201]);
    expect((await getSeg(a)).name).toEqual({ de: 'Eins' });
    expect((await getSeg(b)).name).toEqual({ de: 'Zwei' });
  });

  test('200 elements are fine; 201 → 400 for the whole request, nothing written', async () => {
    const site = uid('bulk-limit');
    const ok = await bulk(
      'POST',
      Array.from({ length: 200 }, () => seg({ siteCode: site })),
    );
    expect(ok).toHaveLength(200);
    expect(ok.every((r, i) => r.code === 201 && r.index === i + 1)).toBe(true);
    expect(await countSite(site)).toBe(200);

    const site2 = uid('bulk-over');
    const res = await rest('POST', '/segments/bulk', { body: Array.from({ length: 201 }, () => seg({ siteCode: site2 })) });
    await expect400(res, OP.bulkCreate, /200/);
    expect(await countSite(site2)).toBe(0);
  });

  test('a body that is not an array → 400', async () => {
    for (const body of [seg(), '"x"', 'null', '{"0":{}}']) {
      const res = await rest('POST', '/segments/bulk', { body });
      await expectError(res, 400, OP.bulkCreate);
    }
    const malformed = await rest('POST', '/segments/bulk', { body: '[{"name":' });
    await expectError(malformed, 400, OP.bulkCreate);
  });

  test('an empty array → 207 []', async () => {
    expect(await bulk('POST', [])).toEqual([]);
  });

  test('non-object elements fail on their own', async () => {
    const id = uid('ok');
    const results = await bulk('POST', [null, 5, 'x', seg({ id })]);
    expect(results.map((r) => [r.index, r.code])).toEqual([
      [1, 400],
      [2, 400],
      [3, 400],
      [4, 201],
    ]);
    await getSeg(id);
  });
});

describe('PUT /segments/bulk', () => {
  test('207: creates (201), updates (204, version + 1), stale version 409, missing id 400, invalid 400', async () => {
    const existing = await create({ name: { en: 'old' } });
    const locked = await create({ name: { en: 'locked' } });
    const fresh = uid('bput');
    const dup = await create({ name: { en: 'dup' } });
    const invalid = await create({ name: { en: 'keep' } });
    await sleep(3); // so that an update's modifiedAt differs from createdAt
    const results = await bulk('PUT', [
      seg({ id: fresh, name: { en: 'new' } }), // 1 → 201
      seg({ id: existing, name: { en: 'updated' }, metadata: { version: 1 } }), // 2 → 204
      seg({ id: locked, name: { en: 'nope' }, metadata: { version: 5 } }), // 3 → 409
      seg({ name: { en: 'no id' } }), // 4 → 400
      seg({ id: invalid, status: 'FOO' }), // 5 → 400
      seg({ id: dup, name: { en: 'first' } }), // 6 → 204
      seg({ id: dup, name: { en: 'second' } }), // 7 → 409 repeated
      seg({ id: 'a/b' }), // 8 → 400
    ]);
    expect(results.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(results.map((r) => r.code)).toEqual([201, 204, 409, 400, 400, 204, 409, 400]);
    expect(results[0].id).toBe(fresh);
    expect(results[1].id).toBe(existing);
    expect(results[2]).toMatchObject({ id: locked, message: MSG_CHANGED });

    const f = await getSeg(fresh);
    expect(f.name).toEqual({ en: 'new' });
    expect(f.metadata.version).toBe(1);
    const e = await getSeg(existing);
    expect(e.name).toEqual({ en: 'updated' });
    expect(e.metadata.version).toBe(2);
    expect(e.metadata.createdAt).not.toBe(e.metadata.modifiedAt);
    const l = await getSeg(locked);
    expect(l.name).toEqual({ en: 'locked' });
    expect(l.metadata.version).toBe(1);
    const i = await getSeg(invalid);
    expect(i.name).toEqual({ en: 'keep' });
    expect(i.metadata.version).toBe(1);
    const d = await getSeg(dup);
    expect(d.name).toEqual({ en: 'first' });
    expect(d.metadata.version).toBe(2);
  });

  test('a version on an element that does not exist yet is ignored (201, version 1)', async () => {
    const id = uid('bput-new');
    const [r] = await bulk('PUT', [seg({ id, metadata: { version: 5 } })]);
    expect(r).toMatchObject({ index: 1, id, code: 201 });
    expect((await getSeg(id)).metadata.version).toBe(1);
  });

  test('createdAt of an updated segment is kept', async () => {
    const id = await create();
    const before = await getSeg(id);
    await sleep(5);
    const [r] = await bulk('PUT', [seg({ id, status: 'ACTIVE' })]);
    expect(r.code).toBe(204);
    const after = await getSeg(id);
    expect(after.metadata.createdAt).toBe(before.metadata.createdAt);
    expect(after.status).toBe('ACTIVE');
  });

  test('> 200 elements → 400 for the whole request; not an array → 400', async () => {
    const site = uid('bput-over');
    const res = await rest('PUT', '/segments/bulk', {
      body: Array.from({ length: 201 }, () => seg({ id: uid('o'), siteCode: site })),
    });
    await expect400(res, OP.bulkUpsert, /200/);
    expect(await countSite(site)).toBe(0);
    await expectError(await rest('PUT', '/segments/bulk', { body: seg({ id: uid() }) }), 400, OP.bulkUpsert);
  });
});

describe('DELETE /segments/bulk', () => {
  test('207: existing 204, missing 204, invalid id 400, assigned 400 without forceDelete', async () => {
    const a = await create();
    const assigned = await create();
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', assigned, 'c9'));
    const missing = uid('gone');
    const results = await bulk('DELETE', [a, missing, '', assigned, {}, 'a/b']);
    expect(results.map((r) => r.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(results.map((r) => r.code)).toEqual([204, 204, 400, 400, 400, 400]);
    expect(results[0].id).toBe(a);
    expect(results[1].id).toBe(missing);
    expect(results[3].id).toBe(assigned);
    await expectMissing(a);
    await getSeg(assigned);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: assigned })).toHaveLength(1);
  });

  test('forceDelete=true removes assigned segments and their assignments', async () => {
    const assigned = await create();
    const plain = await create();
    await t.db.knex('customer_assignments').insert(assignmentRow('acme', assigned, 'c9', 'le9'));
    await t.db.knex('item_assignments').insert(itemAssignmentRow('acme', assigned, 'p9'));
    const results = await bulk('DELETE', [assigned, plain], '?forceDelete=true');
    expect(results.map((r) => [r.index, r.code, r.id])).toEqual([
      [1, 204, assigned],
      [2, 204, plain],
    ]);
    await expectMissing(assigned);
    await expectMissing(plain);
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: assigned })).toHaveLength(0);
    expect(await t.db.knex('item_assignments').where({ tenant: 'acme', segment_id: assigned })).toHaveLength(0);
  });

  test('> 200 ids → 400 for the whole request, nothing deleted; not an array or no body → 400', async () => {
    const keep = await create();
    const res = await rest('DELETE', '/segments/bulk', { body: [keep, ...Array.from({ length: 200 }, () => uid('x'))] });
    await expect400(res, OP.bulkDelete, /200/);
    await getSeg(keep);
    await expectError(await rest('DELETE', '/segments/bulk', { body: { ids: [keep] } }), 400, OP.bulkDelete);
    await expectError(await rest('DELETE', '/segments/bulk', { body: `"${keep}"` }), 400, OP.bulkDelete);
    await expectError(await rest('DELETE', '/segments/bulk'), 400, OP.bulkDelete);
    await getSeg(keep);
  });
});

// ---------------------------------------------------------------------------------------------
// Routing and HTTP-level errors
// ---------------------------------------------------------------------------------------------

describe('routing and HTTP errors use the Error body', () => {
  test('literal paths win over /segments/{id}', async () => {
    const search = await rest('POST', '/segments/search', { body: { q: 'id:nothing-like-this' } });
    expect(search.statusCode).toBe(200);
    expect(search.json()).toEqual([]);
    // GET /segments/search and /segments/bulk are the literal paths with the wrong method.
    await expectError(await rest('GET', '/segments/search'), 405);
    await expectError(await rest('GET', '/segments/bulk'), 405);
  });

  test('unknown route → 404 Error body', async () => {
    for (const path of ['/nothing-here', '/segments/x/y/z/w', '/segmentz']) {
      const res = await rest('GET', path);
      await expectError(res, 404);
    }
    const outside = await t.app.inject({ method: 'GET', url: '/customer-segment' });
    expect(outside.statusCode).toBe(404);
  });

  test('wrong method on a documented path → 405 Error body with Allow', async () => {
    const cases: [string, string][] = [
      ['PATCH', '/segments'],
      ['DELETE', '/segments'],
      ['PUT', '/segments'],
      ['POST', '/segments/some-id'],
      ['PATCH', '/segments/bulk'],
      ['GET', '/segments/bulk'],
    ];
    for (const [method, path] of cases) {
      const res = await rest(method as 'GET', path, { body: method === 'GET' ? undefined : [] });
      await expectError(res, 405);
      expect(res.headers.allow).toBeDefined();
    }
    const res = await rest('PATCH', '/segments');
    expect(String(res.headers.allow).split(/,\s*/).sort()).toEqual(['GET', 'POST']);
  });

  // Fastify parses text/plain by default; the REST plugin removes that parser.
  test('Content-Type text/plain → 415 Error body', async () => {
    const id = uid('plain');
    const res = await rest('POST', '/segments', {
      body: JSON.stringify(seg({ id })),
      headers: { 'content-type': 'text/plain' },
    });
    await expectError(res, 415);
    await expectMissing(id);
  });

  test('a text/plain body never creates anything', async () => {
    const id = uid('plain');
    const res = await rest('POST', '/segments', { body: JSON.stringify(seg({ id })), headers: { 'content-type': 'text/plain' } });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(res.statusCode).toBeLessThan(500);
    await expectMissing(id);
  });

  test('Content-Type application/xml → 415 Error body', async () => {
    const res = await rest('POST', '/segments', { body: '<segment/>', headers: { 'content-type': 'application/xml' } });
    await expectError(res, 415);
  });

  test('a body over 10 MB → 413 Error body', async () => {
    const big = JSON.stringify(seg({ description: { en: 'x'.repeat(10 * 1024 * 1024 + 10) } }));
    const res = await rest('POST', '/segments', { body: big });
    await expectError(res, 413);
  });

  test('a body just under 10 MB is accepted', async () => {
    // No one field may be that large (README "Limits"): 200 segments with ten 4,800-character
    // descriptions each come to 9.2 MB.
    const description = Object.fromEntries(
      ['en', 'de', 'fr', 'it', 'es', 'nl', 'pl', 'pt', 'sv', 'da'].map((l) => [l, 'x'.repeat(4800)]),
    );
    const ids = Array.from({ length: 200 }, () => uid('big'));
    const body = JSON.stringify(ids.map((id) => seg({ id, description })));
    expect(body.length).toBeGreaterThan(9 * 1024 * 1024);
    const res = await rest('POST', '/segments/bulk', { body });
    expect(res.statusCode).toBe(207);
    expect(res.json().map((r: { code: number }) => r.code)).toEqual(ids.map(() => 201));
    const got = await rest('GET', `/segments/${ids[199]}?fields=siteCode`);
    expect(got.json()).toEqual({ id: ids[199], siteCode: 'main' });
  });

  test('a body just under 10 MB with one 9 MB field → 400 naming the field and its limit, not 413', async () => {
    const body = JSON.stringify(seg({ description: { en: 'x'.repeat(9 * 1024 * 1024) } }));
    await expectError(
      await rest('POST', '/segments', { body }),
      400,
      undefined,
      'description.en: 9437184 characters; at most 5000',
    );
  });
});
