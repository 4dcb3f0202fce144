/**
 * Input limits on GraphQL (README "Limits"): every limit at its value is accepted and one over is
 * a BAD_USER_INPUT naming the field (`extensions.field`) and the limit — per element in bulk
 * mutations, the whole call in the all-or-nothing reference-store mutations. Ids holding control
 * or invisible characters are refused in every argument; deeply nested JSON, in variables or
 * inline, is a client error, never INTERNAL_SERVER_ERROR.
 */
import { startTestApp, type TestApp } from '../helpers/app';
import { emailOf, FORBIDDEN_IN_IDS, inLanguages, nested, nestedJson, nestedLiteral, ofBytes } from '../helpers/limits';
import { guardGql, uid } from '../rest/_support';

let t: TestApp;
let gql: TestApp['gql'];
beforeAll(async () => {
  t = await startTestApp();
  gql = guardGql(t);
});
afterAll(() => t.close());

type Answer = Awaited<ReturnType<TestApp['gql']>>;

function expectBadInput(res: Answer, field: string, message: string | RegExp): void {
  expect(res.status).toBeLessThan(500);
  expect(res.errors).toHaveLength(1);
  const [error] = res.errors ?? [];
  expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  if (message instanceof RegExp) expect(error.message).toMatch(message);
  else expect(error.message).toBe(message);
}

function expectData(res: Answer): Record<string, unknown> {
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as Record<string, unknown>;
}

/** A request whose body is written as text: JSON.stringify cannot write 100,000 levels. */
async function gqlText(body: string): Promise<{ status: number; text: string }> {
  const token = await t.token();
  const res = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    payload: body,
  });
  return { status: res.statusCode, text: res.body };
}

const CREATE = 'mutation($v: SegmentInput!) { createSegment(input: $v) { id mixins } }';
const seg = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name: { en: 'S' }, siteCode: 'main', ...extra });

async function segmentExists(id: string): Promise<boolean> {
  return (await t.db.knex('segments').where({ tenant: 'acme', id })).length === 1;
}

async function createSegment(): Promise<string> {
  const data = expectData(await gql(CREATE, { v: seg() }));
  return (data.createSegment as { id: string }).id;
}

/** [what, at the limit, one over, field, message] — SegmentInput fields. */
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
    () => ({ name: { en: 'n'.repeat(500) } }),
    () => ({ name: { en: 'n'.repeat(501) } }),
    'name.en',
    'name.en: 501 characters; at most 500',
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
    () => ({ description: 'd'.repeat(5000) }),
    () => ({ description: 'd'.repeat(5001) }),
    'description',
    'description: 5001 characters; at most 5000',
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
  test('createSegment: at the limit created, one over BAD_USER_INPUT and nothing written', async () => {
    const ok = { id: uid(), ...atLimit() };
    expectData(await gql(CREATE, { v: seg(ok) }));
    expect(await segmentExists(ok.id as string)).toBe(true);
    const bad = { id: uid(), ...over() };
    expectBadInput(await gql(CREATE, { v: seg(bad) }), field, message);
    expect(await segmentExists(bad.id as string)).toBe(false);
  });

  test('upsertSegments: the element over the limit is a 400, the others are written', async () => {
    const elements = [{ id: uid(), ...atLimit() }, { id: uid(), ...over() }, { id: uid() }];
    const data = expectData(
      await gql('mutation($v: [SegmentInput!]!) { upsertSegments(inputs: $v) { index code message } }', { v: elements.map(seg) }),
    );
    expect(data.upsertSegments).toEqual([
      { index: 1, code: 201, message: null },
      { index: 2, code: 400, message },
      { index: 3, code: 201, message: null },
    ]);
    expect(await segmentExists(elements[1].id as string)).toBe(false);
    expect(await segmentExists(elements[2].id as string)).toBe(true);
  });
});

