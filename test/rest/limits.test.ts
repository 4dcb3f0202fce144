/**
 * Input limits on REST (README "Limits"): every limit at its value is accepted and one over is a
 * 400 whose Error body names the field (`details.field`) and the limit — per element in bulk
 * bodies, with the other elements still written. Ids holding control or invisible characters
 * are 400s wherever they come from, and deeply nested JSON is a 400, never a 500.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { FORBIDDEN_IN_IDS, inLanguages, nested, nestedJson, ofBytes } from '../helpers/limits';
import { expectError, guardRest, uid } from './_support';

const OP = {
  create: 'POST-customer-segment-create-segment',
  get: 'GET-customer-segment-retrieve-segment',
  put: 'PUT-customer-segment-update-segment',
  patch: 'PATCH-customer-segment-update-segment',
  remove: 'DELETE-customer-segment-remove-segment',
  list: 'GET-customer-segment-retrieve-segments',
  createBulk: 'POST-customer-segment-create-segments-bulk',
  putCustomer: 'PUT-customer-segment-update-customer-by-customerId',
  putCustomerB2B: 'PUT-customer-segment-update-customer',
  putCustomers: 'PUT-customer-segment-update-customers-bulk',
  putItem: 'PUT-customer-segment-update-item',
  getItem: 'GET-customer-segment-retrieve-item',
  putItems: 'PUT-customer-segment-update-items-bulk',
  match: 'POST-customer-segment-check-match',
} as const;

let t: TestApp;
let rest: TestApp['rest'];
beforeAll(async () => {
  t = await startTestApp();
  rest = guardRest(t);
});
afterAll(() => t.close());

const enc = encodeURIComponent;
const seg = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: { en: 'S' }, siteCode: 'main', ...extra });

async function expectLimit(
  res: Awaited<ReturnType<TestApp['rest']>>,
  operationId: string,
  field: string,
  message: string | RegExp,
): Promise<void> {
  const body = await expectError(res, 400, operationId, message);
  expect(body.details).toMatchObject({ field });
}

async function createSegment(): Promise<string> {
  const id = uid();
  const res = await rest('PUT', `/segments/${id}`, { body: seg() });
  if (res.statusCode !== 201) throw new Error(`create: ${res.statusCode} ${res.body}`);
  return id;
}

const exists = async (id: string): Promise<boolean> => (await rest('GET', `/segments/${enc(id)}`)).statusCode === 200;

/** [what, at the limit, one over, field, message] — segment fields. */
const SEGMENT_CASES: [string, () => Record<string, unknown>, () => Record<string, unknown>, string, string][] = [
  [
    'mixins depth',
    () => ({ mixins: nested(16) }),
    () => ({ mixins: nested(17) }),
    'mixins',
    'mixins: nested 17 levels deep; at most 16',
  ],
  [
    'mixins size',
    () => ({ mixins: ofBytes(65536) }),
    () => ({ mixins: ofBytes(65537) }),
    'mixins',
    'mixins: 65537 bytes as JSON; at most 65536',
  ],
  [
    'metadata.mixins size',
    () => ({ metadata: { mixins: ofBytes(65536) } }),
    () => ({ metadata: { mixins: ofBytes(65537) } }),
    'metadata.mixins',
    'metadata.mixins: 65537 bytes as JSON; at most 65536',
  ],
  [
    'name, per language',
    () => ({ name: { en: 'n'.repeat(500), de: 'n' } }),
    () => ({ name: { de: 'n', en: 'n'.repeat(501) } }),
    'name.en',
    'name.en: 501 characters; at most 500',
  ],
  [
    'name as a plain string',
    () => ({ name: 'n'.repeat(500) }),
    () => ({ name: 'n'.repeat(501) }),
    'name',
    'name: 501 characters; at most 500',
  ],
  [
    'name, languages',
    () => ({ name: inLanguages(50) }),
    () => ({ name: inLanguages(51) }),
    'name',
    'name: 51 languages; at most 50',
  ],
  [
    'description, per language',
    () => ({ description: { fr: 'd'.repeat(5000) } }),
    () => ({ description: { fr: 'd'.repeat(5001) } }),
    'description.fr',
    'description.fr: 5001 characters; at most 5000',
  ],
  [
    'description, languages',
    () => ({ description: inLanguages(50) }),
    () => ({ description: inLanguages(51) }),
    'description',
    'description: 51 languages; at most 50',
  ],
  [
    'siteCode',
    () => ({ siteCode: 's'.repeat(255) }),
    () => ({ siteCode: 's'.repeat(256) }),
    'siteCode',
    'siteCode: 256 characters; at most 255',
  ],
  ['id', () => ({ id: uid().padEnd(64, 'i') }), () => ({ id: uid().padEnd(65, 'i') }), 'id', 'id: 65 characters; at most 64'],
];