describe('assignments', () => {
  test('upsertCustomerAssignment: mixins depth and size, metadata.mixins size', async () => {
    const s = await createSegment();
    const put = (customerId: string, input: unknown) =>
      gql(
        'mutation($s: ID!, $c: ID!, $v: CustomerAssignmentInput) { upsertCustomerAssignment(segmentId: $s, customerId: $c, input: $v) { created } }',
        { s, c: customerId, v: input },
      );
    expectData(await put('c-ok', { mixins: nested(16), metadata: { mixins: ofBytes(65536) } }));
    expectBadInput(await put('c-deep', { mixins: nested(17) }), 'mixins', 'mixins: nested 17 levels deep; at most 16');
    expectBadInput(await put('c-big', { mixins: ofBytes(65537) }), 'mixins', 'mixins: 65537 bytes as JSON; at most 65536');
    expectBadInput(
      await put('c-meta', { metadata: { mixins: ofBytes(65537) } }),
      'metadata.mixins',
      'metadata.mixins: 65537 bytes as JSON; at most 65536',
    );
    expectBadInput(await put('c\u0000', {}), 'customerId', /^customerId must not contain control characters \(U\+0000/);
    const stored = await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: s }).pluck('customer_id');
    expect(stored).toEqual(['c-ok']);
  });

  test('upsertCustomerAssignments: per element', async () => {
    const s = await createSegment();
    const data = expectData(
      await gql(
        'mutation($s: ID!, $v: [CustomerAssignmentBulkInput!]!) { upsertCustomerAssignments(segmentId: $s, inputs: $v) { code message } }',
        {
          s,
          v: [{ customerId: 'c1', mixins: nested(17) }, { customerId: 'c2' }, { customerId: 'c3', legalEntityId: '\u2066le' }],
        },
      ),
    );
    expect(data.upsertCustomerAssignments).toEqual([
      { code: 400, message: 'mixins: nested 17 levels deep; at most 16' },
      { code: 201, message: null },
      { code: 400, message: 'legalEntityId must not contain invisible format characters (U+2066 at position 0)' },
    ]);
  });

  test('upsertItemAssignment and upsertItemAssignments', async () => {
    const s = await createSegment();
    const one = (itemId: string, input: unknown) =>
      gql(
        'mutation($s: ID!, $i: ID!, $v: ItemAssignmentInput) { upsertItemAssignment(segmentId: $s, type: PRODUCT, itemId: $i, input: $v) { created } }',
        { s, i: itemId, v: input },
      );
    expectData(await one('p-ok', { mixins: nested(16) }));
    expectBadInput(await one('p-deep', { mixins: nested(17) }), 'mixins', 'mixins: nested 17 levels deep; at most 16');
    expectBadInput(await one('p\u007f', {}), 'itemId', /^itemId must not contain control characters \(U\+007F/);
    const data = expectData(
      await gql(
        'mutation($s: ID!, $v: [ItemAssignmentBulkInput!]!) { upsertItemAssignments(segmentId: $s, type: CATEGORY, inputs: $v) { code message } }',
        {
          s,
          v: [{ id: 'k1', metadata: { mixins: ofBytes(65537) } }, { id: 'k2' }, { id: '\u0000' }],
        },
      ),
    );
    expect(data.upsertItemAssignments).toEqual([
      { code: 400, message: 'metadata.mixins: 65537 bytes as JSON; at most 65536' },
      { code: 201, message: null },
      { code: 400, message: 'id must not contain control characters (U+0000 at position 0)' },
    ]);
  });
});

describe('reference store: all or nothing, the element named', () => {
  const UPSERT = {
    customers: ['mutation($v: [CustomerInput!]!) { upsertCustomers(input: $v) }', 'upsertCustomers', 'customers'],
    legalEntities: [
      'mutation($v: [LegalEntityInput!]!) { upsertLegalEntities(input: $v) }',
      'upsertLegalEntities',
      'legal_entities',
    ],
    products: ['mutation($v: [ProductInput!]!) { upsertProducts(input: $v) }', 'upsertProducts', 'products'],
    categories: ['mutation($v: [CategoryInput!]!) { upsertCategories(input: $v) }', 'upsertCategories', 'categories'],
  } as const;

  /** [mutation, input field, at the limit, one over, field named in the error, message after `input[1].`] */
  const CASES: [keyof typeof UPSERT, string, unknown, unknown, string, string][] = [
    ['customers', 'firstName', 'f'.repeat(255), 'f'.repeat(256), 'firstName', 'firstName: 256 characters; at most 255'],
    ['customers', 'lastName', 'l'.repeat(255), 'l'.repeat(256), 'lastName', 'lastName: 256 characters; at most 255'],
    ['customers', 'email', emailOf(255), emailOf(256), 'email', 'email: 256 characters; at most 255'],
    [
      'customers',
      'legalEntityIds',
      ['le'.padEnd(64, '1')],
      ['le\u0000'],
      'legalEntityIds[0]',
      'legalEntityIds[0] must not contain control characters (U+0000 at position 2)',
    ],
    ['legalEntities', 'name', 'n'.repeat(255), 'n'.repeat(256), 'name', 'name: 256 characters; at most 255'],
    ['products', 'code', 'c'.repeat(255), 'c'.repeat(256), 'code', 'code: 256 characters; at most 255'],
    ['products', 'name', { en: 'n'.repeat(500) }, { en: 'n'.repeat(501) }, 'name.en', 'name.en: 501 characters; at most 500'],
    [
      'products',
      'categoryIds',
      ['k'.repeat(64)],
      ['k'.repeat(65)],
      'categoryIds[0]',
      'categoryIds[0]: 65 characters; at most 64',
    ],
    ['categories', 'name', inLanguages(50), inLanguages(51), 'name', 'name: 51 languages; at most 50'],
    ['categories', 'slug', { en: 's'.repeat(500) }, { en: 's'.repeat(501) }, 'slug.en', 'slug.en: 501 characters; at most 500'],
    [
      'categories',
      'description',
      { en: 'd'.repeat(5000) },
      { en: 'd'.repeat(5001) },
      'description.en',
      'description.en: 5001 characters; at most 5000',
    ],
    ['categories', 'code', 'c'.repeat(255), 'c'.repeat(256), 'code', 'code: 256 characters; at most 255'],
    ['categories', 'ecn', ['e'.repeat(255)], ['e', 'e'.repeat(256)], 'ecn[1]', 'ecn[1]: 256 characters; at most 255'],
    [
      'categories',
      'parentId',
      'root\u00e4',
      'root\u200b',
      'parentId',
      'parentId must not contain invisible format characters (U+200B at position 4)',
    ],
  ];

  test.each(CASES)('%s %s', async (kind, inputField, atLimit, over, field, message) => {
    const [query, root, table] = UPSERT[kind];
    expect(expectData(await gql(query, { v: [{ id: uid(kind), [inputField]: atLimit }] }))).toEqual({ [root]: 1 });
    const first = uid(kind);
    expectBadInput(
      await gql(query, { v: [{ id: first }, { id: uid(kind), [inputField]: over }] }),
      `input[1].${field}`,
      `input[1].${message}`,
    );
    // All or nothing: the valid first element was not written either.
    expect(await t.db.knex(table).where({ tenant: 'acme', id: first })).toHaveLength(0);
  });

  test.each(FORBIDDEN_IN_IDS)('%s in an id', async (_name, ch, message) => {
    for (const [query] of Object.values(UPSERT)) {
      expectBadInput(
        await gql(query, { v: [{ id: `x${ch}` }] }),
        'input[0].id',
        `input[0].id must not contain ${message} at position 1)`,
      );
    }
  });
});

describe('ids in arguments', () => {
  test('every id argument refuses control and invisible characters', async () => {
    const s = await createSegment();
    const cases: [string, Record<string, unknown>, string][] = [
      ['query($id: ID!) { segment(id: $id) { id } }', { id: 'a\u0000' }, 'id'],
      ['mutation($id: ID!) { deleteSegment(id: $id) }', { id: '\u001bx' }, 'id'],
      [
        'mutation($id: ID!, $v: SegmentInput!) { upsertSegment(id: $id, input: $v) { created } }',
        { id: '\u0000abc', v: seg() },
        'id',
      ],
      [
        'query($s: ID!, $c: ID!) { customerAssignment(segmentId: $s, customerId: $c) { mixins } }',
        { s, c: 'c\u200d' },
        'customerId',
      ],
      ['query($s: ID!) { itemAssignments(segmentId: $s) { totalCount } }', { s: `${s}\u0000` }, 'segmentId'],
      [
        'query($s: ID!, $i: ID!) { itemAssignment(segmentId: $s, type: PRODUCT, itemId: $i) { mixins } }',
        { s, i: '\u00adp' },
        'itemId',
      ],
      ['query($c: ID!) { segments(customerId: $c) { totalCount } }', { c: '\u0000' }, 'customerId'],
      ['query($id: ID!) { customer(id: $id) { id } }', { id: 'c\u0000' }, 'id'],
      ['query($ids: [ID!]!) { products(ids: $ids) { id } }', { ids: ['p', 'p\u0000'] }, 'ids[1]'],
      [
        'query($v: [ID!]!) { matchItems(siteCode: "main", segmentIds: ["x"], productIds: $v) { productId } }',
        { v: ['\u0000'] },
        'productIds[0]',
      ],
      [
        'query($v: [ID!]!) { matchItems(siteCode: "main", segmentIds: $v, productIds: ["p"]) { productId } }',
        { v: ['\u202e'] },
        'segmentIds[0]',
      ],
      ['query($le: ID) { categoryTrees(customerId: "c1", legalEntityId: $le) { id } }', { le: '\ufeff' }, 'legalEntityId'],
    ];
    for (const [query, variables, field] of cases) {
      expectBadInput(await gql(query, variables), field, new RegExp(`^${field.replace(/[[\]]/g, '\\$&')} must not contain`));
    }
    expect(await t.db.knex('segments').where({ tenant: 'acme' }).where('id', 'like', '%abc')).toHaveLength(0);
  });
});