describe.each(SEGMENT_CASES)('segment %s', (_what, atLimit, over, field, message) => {
  test('POST: at the limit 201, one over 400 and nothing written', async () => {
    const ok = { id: uid(), ...atLimit() };
    expect((await rest('POST', '/segments', { body: seg(ok) })).statusCode).toBe(201);
    expect(await exists(ok.id as string)).toBe(true);
    const bad = { id: uid(), ...over() };
    await expectLimit(await rest('POST', '/segments', { body: seg(bad) }), OP.create, field, message);
    expect(await exists(bad.id as string)).toBe(false);
  });

  test('PUT of an existing segment: at the limit 204, one over 400 and the stored one unchanged', async () => {
    if (field === 'id') return; // a PUT takes its id from the path: see the id tests below
    const id = await createSegment();
    expect((await rest('PUT', `/segments/${id}`, { body: seg(atLimit()) })).statusCode).toBe(204);
    const before = (await rest('GET', `/segments/${id}`)).json();
    await expectLimit(await rest('PUT', `/segments/${id}`, { body: seg(over()) }), OP.put, field, message);
    expect((await rest('GET', `/segments/${id}`)).json()).toEqual(before);
  });

  test('bulk: the element over the limit is a 400, the others are written', async () => {
    const elements = [{ id: uid(), ...atLimit() }, { id: uid(), ...over() }, { id: uid() }];
    const ids = elements.map((e) => e.id as string);
    const res = await rest('POST', '/segments/bulk', { body: elements.map(seg) });
    expect(res.statusCode).toBe(207);
    expect(res.json()).toEqual([
      { index: 1, id: ids[0], code: 201, status: 'Created' },
      { index: 2, id: ids[1], code: 400, status: 'Bad Request', message },
      { index: 3, id: ids[2], code: 201, status: 'Created' },
    ]);
    expect(await exists(ids[0])).toBe(true);
    expect(await exists(ids[1])).toBe(false);
    expect(await exists(ids[2])).toBe(true);
  });
});

describe('segment PATCH', () => {
  test('a patched value is held to the same limits', async () => {
    const id = await createSegment();
    const patch = (ops: unknown) => rest('PATCH', `/segments/${id}`, { body: ops });
    expect((await patch([{ op: 'add', path: '/mixins', value: nested(16) }])).statusCode).toBe(204);
    await expectLimit(
      await patch([{ op: 'add', path: '/mixins', value: nested(17) }]),
      OP.patch,
      'mixins',
      'mixins: nested 17 levels deep; at most 16',
    );
    await expectLimit(
      await patch([{ op: 'add', path: '/mixins/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a/a', value: { b: 1 } }]),
      OP.patch,
      'mixins',
      'mixins: nested 17 levels deep; at most 16',
    );
    await expectLimit(
      await patch([{ op: 'replace', path: '/name/en', value: 'n'.repeat(501) }]),
      OP.patch,
      'name.en',
      'name.en: 501 characters; at most 500',
    );
    await expectLimit(
      await patch([{ op: 'replace', path: '/siteCode', value: 's'.repeat(256) }]),
      OP.patch,
      'siteCode',
      'siteCode: 256 characters; at most 255',
    );
    expect((await rest('GET', `/segments/${id}`)).json().mixins).toEqual(nested(16));
  });

  test('a value deeper than any segment document can be is refused before it is applied', async () => {
    const id = await createSegment();
    const res = await rest('PATCH', `/segments/${id}`, { body: [{ op: 'add', path: '/mixins', value: nested(18) }] });
    await expectLimit(res, OP.patch, 'operations[0].value', 'operations[0].value: nested 18 levels deep; at most 17');
  });
});