describe('deeply nested JSON is a client error, never INTERNAL_SERVER_ERROR', () => {
  test.each([17, 20, 28])('mixins %d levels deep as a variable → BAD_USER_INPUT naming the field limit', async (depth) => {
    expectBadInput(
      await gql(CREATE, { v: seg({ mixins: nested(depth) }) }),
      'mixins',
      `mixins: nested ${depth} levels deep; at most 16`,
    );
  });

  const DEEP_BODIES: [string, (deep: string) => string][] = [
    [
      'createSegment',
      (deep) =>
        `{"query":"mutation($v: SegmentInput!) { createSegment(input: $v) { id } }","variables":{"v":{"id":"deep-1","name":"S","siteCode":"main","mixins":${deep}}}}`,
    ],
    [
      'patchSegment',
      (deep) =>
        `{"query":"mutation($v: [PatchOperationInput!]!) { patchSegment(id: \\"deep-2\\", operations: $v) { id } }","variables":{"v":[{"op":"add","path":"/mixins","value":${deep}}]}}`,
    ],
    [
      'upsertCustomerAssignments',
      (deep) =>
        `{"query":"mutation($v: [CustomerAssignmentBulkInput!]!) { upsertCustomerAssignments(segmentId: \\"deep-2\\", inputs: $v) { code } }","variables":{"v":[{"customerId":"c1","mixins":${deep}}]}}`,
    ],
  ];

  test.each(DEEP_BODIES)('100,000 levels as a variable of %s → a client error, nothing written', async (_op, body) => {
    if (!(await segmentExists('deep-2'))) expectData(await gql(CREATE, { v: seg({ id: 'deep-2' }) }));
    const res = await gqlText(body(nestedJson(100_000)));
    // The body parser (LIMIT_BODY_DEPTH) or the field check: whichever answers, a client error.
    expect(res.status).toBeLessThan(500);
    expect(res.text).not.toMatch(/INTERNAL_SERVER_ERROR|stacktrace|Maximum call stack/);
    const answer = JSON.parse(res.text) as { errors?: unknown[]; data?: Record<string, unknown> };
    // A bulk mutation may answer per element instead.
    if (!answer.errors) expect(answer.data?.upsertCustomerAssignments).toEqual([{ code: 400 }]);
    expect(await segmentExists('deep-1')).toBe(false);
    expect((await t.db.knex('segments').where({ tenant: 'acme', id: 'deep-2' }).first()).mixins).toBeNull();
    expect(await t.db.knex('customer_assignments').where({ tenant: 'acme', segment_id: 'deep-2' })).toHaveLength(0);
  });

  test('inline literals: over the field limit a BAD_USER_INPUT, too deep to parse a 400 naming the document limit', async () => {
    const literal = (depth: number) =>
      gql(`mutation { createSegment(input: {name: "S", siteCode: "main", mixins: ${nestedLiteral(depth)}}) { id } }`);
    expectData(await literal(16));
    expectBadInput(await literal(17), 'mixins', 'mixins: nested 17 levels deep; at most 16');
    for (const depth of [40, 2000, 100_000]) {
      const res = await literal(depth);
      expect(res.status).toBe(400);
      expect(res.errors?.[0]).toMatchObject({
        message: 'Syntax Error: the document nests braces, brackets or parentheses more than 32 levels deep; at most 32',
        extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      });
    }
  });

  test('brackets inside strings and comments do not count as nesting', async () => {
    const res = await gql(`# ${'{'.repeat(100)}\n{ segments(q: "name.en:${'('.repeat(100)}") { totalCount } }`);
    expect(res.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'q' });
  });

  test('searches over mixins still answer afterwards', async () => {
    const data = expectData(await gql('{ segments(q: "mixins.x:1") { totalCount } }'));
    expect(data.segments).toEqual({ totalCount: 0 });
  });
});

test('an unexpected error in a resolver is masked and logged, not lost in Apollo', async () => {
  // Where the deep-mixins INTERNAL_SERVER_ERROR came from: graphql-jit wrapped the resolver's
  // RangeError without `extensions`, Apollo's own formatting then threw, and formatError (which
  // logs) never ran. Any plain Error from a resolver took that path.
  const log = jest.spyOn(t.app.log, 'error');
  const create = jest.spyOn(t.services.segments, 'create').mockRejectedValueOnce(new Error('boom: SELECT * FROM segments'));
  try {
    const res = await gql(CREATE, { v: seg() });
    expect(res.errors).toEqual([
      {
        message: 'Internal server error',
        locations: [{ line: 1, column: 31 }],
        path: ['createSegment'],
        extensions: { code: 'INTERNAL_SERVER_ERROR' },
      },
    ]);
    expect(log).toHaveBeenCalledWith(
      expect.objectContaining({ err: expect.objectContaining({ message: 'boom: SELECT * FROM segments' }) }),
      expect.any(String),
    );
  } finally {
    create.mockRestore();
    log.mockRestore();
  }
});