describe('customer assignments', () => {
  test('mixins depth and size, metadata.mixins size: at the limit written, one over 400', async () => {
    const s = await createSegment();
    const put = (c: string, body: unknown) => rest('PUT', `/segments/${s}/customers/${c}`, { body });
    expect((await put('c-depth', { mixins: nested(16) })).statusCode).toBe(201);
    await expectLimit(
      await put('c-deep', { mixins: nested(17) }),
      OP.putCustomer,
      'mixins',
      'mixins: nested 17 levels deep; at most 16',
    );
    expect((await put('c-size', { mixins: ofBytes(65536) })).statusCode).toBe(201);
    await expectLimit(
      await put('c-big', { mixins: ofBytes(65537) }),
      OP.putCustomer,
      'mixins',
      'mixins: 65537 bytes as JSON; at most 65536',
    );
    expect((await put('c-meta', { metadata: { mixins: ofBytes(65536) } })).statusCode).toBe(201);
    await expectLimit(
      await put('c-meta-big', { metadata: { mixins: ofBytes(65537) } }),
      OP.putCustomer,
      'metadata.mixins',
      'metadata.mixins: 65537 bytes as JSON; at most 65536',
    );
    expect((await rest('GET', `/segments/${s}/customers/c-deep`)).statusCode).toBe(404);
  });

  test('bulk: per element', async () => {
    const s = await createSegment();
    const res = await rest('PUT', `/segments/${s}/customers/bulk`, {
      body: [
        { customerId: 'c1', mixins: nested(17) },
        { customerId: 'c2', mixins: nested(16) },
        { customerId: 'c\u0000', legalEntityId: 'le1' },
        { customerId: 'c3', legalEntityId: 'le\u200b' },
        { customerId: 'c4', mixins: ofBytes(65537) },
      ],
    });
    expect(res.statusCode).toBe(207);
    const results = res.json() as { index: number; code: number; message?: string }[];
    expect(results.map((r) => r.code)).toEqual([400, 201, 400, 400, 400]);
    expect(results[0].message).toBe('mixins: nested 17 levels deep; at most 16');
    expect(results[2].message).toMatch(/^customerId must not contain control characters \(U\+0000 at position 1\)/);
    expect(results[3].message).toMatch(/^legalEntityId must not contain invisible format characters \(U\+200B/);
    expect(results[4].message).toBe('mixins: 65537 bytes as JSON; at most 65536');
    const stored = await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: s }).pluck('customer_id');
    expect(stored).toEqual(['c2']);
  });

  test('ids in the path', async () => {
    const s = await createSegment();
    await expectLimit(
      await rest('PUT', `/segments/${s}/customers/%00c`, { body: {} }),
      OP.putCustomer,
      'customerId',
      /^customerId must not contain control characters \(U\+0000 at position 0\)/,
    );
    await expectLimit(
      await rest('PUT', `/segments/${s}/customers/c1/le%1B1`, { body: {} }),
      OP.putCustomerB2B,
      'legalEntityId',
      /^legalEntityId must not contain control characters \(U\+001B at position 2\)/,
    );
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: s })).toHaveLength(0);
  });
});

describe('item assignments', () => {
  test('mixins and metadata.mixins limits', async () => {
    const s = await createSegment();
    const put = (i: string, body: unknown) => rest('PUT', `/segments/${s}/items/PRODUCT/${i}`, { body });
    expect((await put('p-depth', { mixins: nested(16) })).statusCode).toBe(201);
    await expectLimit(
      await put('p-deep', { mixins: nested(17) }),
      OP.putItem,
      'mixins',
      'mixins: nested 17 levels deep; at most 16',
    );
    await expectLimit(
      await put('p-big', { mixins: ofBytes(65537) }),
      OP.putItem,
      'mixins',
      'mixins: 65537 bytes as JSON; at most 65536',
    );
    await expectLimit(
      await put('p-meta', { metadata: { mixins: ofBytes(65537) } }),
      OP.putItem,
      'metadata.mixins',
      'metadata.mixins: 65537 bytes as JSON; at most 65536',
    );
  });

  test('ids in the path, in reads too, and in bulk elements', async () => {
    const s = await createSegment();
    await expectLimit(
      await rest('PUT', `/segments/${s}/items/PRODUCT/p%00`, { body: {} }),
      OP.putItem,
      'itemId',
      /^itemId must not contain control characters/,
    );
    await expectLimit(
      await rest('GET', `/segments/${s}/items/PRODUCT/p%E2%80%8B`),
      OP.getItem,
      'itemId',
      /^itemId must not contain invisible format characters/,
    );
    await expectLimit(
      await rest('GET', `/segments/s%00/items/PRODUCT/p1`),
      OP.getItem,
      'segmentId',
      /^segmentId must not contain/,
    );
    const res = await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, {
      body: [{ id: 'p1' }, { id: 'p\u0000' }, { id: 'x'.repeat(65) }, { id: 'x'.repeat(64) }],
    });
    expect(res.statusCode).toBe(207);
    const results = res.json() as { code: number; message?: string }[];
    expect(results.map((r) => r.code)).toEqual([201, 400, 400, 201]);
    expect(results[2].message).toBe('id: 65 characters; at most 64');
  });
});

describe('ids with control or invisible characters', () => {
  test('PUT /segments/%00abc → 400, nothing created', async () => {
    await expectLimit(
      await rest('PUT', '/segments/%00abc', { body: seg() }),
      OP.put,
      'id',
      'id must not contain control characters (U+0000 at position 0)',
    );
    expect(await t.db.knex('segments').where({ tenant: 'acme' }).where('id', 'like', '%abc')).toHaveLength(0);
    await expectLimit(await rest('GET', '/segments/%00abc'), OP.get, 'id', /control characters/);
    await expectLimit(await rest('DELETE', '/segments/%00abc'), OP.remove, 'id', /control characters/);
  });

  test.each(FORBIDDEN_IN_IDS.filter(([name]) => name !== 'unpaired surrogate'))('%s in a path', async (_name, ch, message) => {
    const res = await rest('PUT', `/segments/${enc(`a${ch}b`)}`, { body: seg() });
    await expectLimit(res, OP.put, 'id', `id must not contain ${message} at position 1)`);
  });

  test.each(FORBIDDEN_IN_IDS)('%s in a body id', async (_name, ch, message) => {
    await expectLimit(
      await rest('POST', '/segments', { body: seg({ id: `a${ch}` }) }),
      OP.create,
      'id',
      `id must not contain ${message} at position 1)`,
    );
  });

  test('ids of a match body and of a bulk delete', async () => {
    const s = await createSegment();
    const match = (body: unknown) => rest('POST', '/segments/match', { body });
    await expectLimit(
      await match({ siteCode: 'main', segmentIds: [s], items: [{ id: 'p1' }, { id: 'p\u0000' }] }),
      OP.match,
      'items[1].id',
      /^items\[1\]\.id must not contain control characters/,
    );
    await expectLimit(
      await match({ siteCode: 'main', segmentIds: [s, '\u202e'], items: [{ id: 'p1' }] }),
      OP.match,
      'segmentIds[1]',
      /^segmentIds\[1\] must not contain invisible format characters/,
    );
    await expectLimit(
      await match({ siteCode: 's'.repeat(256), segmentIds: [s], items: [] }),
      OP.match,
      'siteCode',
      'siteCode: 256 characters; at most 255',
    );
    const res = await rest('DELETE', '/segments/bulk', { body: [s, 'x\u0000'] });
    expect(res.statusCode).toBe(207);
    expect((res.json() as { code: number }[]).map((r) => r.code)).toEqual([204, 400]);
  });
});

describe('deeply nested JSON is a 400, never a 500', () => {
  const withMixins = (depth: number) => `{"name":"S","siteCode":"main","mixins":${nestedJson(depth)}}`;

  test.each([20, 30])('mixins %d levels deep (within the body depth limit) → 400 naming the field limit', async (depth) => {
    await expectLimit(
      await rest('POST', '/segments', { body: withMixins(depth) }),
      OP.create,
      'mixins',
      `mixins: nested ${depth} levels deep; at most 16`,
    );
  });

  test('100,000 levels in a segment, a bulk element, a PATCH value and an assignment → 400', async () => {
    const s = await createSegment();
    const deep = nestedJson(100_000);
    const answers = [
      await rest('POST', '/segments', { body: withMixins(100_000) }),
      await rest('PUT', `/segments/${uid()}`, { body: withMixins(100_000) }),
      await rest('POST', '/segments/bulk', { body: `[${withMixins(100_000)}]` }),
      await rest('PATCH', `/segments/${s}`, { body: `[{"op":"add","path":"/mixins","value":${deep}}]` }),
      await rest('PUT', `/segments/${s}/customers/c1`, { body: `{"mixins":${deep}}` }),
      await rest('PUT', `/segments/${s}/items/PRODUCT/p1`, { body: `{"mixins":${deep}}` }),
      await rest('PUT', `/segments/${s}/items/PRODUCT/bulk`, { body: `[{"id":"p2","mixins":${deep}}]` }),
    ];
    for (const res of answers) {
      // The body parser (LIMIT_BODY_DEPTH) or the field check: whichever answers, a 400 Error body.
      if (res.statusCode === 207) {
        expect((res.json() as { code: number }[]).map((r) => r.code)).toEqual([400]);
      } else {
        await expectError(res, 400);
      }
    }
    expect((await rest('GET', `/segments/${s}`)).json().mixins).toBeUndefined();
  });

  test('q=mixins.… searches still answer afterwards, and reach a document at the depth limit', async () => {
    const id = uid();
    expect((await rest('PUT', `/segments/${id}`, { body: seg({ mixins: nested(16) }) })).statusCode).toBe(201);
    const res = await rest('GET', '/segments?q=mixins.x:1');
    expect(res.statusCode).toBe(200);
    const deepest = await rest('GET', `/segments?q=mixins.${Array(16).fill('a').join('.')}:1&fields=id`);
    expect(deepest.statusCode).toBe(200);
    expect(deepest.json()).toContainEqual({ id });
    await expectError(await rest('GET', `/segments?q=mixins.${Array(17).fill('a').join('.')}:1`), 400, OP.list);
  });
});
